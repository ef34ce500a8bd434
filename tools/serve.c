// SPDX-License-Identifier: MIT
/* ringline serve: the control-plane daemon (control/daemon.c) behind the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "control.h"

static const char help[] =
    "usage: ringline serve --listen ADDR [OPTIONS] DEV...\n"
    "\n"
    "Serve metrics, status and device health over HTTP/1.1 on the engine's io_uring ring,\n"
    "while a probe reads one block (4 KiB, or the LBA size if larger) at a random offset of\n"
    "each DEV, one read at a time, RATE times a second. DEV is an NVMe namespace /dev/ngXnY\n"
    "(passthrough) or a regular file or block device (O_DIRECT); all are opened read-only.\n"
    "SIGTERM or SIGINT stops it: the probe's read in flight completes, connections close,\n"
    "everything is unregistered, exit status 0.\n"
    "\n"
    "options:\n"
    "  --listen ADDR     where to listen (required): HOST:PORT, [IPV6]:PORT, :PORT or PORT\n"
    "                    (loopback 127.0.0.1), 0.0.0.0:PORT (every address), or unix:PATH.\n"
    "                    Port 0 picks a free port. The address is printed on stdout as\n"
    "                    'ringline serve: listening on ADDR'.\n"
    "  --token-file FILE require 'Authorization: Bearer TOKEN' on every request (else 401),\n"
    "                    TOKEN being FILE's first line; the environment variable\n"
    "                    RINGLINE_TOKEN does the same\n"
    "  --token TOKEN     as --token-file, but any local user can read TOKEN in\n"
    "                    /proc/PID/cmdline: prefer the file or the variable\n"
    "  --rate N          probe reads per second per device (default 10; decimals allowed)\n"
    "  --max-conns N     connections at once (default 128); at the limit a new one takes\n"
    "                    the place of the oldest connection between requests, else it is\n"
    "                    closed at once\n"
    "  --header-timeout MS close a connection whose request has not arrived whole this\n"
    "                    many milliseconds after its first byte (default 10000)\n"
    "  --idle-timeout MS close a connection idle this many milliseconds (default 60000)\n"
    "  --max-request N   largest request in bytes (default 8192); a larger header gets 431\n"
    "  --max-rate N      answer at most N requests per second, all connections together\n"
    "                    (default 100); more wait unread, so clients cannot take the\n"
    "                    probe's (or an embedding server's) CPU time\n"
    "  -h, --help        show this text\n"
    "\n"
    "endpoints (GET only; another method gets 405, another path 404, a malformed request\n"
    "400, and the connection closes after 400, 413 and 431):\n"
    "  /metrics                     Prometheus text: per target and operation ops, bytes,\n"
    "                               errors by errno or NVMe status, in-flight commands,\n"
    "                               latency histograms; ring features, slab, connections\n"
    "  /v1/status                   JSON: uptime, ring features, slab use, connections,\n"
    "                               per-target counters\n"
    "  /v1/devices                  JSON: each device's identify fields (as 'ringline\n"
    "                               identify --json'); size and alignment for files\n"
    "  /v1/devices/NAME/health      JSON: the NVMe SMART / Health log (as 'ringline\n"
    "                               health --json'), read with Get Log Page on the ring;\n"
    "                               NAME is the device's file name, e.g. ng0n1\n"
    "\n"
    "exit status: 0 clean shutdown, 1 runtime error, 2 usage error\n";

static int parse_uint(const char *opt, const char *s, unsigned *out)
{
	uint64_t v;

	if (cli_parse_size(s, &v) || v == 0 || v > 1u << 30) {
		cli_err("%s %s: expected a positive number", opt, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

#define TOKEN_MAX 4096

/*
 * The token is FILE's first line, without its line end: not empty, no longer than TOKEN_MAX,
 * printable (it is compared with a header value, which cannot hold control characters).
 */
static int read_token(const char *path, char *token, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		cli_err("--token-file %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(token, 1, size - 1, f);
	fclose(f);
	token[n] = 0;
	token[strcspn(token, "\r\n")] = 0;
	n = strlen(token);
	if (!n || n > TOKEN_MAX) {
		cli_err("--token-file %s: expected a token of 1 to %d bytes on the first line",
			path, TOKEN_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)token[i] < 0x21 || (unsigned char)token[i] == 0x7f) {
			cli_err("--token-file %s: the token holds a space or control character at "
				"byte %zu",
				path, i);
			return -1;
		}
	}
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"token", required_argument, NULL, 't'},
	    {"token-file", required_argument, NULL, 'T'},
	    {"header-timeout", required_argument, NULL, 'H'},
	    {"rate", required_argument, NULL, 'r'},
	    {"max-conns", required_argument, NULL, 'c'},
	    {"idle-timeout", required_argument, NULL, 'i'},
	    {"max-request", required_argument, NULL, 'm'},
	    {"max-rate", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct ctl_serve_opts o = {.rate = 10, .out = stdout};
	struct ctl_serve_report rep;
	static char token[TOKEN_MAX + 2];
	const char *env = getenv("RINGLINE_TOKEN");
	char *end;
	int c;

	if (env && *env)
		o.http.token = env; /* the options below take precedence */

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, "serve")) != -1) {
		switch (c) {
		case 'l':
			o.http.listen = optarg;
			break;
		case 't':
			if (!*optarg) {
				cli_err("--token: expected a non-empty token");
				return EXIT_USAGE;
			}
			o.http.token = optarg;
			break;
		case 'T':
			if (read_token(optarg, token, sizeof(token)))
				return EXIT_USAGE;
			o.http.token = token;
			break;
		case 'H':
			if (parse_uint("--header-timeout", optarg, &o.http.header_timeout_ms))
				return EXIT_USAGE;
			break;
		case 'r':
			o.rate = strtod(optarg, &end);
			if (*end || end == optarg || !(o.rate > 0) || o.rate > 1e6) {
				cli_err("--rate %s: expected reads per second, above 0 and at most "
					"1000000",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_uint("--max-conns", optarg, &o.http.max_conns))
				return EXIT_USAGE;
			break;
		case 'i':
			if (parse_uint("--idle-timeout", optarg, &o.http.idle_timeout_ms))
				return EXIT_USAGE;
			break;
		case 'm':
			if (parse_uint("--max-request", optarg, &o.http.max_request))
				return EXIT_USAGE;
			break;
		case 'R':
			if (parse_uint("--max-rate", optarg, &o.http.max_rate))
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(help, stdout);
			exit(0);
		default:
			return EXIT_USAGE;
		}
	}
	if (!o.http.listen) {
		cli_err("serve: --listen ADDR is required (see 'ringline serve --help')");
		return EXIT_USAGE;
	}
	if (optind == argc) {
		cli_err("serve: expected at least one DEV (see 'ringline serve --help')");
		return EXIT_USAGE;
	}
	o.devs = (const char *const *)argv + optind;
	o.ndevs = argc - optind;
	return ctl_serve(&o, &rep); /* 0, EXIT_IO, or EXIT_USAGE for a bad --listen ADDR */
}
