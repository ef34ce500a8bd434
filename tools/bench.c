// SPDX-License-Identifier: MIT
/* ringline bench / ringline lat: keep QD commands in flight on one target and report. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ringline.h"
#include "cli.h"
#include "control.h"

/* The command slab the tool creates; --qd may not exceed it. */
#define SLAB_CAPACITY 1024

enum rw { RW_READ, RW_WRITE, RW_RANDREAD, RW_RANDWRITE, RW_RANDRW };
static const char *const rw_names[] = {"read", "write", "randread", "randwrite", "randrw"};

struct params {
	const char *cmd;
	const char *path;
	enum rw rw;
	uint64_t bs;
	unsigned qd;
	unsigned batch; /* completions to wait for per system call (--batch) */
	double time_s;	/* 0 when --count is given */
	double ramp_s;	/* --ramp: run this long before measuring */
	uint64_t count; /* 0 when --time is given */
	uint64_t size;	/* 0: the whole target */
	bool json;
	bool fixedbufs;
	bool sqpoll;
	bool passthrough;
	bool poll;
	bool force;	    /* --force: write to a block device in use */
	const char *listen; /* serve the HTTP endpoints while running */
};

struct job;

struct slot {
	struct job *j;
	char *buf;
	int buf_index; /* its registered buffer, or -1 */
};

struct job {
	struct params *p;
	struct rl_engine *e;
	struct rl_target *t;
	bool passthru;
	uint64_t nblocks;
	struct slot **idle; /* slots whose I/O completed, to be issued again */
	unsigned nidle;
	uint64_t issued;
	uint64_t completed;
	uint64_t failed;
	uint64_t seq_next;
	uint64_t rng;
	int first_err;
	bool stopping;
};

