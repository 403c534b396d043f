// SPDX-License-Identifier: MIT
/* gvtctl replay: run gvt-traces and compare what they recorded. */
#include <string.h>

#include "gvtctl.h"
#include "replay.h"

int cmd_replay(struct gvtctl *g, int argc, char **argv)
{
	unsigned int passed = 0, failed = 0;
	bool verbose = false;
	int first = 1;

	bool until_submission = false;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-v") || !strcmp(argv[first], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[first], "--until-submission"))
			until_submission = true;
		else
			break;
	}
	if (argc <= first)
		return gvtctl_usage(g, "replay [-v] [--until-submission] FILE...");
	if (g->json)
		printf("{\"files\":[");
	for (int i = first; i < argc; i++) {
		struct replay_report rep = { .verbose = verbose,
					     .until_submission = until_submission };
		bool ok = replay_file(argv[i], &rep) == 0;

		ok ? passed++ : failed++;
		if (g->json) {
			printf("%s{\"file\":", i > first ? "," : "");
			gvtctl_json_str(stdout, argv[i]);
			printf(",\"passed\":%s,\"lines\":%u,\"checks\":%u,\"failures\":%u,\"errors\":[",
			       ok ? "true" : "false", rep.lines, rep.checks, rep.failures);
			for (unsigned int e = 0; e < rep.reported; e++) {
				printf("%s{\"line\":%u,\"message\":", e ? "," : "",
				       rep.error[e].line);
				gvtctl_json_str(stdout, rep.error[e].message);
				printf("}");
			}
			printf("]}");
			continue;
		}
		if (ok) {
			printf("%s: passed (%u checks)\n", argv[i], rep.checks);
			if (rep.stopped_at_submission)
				printf("%s: stopped before the first submission, at line %u\n",
				       argv[i], rep.lines);
			continue;
		}
		for (unsigned int e = 0; e < rep.reported; e++)
			printf("%s:%u: %s\n", argv[i], rep.error[e].line,
			       rep.error[e].message);
		if (rep.failures > rep.reported)
			printf("%s: ... and %u more\n", argv[i],
			       rep.failures - rep.reported);
		printf("%s: FAILED\n", argv[i]);
	}
	if (g->json)
		printf("],\"passed\":%u,\"failed\":%u}\n", passed, failed);
	else
		printf("%u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAIL : EXIT_OK;
}
