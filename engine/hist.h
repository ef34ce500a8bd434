/* SPDX-License-Identifier: MIT */
/*
 * Private: the histogram's layout and rl__hist_record(), inline in the completion loop, which
 * records every command's latency (hist.c has the rest, and the exported rl_hist_record()).
 *
 * Log-linear: values below 128 have a bucket each. Above, each power of two [2^k, 2^(k+1)) is
 * split in 128 equal buckets, so a bucket's width is at most 1/128 of its lower bound.
 */
#ifndef RINGLINE_ENGINE_HIST_H
#define RINGLINE_ENGINE_HIST_H

#include <stdint.h>

#define RL__HIST_SUB_BITS 7
#define RL__HIST_SUB (1u << RL__HIST_SUB_BITS)
#define RL__HIST_MAX_EXP 43 /* 2^44 ns: about 4.8 hours */
#define RL__HIST_NBUCKETS (RL__HIST_SUB + (RL__HIST_MAX_EXP - RL__HIST_SUB_BITS + 1) * RL__HIST_SUB)

struct rl_hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum; /* ns: 584 years before it wraps; an integer add per record */
	uint64_t b[RL__HIST_NBUCKETS];
};

static inline unsigned rl__hist_bucket(uint64_t v)
{
	unsigned k, shift;

	if (v < RL__HIST_SUB)
		return (unsigned)v;
	k = 63 - __builtin_clzll(v);
	if (k > RL__HIST_MAX_EXP)
		return RL__HIST_NBUCKETS - 1;
	shift = k - RL__HIST_SUB_BITS;
	return RL__HIST_SUB + shift * RL__HIST_SUB + (unsigned)((v >> shift) - RL__HIST_SUB);
}

static inline void rl__hist_record(struct rl_hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->b[rl__hist_bucket(v)]++;
}

#endif
