/* SPDX-License-Identifier: MIT */
/*
 * Private: the engine's table of timers and fd watches (engine/timer.c), kept in struct
 * rl_engine. Their CQEs carry RL__TAG_TIMER and the slot; the loop hands them to
 * rl__timer_dispatch(). Not installed.
 */
#ifndef RINGLINE_ENGINE_TIMER_INTERNAL_H
#define RINGLINE_ENGINE_TIMER_INTERNAL_H

#include <linux/time_types.h>
#include <stdbool.h>
#include <stdint.h>

#include "ringline/timer.h"

struct rl_engine;

struct rl__timer {
	rl_complete_fn cb;
	void *arg;
	struct __kernel_timespec ts; /* read by the kernel until the CQE */
	uint32_t gen;
	int32_t next_free;
	bool in_use;
	bool timer; /* a timer, not a watch: -ETIME is its normal end */
};

struct rl__timers {
	struct rl__timer slot[RL_TIMERS];
	int32_t free;	  /* first free slot, -1 when all are in use */
	unsigned pending; /* timers and watches in flight: they keep the loop waiting */
};

/* At engine creation: every slot free. */
void rl__timers_init(struct rl__timers *t);
/* A CQE tagged RL__TAG_TIMER: free the slot, then run the callback. */
void rl__timer_dispatch(struct rl_engine *e, uint64_t user_data, int res);

#endif
