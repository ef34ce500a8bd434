// SPDX-License-Identifier: MIT
/*
 * ringline bench / ringline lat: options and usage. The runs themselves are in lab.c (one run,
 * --compare, a --qd sweep) over the I/O loop of bench_run.c.
 */
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

const char *const rw_names[] = {"read", "write", "randread", "randwrite", "randrw"};

static void usage(FILE *out, const char *cmd)
{
	bool lat = !strcmp(cmd, "lat");

	fprintf(
	    out,
	    "usage: ringline %s PATH[,PATH...] [OPTIONS]\n"
	    "       ringline %s --nop [OPTIONS]\n"
	    "\n"
	    "%s on PATH: an NVMe namespace /dev/ngXnY through NVMe passthrough\n"
	    "(IORING_OP_URING_CMD), or a regular file or block device with O_DIRECT.\n"
	    "On a terminal, one line shows the elapsed time, IOPS and p50/p99 each second.\n"
	    "\n"
	    "options:\n"
	    "  --rw MODE      read, write, randread, randwrite or randrw (50%% reads)\n"
	    "                 (default randread). Writes overwrite PATH's data.\n"
	    "  --force        write even to a block device in use (mounted, or held by\n"
	    "                 another program): without it, writes open it exclusively\n"
	    "                 (O_EXCL) and refuse it then\n"
	    "  --pi           NVMe namespaces with protection information: each write\n"
	    "                 carries PI ringline generates (guard, reference tag), which the\n"
	    "                 controller checks (PRCHK); each read's PI is checked in software.\n"
	    "                 Extended-LBA formats too (bs counts the data alone)\n"
	    "  --bs N         block size in bytes, suffixes k m g (default 4k); a multiple of\n"
	    "                 PATH's O_DIRECT alignment\n"
	    "  --qd N[,N...]  commands in flight, 1..%d (default %d). A list sweeps the\n"
	    "                 depths, one run each, and prints IOPS against latency per\n"
	    "                 depth; in 1,2,...,128 the progression goes on to the last\n"
	    "  --time SECONDS run this long (default 10; a sweep: each depth; --compare: each\n"
	    "                 path, over all its rounds); decimals allowed\n"
	    "  --count N      stop after N I/Os instead of a time (as --time for a sweep\n"
	    "                 and --compare)\n"
	    "  --ramp SECONDS run this long first, then reset the counters and start\n"
	    "                 --time (as fio's ramp_time): warm-up is not measured\n"
	    "  --size N       use the first N bytes of PATH (default: all of it); PATH must\n"
	    "                 be at least that large\n"
	    "  --no-fixedbufs do not register the I/O buffers with the ring\n"
	    "  --sqpoll       use a kernel submission-polling thread\n"
	    "  --passthrough  for a /dev/nvmeXnY, use its /dev/ngXnY through passthrough\n"
	    "  --poll         polled completions on an IOPOLL ring: NVMe passthrough, or\n"
	    "                 O_DIRECT on a block device (needs nvme poll_queues)\n"
	    "  --batch N      issue I/Os in batches of N: submit N commands per system call\n"
	    "                 and wait for N completions, 1..QD (default QD/4, at most 8,\n"
	    "                 as t/io_uring -s8 -c8 at QD32; 1 at QD < 8); as in t/io_uring,\n"
	    "                 up to N-1 completed slots wait to make a whole batch\n"
	    "  --zoned        PATH is a zoned NVMe namespace (ZNS): every I/O is a Zone\n"
	    "                 Append of --bs to the zone being filled, QD in flight at\n"
	    "                 once; the zones of the range fill one after the other, and\n"
	    "                 when all are full they are reset (counted in the run time)\n"
	    "                 and filled again. Implies --rw write; --bs at most the ZASL\n"
	    "  --nop          no PATH: every I/O is an IORING_OP_NOP through the whole engine\n"
	    "                 (slab, completion loop, statistics, callback), moving no data:\n"
	    "                 the engine's own cost per I/O (PATH nop:SIZE does the same)\n"
	    "  --threads N    run N threads, 1..%d, each with its own engine and ring\n"
	    "                 and QD commands in flight (default: one per PATH of a\n"
	    "                 PATH,PATH list, else 1); thread i drives the list's PATH\n"
	    "                 i modulo its length. One report: each thread's IOPS and\n"
	    "                 latency, and the total (I/Os of all threads over the longest\n"
	    "                 thread's time, the latency histograms merged)\n"
	    "  --cpus LIST    pin thread i to the i-th CPU of LIST (modulo its length),\n"
	    "                 e.g. 0,1 or 0-3\n"
	    "  --compare      the same workload over the four paths of one NVMe namespace\n"
	    "                 (PATH /dev/ngXnY or /dev/nvmeXnY), interleaved in rounds:\n"
	    "                 passthrough, passthrough-polled, direct (the block device,\n"
	    "                 O_DIRECT) and direct-polled; one table of IOPS, mean, p50,\n"
	    "                 p99, p99.9 and p99.99 per path. A path that cannot run (no\n"
	    "                 poll queues) is skipped with the reason\n"
	    "  --rounds N     with --compare: rounds, 1..%d (default 4); each runs every\n"
	    "                 path for a share of --time or --count, in alternating order\n"
	    "  --plot FILE.svg\n"
	    "                 draw the latency distribution (histogram on log-scaled\n"
	    "                 latency) and the percentile curve (p0 to p99.999) with\n"
	    "                 gnuplot; --compare overlays the paths, a --qd list draws the\n"
	    "                 throughput-latency curve\n"
	    "  --hist FILE    write the latency histogram as CSV, one bucket a line:\n"
	    "                 lower_ns,upper_ns,count (a first column path or qd with\n"
	    "                 --compare or a --qd list); runs merge by adding counts\n"
	    "  --slowest N    list the N slowest I/Os (1..%d): latency, offset, length and\n"
	    "                 the time into the run (not with --compare or a --qd list)\n"
	    "  --listen ADDR  serve /metrics, /v1/status and /v1/devices over HTTP on the\n"
	    "                 same ring while it runs (see 'ringline serve --help' for ADDR),\n"
	    "                 at most 100 requests/s; the address is printed on stderr\n"
	    "  --json         print one JSON object: target, engine_path, rw, bs, qd,\n"
	    "                 ramp_s, runtime_s, ops, errors, iops, bw_bytes_per_s,\n"
	    "                 lat_ns{min, mean, p50, p90, p99, p99.9, p99.99, max},\n"
	    "                 lat_buckets[{lower_ns, upper_ns, count}], ring_features, and\n"
	    "                 slowest[{lat_ns, offset, len, op, at_s}] with --slowest;\n"
	    "                 --compare gives paths[] and a --qd list sweep[] of such runs;\n"
	    "                 with --threads or PATH,PATH the fields are the total's and\n"
	    "                 threads[{thread, cpu, target, ...}] holds each thread's run\n"
	    "  -h, --help     show this text\n"
	    "\n"
	    "exit status: 0 success, 1 I/O or runtime error, 2 usage error\n",
	    cmd, cmd,
	    lat ? "Measure I/O latency percentiles (default: random reads, QD1)"
		: "Measure IOPS, bandwidth and latency (default: random reads, QD32)",
	    SLAB_CAPACITY, lat ? 1 : 32, MAX_THREADS, MAX_ROUNDS, MAX_SLOWEST);
}

