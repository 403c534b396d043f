// SPDX-License-Identifier: MIT
/* gvtctl create TYPE: a new vGPU in a running process. */
#include <stdio.h>

#include "gvtctl.h"

int cmd_create(struct gvtctl *g, int argc, char **argv)
{
	char request[128];
	struct json *reply;
	int ret;

	if (argc != 2)
		return gvtctl_usage(g, "create TYPE");
	snprintf(request, sizeof(request), "create %.64s", argv[1]);
	ret = gvtctl_call(g, request, &reply);
	if (!ret && !g->json)
		printf("created vgpu%llu (%s)\n",
		       (unsigned long long)json_get_u64(reply, "id", 0),
		       json_get_str(reply, "type", "?"));
	json_free(reply);
	return ret;
}
