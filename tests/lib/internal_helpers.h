/* SPDX-License-Identifier: MIT */
/* Helpers for the white-box tests that look inside the engine (engine/internal.h). */
#ifndef RINGLINE_TEST_INTERNAL_HELPERS_H
#define RINGLINE_TEST_INTERNAL_HELPERS_H

#include "engine/internal.h"

/* The SQE most recently queued on the engine's ring and not yet submitted (SQE128: 2 slots). */
static inline struct io_uring_sqe *last_sqe(struct rl_engine *e)
{
	struct io_uring_sq *sq = &e->ring.sq;
	unsigned shift = rl_engine_features(e) & RL_FEAT_SQE128 ? 1 : 0;

	return &sq->sqes[((sq->sqe_tail - 1) & sq->ring_mask) << shift];
}

#endif
