// SPDX-License-Identifier: MIT
/* ringline: NVMe and O_DIRECT latency tests and benchmarks on io_uring. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: ringline COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  bench PATH               measure IOPS, bandwidth and latency (default: random\n"
    "                           4 KiB reads, QD32)\n"
    "  lat PATH                 measure latency percentiles (default: random 4 KiB reads,\n"
    "                           QD1)\n"
    "  list                     list NVMe namespaces and their generic devices\n"
    "  identify DEV             NVMe Identify: LBA format, size, MDTS, model, ...\n"
    "  health DEV               NVMe SMART / Health log\n"
    "  read DEV OFFSET LENGTH   copy bytes from DEV to stdout\n"
    "  write DEV OFFSET         copy stdin to DEV\n"
    "  zeroes DEV OFFSET LENGTH zero a range (NVMe Write Zeroes)\n"
    "  trim DEV OFFSET LENGTH   deallocate a range (NVMe Dataset Management)\n"
    "  flush DEV                flush (NVMe Flush, fdatasync)\n"
    "  serve --listen ADDR DEV...  serve metrics, status and device health over HTTP\n"
    "                           while probing each DEV's read latency\n"
    "  help                     show this text; 'ringline COMMAND --help' shows a\n"
    "                           command's options\n"
    "  version                  print the version\n"
    "\n"
    "PATH and DEV are an NVMe namespace /dev/ngXnY (NVMe passthrough over io_uring),\n"
    "or a regular file or block device (O_DIRECT).\n"
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
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "identify"))
		return cmd_identify(argc - 1, argv + 1);
	if (!strcmp(cmd, "health"))
		return cmd_health(argc - 1, argv + 1);
	if (!strcmp(cmd, "read") || !strcmp(cmd, "write") || !strcmp(cmd, "zeroes") ||
	    !strcmp(cmd, "trim") || !strcmp(cmd, "flush"))
		return cmd_data(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
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
