// SPDX-License-Identifier: MIT
/* ringline nbd: the NBD server (server/nbd/) behind the command line. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "nbd.h"

static const char help[] =
    "usage: ringline nbd [OPTIONS] DEV\n"
    "\n"
    "Export DEV over the Network Block Device protocol (fixed newstyle, simple replies) from\n"
    "the engine's io_uring ring. DEV is an NVMe namespace /dev/ngXnY (passthrough) or a\n"
    "regular file or block device (O_DIRECT). Clients: nbdinfo, nbdcopy, qemu-img, fio's nbd\n"
    "engine, the kernel's nbd-client. SIGTERM or SIGINT stops it: no new connections or\n"
    "requests, the requests in flight are answered, a flush follows writes not yet flushed,\n"
    "connections close, exit status 0.\n"
    "\n"
    "options:\n"
    "  --listen ADDR   where to listen (default 127.0.0.1:10809): HOST:PORT, [IPV6]:PORT,\n"
    "                  :PORT or PORT (loopback), 0.0.0.0:PORT (every address), or unix:PATH.\n"
    "                  Port 0 picks a free port; the address is printed on stdout as\n"
    "                  'ringline nbd: exporting DEV on ADDR (N threads)'.\n"
    "  --name NAME     export name (default: DEV's file name); the empty name works too\n"
    "  --read-only     advertise a read-only export; writes get EPERM\n"
    "  --threads N     N engines on N threads, each with its own ring, SO_REUSEPORT listener\n"
    "                  and open of DEV (TCP only; default 1)\n"
    "  --http ADDR     serve /metrics and /v1/status there: the NBD counters, latency\n"
    "                  histograms, errors and device commands of every engine summed (at\n"
    "                  most 250 ms old; /v1/status's \"server\"); the device latency, ring\n"
    "                  and socket figures of the first engine\n"
    "  --handshake-timeout MS  close a connection still negotiating after MS\n"
    "                  milliseconds (default 10000)\n"
    "  --request-timeout MS  close a connection whose input waits unconsumed for MS\n"
    "                  milliseconds (default 30000): a partial request and then silence,\n"
    "                  or requests held back because the client does not read its replies\n"
    "  --force         export a block device writable even while it is in use (mounted,\n"
    "                  or held by another program); without it, a writable export opens\n"
    "                  it exclusively (O_EXCL, on NVMe the namespace's /dev/nvmeXnY) and\n"
    "                  refuses it then. --read-only needs no claim\n"
    "  -h, --help      show this text\n"
    "\n"
    "bounds, per thread: 64 connections (at the limit a new one replaces the connection\n"
    "idle longest, one in transmission with no request in flight; with none idle it is\n"
    "closed at once), 64 requests in flight per connection and 256 in all, 64 MiB of\n"
    "data buffers (so at most 64 MiB of payload in flight), 128 KiB of unread input and\n"
    "2 MiB of unsent replies per connection; beyond them the server stops reading from\n"
    "that connection until its replies drain, so a client that never reads cannot grow\n"
    "the server's memory. Requests up to 32 MiB; a handshake or request longer than its\n"
    "timeout is cut off; a bad magic closes that connection only.\n"
    "\n"
    "exit status: 0 clean shutdown, 1 runtime error, 2 usage error\n";

int cmd_nbd(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"name", required_argument, NULL, 'n'},
	    {"read-only", no_argument, NULL, 'r'},
	    {"threads", required_argument, NULL, 't'},
	    {"http", required_argument, NULL, 'H'},
	    {"handshake-timeout", required_argument, NULL, 'T'},
	    {"request-timeout", required_argument, NULL, 'R'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct nbd_run_opts o = {.threads = 1, .out = stdout};
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.nbd.listen = optarg;
			break;
		case 'n':
			o.nbd.name = optarg;
			break;
		case 'r':
			o.nbd.read_only = true;
			break;
		case 't':
			if (cli_parse_size(optarg, &v) || v == 0 || v > 256) {
				cli_err("--threads %s: expected 1 to 256", optarg);
				return EXIT_USAGE;
			}
			o.threads = (unsigned)v;
			break;
		case 'H':
			o.http = optarg;
			break;
		case 'T':
			if (cli_parse_size(optarg, &v) || v == 0 || v > 3600000) {
				cli_err("--handshake-timeout %s: expected 1 to 3600000 ms", optarg);
				return EXIT_USAGE;
			}
			o.nbd.handshake_ms = (unsigned)v;
			break;
		case 'R':
			if (cli_parse_size(optarg, &v) || v == 0 || v > 3600000) {
				cli_err("--request-timeout %s: expected 1 to 3600000 ms", optarg);
				return EXIT_USAGE;
			}
			o.nbd.request_ms = (unsigned)v;
			break;
		case 'f':
			o.force = true;
			break;
		case 'h':
			fputs(help, stdout);
			exit(0);
		default:
			cli_err("nbd: unknown option '%s' (see 'ringline nbd --help')",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err("nbd: expected one DEV (see 'ringline nbd --help')");
		return EXIT_USAGE;
	}
	if (o.threads > 1 && o.nbd.listen && !strncmp(o.nbd.listen, "unix:", 5)) {
		cli_err("nbd: --threads %u needs a TCP address: Unix sockets have no SO_REUSEPORT",
			o.threads);
		return EXIT_USAGE;
	}
	if (o.force && o.nbd.read_only) {
		cli_err("nbd: --force applies to writable exports, not with --read-only");
		return EXIT_USAGE;
	}
	o.dev = argv[optind];
	return nbd_run(&o) ? EXIT_IO : 0;
}