/* One depth of a --qd list: 1..SLAB_CAPACITY. */
static int parse_depth(const char *arg, const char *s, size_t len, unsigned *out)
{
	char tmp[32];
	uint64_t v;

	if (len == 0 || len >= sizeof(tmp))
		goto bad;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	if (cli_parse_size(tmp, &v) || v == 0 || v > SLAB_CAPACITY)
		goto bad;
	*out = (unsigned)v;
	return 0;
bad:
	cli_err("--qd %s: '%.*s' is not a depth from 1 to %d (the command slab holds %d)", arg,
		(int)len, s, SLAB_CAPACITY, SLAB_CAPACITY);
	return -1;
}

/*
 * --qd N, or a list N,N,... to sweep. "A,B,...,Z" goes on from B as A,B began (doubling when B
 * is a multiple of A, else by B-A) while below Z, then Z.
 */
static int parse_depths(const char *arg, struct params *p)
{
	unsigned tok[MAX_DEPTHS * 2], ntok = 0, n = 0; /* 0: "..." */
	const char *s = arg;

	for (;;) {
		size_t len = strcspn(s, ",");

		if (ntok == sizeof(tok) / sizeof(tok[0])) {
			cli_err("--qd %s: more than %d depths", arg, MAX_DEPTHS);
			return -1;
		}
		if (len == 3 && !strncmp(s, "...", 3))
			tok[ntok++] = 0;
		else if (parse_depth(arg, s, len, &tok[ntok++]))
			return -1;
		if (!s[len])
			break;
		s += len + 1;
	}
	for (unsigned i = 0; i < ntok; i++) {
		if (tok[i]) {
			if (n == MAX_DEPTHS)
				goto too_many;
			if (n && tok[i] <= p->depths[n - 1]) {
				cli_err("--qd %s: depths must rise (%u after %u)", arg, tok[i],
					p->depths[n - 1]);
				return -1;
			}
			p->depths[n++] = tok[i];
			continue;
		}
		if (n < 2 || i + 1 == ntok || !tok[i + 1] || tok[i + 1] <= p->depths[n - 1]) {
			cli_err("--qd %s: '...' goes between two rising depths and a larger last "
				"one (1,2,...,128)",
				arg);
			return -1;
		}
		for (;;) {
			unsigned a = p->depths[n - 2], b = p->depths[n - 1];
			unsigned next = b % a == 0 ? b * (b / a) : b + (b - a);

			if (next >= tok[i + 1])
				break;
			if (n == MAX_DEPTHS)
				goto too_many;
			p->depths[n++] = next;
		}
	}
	p->ndepths = n;
	p->qd = p->depths[0];
	return 0;
too_many:
	cli_err("--qd %s: more than %d depths", arg, MAX_DEPTHS);
	return -1;
}

