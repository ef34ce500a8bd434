// SPDX-License-Identifier: MIT
/*
 * struct rl_engine_opts.no_latency: commands are not timed, so the targets' latency histograms
 * stay empty, while their counters count as always; by default every command is timed.
 */
#include "helpers.h"

TestSuite(no_latency, .init = skip_unless_io_uring);

#define N 8

/* N 4 KiB writes through an engine with @no_latency; the target's write stats after them. */
static void write_n(bool no_latency, struct rl_op_stats *st, uint64_t *hist_count)
{
	struct rl_engine_opts o;
	struct rl_engine *e;
	struct rl_file *f;
	struct done d[N] = {0};
	char *path = make_file("/var/tmp", N * 4096, 0);
	void *buf = rl_alloc_aligned(4096, 4096);

	rl_engine_opts_init(&o);
	o.no_latency = no_latency;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0, "%s", rl_engine_last_error(e));
	memset(buf, 0x5a, 4096);
	for (int i = 0; i < N; i++)
		cr_assert_eq(rl_file_write(f, buf, 4096, (uint64_t)i * 4096, done_cb, &d[i]), 0);
	drain(e);
	for (int i = 0; i < N; i++)
		cr_assert_eq(d[i].res, 4096);
	rl_target_stats(rl_file_target(f), RL_OP_WRITE, st);
	*hist_count = rl_hist_count(st->lat);
	cr_assert_eq(rl_file_close(f), 0);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
	rl_free_aligned(buf);
}

Test(no_latency, commands_are_counted_but_not_timed)
{
	struct rl_op_stats st;
	uint64_t timed;

	write_n(true, &st, &timed);
	cr_assert_eq(st.ops, N);
	cr_assert_eq(st.bytes, N * 4096);
	cr_assert_eq(st.errors, 0);
	cr_assert_eq(timed, 0, "%llu commands timed with no_latency", (unsigned long long)timed);
}

Test(no_latency, commands_are_timed_by_default)
{
	struct rl_op_stats st;
	uint64_t timed;

	write_n(false, &st, &timed);
	cr_assert_eq(st.ops, N);
	cr_assert_eq(timed, N);
}
