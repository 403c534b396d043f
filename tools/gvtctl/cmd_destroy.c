// SPDX-License-Identifier: MIT
/* gvtctl destroy ID: remove a vGPU from a running process. */
#include <stdio.h>

#include "gvtctl.h"

int cmd_destroy(struct gvtctl *g, int argc, char **argv)
{
	const char *words[] = { "destroy", argc == 2 ? argv[1] : "" };
	struct json *reply;
	int ret;

	if (argc != 2)
		return gvtctl_usage(g, "destroy ID");
	ret = gvtctl_callv(g, words, 2, &reply);
	if (!ret && !g->json)
		printf("destroyed vgpu%llu\n",
		       (unsigned long long)json_get_u64(reply, "id", 0));
	json_free(reply);
	return ret;
}
