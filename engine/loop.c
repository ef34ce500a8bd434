// SPDX-License-Identifier: MIT
/* Submission and the completion loop: one CQE loop dispatches on the tag in user_data. */
#include <errno.h>

#include "hist.h"
#include "internal.h"

struct io_uring_sqe *rl__sqe(struct rl_engine *e, struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		/* The SQ ring is full of prepared entries: hand them over and try once more. */
		rl__stamp_queued(e);
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

struct io_uring_sqe *rl__cmd_sqe_slow(struct rl_engine *e, struct io_uring *ring)
{
	struct io_uring_sqe *sqe;

	if (e->slab.free_head == RL__SLAB_END) {
		rl__error(e, -EBUSY, "command slab full (%u in flight): reap completions and retry",
			  e->slab.cap);
		return NULL;
	}
	sqe = rl__sqe(e, ring);
	if (!sqe)
		rl__error(e, -EBUSY, "submission queue full: reap completions and retry");
	return sqe;
}

/* Every CQE that is not a command's: timers, sockets, internal requests, stale ones. */
static __attribute__((noinline)) void dispatch_other(struct rl_engine *e, uint64_t ud, int res,
						     uint32_t flags, uint64_t now)
{
	switch (rl__ud_tag(ud)) {
	case RL__TAG_IGNORE:
		return;
	case RL__TAG_TIMER:
		rl__timer_dispatch(e, ud, res);
		return;
	case RL__TAG_NET_ACCEPT:
	case RL__TAG_NET_RECV:
	case RL__TAG_NET_SEND:
	case RL__TAG_NET_SHUTDOWN:
	case RL__TAG_NET_CLOSE:
	case RL__TAG_NET_SWEEP:
	case RL__TAG_NET_RESUME:
		rl__net_dispatch(e, ud, res, flags, now);
		return;
	default:
		e->stale_cqes++;
		return;
	}
}

void rl__dispatch(struct rl_engine *e, uint64_t ud, int res, uint32_t flags, uint64_t result,
		  uint64_t now)
{
	struct rl__op_stats *st;
	struct rl__cmd *c;
	uint64_t lat;
	rl_complete_fn fn;
	void *arg;

	/* Commands first: one comparison on the I/O path, the rest out of line. */
	if (__builtin_expect(rl__ud_tag(ud) != RL__TAG_CMD, 0)) {
		dispatch_other(e, ud, res, flags, now);
		return;
	}
	c = rl__slab_lookup(&e->slab, rl__ud_slot(ud), rl__ud_gen(ud));
	if (!c) {
		e->stale_cqes++;
		return;
	}

	st = &c->target->stats[c->op];
	st->ops++;
	if (res < 0 || (c->res_status && res > 0)) {
		rl__count_error(st, res < 0 ? res : res & 0x7ff); /* SCT and SC, without DNR/More */
		if (!c->target->removed) {
			c->target->failed = true;
			rl__target_check_removed(c->target);
		}
	} else
		st->bytes += c->res_status ? c->len : (uint64_t)res;
	lat = 0;
	if (!e->no_latency) {
		lat = now > c->t_submit ? now - c->t_submit : 0;
		rl__hist_record(st->lat, lat);
	}
	c->target->inflight--;
	e->pinflight -= c->polled;

	/* Free the slot first, so the callback can submit into it. */
	fn = c->fn;
	arg = c->arg;
	rl__slab_put(&e->slab, rl__ud_slot(ud));
	e->cb_latency = lat;  /* rl_engine_cmd_latency() */
	fn(arg, res, result); /* last: a tail call */
}

void rl__count_error(struct rl__op_stats *st, int code)
{
	st->errors++;
	for (int i = 0; i < RL_ERROR_KINDS; i++) {
		if (st->errs[i].code == code || !st->errs[i].count) {
			st->errs[i].code = code;
			st->errs[i].count++;
			return;
		}
	}
	st->errs_other++;
}

/*
 * Each CQE is copied and consumed before its callback runs, so a callback that polls the engine
 * again never sees the same CQE twice. Only the CQEs present when the clock is read are taken:
 * one a callback's submission completes at once is stamped at the next reaping, not at a time
 * before it was submitted.
 */
static int reap_ring(struct rl_engine *e, struct io_uring *ring, int big)
{
	struct io_uring_cqe *cqe;
	uint64_t now, ud, result;
	uint32_t flags;
	unsigned head, end = io_uring_smp_load_acquire(ring->cq.ktail);
	int n = 0, res;

	if (end == *ring->cq.khead)
		return 0;
	now = rl__now_ns();
	/* The head is read again each time: a callback that reaps moves it too. */
	while ((int)(end - (head = *ring->cq.khead)) > 0) {
		cqe = &ring->cq.cqes[io_uring_cqe_index(ring, head, ring->cq.ring_mask)];
		ud = cqe->user_data;
		res = cqe->res;
		flags = cqe->flags;
		result = big ? cqe->big_cqe[0] : 0;
		io_uring_cq_advance(ring, 1);
		rl__dispatch(e, ud, res, flags, result, now);
		n++;
	}
	return n;
}

static int reap(struct rl_engine *e)
{
	int n = reap_ring(e, &e->ring, !!(e->features & RL_FEAT_CQE32));

	if (e->features & RL_FEAT_IOPOLL)
		n += reap_ring(e, &e->pring, 1);
	if (e->net)
		rl__net_reaped(e);
	return n;
}

int rl_engine_submit(struct rl_engine *e)
{
	int ret = 0, pret;

	rl__stamp_queued(e);
	if (e->features & RL_FEAT_IOPOLL) {
		pret = io_uring_submit(&e->pring);
		if (pret < 0)
			return pret;
		ret = pret;
	}
	pret = io_uring_submit(&e->ring);
	return pret < 0 ? pret : ret + pret;
}

/* Submit what is queued and wait for @n completions in one enter (fewer syscalls per I/O). */
static int wait_n(struct rl_engine *e, unsigned n, int timeout_ms)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int ret;

	rl__stamp_queued(e);
	if (e->pinflight) {
		/*
		 * Polled completions are found only by asking: submit the interrupt ring's work,
		 * then spin on the polled ring, which completes without an interrupt.
		 */
		ret = io_uring_submit(&e->ring);
		if (ret < 0)
			return ret;
		/* Only when nothing waits on the interrupt ring (sockets, timers) may we block
		 * here. */
		if (e->pinflight == rl__engine_busy(e))
			return io_uring_submit_and_wait(&e->pring,
							n < e->pinflight ? n : e->pinflight);
		ret = io_uring_submit_and_get_events(&e->pring);
		return ret < 0 ? ret : io_uring_submit_and_get_events(&e->ring);
	}
	if (timeout_ms < 0)
		return io_uring_submit_and_wait(&e->ring, n);
	ts.tv_sec = timeout_ms / 1000;
	ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
	return io_uring_submit_and_wait_timeout(&e->ring, &cqe, n, &ts, NULL);
}