static void usage(FILE *out, const char *cmd)
{
	bool lat = !strcmp(cmd, "lat");

	fprintf(out,
		"usage: ringline %s PATH [OPTIONS]\n"
		"\n"
		"%s on PATH: an NVMe namespace /dev/ngXnY through NVMe passthrough\n"
		"(IORING_OP_URING_CMD), or a regular file or block device with O_DIRECT.\n"
		"\n"
		"options:\n"
		"  --rw MODE      read, write, randread, randwrite or randrw (50%% reads)\n"
		"                 (default randread). Writes overwrite PATH's data.\n"
		"  --force        write even to a block device in use (mounted, or held by\n"
		"                 another program): without it, writes open it exclusively\n"
		"                 (O_EXCL) and refuse it then\n"
		"  --bs N         block size in bytes, suffixes k m g (default 4k); a multiple of\n"
		"                 PATH's O_DIRECT alignment\n"
		"  --qd N         commands in flight, 1..%d (default %d)\n"
		"  --time SECONDS run this long (default 10); decimals allowed\n"
		"  --count N      stop after N I/Os instead of a time\n"
		"  --ramp SECONDS run this long first, then reset the counters and start\n"
		"                 --time (as fio's ramp_time): warm-up is not measured\n"
		"  --size N       use the first N bytes of PATH (default: all of it); PATH must\n"
		"                 be at least that large\n"
		"  --no-fixedbufs do not register the I/O buffers with the ring\n"
		"  --sqpoll       use a kernel submission-polling thread\n"
		"  --passthrough  for a /dev/nvmeXnY, use its /dev/ngXnY through passthrough\n"
		"  --poll         NVMe: polled completions on an IOPOLL ring (needs nvme\n"
		"                 poll_queues)\n"
		"  --batch N      issue I/Os in batches of N: submit N commands per system call\n"
		"                 and wait for N completions, 1..QD (default QD/4, at most 8,\n"
		"                 as t/io_uring -s8 -c8 at QD32; 1 at QD < 8); as in t/io_uring,\n"
		"                 up to N-1 completed slots wait to make a whole batch\n"
		"  --listen ADDR  serve /metrics, /v1/status and /v1/devices over HTTP on the\n"
		"                 same ring while it runs (see 'ringline serve --help' for ADDR),\n"
		"                 at most 100 requests/s; the address is printed on stderr\n"
		"  --json         print one JSON object: target, engine_path, rw, bs, qd,\n"
		"                 ramp_s, runtime_s, ops, errors, iops, bw_bytes_per_s,\n"
		"                 lat_ns{min, mean, p50, p90, p99, p99.9, p99.99, max},\n"
		"                 ring_features\n"
		"  -h, --help     show this text\n"
		"\n"
		"exit status: 0 success, 1 I/O or runtime error, 2 usage error\n",
		cmd,
		lat ? "Measure I/O latency percentiles (default: random reads, QD1)"
		    : "Measure IOPS, bandwidth and latency (default: random reads, QD32)",
		SLAB_CAPACITY, lat ? 1 : 32);
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
	    {"force", no_argument, NULL, 'f'},
	    {0},
	};
	bool have_time = false;
	uint64_t v;
	char *end;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, p->cmd)) != -1) {
		switch (c) {
		case 'r':
			for (v = 0; v < sizeof(rw_names) / sizeof(rw_names[0]); v++)
				if (!strcmp(optarg, rw_names[v]))
					break;
			if (v == sizeof(rw_names) / sizeof(rw_names[0])) {
				cli_err("--rw %s: expected read, write, randread, randwrite or "
					"randrw",
					optarg);
				return -1;
			}
			p->rw = (enum rw)v;
			break;
		case 'b':
			if (cli_parse_size(optarg, &p->bs) || p->bs == 0 || p->bs > (1u << 30)) {
				cli_err("--bs %s: expected a size from 1 byte to 1g", optarg);
				return -1;
			}
			break;
		case 'q':
			if (cli_parse_size(optarg, &v) || v == 0 || v > SLAB_CAPACITY) {
				cli_err("--qd %s: expected 1..%d (the command slab holds %d)",
					optarg, SLAB_CAPACITY, SLAB_CAPACITY);
				return -1;
			}
			p->qd = (unsigned)v;
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
		case 'f':
			p->force = true;
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
	if (!p->batch)
		p->batch = p->qd / 4 > 8 ? 8 : (p->qd / 4 ? p->qd / 4 : 1);
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
	return 0;
}

/* xorshift64*: cheap, and good enough to spread offsets uniformly. */
static uint64_t next_rand(struct job *j)
{
	j->rng ^= j->rng >> 12;
	j->rng ^= j->rng << 25;
	j->rng ^= j->rng >> 27;
	return j->rng * 0x2545f4914f6cdd1dull;
}

static void on_complete(void *arg, int res, uint64_t result);

/* Queue @s's next I/O; false when the job issues no more (time, --count or an error). */
static bool issue(struct slot *s)
{
	struct job *j = s->j;
	struct params *p = j->p;
	bool write, random = p->rw >= RW_RANDREAD;
	uint64_t block;
	int ret;

	if (p->count && j->issued >= p->count)
		j->stopping = true;
	if (j->stopping)
		return false;
	if (p->rw == RW_RANDRW)
		write = next_rand(j) & 1;
	else
		write = p->rw == RW_WRITE || p->rw == RW_RANDWRITE;
	block = random ? next_rand(j) % j->nblocks : j->seq_next++ % j->nblocks;
	if (s->buf_index >= 0)
		ret = write ? rl_target_write_fixed(j->t, s->buf, p->bs, block * p->bs,
						    s->buf_index, on_complete, s)
			    : rl_target_read_fixed(j->t, s->buf, p->bs, block * p->bs, s->buf_index,
						   on_complete, s);
	else if (write)
		ret = rl_target_write(j->t, s->buf, p->bs, block * p->bs, on_complete, s);
	else
		ret = rl_target_read(j->t, s->buf, p->bs, block * p->bs, on_complete, s);
	if (ret) {
		j->first_err = j->first_err ? j->first_err : ret;
		cli_lib_err(j->e, ret, p->path);
		j->stopping = true;
		return false;
	}
	j->issued++;
	return true;
}

static void on_complete(void *arg, int res, uint64_t result)
{
	struct slot *s = arg;
	struct job *j = s->j;

	(void)result;
	j->completed++;
	/* Passthrough succeeds with 0 (> 0 is an NVMe status); a short O_DIRECT transfer fails. */
	if (res != (j->passthru ? 0 : (int)j->p->bs)) {
		j->failed++;
		if (!j->first_err)
			j->first_err = res < 0 || j->passthru ? res : -EIO;
		j->stopping = true;
	}
	j->idle[j->nidle++] = s;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Open the target and check the request against it; nothing is written before this passes. */
static int open_target(struct job *j)
{
	struct params *p = j->p;
	bool reads_only = p->rw == RW_READ || p->rw == RW_RANDREAD;
	unsigned flags = (reads_only ? RL_TARGET_RDONLY : 0) |
			 (p->passthrough ? RL_TARGET_PASSTHROUGH : 0) |
			 (p->poll ? RL_TARGET_POLLED : 0);
	uint64_t fsize, range;
	int ret;

	ret = cli_open_target(j->e, p->path, flags, p->force, &j->t);
	if (ret)
		return ret;
	j->passthru = rl_target_kind(j->t) == RL_TARGET_KIND_NVME;
	if (p->poll && !j->passthru) {
		cli_err("%s: --poll applies to NVMe passthrough only", p->path);
		return EXIT_USAGE;
	}
	if (p->bs % rl_target_block_size(j->t)) {
		cli_err("%s: block size %llu is not a multiple of its %s %u", p->path,
			(unsigned long long)p->bs, j->passthru ? "LBA size" : "O_DIRECT alignment",
			rl_target_block_size(j->t));
		return EXIT_USAGE;
	}
	fsize = rl_target_size(j->t);
	if (p->size > fsize) {
		cli_err("%s: is %llu bytes, smaller than the range asked for (--size %llu)",
			p->path, (unsigned long long)fsize, (unsigned long long)p->size);
		return EXIT_USAGE;
	}
	range = p->size ? p->size : fsize;
	if (range < p->bs) {
		cli_err("%s: is %llu bytes, smaller than one block (--bs %llu)", p->path,
			(unsigned long long)range, (unsigned long long)p->bs);
		return EXIT_USAGE;
	}
	j->nblocks = range / p->bs;
	return 0;
}

static struct json_object *lat_json(const struct rl_hist *h)
{
	static const struct {
		const char *key;
		double p;
	} pcts[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}, {"p99.99", 99.99}};
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "min", json_object_new_int64((int64_t)rl_hist_min(h)));
	json_object_object_add(o, "mean", json_object_new_double(rl_hist_mean(h)));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		json_object_object_add(
		    o, pcts[i].key,
		    json_object_new_int64((int64_t)rl_hist_percentile(h, pcts[i].p)));
	json_object_object_add(o, "max", json_object_new_int64((int64_t)rl_hist_max(h)));
	return o;
}

