// SPDX-License-Identifier: MIT
/* The completion contract and stale CQEs. */
#include <liburing.h>

#include "helpers.h"
#include "engine/internal.h"

struct ctx {
	struct rl_engine *e;
	struct rl_file *f;
	void *buf;
	int calls;
	int resubmits;
	uint64_t lat;
};

static void resubmit_cb(void *arg, int res, uint64_t result)
{
	struct ctx *c = arg;

	(void)result;
	cr_assert_eq(res, 4096);
	c->calls++;
	/* A callback may submit again, into the slot it just freed. */
	if (c->resubmits-- > 0)
		cr_assert_eq(rl_file_read(c->f, c->buf, 4096, 0, resubmit_cb, c), 0);
}

TestSuite(completion, .init = skip_unless_io_uring);

Test(completion, callback_runs_once_per_accepted_submission)
{
	struct rl_engine *e = engine_new(1);
	char *path = make_file("/var/tmp", 8192, 'z');
	struct ctx c = {.buf = rl_alloc_aligned(4096, 4096), .resubmits = 9};

	cr_assert_eq(rl_file_open(e, path, NULL, &c.f), 0);
	cr_assert_eq(rl_file_read(c.f, c.buf, 4096, 0, resubmit_cb, &c), 0);
	cr_assert_eq(rl_engine_run(e), 0);
	cr_assert_eq(c.calls, 10);
	cr_assert_eq(rl_engine_inflight(e), 0);
	cr_assert_eq(rl_engine_stale_cqes(e), 0);
	rl_engine_destroy(e);
	rl_free_aligned(c.buf);
	unlink(path);
	free(path);
}

Test(completion, poll_without_work_returns_at_once)
{
	struct rl_engine *e = engine_new(8);

	cr_assert_eq(rl_engine_poll(e, 0, 0), 0);
	cr_assert_eq(rl_engine_poll(e, 1, -1), 0, "waited with nothing in flight");
	rl_engine_destroy(e);
}

/* Push a NOP with the given user_data straight into the ring and reap it. */
static void inject(struct rl_engine *e, uint64_t ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, ud);
	int ret = io_uring_submit_and_wait(&e->ring, 1);

	cr_assert_geq(ret, 1, "submit_and_wait: %d", ret);
	rl_engine_poll(e, 0, 0);
}

Test(completion, stale_cqes_are_counted_and_dropped)
{
	struct rl_engine *e = engine_new(4);
	char *path = make_file("/var/tmp", 4096, 'q');
	void *buf = rl_alloc_aligned(4096, 4096);
	struct rl_file *f;
	struct done d = {0};
	uint32_t old_gen;

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0);
	old_gen = e->slab.cmds[0].gen;
	cr_assert_eq(rl_file_read(f, buf, 4096, 0, done_cb, &d), 0);
	drain(e);
	cr_assert_eq(d.calls, 1);

	/* A late CQE for that slot's previous life, a free slot, an unknown tag, a zero. */
	inject(e, rl__ud_encode(RL__TAG_CMD, 0, old_gen));
	inject(e, rl__ud_encode(RL__TAG_CMD, 3, 0));
	inject(e, rl__ud_encode(200, 0, 0));
	inject(e, 0);
	cr_assert_eq(rl_engine_stale_cqes(e), 4);
	cr_assert_eq(d.calls, 1, "a stale CQE ran a callback");

	/* A slot in use with a newer generation ignores the old one and completes normally. */
	cr_assert_eq(rl_file_read(f, buf, 4096, 0, done_cb, &d), 0);
	inject(e, rl__ud_encode(RL__TAG_CMD, 0, old_gen));
	drain(e);
	cr_assert_eq(d.calls, 2);
	cr_assert_eq(d.res, 4096);
	cr_assert_eq(rl_engine_stale_cqes(e), 5);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}

Test(completion, features_are_reported)
{
	struct rl_engine *e = engine_new(8);
	unsigned f = rl_engine_features(e);

	/* Kernel 6.1+ supports all of these; whatever is missing must say why. */
	for (unsigned bit = 1; bit < 1u << RL_FEAT_COUNT; bit <<= 1) {
		cr_assert_not_null(rl_feature_name(bit));
		if (f & bit)
			cr_assert_null(rl_engine_feature_note(e, bit));
		else
			cr_assert_not_null(rl_engine_feature_note(e, bit));
	}
	cr_assert_str_eq(rl_engine_feature_note(e, RL_FEAT_SQPOLL), "not requested");
	rl_engine_destroy(e);
}

Test(completion, sqpoll_engine_moves_data)
{
	struct rl_engine_opts o;
	struct rl_engine *e;
	char *path = make_file("/var/tmp", 4096, 's');
	unsigned char *buf = rl_alloc_aligned(4096, 4096);
	struct rl_file *f;
	struct done d = {0};

	rl_engine_opts_init(&o);
	o.sqpoll = true;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	cr_assert(rl_engine_features(e) & RL_FEAT_SQPOLL);
	cr_assert_str_eq(rl_engine_feature_note(e, RL_FEAT_DEFER_TASKRUN), "not used with SQPOLL");
	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0);
	cr_assert_eq(rl_file_read(f, buf, 4096, 0, done_cb, &d), 0);
	drain(e);
	cr_assert_eq(d.res, 4096);
	cr_assert_eq(buf[4095], 's');
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}

