// SPDX-License-Identifier: MIT
/* gvtctl regs ID [OFF[-END]]: register values, with names where known. */
#include <stdio.h>

#include "gvtctl.h"

int cmd_regs(struct gvtctl *g, int argc, char **argv)
{
	const char *words[] = { "regs", argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "" };
	const struct json *regs;
	struct json *r;
	int ret;

	if (argc != 2 && argc != 3)
		return gvtctl_usage(g, "regs ID [OFF[-END]]");
	ret = gvtctl_callv(g, words, argc, &r);
	if (ret || g->json) {
		json_free(r);
		return ret;
	}
	regs = json_get(r, "regs");
	printf("%-9s %-10s %s\n", "OFFSET", "VALUE", "NAME");
	for (size_t i = 0; regs && i < regs->n; i++) {
		const struct json *e = regs->items[i];

		printf("0x%06llx  0x%08llx %s%s\n",
		       (unsigned long long)json_get_u64(e, "offset", 0),
		       (unsigned long long)json_get_u64(e, "value", 0),
		       json_get_str(e, "name", ""),
		       json_get_bool(e, "computed", false) ? " (stored; computed on read)" : "");
	}
	json_free(r);
	return EXIT_OK;
}
