// SPDX-License-Identifier: MIT
/*
 * Log-linear latency histogram. Values below 128 have a bucket each. Above, each power of two
 * [2^k, 2^(k+1)) is split in 128 equal buckets, so a bucket's width is at most 1/128 of its lower
 * bound, and reporting its midpoint is off by at most 1/256 (0.4%).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "internal.h"

static void bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
	unsigned shift;

	if (i < RL__HIST_SUB) {
		*lo = *hi = i;
		return;
	}
	shift = (i - RL__HIST_SUB) / RL__HIST_SUB;
	*lo = (uint64_t)(RL__HIST_SUB + (i - RL__HIST_SUB) % RL__HIST_SUB) << shift;
	*hi = *lo + ((uint64_t)1 << shift) - 1;
}

int rl_hist_create(struct rl_hist **out)
{
	struct rl_hist *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	*out = h;
	return 0;
}

void rl_hist_destroy(struct rl_hist *h)
{
	free(h);
}

void rl_hist_reset(struct rl_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void rl_hist_record(struct rl_hist *h, uint64_t v)
{
	rl__hist_record(h, v);
}

void rl_hist_merge(struct rl_hist *dst, const struct rl_hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (unsigned i = 0; i < RL__HIST_NBUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t rl_hist_count(const struct rl_hist *h)
{
	return h->count;
}

uint64_t rl_hist_min(const struct rl_hist *h)
{
	return h->min;
}

uint64_t rl_hist_max(const struct rl_hist *h)
{
	return h->max;
}

double rl_hist_mean(const struct rl_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t rl_hist_percentile(const struct rl_hist *h, double p)
{
	uint64_t rank, seen = 0, lo, hi, v;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* The nearest-rank definition: the value whose rank is ceil(p/100 * count). */
	rank = (uint64_t)(p / 100.0 * (double)h->count);
	if ((double)rank < p / 100.0 * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < RL__HIST_NBUCKETS; i++) {
		seen += h->b[i];
		if (seen < rank)
			continue;
		bucket_range(i, &lo, &hi);
		v = lo + (hi - lo) / 2;
		/* The exact extremes are known: never report outside them. */
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}

int rl_hist_bucket_range(const struct rl_hist *h, unsigned *pos, uint64_t *lower, uint64_t *upper,
			 uint64_t *count)
{
	for (unsigned i = *pos; i < RL__HIST_NBUCKETS; i++) {
		if (!h->b[i])
			continue;
		bucket_range(i, lower, upper);
		*count = h->b[i];
		*pos = i + 1;
		return 1;
	}
	*pos = RL__HIST_NBUCKETS;
	return 0;
}

int rl_hist_bucket(const struct rl_hist *h, unsigned *pos, uint64_t *upper, uint64_t *count)
{
	uint64_t lower;

	return rl_hist_bucket_range(h, pos, &lower, upper, count);
}
