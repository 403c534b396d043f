// SPDX-License-Identifier: MIT
/* gvtctl gtt ID [GM[-GM]]: a vGPU's GGTT entries, as written and as mapped. */
#include <stdio.h>

#include "gvtctl.h"

int cmd_gtt(struct gvtctl *g, int argc, char **argv)
{
	const char *words[] = { "gtt", argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "" };
	const struct json *entries;
	struct json *r;
	int ret;

	if (argc != 2 && argc != 3)
		return gvtctl_usage(g, "gtt ID [GM[-GM]]");
	ret = gvtctl_callv(g, words, argc, &r);
	if (ret || g->json) {
		json_free(r);
		return ret;
	}
	entries = json_get(r, "entries");
	printf("%-12s %-18s %s\n", "GM", "GUEST PTE", "HOST PTE");
	for (size_t i = 0; entries && i < entries->n; i++) {
		const struct json *e = entries->items[i];

		printf("0x%09llx  0x%016llx 0x%016llx\n",
		       (unsigned long long)json_get_u64(e, "gm", 0),
		       (unsigned long long)json_get_u64(e, "guest", 0),
		       (unsigned long long)json_get_u64(e, "host", 0));
	}
	if (json_get_bool(r, "truncated", false))
		printf("(more entries: ask for a narrower range)\n");
	json_free(r);
	return EXIT_OK;
}