static void resubmit_now_cb(void *arg, int res, uint64_t result)
{
	struct ctx *c = arg;

	(void)result;
	cr_assert_eq(res, 0, "a read at the end of the file reads nothing");
	c->calls++;
	/* Submitted from the callback, a read at the end completes inside this system call. */
	if (c->resubmits-- > 0) {
		cr_assert_eq(rl_file_read(c->f, c->buf, 4096, 0, resubmit_now_cb, c), 0);
		cr_assert_eq(rl_engine_submit(c->e), 1);
	}
}

/*
 * A CQE that a callback's own submission posts while the engine is reaping must not be
 * stamped with the clock read before that submission: its latency would read 0 ns.
 */
Test(completion, a_completion_posted_while_reaping_is_timed_after_its_submission)
{
	struct rl_engine *e = engine_new(1);
	char *path = make_file("/var/tmp", 8192, 'z');
	struct ctx c = {.e = e, .buf = rl_alloc_aligned(4096, 4096), .resubmits = 99};
	struct rl_op_stats st;

	cr_assert_eq(rl_file_open(e, path, NULL, &c.f), 0, "%s", rl_engine_last_error(e));
	/* Cut after the open checked the range: each read now ends at once, without device I/O. */
	cr_assert_eq(truncate(path, 0), 0);
	cr_assert_eq(rl_file_read(c.f, c.buf, 4096, 0, resubmit_now_cb, &c), 0);
	cr_assert_eq(rl_engine_run(e), 0);
	cr_assert_eq(c.calls, 100);
	cr_assert_eq(rl_target_stats(rl_file_target(c.f), RL_OP_READ, &st), 0);
	cr_assert_eq(st.ops, 100);
	cr_assert_eq(rl_hist_count(st.lat), 100);
	cr_assert_gt(rl_hist_min(st.lat), 0, "a read was timed at 0 ns");
	rl_engine_destroy(e);
	rl_free_aligned(c.buf);
	unlink(path);
	free(path);
}

/*
 * A command is timed from the system call that submits it, not from when it was queued: a read
 * queued 300 ms before the engine is polled is timed within the rl_engine_run() that submits it,
 * however long the read itself takes on a loaded machine, and above 0.
 */
Test(completion, a_command_is_timed_from_its_submission)
{
	struct rl_engine *e = engine_new(8);
	char *path = make_file("/var/tmp", 8192, 'z');
	struct ctx c = {.e = e, .buf = rl_alloc_aligned(4096, 4096)};
	struct timespec pause = {.tv_nsec = 300 * 1000000L}, t0, t1;
	struct rl_op_stats st;
	uint64_t run_ns;

	cr_assert_eq(rl_file_open(e, path, NULL, &c.f), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_read(c.f, c.buf, 4096, 0, resubmit_cb, &c), 0);
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(rl_engine_run(e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run_ns =
	    (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec - t0.tv_nsec;
	cr_assert_eq(c.calls, 1);
	cr_assert_eq(rl_target_stats(rl_file_target(c.f), RL_OP_READ, &st), 0);
	cr_assert_eq(rl_hist_count(st.lat), 1);
	cr_assert_gt(rl_hist_min(st.lat), 0);
	cr_assert_leq(rl_hist_max(st.lat), run_ns, "timed from queueing: %llu ns, run %llu ns",
		      (unsigned long long)rl_hist_max(st.lat), (unsigned long long)run_ns);
	rl_engine_destroy(e);
	rl_free_aligned(c.buf);
	unlink(path);
	free(path);
}

static void latency_cb(void *arg, int res, uint64_t result)
{
	struct ctx *c = arg;

	(void)res, (void)result;
	c->calls++;
	c->lat = rl_engine_cmd_latency(c->e);
}

/* A callback reads its command's latency: the value the target's histogram recorded. */
Test(completion, a_callback_reads_the_latency_its_histogram_recorded)
{
	struct rl_engine_opts o;
	char *path = make_file("/var/tmp", 8192, 'z');
	struct ctx c = {.buf = rl_alloc_aligned(4096, 4096)};
	struct rl_op_stats st;

	for (int no_latency = 0; no_latency <= 1; no_latency++) {
		rl_engine_opts_init(&o);
		o.no_latency = no_latency;
		cr_assert_eq(rl_engine_create(&o, &c.e), 0);
		cr_assert_eq(rl_file_open(c.e, path, NULL, &c.f), 0, "%s",
			     rl_engine_last_error(c.e));
		c.calls = 0;
		cr_assert_eq(rl_file_read(c.f, c.buf, 4096, 0, latency_cb, &c), 0);
		cr_assert_eq(rl_engine_run(c.e), 0);
		cr_assert_eq(c.calls, 1);
		cr_assert_eq(rl_target_stats(rl_file_target(c.f), RL_OP_READ, &st), 0);
		if (no_latency) {
			cr_assert_eq(c.lat, 0, "an untimed engine reported %llu ns",
				     (unsigned long long)c.lat);
		} else {
			cr_assert_gt(c.lat, 0);
			/* min and max are exact: one value recorded */
			cr_assert_eq(c.lat, rl_hist_min(st.lat));
			cr_assert_eq(c.lat, rl_hist_max(st.lat));
		}
		/* Outside a callback: the last command's, which a --slowest list may still want. */
		cr_assert_eq(rl_engine_cmd_latency(c.e), c.lat);
		rl_engine_destroy(c.e);
	}
	rl_free_aligned(c.buf);
	unlink(path);
	free(path);
}
