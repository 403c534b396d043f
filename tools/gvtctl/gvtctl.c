// SPDX-License-Identifier: MIT
/*
 * gvtctl: the command line for libgvt. Verbs that need a running process
 * talk to it over its control socket; types, replay and doctor work on
 * their own.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>

#include "gvtctl.h"

static const struct {
	const char *name;
	gvtctl_cmd_fn *fn;
	const char *args;
	const char *help;
} commands[] = {
	{ "types", cmd_types, "[--platform skl] [--aperture MIB]",
	  "vGPU types and how many of each still fit" },
	{ "replay", cmd_replay, "FILE...", "replay gvt-traces on a fresh sim GPU" },
	{ "list", cmd_list, "", "the vGPUs of a running process" },
	{ "create", cmd_create, "TYPE", "create a vGPU in a running process" },
	{ "destroy", cmd_destroy, "ID", "destroy a vGPU" },
	{ "show", cmd_show, "ID", "a vGPU's state, memory, fences and counters" },
	{ "regs", cmd_regs, "ID [OFF[-END]]", "register values, with names" },
	{ "gtt", cmd_gtt, "ID [GM[-GM]]", "GGTT entries (guest and host)" },
	{ "trace", cmd_trace, "ID start FILE | ID stop", "record a vGPU's accesses" },
	{ "top", cmd_top, "[--once] [--interval S]",
	  "live engine busy %, workloads/s, queue and latency per vGPU" },
	{ "weight", cmd_weight, "ID WEIGHT", "change a vGPU's scheduling weight" },
	{ "decode", cmd_decode, "[--engine E] [--base ADDR] [--ring] FILE",
	  "decode a command stream, one line per command" },
	{ "audit", cmd_audit, "[--engine E] [--type T] [--base ADDR] [--ring|--ppgtt] FILE",
	  "check a command stream as a vGPU's workload" },
	{ "doctor", cmd_doctor, "", "check this host for what GVT needs" },
};

static void print_error(struct gvtctl *g, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", g->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int gvtctl_error(struct gvtctl *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_error(g, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int gvtctl_input_error(struct gvtctl *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_error(g, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

void gvtctl_log_errors(void *opaque, int level, const char *msg)
{
	(void)opaque;
	if (level <= GVT_LOG_ERR)
		fprintf(stderr, "libgvt: %s\n", msg);
}

int gvtctl_usage(struct gvtctl *g, const char *usage)
{
	fprintf(stderr, "usage: %s %s\n", g->prog, usage);
	return EXIT_USAGE;
}

void gvtctl_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void usage(FILE *f)
{
	char def[256];

	if (gvt_ctl_default_path(def, sizeof(def)))
		snprintf(def, sizeof(def), "(too long)");
	fprintf(f, "usage: gvtctl [--socket PATH] [--json] VERB [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %-34s %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(f, "\n  --socket PATH  the control socket of a running process (default %s)\n"
		   "  --json         machine-readable output\n", def);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct gvtctl g = { .prog = "gvtctl" };
	int opt;

	/* Options before the verb; the verb parses its own. */
	while ((opt = getopt_long(argc, argv, "+s:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			g.socket = optarg;
			break;
		case 'j':
			g.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("gvtctl (libgvt %s)\n", gvt_version());
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char **args;
		int n = 0;

		if (strcmp(argv[optind], commands[i].name))
			continue;
		/* The global options may also follow the verb: take them out
		 * and hand the verb the rest. */
		args = calloc((size_t)(argc - optind + 1), sizeof(*args));
		if (!args)
			return gvtctl_error(&g, "out of memory");
		for (int a = optind; a < argc; a++) {
			if (!strcmp(argv[a], "--json")) {
				g.json = true;
			} else if (!strcmp(argv[a], "--socket") && a + 1 < argc) {
				g.socket = argv[++a];
			} else if (!strncmp(argv[a], "--socket=", 9)) {
				g.socket = argv[a] + 9;
			} else {
				args[n++] = argv[a];
			}
		}
		opt = commands[i].fn(&g, n, args);
		free(args);
		return opt;
	}
	fprintf(stderr, "gvtctl: unknown verb '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
