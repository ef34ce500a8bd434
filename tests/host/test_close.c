// SPDX-License-Identifier: MIT
/* Closing a file, or destroying the engine, with commands in flight. */
#include "helpers.h"

TestSuite(close, .init = skip_unless_io_uring);

#define N 16

Test(close, busy_while_in_flight_then_closes)
{
	struct rl_engine *e = engine_new(64);
	char *path = make_file("/var/tmp", N * 4096, 'c');
	unsigned char *buf = rl_alloc_aligned(4096, N * 4096);
	struct done d[N] = {0};
	struct rl_file *f;

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0);
	for (int i = 0; i < N; i++)
		cr_assert_eq(rl_file_read(f, buf + i * 4096, 4096, i * 4096, done_cb, &d[i]), 0);
	rl_engine_submit(e);
	cr_assert_eq(rl_file_close(f), -EBUSY);
	cr_assert(strstr(rl_engine_last_error(e), "in flight"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_target_inflight(rl_file_target(f)), N);
	drain(e);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(d[i].calls, 1);
		cr_assert_eq(d[i].res, 4096);
	}
	cr_assert_eq(buf[N * 4096 - 1], 'c');
	cr_assert_eq(rl_file_close(f), 0);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}

Test(close, destroy_reaps_every_command_once)
{
	struct rl_engine *e = engine_new(64);
	char *path = make_file("/var/tmp", N * 4096, 'd');
	unsigned char *buf = rl_alloc_aligned(4096, N * 4096);
	struct done d[N] = {0};
	struct rl_file *f;

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0);
	for (int i = 0; i < N; i++)
		cr_assert_eq(rl_file_read(f, buf + i * 4096, 4096, i * 4096, done_cb, &d[i]), 0);
	rl_engine_submit(e);
	/* The file is still open and commands are in flight: destroy must reap them all. */
	rl_engine_destroy(e);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(d[i].calls, 1, "command %d: callback ran %d times", i, d[i].calls);
		cr_assert(d[i].res == 4096 || d[i].res == -ECANCELED, "command %d: res %d", i,
			  d[i].res);
	}
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}
