// SPDX-License-Identifier: MIT
/*
 * The NOP target ("nop:"): every command goes through the slab, the loop, the statistics and
 * the callback as an IORING_OP_NOP. The engine's own path, without a device or a file.
 */
#include "helpers.h"

TestSuite(nop, .init = skip_unless_io_uring);

struct chain {
	struct rl_target *t;
	unsigned left;
	unsigned calls;
	int bad_res;
	uint64_t off;
};

/* Each completion submits the next NOP until @left reaches 0: QD stays as it started. */
static void next(void *arg, int res, uint64_t result)
{
	struct chain *c = arg;

	(void)result;
	c->calls++;
	if (res != 0)
		c->bad_res++;
	if (c->left && --c->left) {
		c->off = (c->off + 4096) % (1u << 20);
		cr_assert_eq(rl_target_read(c->t, NULL, 4096, c->off, next, c), 0);
	}
}

Test(nop, every_callback_runs_once_and_every_slot_comes_back)
{
	struct rl_engine *e = engine_new(64);
	struct chain c[32];
	struct rl_op_stats st;
	struct rl_target *t;

	cr_assert_eq(rl_target_open(e, "nop:1m", 0, &t), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_target_kind(t), RL_TARGET_KIND_NOP);
	cr_assert_str_eq(rl_target_engine_path(t), "nop");
	cr_assert_eq(rl_target_size(t), 1u << 20);
	cr_assert_null(rl_target_nvme(t));
	cr_assert_null(rl_target_file(t));
	for (int i = 0; i < 32; i++) {
		c[i] = (struct chain){.t = t, .left = 1000, .off = (uint64_t)i * 4096};
		cr_assert_eq(rl_target_read(t, NULL, 4096, c[i].off, next, &c[i]), 0);
	}
	cr_assert_eq(rl_engine_inflight(e), 32);
	cr_assert_eq(rl_target_close(t), -EBUSY, "closed with NOPs in flight");
	cr_assert_eq(rl_engine_run(e), 0);
	for (int i = 0; i < 32; i++) {
		cr_assert_eq(c[i].calls, 1000, "chain %d: %u callbacks for 1000 NOPs", i,
			     c[i].calls);
		cr_assert_eq(c[i].bad_res, 0, "chain %d: a NOP completed with res != 0", i);
	}
	cr_assert_eq(rl_engine_inflight(e), 0, "slots still taken after every callback ran");
	cr_assert_eq(rl_engine_stale_cqes(e), 0);
	cr_assert_eq(rl_target_stats(t, RL_OP_READ, &st), 0);
	cr_assert_eq(st.ops, 32000);
	cr_assert_eq(st.errors, 0);
	cr_assert_eq(st.bytes, 0, "a NOP moves no data");
	cr_assert_eq(rl_hist_count(st.lat), 32000);
	cr_assert_eq(rl_target_close(t), 0);
	rl_engine_destroy(e);
}

Test(nop, bad_ranges_are_refused_before_a_slot_is_taken)
{
	struct rl_engine *e = engine_new(8);
	struct done d = {0};
	struct rl_target *t;

	cr_assert_eq(rl_target_open(e, "nop:64k", 0, &t), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_target_read(t, NULL, 4096, 65536, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "past the end"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_target_write(t, NULL, 100, 0, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "multiples of 512"), "%s",
		  rl_engine_last_error(e));
	cr_assert_eq(rl_engine_inflight(e), 0);
	cr_assert_eq(rl_target_flush(t, done_cb, &d), 0);
	cr_assert_eq(rl_target_trim(t, 0, 65536, done_cb, &d), 0);
	cr_assert_eq(rl_engine_run(e), 0);
	cr_assert_eq(d.calls, 2, "only the two accepted commands call back");
	cr_assert_eq(rl_target_open(e, "nop:1x", 0, &t), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "nop:SIZE"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_target_open(e, "nop:100", 0, &t), -EINVAL, "100 bytes is not whole blocks");
	rl_engine_destroy(e);
}