int rl_engine_poll(struct rl_engine *e, unsigned min_complete, int timeout_ms)
{
	int done = 0, ret;

	if (!min_complete) {
		rl__stamp_queued(e);
		/*
		 * Enter a ring only when it has work: SQEs to submit, or commands in flight whose
		 * completions may be waiting (with DEFER_TASKRUN they are posted only when the ring
		 * is entered; polled ones only when it is polled).
		 */
		if ((e->features & RL_FEAT_IOPOLL) &&
		    (e->pinflight || io_uring_sq_ready(&e->pring))) {
			ret = io_uring_submit_and_get_events(&e->pring);
			if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
				return ret;
		}
		if (rl__engine_busy(e) > e->pinflight || io_uring_sq_ready(&e->ring)) {
			ret = io_uring_submit_and_get_events(&e->ring);
			if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
				return ret;
		}
		return reap(e);
	}
	while ((unsigned)done < min_complete) {
		unsigned want;

		done += reap(e);
		if ((unsigned)done >= min_complete || !rl__engine_busy(e))
			break;
		/* Wait for all that is missing in one enter, but never for more than can arrive. */
		want = min_complete - (unsigned)done;
		if (rl_engine_inflight(e) && want > rl_engine_inflight(e))
			want = rl_engine_inflight(e);
		ret = wait_n(e, want, timeout_ms);
		if (ret == -ETIME) {
			done += reap(e);
			break;
		}
		/* EINTR: a signal; EBUSY/EAGAIN: the kernel wants completions reaped first. */
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
			return ret;
	}
	return done;
}

int rl_engine_run(struct rl_engine *e)
{
	int ret;

	e->stop = 0;
	while (!e->stop && rl__engine_busy(e)) {
		ret = rl_engine_poll(e, 1, -1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void rl_engine_stop(struct rl_engine *e)
{
	e->stop = 1;
}
