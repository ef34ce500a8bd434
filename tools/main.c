// SPDX-License-Identifier: MIT
/* ringline: NVMe and O_DIRECT latency tests and benchmarks on io_uring. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: ringline COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  bench PATH   measure IOPS, bandwidth and latency (default: random 4 KiB reads, QD32)\n"
	"  lat PATH     measure latency percentiles (default: random 4 KiB reads, QD1)\n"
	"  help         show this text; 'ringline COMMAND --help' shows a command's options\n"
	"  version      print the version\n"
	"\n"
	"PATH is a regular file or a block device, used with O_DIRECT.\n"
	"Exit status: 0 success, 1 I/O or runtime error, 2 usage error.\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "lat"))
		return cmd_lat(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("ringline %s\n", RINGLINE_VERSION);
		return 0;
	}
	cli_err("unknown command '%s' (see 'ringline help')", cmd);
	return EXIT_USAGE;
}
