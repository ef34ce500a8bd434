// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the CLI's numbers, sizes and options. The first input byte chooses what; the rest
 * is a string (mode 0) or NUL-separated arguments:
 *   0  cli_parse_size() (tools/cli.c): OFFSET and LENGTH of the data verbs, --bs, --size, ...
 *   1  `ringline bench ARGS`, 2 `ringline lat ARGS` (tools/bench.c: --qd lists, --compare, ...)
 *   3  `ringline serve ARGS` (tools/serve.c)
 * The commands' files are included here, so their static parsers and defaults are the ones
 * that run. After parsing, a command calls lab_single(), lab_compare(), lab_sweep() or
 * ctl_serve(): here those check what was parsed instead of doing I/O. --help calls exit(0) in
 * the CLI: here exit() returns to the target.
 *
 * What must hold: a size is accepted only as digits with an optional k, m, g or t (and i, iB,
 * b or B) and is their exact value, without overflow; parsed options are within the ranges the
 * CLI promises (depths 1..1024 and rising, --batch up to the first depth, --bs 1 byte..1 GiB,
 * a positive --time or --count, --rounds and --slowest in range, one PATH; serve's numbers
 * 1..2^30, a non-empty token, at least one DEV); and ASan and UBSan stay quiet.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static jmp_buf exited;

__attribute__((noreturn)) static void fuzz_exit(int status)
{
	longjmp(exited, status + 1);
}

#define exit(status) fuzz_exit(status)
#include "bench.c"
#include "serve.c"
#undef exit

static int argc;
static char *argv[66];

/* ---- what the commands hand on once their options are parsed ---------------------------- */

static void check_params(const struct params *p)
{
	/* getopt permutes; --nop takes no PATH and runs on "nop:" */
	FUZZ_CHECK(p->path &&
		       (p->nop ? !strcmp(p->path, "nop:") : !strcmp(p->path, argv[argc - 1])),
		   "PATH %s", p->path);
	FUZZ_CHECK(p->rw <= RW_RANDRW, "--rw %d", (int)p->rw);
	FUZZ_CHECK(p->ndepths >= 1 && p->ndepths <= MAX_DEPTHS && p->qd == p->depths[0],
		   "%u depths, --qd %u", p->ndepths, p->qd);
	for (unsigned i = 0; i < p->ndepths; i++)
		FUZZ_CHECK(p->depths[i] >= 1 && p->depths[i] <= SLAB_CAPACITY &&
			       (!i || p->depths[i] > p->depths[i - 1]),
			   "depth %u is %u", i, p->depths[i]);
	FUZZ_CHECK(p->batch <= p->qd, "--batch %u with --qd %u", p->batch, p->qd);
	FUZZ_CHECK(p->bs >= 1 && p->bs <= 1u << 30, "--bs %llu", (unsigned long long)p->bs);
	FUZZ_CHECK(p->count ? p->time_s == 0 && p->ramp_s == 0 : p->time_s > 0 && p->time_s <= 1e7,
		   "--count %llu --time %g --ramp %g", (unsigned long long)p->count, p->time_s,
		   p->ramp_s);
	FUZZ_CHECK(p->ramp_s >= 0 && p->ramp_s <= 1e7, "--ramp %g", p->ramp_s);
	FUZZ_CHECK(p->rounds >= 1 && p->rounds <= MAX_ROUNDS, "--rounds %u", p->rounds);
	FUZZ_CHECK(p->slowest <= MAX_SLOWEST, "--slowest %u", p->slowest);
	FUZZ_CHECK(!p->plot || (p->plot[0] != '-' && strlen(p->plot) > 4 &&
				!strcmp(p->plot + strlen(p->plot) - 4, ".svg")),
		   "--plot %s", p->plot);
	FUZZ_CHECK(!p->hist || (p->hist[0] && p->hist[0] != '-'), "--hist %s", p->hist);
}

int lab_single(const struct params *p)
{
	check_params(p);
	FUZZ_CHECK(!p->compare && p->ndepths == 1, "one run with --compare or a --qd list");
	return 0;
}

int lab_compare(const struct params *p)
{
	check_params(p);
	FUZZ_CHECK(p->compare && p->ndepths == 1 && !p->poll && !p->slowest,
		   "--compare with a --qd list, --poll or --slowest");
	FUZZ_CHECK(!p->count || p->count >= p->rounds, "--count %llu for %u rounds",
		   (unsigned long long)p->count, p->rounds);
	return 0;
}