static void report(struct job *j, double runtime, const struct rl_hist *lat, uint64_t errors)
{
	struct params *p = j->p;
	uint64_t ops = rl_hist_count(lat), bytes = 0;
	double iops = runtime > 0 ? (double)ops / runtime : 0;
	unsigned feats = rl_engine_features(j->e);
	struct rl_op_stats st;

	for (int op = RL_OP_READ; op <= RL_OP_WRITE; op++) {
		rl_target_stats(j->t, op, &st);
		bytes += st.bytes;
	}
	if (p->json) {
		struct json_object *o = json_object_new_object(), *fa = json_object_new_array();

		json_object_object_add(o, "target", json_object_new_string(p->path));
		json_object_object_add(o, "engine_path",
				       json_object_new_string(rl_target_engine_path(j->t)));
		json_object_object_add(o, "rw", json_object_new_string(rw_names[p->rw]));
		json_object_object_add(o, "bs", json_object_new_int64((int64_t)p->bs));
		json_object_object_add(o, "qd", json_object_new_int64(p->qd));
		json_object_object_add(o, "ramp_s", json_object_new_double(p->ramp_s));
		json_object_object_add(o, "runtime_s", json_object_new_double(runtime));
		json_object_object_add(o, "ops", json_object_new_int64((int64_t)ops));
		json_object_object_add(o, "errors", json_object_new_int64((int64_t)errors));
		json_object_object_add(o, "iops", json_object_new_double(iops));
		json_object_object_add(o, "bw_bytes_per_s",
				       json_object_new_double(runtime > 0 ? bytes / runtime : 0));
		json_object_object_add(o, "lat_ns", lat_json(lat));
		for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
			if (feats & f)
				json_object_array_add(fa,
						      json_object_new_string(rl_feature_name(f)));
		json_object_object_add(o, "ring_features", fa);
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return;
	}
	printf("%s: %s (%s) %s bs=%llu qd=%u\n", p->cmd, p->path, rl_target_engine_path(j->t),
	       rw_names[p->rw], (unsigned long long)p->bs, p->qd);
	printf("  ring:    ");
	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
		if (feats & f)
			printf(" %s", rl_feature_name(f));
	printf("\n  ops:      %llu in %.2f s, %llu errors\n", (unsigned long long)ops, runtime,
	       (unsigned long long)errors);
	printf("  iops:     %.0f\n  bw:       %.1f MiB/s\n", iops,
	       runtime > 0 ? bytes / runtime / (1 << 20) : 0);
	printf("  lat (us): min %.1f  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  "
	       "p99.99 %.1f  max %.1f\n",
	       rl_hist_min(lat) / 1e3, rl_hist_mean(lat) / 1e3, rl_hist_percentile(lat, 50) / 1e3,
	       rl_hist_percentile(lat, 90) / 1e3, rl_hist_percentile(lat, 99) / 1e3,
	       rl_hist_percentile(lat, 99.9) / 1e3, rl_hist_percentile(lat, 99.99) / 1e3,
	       rl_hist_max(lat) / 1e3);
}

