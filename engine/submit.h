/* SPDX-License-Identifier: MIT */
/* Private: taking a slot and an SQE, and committing a command, inline on the I/O path. */
#ifndef RINGLINE_ENGINE_SUBMIT_H
#define RINGLINE_ENGINE_SUBMIT_H

#include "backend.h"

/* rl__cmd_begin_on() when the slab or the SQ ring is full: an SQE after submitting, or NULL. */
struct io_uring_sqe *rl__cmd_sqe_slow(struct rl_engine *e, struct io_uring *ring);

/*
 * Submission in two steps: rl__cmd_begin() takes a slot and an SQE (NULL when either is
 * exhausted: the caller returns -EBUSY), the caller preps the SQE, and rl__cmd_commit() stamps
 * user_data and the fixed file. Inline: they run once per command.
 */
static inline struct rl__cmd *rl__cmd_begin_on(struct rl_target *t, struct io_uring *ring,
					       enum rl_op op, uint32_t len, rl_complete_fn fn,
					       void *arg, struct io_uring_sqe **sqe)
{
	struct rl_engine *e = t->e;
	struct rl__cmd *c;
	uint32_t slot;

	if (__builtin_expect(e->slab.free_head == RL__SLAB_END, 0) ||
	    __builtin_expect(!(*sqe = io_uring_get_sqe(ring)), 0)) {
		*sqe = rl__cmd_sqe_slow(e, ring);
		if (!*sqe)
			return NULL;
	}
	c = rl__slab_get(&e->slab, &slot);
	c->fn = fn;
	c->arg = arg;
	c->target = t;
	c->op = op;
	c->len = len;
	c->res_status = 0;
	c->polled = ring == &e->pring;
	return c;
}

/* On the target's ring (admin commands of a polled device go to the interrupt ring instead). */
static inline struct rl__cmd *rl__cmd_begin(struct rl_target *t, enum rl_op op, uint32_t len,
					    rl_complete_fn fn, void *arg, struct io_uring_sqe **sqe)
{
	return rl__cmd_begin_on(t, t->ring, op, len, fn, arg, sqe);
}

static inline void rl__cmd_commit(struct rl__cmd *c, struct io_uring_sqe *sqe)
{
	struct rl_engine *e = c->target->e;
	uint32_t slot = (uint32_t)(c - e->slab.cmds);

	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_CMD, slot, c->gen));
	c->target->inflight++;
	e->pinflight += c->polled;
	if (e->no_latency)
		return;
	/* With SQPOLL the kernel may take the SQE now; otherwise at the next system call. */
	if (e->features & RL_FEAT_SQPOLL)
		c->t_submit = rl__now_ns();
	else
		e->unstamped[e->nunstamped++] = slot;
}

/*
 * Before each system call that submits: time the commands queued since the last one from now,
 * one clock read for all of them. A command is timed from the call that hands it to the kernel.
 */
static inline void rl__stamp_queued(struct rl_engine *e)
{
	uint64_t now;

	if (!e->nunstamped)
		return;
	now = rl__now_ns();
	for (unsigned i = 0; i < e->nunstamped; i++)
		e->slab.cmds[e->unstamped[i]].t_submit = now;
	e->nunstamped = 0;
}

#endif
