// SPDX-License-Identifier: MIT
/* Closing a file, or destroying the engine, with commands in flight. */
#include "helpers.h"

TestSuite(close, .init = skip_unless_io_uring);

#define N 16

/* N 4 KiB reads of a file filled with @fill, submitted and in flight. */
struct reads {
	struct rl_engine *e;
	char *path;
	unsigned char *buf;
	struct done d[N];
	struct rl_file *f;
};

static void start_reads(struct reads *r, char fill)
{
	*r = (struct reads){.e = engine_new(64),
			    .path = make_file("/var/tmp", N * 4096, fill),
			    .buf = rl_alloc_aligned(4096, N * 4096)};
	cr_assert_eq(rl_file_open(r->e, r->path, NULL, &r->f), 0);
	for (int i = 0; i < N; i++)
		cr_assert_eq(
		    rl_file_read(r->f, r->buf + i * 4096, 4096, i * 4096, done_cb, &r->d[i]), 0);
	rl_engine_submit(r->e);
}

static void free_reads(struct reads *r)
{
	rl_free_aligned(r->buf);
	unlink(r->path);
	free(r->path);
}

Test(close, busy_while_in_flight_then_closes)
{
	struct reads r;

	start_reads(&r, 'c');
	cr_assert_eq(rl_file_close(r.f), -EBUSY);
	cr_assert(strstr(rl_engine_last_error(r.e), "in flight"), "%s", rl_engine_last_error(r.e));
	cr_assert_eq(rl_target_inflight(rl_file_target(r.f)), N);
	drain(r.e);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(r.d[i].calls, 1);
		cr_assert_eq(r.d[i].res, 4096);
	}
	cr_assert_eq(r.buf[N * 4096 - 1], 'c');
	cr_assert_eq(rl_file_close(r.f), 0);
	rl_engine_destroy(r.e);
	free_reads(&r);
}

Test(close, destroy_reaps_every_command_once)
{
	struct reads r;

	start_reads(&r, 'd');
	/* The file is still open and commands are in flight: destroy must reap them all. */
	rl_engine_destroy(r.e);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(r.d[i].calls, 1, "command %d: callback ran %d times", i, r.d[i].calls);
		cr_assert(r.d[i].res == 4096 || r.d[i].res == -ECANCELED, "command %d: res %d", i,
			  r.d[i].res);
	}
	free_reads(&r);
}
