// SPDX-License-Identifier: MIT
/* Latency histogram: percentiles within 1% of the exact percentiles of a known sample. */
#include <math.h>

#include "helpers.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted sample. */
static uint64_t exact(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return v[rank ? rank - 1 : 0];
}

static void check_sample(uint64_t *v, size_t n)
{
	const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
	struct rl_hist *h;
	double sum = 0;

	cr_assert_eq(rl_hist_create(&h), 0);
	for (size_t i = 0; i < n; i++) {
		rl_hist_record(h, v[i]);
		sum += (double)v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	cr_assert_eq(rl_hist_count(h), n);
	cr_assert_eq(rl_hist_min(h), v[0]);
	cr_assert_eq(rl_hist_max(h), v[n - 1]);
	cr_assert_float_eq(rl_hist_mean(h), sum / n, sum / n * 1e-9);
	for (size_t i = 0; i < sizeof(ps) / sizeof(*ps); i++) {
		double want = (double)exact(v, n, ps[i]);
		double got = (double)rl_hist_percentile(h, ps[i]);

		cr_assert_leq(fabs(got - want), want * 0.01, "p%g: got %.0f, exact %.0f", ps[i],
			      got, want);
	}
	rl_hist_destroy(h);
}

Test(hist, uniform_sample_matches_exact_percentiles)
{
	size_t n = 100000;
	uint64_t *v = malloc(n * sizeof(*v));

	srand(42);
	for (size_t i = 0; i < n; i++)
		v[i] = 1000 + (uint64_t)rand() % 1000000;
	check_sample(v, n);
	free(v);
}

Test(hist, long_tailed_sample_matches_exact_percentiles)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	srand(7);
	/* Latency-like: most values near 10 us, a tail out to seconds. */
	for (size_t i = 0; i < n; i++) {
		double u = (rand() + 1.0) / (RAND_MAX + 2.0);

		v[i] = (uint64_t)(10000.0 / pow(u, 1.3));
	}
	check_sample(v, n);
	free(v);
}

Test(hist, small_values_are_exact)
{
	struct rl_hist *h;

	cr_assert_eq(rl_hist_create(&h), 0);
	for (uint64_t i = 1; i <= 100; i++)
		rl_hist_record(h, i);
	cr_assert_eq(rl_hist_percentile(h, 50), 50);
	cr_assert_eq(rl_hist_percentile(h, 90), 90);
	cr_assert_eq(rl_hist_percentile(h, 99), 99);
	cr_assert_eq(rl_hist_percentile(h, 100), 100);
	rl_hist_destroy(h);
}

Test(hist, merge_equals_recording_both)
{
	struct rl_hist *a, *b, *all;

	rl_hist_create(&a);
	rl_hist_create(&b);
	rl_hist_create(&all);
	for (uint64_t i = 0; i < 5000; i++) {
		rl_hist_record(i % 2 ? a : b, i * 977);
		rl_hist_record(all, i * 977);
	}
	rl_hist_merge(a, b);
	cr_assert_eq(rl_hist_count(a), rl_hist_count(all));
	cr_assert_eq(rl_hist_min(a), rl_hist_min(all));
	cr_assert_eq(rl_hist_max(a), rl_hist_max(all));
	for (double p = 1; p <= 100; p += 7)
		cr_assert_eq(rl_hist_percentile(a, p), rl_hist_percentile(all, p));
	rl_hist_destroy(a);
	rl_hist_destroy(b);
	rl_hist_destroy(all);
}

Test(hist, empty_and_buckets)
{
	struct rl_hist *h;
	unsigned pos = 0;
	uint64_t upper, count, total = 0, prev = 0;

	rl_hist_create(&h);
	cr_assert_eq(rl_hist_percentile(h, 50), 0);
	cr_assert_eq(rl_hist_bucket(h, &pos, &upper, &count), 0);
	for (uint64_t v = 1; v < 1000000000; v *= 3)
		rl_hist_record(h, v);
	pos = 0;
	while (rl_hist_bucket(h, &pos, &upper, &count)) {
		cr_assert_gt(upper, prev, "buckets out of order");
		prev = upper;
		total += count;
	}
	cr_assert_eq(total, rl_hist_count(h));
	rl_hist_destroy(h);
}

/* Ranges tile the value axis: each recorded value lies in its bucket, buckets never overlap. */
Test(hist, bucket_ranges_hold_their_values_and_do_not_overlap)
{
	static const uint64_t vals[] = {0, 1, 127, 128, 129, 255, 256, 1000, 4097, 123456789};
	struct rl_hist *h, *one;
	unsigned pos = 0, n = 0;
	uint64_t lower, upper, count, prev_upper = 0, total = 0;

	rl_hist_create(&h);
	rl_hist_create(&one);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		rl_hist_record(h, vals[i]);
	while (rl_hist_bucket_range(h, &pos, &lower, &upper, &count)) {
		cr_assert_leq(lower, upper);
		cr_assert(n == 0 || lower > prev_upper, "bucket %llu..%llu overlaps the one before",
			  (unsigned long long)lower, (unsigned long long)upper);
		/* the bucket's width is at most 1/128 of its lower bound (exact below 128) */
		cr_assert_leq((upper - lower) * 128, lower, "bucket %llu..%llu too wide",
			      (unsigned long long)lower, (unsigned long long)upper);
		/* a value alone in a histogram lands in this same bucket */
		rl_hist_reset(one);
		rl_hist_record(one, lower);
		rl_hist_record(one, upper);
		unsigned p1 = 0;
		uint64_t l1, u1, c1;
		cr_assert_eq(rl_hist_bucket_range(one, &p1, &l1, &u1, &c1), 1);
		cr_assert_eq(l1, lower);
		cr_assert_eq(u1, upper);
		cr_assert_eq(c1, 2, "%llu and %llu fall in different buckets",
			     (unsigned long long)lower, (unsigned long long)upper);
		prev_upper = upper;
		total += count;
		n++;
	}
	cr_assert_eq(n, 10);
	cr_assert_eq(total, 10);
	rl_hist_destroy(h);
	rl_hist_destroy(one);
}
