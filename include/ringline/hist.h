/* SPDX-License-Identifier: MIT */
/*
 * Latency histogram: log-linear buckets (128 per power of two above 128 ns, exact below), so a
 * reported percentile is within 0.4% of the true sample value. Values are nanoseconds.
 */
#ifndef RINGLINE_HIST_H
#define RINGLINE_HIST_H

#include <stdint.h>
#include "ringline/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_hist;

/* rl_hist_create() - an empty histogram. Return: 0 or -ENOMEM. */
RL_EXPORT int rl_hist_create(struct rl_hist **out);
RL_EXPORT void rl_hist_destroy(struct rl_hist *h);

/* rl_hist_record() - add one value; values beyond about 4.8 hours land in the last bucket. */
RL_EXPORT void rl_hist_record(struct rl_hist *h, uint64_t value);

/* rl_hist_merge() - add every value of @src to @dst. */
RL_EXPORT void rl_hist_merge(struct rl_hist *dst, const struct rl_hist *src);
RL_EXPORT void rl_hist_reset(struct rl_hist *h);

RL_EXPORT uint64_t rl_hist_count(const struct rl_hist *h);
/* Exact minimum, maximum and mean of the recorded values (0 when empty). */
RL_EXPORT uint64_t rl_hist_min(const struct rl_hist *h);
RL_EXPORT uint64_t rl_hist_max(const struct rl_hist *h);
RL_EXPORT double rl_hist_mean(const struct rl_hist *h);

/**
 * rl_hist_percentile() - the value at percentile @p (0 < @p <= 100): the smallest recorded value
 * v such that at least @p percent of the values are <= v, to within the bucket resolution.
 * Return: the value, or 0 when the histogram is empty.
 */
RL_EXPORT uint64_t rl_hist_percentile(const struct rl_hist *h, double p);

/**
 * rl_hist_bucket() - walk the non-empty buckets in increasing order, for exporters.
 * @pos:   0 to start; the next call continues from the value written here.
 * @upper: the bucket's inclusive upper bound.
 * @count: values in the bucket.
 * Return: 1 while a bucket was written, 0 at the end.
 */
RL_EXPORT int rl_hist_bucket(const struct rl_hist *h, unsigned *pos, uint64_t *upper,
			     uint64_t *count);

/**
 * rl_hist_bucket_range() - as rl_hist_bucket(), with the bucket's inclusive lower bound too:
 * the bucket holds the values @lower..@upper. The layout is fixed (see the top of this header),
 * so buckets written by different runs line up, and adding their counts merges the runs.
 * Return: 1 while a bucket was written, 0 at the end.
 */
RL_EXPORT int rl_hist_bucket_range(const struct rl_hist *h, unsigned *pos, uint64_t *lower,
				   uint64_t *upper, uint64_t *count);

#ifdef __cplusplus
}
#endif
#endif