static int run(struct params *p)
{
	struct rl_engine_opts eo;
	struct job j = {.p = p, .rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL)};
	struct slot *slots = NULL;
	struct rl_hist *lat = NULL;
	struct ctl_http *http = NULL;
	struct rl_op_stats st;
	char *bufs = NULL;
	uint64_t errors = 0;
	double start, runtime, deadline, now;
	bool ramping = p->ramp_s > 0;
	int ret, status = EXIT_IO;

	rl_engine_opts_init(&eo);
	eo.max_inflight = SLAB_CAPACITY;
	eo.reg_buffers = p->fixedbufs ? p->qd : 0; /* one per slot, see below */
	eo.sqpoll = p->sqpoll;
	eo.iopoll = p->poll;
	ret = rl_engine_create(&eo, &j.e);
	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		return EXIT_IO;
	}
	status = open_target(&j);
	if (status)
		goto out;
	status = EXIT_IO;
	if (p->listen) {
		struct ctl_http_opts ho = {.listen = p->listen};

		ret = ctl_http_start(j.e, &ho, &http);
		if (ret) {
			cli_lib_err(j.e, ret, p->listen);
			status = ret == -EINVAL ? EXIT_USAGE : EXIT_IO; /* not an address */
			goto out;
		}
		fprintf(stderr, "ringline %s: serving metrics on %s\n", p->cmd,
			ctl_http_address(http));
	}
	bufs = rl_alloc_aligned(rl_target_mem_align(j.t) > 4096 ? rl_target_mem_align(j.t) : 4096,
				p->qd * p->bs);
	slots = calloc(p->qd, sizeof(*slots));
	j.idle = calloc(p->qd, sizeof(*j.idle));
	if (!bufs || !slots || !j.idle || rl_hist_create(&lat)) {
		cli_err("out of memory for %u buffers of %llu bytes", p->qd,
			(unsigned long long)p->bs);
		goto out;
	}
	/* Random, not zero, so a write benchmark moves real data. */
	for (uint64_t i = 0; i < p->qd * p->bs; i += 8) {
		uint64_t r = next_rand(&j);
		memcpy(bufs + i, &r, p->qd * p->bs - i < 8 ? p->qd * p->bs - i : 8);
	}
	/*
	 * Each slot's buffer is registered on its own, as t/io_uring and fio do: Linux 6.1 maps a
	 * registered buffer for NVMe passthrough from the I/O's start to the end of its
	 * registration and refuses (EINVAL) more pages than the queue has segments, so one
	 * registration of all the buffers failed I/Os from --qd 32 --bs 128k on. Each I/O names
	 * its slot's buffer index, so the engine need not search for it.
	 */
	for (unsigned i = 0; i < p->qd; i++) {
		slots[i] = (struct slot){.j = &j, .buf = bufs + (size_t)i * p->bs, .buf_index = -1};
		if (p->fixedbufs && (i == 0 || slots[i - 1].buf_index >= 0)) {
			slots[i].buf_index = rl_engine_register_buffer(j.e, slots[i].buf, p->bs);
			if (slots[i].buf_index < 0)
				cli_err("warning: %s; buffers %u to %u are not registered",
					cli_lib_msg(j.e), i, p->qd - 1);
		}
	}

	start = now_s();
	deadline = p->time_s > 0 ? start + p->ramp_s + p->time_s : INFINITY;
	for (unsigned i = 0; i < p->qd; i++)
		j.idle[j.nidle++] = &slots[p->qd - 1 - i];
	for (;;) {
		/*
		 * Issue whole batches of --batch I/Os, as t/io_uring -s does: each batch is
		 * submitted at once while another follows, and the last goes with the poll that
		 * waits, in the same system call (so `lat` makes one call per I/O; what a failed
		 * submit leaves queued goes with it too). Resubmitting every completed slot in one
		 * call instead keeps the queue in step: all of it completes together, is
		 * resubmitted together, and the device idles while the host turns it around.
		 */
		while (j.nidle >= p->batch && !j.stopping) {
			for (unsigned i = 0; i < p->batch && issue(j.idle[j.nidle - 1]); i++)
				j.nidle--;
			if (j.nidle >= p->batch)
				rl_engine_submit(j.e);
		}
		if (!rl_engine_inflight(j.e))
			break;
		ret = rl_engine_poll(j.e, p->batch, -1);
		if (ret < 0) {
			cli_err("completion loop failed: %s", strerror(-ret));
			goto out;
		}
		now = now_s();
		if (ramping && now >= start + p->ramp_s) {
			/* Measure from here: nothing that completed during the ramp counts. */
			rl_target_reset_stats(j.t);
			start = now;
			deadline = now + p->time_s;
			ramping = false;
		}
		if (!j.stopping && now >= deadline)
			j.stopping = true;
	}
	runtime = now_s() - start;

	for (int op = RL_OP_READ; op <= RL_OP_WRITE; op++) {
		rl_target_stats(j.t, op, &st);
		rl_hist_merge(lat, st.lat);
		errors += st.errors;
	}
	/* Short transfers succeed as far as the kernel is concerned. */
	if (j.failed > errors)
		errors = j.failed;
	report(&j, runtime, lat, errors);
	status = 0;
	if (j.first_err) {
		char why[128];

		if (j.first_err > 0)
			rl_nvme_status_str(j.first_err, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s",
				 j.first_err == -EIO && !j.passthru
				     ? "short transfer (past the end?)"
				     : strerror(-j.first_err));
		cli_err("%s: %llu of %llu I/Os failed; first error: %s", p->path,
			(unsigned long long)errors, (unsigned long long)j.completed, why);
		status = EXIT_IO;
	}
out:
	if (http)
		ctl_http_stop(http);
	rl_hist_destroy(lat);
	free(j.idle);
	free(slots);
	/* Destroying the engine reaps what is in flight before the buffers go away. */
	rl_engine_destroy(j.e);
	rl_free_aligned(bufs);
	return status;
}

static int cmd_common(int argc, char **argv, const char *cmd, unsigned qd)
{
	struct params p = {
	    .cmd = cmd,
	    .rw = RW_RANDREAD,
	    .bs = 4096,
	    .qd = qd,
	    .time_s = 10,
	    .fixedbufs = true,
	};

	if (parse_args(argc, argv, &p))
		return EXIT_USAGE;
	return run(&p);
}

int cmd_bench(int argc, char **argv)
{
	return cmd_common(argc, argv, "bench", 32);
}

int cmd_lat(int argc, char **argv)
{
	return cmd_common(argc, argv, "lat", 1);
}
