// SPDX-License-Identifier: MIT
/* One-shot timers and fd watches on the engine's ring: a fixed table, generation-checked ids. */
#include <errno.h>
#include <poll.h>

#include "net_internal.h"

void rl__net_events_init(struct rl__net *n)
{
	for (int i = 0; i < RL_NET_EVENTS; i++)
		n->events[i].next_free = i + 1 < RL_NET_EVENTS ? i + 1 : -1;
	n->event_free = 0;
}

/* Take a slot and an SQE; the caller preps the SQE. Return: 0, -ENOMEM, -ESHUTDOWN, -EBUSY. */
static int event_begin(struct rl_engine *e, rl_complete_fn cb, void *arg, struct net_event **out,
		       struct io_uring_sqe **sqe, uint64_t *ud)
{
	struct rl__net *n;
	struct net_event *ev;
	int32_t i;
	int ret = rl__net_get(e, &n);

	if (ret)
		return ret;
	if (n->dying)
		return -ESHUTDOWN;
	i = n->event_free;
	if (i < 0 || !(*sqe = rl__net_sqe(e)))
		return -EBUSY;
	ev = &n->events[i];
	n->event_free = ev->next_free;
	ev->in_use = 1;
	ev->cb = cb;
	ev->arg = arg;
	*ud = rl__ud_encode(RL__TAG_NET_EVENT, (uint32_t)i, ev->gen);
	*out = ev;
	return 0;
}

static void event_commit(struct rl_engine *e, struct io_uring_sqe *sqe, uint64_t ud, uint64_t *id)
{
	io_uring_sqe_set_data64(sqe, ud);
	e->net_pending++;
	if (id)
		*id = ud;
}

static int event_error(struct rl_engine *e, int ret, const char *what)
{
	return rl__error(e, ret, "cannot start a %s: %s", what,
			 ret == -EBUSY	     ? "all timer and watch slots, or the SQ ring, in use"
			 : ret == -ESHUTDOWN ? "the engine is being destroyed"
					     : "out of memory");
}

int rl_timer_start(struct rl_engine *e, uint64_t ns, rl_complete_fn cb, void *arg, uint64_t *id)
{
	struct io_uring_sqe *sqe;
	struct net_event *ev;
	uint64_t ud;
	int ret = event_begin(e, cb, arg, &ev, &sqe, &ud);

	if (ret)
		return event_error(e, ret, "timer");
	ev->timer = 1;
	ev->ts.tv_sec = (long long)(ns / 1000000000u);
	ev->ts.tv_nsec = (long long)(ns % 1000000000u);
	io_uring_prep_timeout(sqe, &ev->ts, 0, 0);
	event_commit(e, sqe, ud, id);
	return 0;
}

int rl_engine_watch_fd(struct rl_engine *e, int fd, rl_complete_fn cb, void *arg, uint64_t *id)
{
	struct io_uring_sqe *sqe;
	struct net_event *ev;
	uint64_t ud;
	int ret = event_begin(e, cb, arg, &ev, &sqe, &ud);

	if (ret)
		return event_error(e, ret, "watch");
	ev->timer = 0;
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	event_commit(e, sqe, ud, id);
	return 0;
}

int rl_timer_cancel(struct rl_engine *e, uint64_t id)
{
	struct rl__net *n = e->net;
	uint32_t i = rl__ud_slot(id);
	struct io_uring_sqe *sqe;

	if (!n || rl__ud_tag(id) != RL__TAG_NET_EVENT || i >= RL_NET_EVENTS ||
	    !n->events[i].in_use || n->events[i].gen != rl__ud_gen(id))
		return -ENOENT;
	sqe = rl__net_sqe(e);
	if (!sqe)
		return -EBUSY;
	/* Async cancel finds timeouts and polls by user_data alike. */
	io_uring_prep_cancel64(sqe, id, 0);
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_IGNORE, 0, 0));
	return 0;
}

void rl__net_event_dispatch(struct rl__net *n, uint32_t i, uint32_t gen, int res)
{
	struct net_event *ev;
	rl_complete_fn cb;
	void *arg;

	if (i >= RL_NET_EVENTS || !n->events[i].in_use || n->events[i].gen != gen) {
		n->e->stale_cqes++;
		return;
	}
	ev = &n->events[i];
	n->e->net_pending--;
	cb = ev->cb;
	arg = ev->arg;
	/* Free the slot first, so the callback can start the next timer in it. */
	ev->in_use = 0;
	ev->gen = (ev->gen + 1) & RL__GEN_MASK;
	ev->next_free = n->event_free;
	n->event_free = (int32_t)i;
	if (ev->timer && res == -ETIME)
		res = 0;
	cb(arg, res, 0);
}
