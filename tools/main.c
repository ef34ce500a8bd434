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
    "  zones DEV                report the zones of a zoned NVMe namespace (ZNS)\n"
    "  zone ACTION DEV ZSLBA    open, close, finish or reset a zone (or --all)\n"
    "  append DEV ZSLBA         Zone Append stdin to a zone; print the LBA written\n"
    "  serve --listen ADDR DEV...  serve metrics, status and device health over HTTP\n"
    "                           while probing each DEV's read latency\n"
    "  nbd [OPTIONS] DEV        export DEV over NBD (nbdinfo, qemu-img, nbd-client, ...)\n"
    "  help [COMMAND]           show this text, or COMMAND's options (as 'ringline\n"
    "                           COMMAND --help')\n"
    "  version                  print the version\n"
    "\n"
    "PATH and DEV are an NVMe namespace /dev/ngXnY (NVMe passthrough over io_uring),\n"
    "or a regular file or block device (O_DIRECT); nothing else (a FIFO, a socket, another\n"
    "character device) is opened. Commands that write open a block device exclusively and\n"
    "refuse one in use (mounted) unless given --force.\n"
    "Exit status: 0 success, 1 I/O or runtime error (a failed write to stdout too),\n"
    "2 usage error.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
    {"bench", cmd_bench},   {"lat", cmd_lat},	 {"list", cmd_list},	 {"identify", cmd_identify},
    {"health", cmd_health}, {"read", cmd_data},	 {"write", cmd_data},	 {"zeroes", cmd_data},
    {"trim", cmd_data},	    {"flush", cmd_data}, {"serve", cmd_serve},	 {"nbd", cmd_nbd},
    {"zones", cmd_zones},   {"zone", cmd_zone},	 {"append", cmd_append},
};

static int (*find(const char *name))(int, char **)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].fn;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int (*fn)(int, char **);

	cli_init();
	if (!cmd) {
		cli_err("missing COMMAND (see 'ringline help')");
		return EXIT_USAGE;
	}
	fn = find(cmd);
	if (fn)
		return fn(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		/* 'ringline help COMMAND' is 'ringline COMMAND --help'. */
		char *help[] = {argc > 2 ? argv[2] : NULL, "--help", NULL};

		if (argc > 3) {
			cli_err("help: unexpected argument '%s' (see 'ringline help')", argv[3]);
			return EXIT_USAGE;
		}
		if (argc == 3 && !find(argv[2])) {
			cli_err("help: unknown command '%s' (see 'ringline help')", argv[2]);
			return EXIT_USAGE;
		}
		if (argc == 3)
			return find(argv[2])(2, help);
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		if (argc > 2) {
			cli_err("version: unexpected argument '%s'", argv[2]);
			return EXIT_USAGE;
		}
		printf("ringline %s\n", RINGLINE_VERSION);
		return 0;
	}
	cli_err("unknown command '%s' (see 'ringline help')", cmd);
	return EXIT_USAGE;
}
