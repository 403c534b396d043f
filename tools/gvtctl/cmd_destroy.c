// SPDX-License-Identifier: MIT
/* gvtctl destroy ID: remove a vGPU from a running process. */
#include <stdio.h>

#include "gvtctl.h"

int cmd_destroy(struct gvtctl *g, int argc, char **argv)
{
	char request[128];
	struct json *reply;
	int ret;

	if (argc != 2)
		return gvtctl_usage(g, "destroy ID");
	snprintf(request, sizeof(request), "destroy %.32s", argv[1]);
	ret = gvtctl_call(g, request, &reply);
	if (!ret && !g->json)
		printf("destroyed vgpu%llu\n",
		       (unsigned long long)json_get_u64(reply, "id", 0));
	json_free(reply);
	return ret;
}