int lab_sweep(const struct params *p)
{
	check_params(p);
	FUZZ_CHECK(!p->compare && p->ndepths > 1 && !p->slowest,
		   "a sweep with --compare or --slowest");
	return 0;
}

int lab_threads(const struct params *p)
{
	check_params(p);
	FUZZ_CHECK(p->threads <= MAX_THREADS && p->ncpus <= MAX_THREADS && p->npaths <= MAX_TARGETS,
		   "--threads %u, %u CPUs, %u paths", p->threads, p->ncpus, p->npaths);
	FUZZ_CHECK(!p->compare && p->ndepths == 1, "threads with --compare or a --qd list");
	return 0;
}

int ctl_serve(const struct ctl_serve_opts *o, struct ctl_serve_report *rep)
{
	const unsigned *n[] = {&o->http.max_conns, &o->http.idle_timeout_ms, &o->http.max_request,
			       &o->http.max_rate};

	(void)rep;
	FUZZ_CHECK(o->http.listen, "serve without --listen");
	FUZZ_CHECK(!o->http.token || o->http.token[0], "an empty --token");
	FUZZ_CHECK(o->rate > 0 && o->rate <= 1e6, "--rate %g", o->rate);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		FUZZ_CHECK(*n[i] <= 1u << 30, "a number option is %u", *n[i]);
	FUZZ_CHECK(o->ndevs >= 1 && o->devs == (const char *const *)argv + argc - o->ndevs,
		   "%d DEVs", o->ndevs);
	return 0;
}

/*
 * tools/cli.c opens targets and reports the library's messages for the commands that do I/O;
 * the commands fuzzed here stop at lab_*() and ctl_serve() above, before any of that.
 */
const char *rl_engine_last_error(const struct rl_engine *e)
{
	(void)e;
	return "";
}

int rl_target_open(struct rl_engine *e, const char *path, unsigned flags, struct rl_target **out)
{
	(void)e, (void)flags, (void)out;
	FUZZ_CHECK(0, "a target opened while parsing: %s", path);
	return -ENODEV;
}

/* ---- sizes ----------------------------------------------------------------------------- */

/* The grammar of a size, written out again: digits, then [kKmMgGtT], then "", i, iB, b or B. */
static int reference_size(const char *s, uint64_t *out)
{
	static const char units[] = "kKmMgGtT";
	uint64_t v = 0;
	const char *u;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -1;
	if (*s && (u = strchr(units, *s))) {
		shift = 10 * (int)(1 + (u - units) / 2);
		s++;
	}
	if (strcmp(s, "") && strcmp(s, "i") && strcmp(s, "iB") && strcmp(s, "b") && strcmp(s, "B"))
		return -1;
	if (shift && v > UINT64_MAX >> shift)
		return -1;
	*out = v << shift;
	return 0;
}

static void check_size(const char *s)
{
	uint64_t got = 0xdead, want = 0xbeef;
	int ret = cli_parse_size(s, &got), ref = reference_size(s, &want);

	FUZZ_CHECK(!ret == !ref, "cli_parse_size(\"%s\") %s", s, ret ? "refused" : "accepted");
	FUZZ_CHECK(ret || got == want, "cli_parse_size(\"%s\") = %llu, not %llu", s,
		   (unsigned long long)got, (unsigned long long)want);
	FUZZ_CHECK(!ret || got == 0xdead, "cli_parse_size(\"%s\") refused and wrote", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cmds[] = {NULL, "bench", "lat", "serve"};
	static char buf[4096];
	char *dummy[] = {(char *)"x", NULL};

	if (size < 1 || size > sizeof(buf) || data[0] > 3)
		return -1;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	if (data[0] == 0) {
		check_size(buf);
		return 0;
	}
	argc = 0;
	argv[argc++] = (char *)cmds[data[0]];
	for (char *p = buf; p < buf + size - 1 && argc < 65; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	/* glibc's getopt keeps its place in the last argv until optind is 0; the CLI sets 1. */
	optind = 0;
	getopt(1, dummy, "");
	if (setjmp(exited))
		return 0; /* --help */
	switch (data[0]) {
	case 1:
		cmd_bench(argc, argv);
		break;
	case 2:
		cmd_lat(argc, argv);
		break;
	case 3:
		cmd_serve(argc, argv);
		break;
	}
	return 0;
}
