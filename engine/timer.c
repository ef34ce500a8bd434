// SPDX-License-Identifier: MIT
/* One-shot timers and fd watches on the engine's ring: a fixed table, generation-checked ids. */
#include <errno.h>
#include <poll.h>

#include "core.h"
#include "error.h"
#include "ud.h"

void rl__timers_init(struct rl__timers *t)
{
	for (int i = 0; i < RL_TIMERS; i++)
		t->slot[i].next_free = i + 1 < RL_TIMERS ? i + 1 : -1;
	t->free = 0;
}

static int start_error(struct rl_engine *e, int ret, const char *what)
{
	return rl__error(e, ret, "cannot start a %s: %s", what,
			 ret == -EBUSY ? "all timer and watch slots, or the SQ ring, in use"
				       : "the engine is being destroyed");
}

/* Take a slot and an SQE; the caller preps the SQE. Return: 0, -ESHUTDOWN or -EBUSY. */
static int timer_begin(struct rl_engine *e, rl_complete_fn cb, void *arg, bool is_timer,
		       struct rl__timer **out, struct io_uring_sqe **sqe)
{
	struct rl__timers *t = &e->timers;
	struct rl__timer *tm;
	int32_t i = t->free;

	if (e->dying)
		return -ESHUTDOWN;
	/* Never the IOPOLL ring: it cannot carry timeouts or polls. */
	if (i < 0 || !(*sqe = rl__sqe(e, &e->ring)))
		return -EBUSY;
	tm = &t->slot[i];
	t->free = tm->next_free;
	tm->in_use = true;
	tm->timer = is_timer;
	tm->cb = cb;
	tm->arg = arg;
	*out = tm;
	return 0;
}

static void timer_commit(struct rl_engine *e, struct rl__timer *tm, struct io_uring_sqe *sqe,
			 uint64_t *id)
{
	uint64_t ud = rl__ud_encode(RL__TAG_TIMER, (uint32_t)(tm - e->timers.slot), tm->gen);

	io_uring_sqe_set_data64(sqe, ud);
	e->timers.pending++;
	if (id)
		*id = ud;
}

int rl_timer_start(struct rl_engine *e, uint64_t ns, rl_complete_fn cb, void *arg, uint64_t *id)
{
	struct io_uring_sqe *sqe;
	struct rl__timer *tm;
	int ret = timer_begin(e, cb, arg, true, &tm, &sqe);

	if (ret)
		return start_error(e, ret, "timer");
	tm->ts.tv_sec = (long long)(ns / 1000000000u);
	tm->ts.tv_nsec = (long long)(ns % 1000000000u);
	io_uring_prep_timeout(sqe, &tm->ts, 0, 0);
	timer_commit(e, tm, sqe, id);
	return 0;
}

int rl_engine_watch_fd(struct rl_engine *e, int fd, rl_complete_fn cb, void *arg, uint64_t *id)
{
	struct io_uring_sqe *sqe;
	struct rl__timer *tm;
	int ret = timer_begin(e, cb, arg, false, &tm, &sqe);

	if (ret)
		return start_error(e, ret, "watch");
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	timer_commit(e, tm, sqe, id);
	return 0;
}

/* The slot @ud names, if it is still the one that was started. */
static struct rl__timer *timer_lookup(struct rl_engine *e, uint64_t ud)
{
	uint32_t i = rl__ud_slot(ud);

	if (rl__ud_tag(ud) != RL__TAG_TIMER || i >= RL_TIMERS || !e->timers.slot[i].in_use ||
	    e->timers.slot[i].gen != rl__ud_gen(ud))
		return NULL;
	return &e->timers.slot[i];
}

int rl_timer_cancel(struct rl_engine *e, uint64_t id)
{
	struct io_uring_sqe *sqe;

	if (!timer_lookup(e, id))
		return -ENOENT;
	sqe = rl__sqe(e, &e->ring);
	if (!sqe)
		return -EBUSY;
	/* Async cancel finds timeouts and polls by user_data alike. */
	io_uring_prep_cancel64(sqe, id, 0);
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_IGNORE, 0, 0));
	return 0;
}

void rl__timer_dispatch(struct rl_engine *e, uint64_t ud, int res)
{
	struct rl__timer *tm = timer_lookup(e, ud);
	rl_complete_fn cb;
	void *arg;

	if (!tm) {
		e->stale_cqes++;
		return;
	}
	e->timers.pending--;
	cb = tm->cb;
	arg = tm->arg;
	if (tm->timer && res == -ETIME)
		res = 0;
	/* Free the slot first, so the callback can start the next timer in it. */
	tm->in_use = false;
	tm->gen = (tm->gen + 1) & RL__GEN_MASK;
	tm->next_free = e->timers.free;
	e->timers.free = (int32_t)(tm - e->timers.slot);
	cb(arg, res, 0);
}
