// SPDX-License-Identifier: MIT
/* gvtctl create TYPE: a new vGPU in a running process. */
#include <stdio.h>

#include "gvtctl.h"

int cmd_create(struct gvtctl *g, int argc, char **argv)
{
	const char *words[] = { "create", argc == 2 ? argv[1] : "" };
	struct json *reply;
	int ret;

	if (argc != 2)
		return gvtctl_usage(g, "create TYPE");
	ret = gvtctl_callv(g, words, 2, &reply);
	if (!ret && !g->json)
		printf("created vgpu%llu (%s)\n",
		       (unsigned long long)json_get_u64(reply, "id", 0),
		       json_get_str(reply, "type", "?"));
	json_free(reply);
	return ret;
}
