/* SPDX-License-Identifier: MIT */
/*
 * One-shot timers and fd watches on the engine's ring, for daemons built on an engine: a timer
 * is an IORING_OP_TIMEOUT, a watch a one-shot IORING_OP_POLL_ADD, and their callbacks run from
 * the same completion loop as storage commands and sockets (rl_engine_poll(), rl_engine_run()),
 * which keeps waiting while one is pending.
 *
 * They live in a fixed table of RL_TIMERS slots in the engine: starting one allocates nothing.
 * Everything belongs to the engine's thread.
 */
#ifndef RINGLINE_TIMER_H
#define RINGLINE_TIMER_H

#include <stdint.h>
#include "ringline/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Timers and watches pending at once on one engine. */
#define RL_TIMERS 64
/* The former name, from when timers were part of the socket layer. */
#define RL_NET_EVENTS RL_TIMERS

/**
 * rl_timer_start() - run @cb once after @ns nanoseconds, from the completion loop
 * (IORING_OP_TIMEOUT on the engine's ring).
 * @id: written with an id for rl_timer_cancel(), or NULL.
 *
 * The callback gets res 0 when the timer expired, -ECANCELED when it was cancelled or the
 * engine is being destroyed. It runs exactly once if this returned 0.
 * Return: 0; -EBUSY when every timer and watch slot is in use (RL_TIMERS) or the submission
 * queue is full; -ESHUTDOWN while the engine is being destroyed.
 */
RL_EXPORT int rl_timer_start(struct rl_engine *e, uint64_t ns, rl_complete_fn cb, void *arg,
			     uint64_t *id);

/**
 * rl_timer_cancel() - cancel a timer (or a watch) by the id rl_timer_start() gave; its callback
 * runs with -ECANCELED, unless it already ran.
 * Return: 0; -ENOENT for an id that is gone; -EBUSY when the submission queue is full.
 */
RL_EXPORT int rl_timer_cancel(struct rl_engine *e, uint64_t id);

/**
 * rl_engine_watch_fd() - run @cb once when @fd becomes readable (a one-shot poll on the ring):
 * a signalfd, or an eventfd another thread writes to. res is the poll mask, or -errno
 * (-ECANCELED when cancelled or on engine destruction). @fd must stay open until then.
 * @id: as for rl_timer_start(). Return: as rl_timer_start().
 */
RL_EXPORT int rl_engine_watch_fd(struct rl_engine *e, int fd, rl_complete_fn cb, void *arg,
				 uint64_t *id);

#ifdef __cplusplus
}
#endif
#endif
