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
	const char *words[4] = { "trace", argc > 1 ? argv[1] : "", NULL, NULL };
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
		words[2] = "start";
		words[3] = file;
	} else if (argc == 3 && !strcmp(argv[2], "stop")) {
		words[2] = "stop";
	} else {
		return gvtctl_usage(g, "trace ID start FILE | trace ID stop");
	}
	ret = gvtctl_callv(g, words, argc, &r);
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
