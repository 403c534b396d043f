// SPDX-License-Identifier: MIT
/* gvtctl trace ID start FILE | ID stop: record a vGPU's accesses. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gvtctl.h"

int cmd_trace(struct gvtctl *g, int argc, char **argv)
{
	char request[PATH_MAX + 64];
	char file[PATH_MAX];
	struct json *r;
	int ret;

	if (argc == 4 && !strcmp(argv[2], "start")) {
		/* The server opens the file: give it an absolute path. */
		if (argv[3][0] == '/') {
			snprintf(file, sizeof(file), "%s", argv[3]);
		} else {
			char cwd[PATH_MAX];

			if (!getcwd(cwd, sizeof(cwd)) ||
			    (size_t)snprintf(file, sizeof(file), "%s/%s", cwd, argv[3]) >= sizeof(file))
				return gvtctl_error(g, "path too long");
		}
		if (strchr(file, ' ') || strchr(file, '\t'))
			return gvtctl_error(g, "the trace path may not contain spaces");
		snprintf(request, sizeof(request), "trace %.32s start %s", argv[1], file);
	} else if (argc == 3 && !strcmp(argv[2], "stop")) {
		snprintf(request, sizeof(request), "trace %.32s stop", argv[1]);
	} else {
		return gvtctl_usage(g, "trace ID start FILE | trace ID stop");
	}
	ret = gvtctl_call(g, request, &r);
	if (!ret && !g->json) {
		if (argc == 4)
			printf("vgpu%llu: recording to %s\n",
			       (unsigned long long)json_get_u64(r, "id", 0), file);
		else
			printf("vgpu%llu: recording stopped\n",
			       (unsigned long long)json_get_u64(r, "id", 0));
	}
	json_free(r);
	return ret;
}
