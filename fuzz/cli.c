// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the CLI's numbers, sizes and options. The first input byte chooses what; the rest
 * is a string, or NUL-separated arguments:
 *   0  cli_parse_size() (tools/cli.c): OFFSET and LENGTH of the data verbs, --bs, --qd, ...
 *   1  the options of `ringline bench` and 2 of `ringline lat` (tools/bench.c's parse_args(),
 *      reached by including bench.c here: it is static, and cmd_bench() goes on to I/O)
 *   3  the numeric options of `ringline serve` (tools/serve.c's parse_uint())
 * --help calls exit(0) in the CLI: here exit() returns to the target.
 *
 * What must hold: a size is accepted only as digits with an optional k, m, g or t (and i, iB,
 * b or B) and is their exact value, without overflow; parsed options are within the ranges the
 * CLI promises (--qd 1..1024, --batch 1..QD, --bs 1 byte..1 GiB, a positive --time or
 * --count, one PATH); and ASan and UBSan stay quiet.
 */
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

static void bench_options(const char *cmd, int argc, char **argv)
{
	struct params p = {.cmd = cmd,
			   .rw = RW_RANDREAD,
			   .bs = 4096,
			   .qd = !strcmp(cmd, "lat") ? 1 : 32,
			   .time_s = 10,
			   .fixedbufs = true};
	if (parse_args(argc, argv, &p))
		return;
	/* getopt_long() moves the arguments that are not options to the end. */
	FUZZ_CHECK(p.path && argc > 1 && p.path == argv[argc - 1], "PATH %s", p.path);
	FUZZ_CHECK(p.rw <= RW_RANDRW, "--rw %d", (int)p.rw);
	FUZZ_CHECK(p.qd >= 1 && p.qd <= SLAB_CAPACITY, "--qd %u", p.qd);
	FUZZ_CHECK(p.batch >= 1 && p.batch <= p.qd, "--batch %u with --qd %u", p.batch, p.qd);
	FUZZ_CHECK(p.bs >= 1 && p.bs <= 1u << 30, "--bs %llu", (unsigned long long)p.bs);
	FUZZ_CHECK(p.count ? p.time_s == 0 && p.ramp_s == 0 : p.time_s > 0 && p.time_s <= 1e7,
		   "--count %llu --time %g --ramp %g", (unsigned long long)p.count, p.time_s,
		   p.ramp_s);
	FUZZ_CHECK(p.ramp_s >= 0 && p.ramp_s <= 1e7, "--ramp %g", p.ramp_s);
}

static void serve_number(const char *s)
{
	unsigned v = 0;
	uint64_t want;

	if (parse_uint("--max-conns", s, &v))
		return;
	FUZZ_CHECK(!cli_parse_size(s, &want) && v == want && v >= 1 && v <= 1u << 30,
		   "--max-conns %s = %u", s, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argv[66];
	static const char dummy_name[] = "x";
	char buf[4096], *dummy[] = {(char *)dummy_name, NULL};
	int argc = 0;

	if (size < 1 || size > sizeof(buf) - 1)
		return -1;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	switch (data[0]) {
	case 0:
		check_size(buf);
		return 0;
	case 3:
		serve_number(buf);
		return 0;
	case 1:
	case 2:
		break;
	default:
		return -1;
	}
	argv[argc++] = data[0] == 1 ? "bench" : "lat";
	for (char *p = buf; p < buf + size - 1 && argc < 65; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	/* glibc's getopt keeps its place in the last argv until optind is 0; the CLI sets 1. */
	optind = 0;
	getopt(1, dummy, "");
	if (setjmp(exited))
		return 0; /* --help */
	bench_options(argv[0], argc, argv);
	return 0;
}
