// SPDX-License-Identifier: MIT
/* gvtctl list: the vGPUs of a running process. */
#include "gvtctl.h"

int cmd_list(struct gvtctl *g, int argc, char **argv)
{
	const struct json *vgpus;
	struct json *reply;
	int ret;

	if (argc != 1)
		return gvtctl_usage(g, "list");
	ret = gvtctl_call(g, "list", &reply);
	if (ret || g->json) {
		json_free(reply);
		return ret;
	}
	vgpus = json_get(reply, "vgpus");
	printf("%-4s %-10s %-9s %s\n", "ID", "TYPE", "STATE", "TRACING");
	for (size_t i = 0; vgpus && i < vgpus->n; i++) {
		const struct json *v = vgpus->items[i];

		printf("%-4llu %-10s %-9s %s\n",
		       (unsigned long long)json_get_u64(v, "id", 0),
		       json_get_str(v, "type", "?"), json_get_str(v, "state", "?"),
		       json_get_bool(v, "tracing", false) ? "yes" : "no");
	}
	json_free(reply);
	return EXIT_OK;
}