/* --cpus 0,2,4-7: CPUs this process may run on, in the order given. */
static int parse_cpus(const char *arg, struct params *p)
{
	const char *s = arg;
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	p->ncpus = 0;
	for (;;) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				goto bad;
		}
		for (long c = a; c <= b; c++) {
			if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
				cli_err("--cpus %s: CPU %ld is not one this process may run on "
					"(see taskset -p $$)",
					arg, c);
				return -1;
			}
			if (p->ncpus == MAX_THREADS) {
				cli_err("--cpus %s: more than %d CPUs", arg, MAX_THREADS);
				return -1;
			}
			p->cpus[p->ncpus++] = (int)c;
		}
		if (!*end)
			return 0;
		if (*end != ',')
			goto bad;
		s = end + 1;
	}
bad:
	cli_err("--cpus %s: expected CPU numbers and ranges, as 0,1 or 0-3", arg);
	return -1;
}

/* PATH or PATH,PATH,...: split @arg (a copy the caller frees) into p->paths. */
static int split_paths(char *arg, const char *given, struct params *p)
{
	for (char *s = arg;;) {
		char *comma = strchr(s, ',');

		if (comma)
			*comma = 0;
		if (!*s) {
			cli_err("%s: an empty PATH in the list (PATH,PATH,...)", given);
			return -1;
		}
		if (p->npaths == MAX_TARGETS) {
			cli_err("%s: more than %d targets", given, MAX_TARGETS);
			return -1;
		}
		p->paths[p->npaths++] = s;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int parse_count(const char *opt, const char *arg, unsigned max, unsigned *out)
{
	uint64_t v;

	if (cli_parse_size(arg, &v) || v == 0 || v > max) {
		cli_err("%s %s: expected 1..%u", opt, arg, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* --plot FILE.svg, --hist FILE: a name that is not an option. */
static int parse_file(const char *opt, const char *arg, const char *suffix, const char **out)
{
	size_t n = strlen(arg), sn = suffix ? strlen(suffix) : 0;

	if (!n || arg[0] == '-') {
		cli_err("%s %s: expected a file name", opt, arg);
		return -1;
	}
	if (suffix && (n <= sn || strcmp(arg + n - sn, suffix))) {
		cli_err("%s %s: the picture is SVG: name a FILE%s", opt, arg, suffix);
		return -1;
	}
	*out = arg;
	return 0;
}

static int parse_args(int argc, char **argv, struct params *p)
{
	static const struct option opts[] = {
	    {"rw", required_argument, NULL, 'r'},
	    {"bs", required_argument, NULL, 'b'},
	    {"qd", required_argument, NULL, 'q'},
	    {"time", required_argument, NULL, 't'},
	    {"count", required_argument, NULL, 'c'},
	    {"size", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"no-fixedbufs", no_argument, NULL, 'F'},
	    {"sqpoll", no_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {"passthrough", no_argument, NULL, 'T'},
	    {"poll", no_argument, NULL, 'O'},
	    {"batch", required_argument, NULL, 'B'},
	    {"listen", required_argument, NULL, 'L'},
	    {"ramp", required_argument, NULL, 'R'},
	    {"compare", no_argument, NULL, 'C'},
	    {"rounds", required_argument, NULL, 'N'},
	    {"plot", required_argument, NULL, 'G'},
	    {"hist", required_argument, NULL, 'H'},
	    {"slowest", required_argument, NULL, 'S'},
	    {"nop", no_argument, NULL, 'n'},
	    {"force", no_argument, NULL, 'f'},
	    {"pi", no_argument, NULL, 'I'},
	    {"threads", required_argument, NULL, 'J'},
	    {"cpus", required_argument, NULL, 'U'},
	    {"zoned", no_argument, NULL, 'Z'},
	    {0},
	};
	bool have_time = false, have_rounds = false, have_rw = false;
	uint64_t v;
	char *end;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, p->cmd)) != -1) {
		switch (c) {
		case 'r':
			for (v = 0; v < 5; v++)
				if (!strcmp(optarg, rw_names[v]))
					break;
			if (v == 5) {
				cli_err("--rw %s: expected read, write, randread, randwrite or "
					"randrw",
					optarg);
				return -1;
			}
			p->rw = (enum rw)v;
			have_rw = true;
			break;
		case 'b':
			if (cli_parse_size(optarg, &p->bs) || p->bs == 0 || p->bs > (1u << 30)) {
				cli_err("--bs %s: expected a size from 1 byte to 1g", optarg);
				return -1;
			}
			break;
		case 'q':
			if (parse_depths(optarg, p))
				return -1;
			break;
		case 't':
			p->time_s = strtod(optarg, &end);
			if (*end || end == optarg || !(p->time_s > 0) || p->time_s > 1e7) {
				cli_err("--time %s: expected a positive number of seconds", optarg);
				return -1;
			}
			have_time = true;
			break;
		case 'R':
			p->ramp_s = strtod(optarg, &end);
			if (*end || end == optarg || !(p->ramp_s >= 0) || p->ramp_s > 1e7) {
				cli_err("--ramp %s: expected a number of seconds", optarg);
				return -1;
			}
			break;
		case 'c':
			if (cli_parse_size(optarg, &p->count) || p->count == 0) {
				cli_err("--count %s: expected a positive number of I/Os", optarg);
				return -1;
			}
			break;
		case 's':
			if (cli_parse_size(optarg, &p->size) || p->size == 0) {
				cli_err("--size %s: expected a positive size", optarg);
				return -1;
			}
			break;
		case 'j':
			p->json = true;
			break;
		case 'F':
			p->fixedbufs = false;
			break;
		case 'P':
			p->sqpoll = true;
			break;
		case 'T':
			p->passthrough = true;
			break;
		case 'O':
			p->poll = true;
			break;
		case 'B':
			if (cli_parse_size(optarg, &v) || v == 0 || v > SLAB_CAPACITY) {
				cli_err("--batch %s: expected 1..QD", optarg);
				return -1;
			}
			p->batch = (unsigned)v;
			break;
		case 'L':
			p->listen = optarg;
			break;
		case 'C':
			p->compare = true;
			break;
		case 'n':
			p->nop = true;
			break;
		case 'Z':
			p->zoned = true;
			break;
		case 'N':
			if (parse_count("--rounds", optarg, MAX_ROUNDS, &p->rounds))
				return -1;
			have_rounds = true;
			break;
		case 'G':
			if (parse_file("--plot", optarg, ".svg", &p->plot))
				return -1;
			break;
		case 'H':
			if (parse_file("--hist", optarg, NULL, &p->hist))
				return -1;
			break;
		case 'S':
			if (parse_count("--slowest", optarg, MAX_SLOWEST, &p->slowest))
				return -1;
			break;
		case 'f':
			p->force = true;
			break;
		case 'I':
			p->pi = true;
			break;
		case 'J':
			if (parse_count("--threads", optarg, MAX_THREADS, &p->threads))
				return -1;
			break;
		case 'U':
			if (parse_cpus(optarg, p))
				return -1;
			break;
		case 'h':
			usage(stdout, p->cmd);
			exit(0);
		default:
			return -1;
		}
	}
	if (have_time && p->count) {
		cli_err("give --time or --count, not both");
		return -1;
	}
	if (p->count && p->ramp_s > 0) {
		cli_err("--ramp applies to --time, not --count");
		return -1;
	}
	if (p->count)
		p->time_s = 0;
	if (p->batch > p->qd) {
		cli_err("--batch %u: above --qd %u", p->batch, p->qd);
		return -1;
	}
	if (p->zoned && (p->compare || p->nop || p->poll || p->ndepths > 1 || p->threads > 1)) {
		cli_err("--zoned runs one Zone Append workload: not with --compare, --nop, --poll, "
			"--threads or a --qd list");
		return -1;
	}
	if (p->zoned && have_rw && p->rw != RW_WRITE) {
		cli_err("--zoned writes sequentially by Zone Append: --rw %s does not apply",
			rw_names[p->rw]);
		return -1;
	}
	if (p->zoned)
		p->rw = RW_WRITE;
	if (have_rounds && !p->compare) {
		cli_err("--rounds applies to --compare");
		return -1;
	}
	if (p->compare && p->ndepths > 1) {
		cli_err("give --compare or a --qd list, not both");
		return -1;
	}
	if (p->compare && p->poll) {
		cli_err("--compare runs the polled paths itself: drop --poll");
		return -1;
	}
	if (p->slowest && (p->compare || p->ndepths > 1)) {
		cli_err("--slowest applies to one run, not --compare or a --qd list");
		return -1;
	}
	if (p->compare && p->count && p->count < p->rounds) {
		cli_err("--count %llu: --compare needs at least one I/O per round (--rounds %u)",
			(unsigned long long)p->count, p->rounds);
		return -1;
	}
	if ((p->threads || p->ncpus) &&
	    (p->compare || p->ndepths > 1 || p->slowest || p->plot || p->listen)) {
		cli_err("--threads and --cpus run one workload: not with --compare, a --qd list, "
			"--slowest, --plot or --listen");
		return -1;
	}
	if (p->pi && (p->compare || p->nop || p->threads || p->ncpus)) {
		cli_err("--pi applies to one NVMe namespace: not with --compare, --nop, --threads "
			"or --cpus");
		return -1;
	}
	if (p->nop) {
		if (optind != argc || p->compare || p->passthrough || p->poll) {
			cli_err("--nop runs on a NOP target: no PATH, --compare, --passthrough or "
				"--poll");
			return -1;
		}
		p->path = "nop:";
		p->paths[p->npaths++] = (char *)p->path;
		return 0;
	}
	if (optind == argc) {
		cli_err("%s: missing PATH (see 'ringline %s --help')", p->cmd, p->cmd);
		return -1;
	}
	if (optind != argc - 1) {
		cli_err("%s: unexpected argument '%s' after PATH (see 'ringline %s --help')",
			p->cmd, argv[optind + 1], p->cmd);
		return -1;
	}
	p->path = argv[optind];
	p->pathbuf = strdup(p->path);
	if (!p->pathbuf) {
		cli_err("out of memory");
		return -1;
	}
	if (split_paths(p->pathbuf, p->path, p))
		return -1;
	if (p->npaths > 1 && (p->compare || p->ndepths > 1 || p->slowest || p->plot || p->listen)) {
		cli_err("%s: a PATH,PATH list runs one workload: not with --compare, a --qd "
			"list, --slowest, --plot or --listen",
			p->path);
		return -1;
	}
	if (p->threads && p->threads < p->npaths) {
		cli_err("--threads %u: fewer than the %u targets of %s", p->threads, p->npaths,
			p->path);
		return -1;
	}
	if (p->npaths == 1)
		p->path = p->paths[0];
	return 0;
}

static int cmd_common(int argc, char **argv, const char *cmd, unsigned qd)
{
	struct params p = {
	    .cmd = cmd,
	    .rw = RW_RANDREAD,
	    .bs = 4096,
	    .qd = qd,
	    .depths = {qd},
	    .ndepths = 1,
	    .time_s = 10,
	    .fixedbufs = true,
	    .rounds = 4,
	};

	int status;

	if (parse_args(argc, argv, &p))
		status = EXIT_USAGE;
	else if (p.compare)
		status = lab_compare(&p);
	else if (p.ndepths > 1)
		status = lab_sweep(&p);
	else if (p.threads || p.ncpus || p.npaths > 1)
		status = lab_threads(&p);
	else
		status = lab_single(&p);
	free(p.pathbuf);
	return status;
}

int cmd_bench(int argc, char **argv)
{
	return cmd_common(argc, argv, "bench", 32);
}

int cmd_lat(int argc, char **argv)
{
	return cmd_common(argc, argv, "lat", 1);
}
