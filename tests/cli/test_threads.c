// SPDX-License-Identifier: MIT
/*
 * ringline bench --threads N, --cpus and PATH,PATH: every thread's I/Os counted once in the
 * total, the total's latency histogram the sum of the threads', each thread on its own target
 * (the bytes written show it), and the refusals.
 */
#include <sched.h>

#include "cli_helpers.h"

TestSuite(threads, .init = skip_unless_io_uring, .timeout = 120);

#define MAXB 4096

/* Add @run's lat_buckets into @lo/@cnt (by lower bound); return the sum of its counts. */
static int64_t add_buckets(struct json_object *run, int64_t *lo, int64_t *cnt, size_t *n)
{
	struct json_object *b = get(run, "lat_buckets");
	int64_t sum = 0;

	for (size_t i = 0; i < json_object_array_length(b); i++) {
		struct json_object *e = json_object_array_get_idx(b, i);
		int64_t l = get_int(e, "lower_ns"), c = get_int(e, "count");
		size_t k;

		for (k = 0; k < *n && lo[k] != l; k++)
			;
		if (k == *n) {
			cr_assert_lt(*n, MAXB);
			lo[(*n)++] = l;
			cnt[k] = 0;
		}
		cnt[k] += c;
		sum += c;
	}
	return sum;
}

/*
 * The total of @o against its threads[]: ops the sum of theirs, each bucket of the total the
 * sum of that bucket in every thread, min/max the extremes of theirs, the mean their weighted
 * mean. Return the threads[] array.
 */
static struct json_object *check_total(struct json_object *o, unsigned nthreads, int64_t ops_each)
{
	static int64_t tlo[MAXB], tcnt[MAXB], slo[MAXB], scnt[MAXB];
	struct json_object *th = get(o, "threads");
	size_t tn = 0, sn = 0;
	int64_t ops = 0, min = INT64_MAX, max = 0;
	double wsum = 0;

	cr_assert_eq(json_object_array_length(th), nthreads);
	for (unsigned i = 0; i < nthreads; i++) {
		struct json_object *t = json_object_array_get_idx(th, i), *lat = get(t, "lat_ns");
		int64_t n = get_int(t, "ops");

		cr_assert_eq(get_int(t, "thread"), i);
		cr_assert_eq(get_int(t, "errors"), 0);
		if (ops_each)
			cr_assert_eq(n, ops_each, "thread %u: %lld I/Os, asked %lld", i,
				     (long long)n, (long long)ops_each);
		cr_assert_eq(add_buckets(t, slo, scnt, &sn), n, "thread %u's buckets", i);
		ops += n;
		wsum += json_object_get_double(get(lat, "mean")) * n;
		if (get_int(lat, "min") < min)
			min = get_int(lat, "min");
		if (get_int(lat, "max") > max)
			max = get_int(lat, "max");
	}
	cr_assert_eq(get_int(o, "ops"), ops, "total %lld, threads %lld",
		     (long long)get_int(o, "ops"), (long long)ops);
	cr_assert_eq(add_buckets(o, tlo, tcnt, &tn), ops);
	cr_assert_eq(tn, sn, "the total has %zu buckets, the threads %zu", tn, sn);
	for (size_t k = 0; k < tn; k++) {
		size_t m;

		for (m = 0; m < sn && slo[m] != tlo[k]; m++)
			;
		cr_assert_lt(m, sn, "bucket at %lld only in the total", (long long)tlo[k]);
		cr_assert_eq(tcnt[k], scnt[m], "bucket at %lld: total %lld, threads %lld",
			     (long long)tlo[k], (long long)tcnt[k], (long long)scnt[m]);
	}
	cr_assert_eq(get_int(get(o, "lat_ns"), "min"), min);
	cr_assert_eq(get_int(get(o, "lat_ns"), "max"), max);
	cr_assert_float_eq(json_object_get_double(get(get(o, "lat_ns"), "mean")), wsum / ops, 1.0,
			   "mean");
	return th;
}

Test(threads, nop_threads_count_every_io_once)
{
	static struct run r;
	struct json_object *o;

	CLI(&r, "bench", "--nop", "--threads", "3", "--count", "20000", "--qd", "16", "--json");
	o = parse(&r);
	check_total(o, 3, 20000);
	cr_assert_eq(get_int(o, "ops"), 60000);
	cr_assert_str_eq(json_object_get_string(get(o, "engine_path")), "nop");
	json_object_put(o);

	/* by time: every thread runs, and the total still is the sum */
	CLI(&r, "bench", "--nop", "--threads", "2", "--time", "0.3", "--json");
	o = parse(&r);
	check_total(o, 2, 0);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_gt(get_int(json_object_array_get_idx(get(o, "threads"), i), "ops"), 1000);
	json_object_put(o);
}

/* Two targets, one thread each: the writes land in both files, and only where asked. */
Test(threads, each_thread_drives_its_own_target)
{
	static struct run r;
	char *a = make_file("/dev/shm", 1 << 20, 0), *b = make_file("/dev/shm", 1 << 20, 0);
	char list[256];
	struct json_object *o, *th;
	unsigned char *d;

	snprintf(list, sizeof(list), "%s,%s", a, b);
	CLI(&r, "bench", list, "--rw", "write", "--count", "16", "--qd", "1", "--json");
	o = parse(&r);
	th = check_total(o, 2, 16);
	cr_assert_str_eq(json_object_get_string(get(json_object_array_get_idx(th, 0), "target")),
			 a);
	cr_assert_str_eq(json_object_get_string(get(json_object_array_get_idx(th, 1), "target")),
			 b);
	cr_assert_str_eq(json_object_get_string(get(o, "target")), list);
	json_object_put(o);
	/* Sequential writes of 16 blocks: the first 64 KiB of each file written, the rest not. */
	for (int f = 0; f < 2; f++) {
		size_t nz = 0;

		d = pread_all(f ? b : a, 1 << 20, 0);
		for (size_t k = 0; k < 16 * 4096; k++)
			nz += d[k] != 0;
		cr_assert_gt(nz, 60000, "%s: %zu nonzero bytes in the written range", f ? b : a,
			     nz);
		for (size_t k = 16 * 4096; k < 1 << 20; k++)
			cr_assert_eq(d[k], 0, "%s: byte %zu written", f ? b : a, k);
		free(d);
	}
	/* three threads on two targets: thread 2 drives the first again */
	CLI(&r, "bench", list, "--threads", "3", "--count", "500", "--json");
	o = parse(&r);
	th = check_total(o, 3, 500);
	cr_assert_str_eq(json_object_get_string(get(json_object_array_get_idx(th, 2), "target")),
			 a);
	json_object_put(o);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}

/* --cpus: the text report names each thread's CPU; --hist writes the merged histogram. */
Test(threads, cpus_and_hist_report_the_merged_run)
{
	static struct run r;
	char *path = make_file("/dev/shm", 4 << 20, 3), csv[128], line[128];
	unsigned long long lo, hi, n, sum = 0;
	FILE *f;

	cpu_set_t allowed;
	char cpu0[16];
	int first = 0;

	/* the first CPU this process may run on (a container's cpuset may not hold 0) */
	cr_assert_eq(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	while (!CPU_ISSET(first, &allowed))
		first++;
	snprintf(cpu0, sizeof(cpu0), "%d", first);
	snprintf(csv, sizeof(csv), "%s.csv", path);
	CLI(&r, "bench", path, "--threads", "2", "--cpus", cpu0, "--count", "3000", "--hist", csv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "2 threads"), "%s", r.out);
	cr_assert(strstr(r.out, "ops:      6000 in"), "%s", r.out);
	f = fopen(csv, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "lower_ns,upper_ns,count\n");
	while (fgets(line, sizeof(line), f)) {
		cr_assert_eq(sscanf(line, "%llu,%llu,%llu", &lo, &hi, &n), 3, "line: %s", line);
		sum += n;
	}
	fclose(f);
	cr_assert_eq(sum, 6000, "the CSV holds %llu of 6000 I/Os", sum);
	/* both rows name that CPU */
	{
		const char *s = strstr(r.out, "(us)");
		unsigned id, cpu, rows = 0;

		cr_assert_not_null(s);
		for (s = strchr(s, '\n'); s && sscanf(s + 1, "%u %u", &id, &cpu) == 2;
		     s = strchr(s + 1, '\n')) {
			cr_assert_eq(cpu, (unsigned)first, "thread %u on CPU %u", id, cpu);
			rows++;
		}
		cr_assert_eq(rows, 2, "%s", r.out);
	}
	unlink(csv);
	unlink(path);
	free(path);
}

Test(threads, bad_thread_input_is_refused)
{
	static struct run r;
	char *path = make_file("/dev/shm", 1 << 20, 7), list[256], empty[256];

	snprintf(list, sizeof(list), "%s,%s", path, path);
	snprintf(empty, sizeof(empty), "%s,,%s", path, path);
	CLI(&r, "bench", path, "--threads", "0");
	expect_error(&r, 2, "--threads 0: expected 1..64");
	CLI(&r, "bench", path, "--threads", "65");
	expect_error(&r, 2, "--threads 65: expected 1..64");
	CLI(&r, "bench", path, "--cpus", "99999");
	expect_error(&r, 2, "CPU 99999 is not one this process may run on");
	CLI(&r, "bench", path, "--cpus", "1-x");
	expect_error(&r, 2, "--cpus 1-x: expected CPU numbers and ranges");
	CLI(&r, "bench", list, "--threads", "1");
	expect_error(&r, 2, "--threads 1: fewer than the 2 targets");
	CLI(&r, "bench", empty);
	expect_error(&r, 2, "an empty PATH in the list");
	CLI(&r, "bench", path, "--threads", "2", "--qd", "1,2");
	expect_error(&r, 2, "not with --compare, a --qd list");
	CLI(&r, "bench", list, "--slowest", "3");
	expect_error(&r, 2, "a PATH,PATH list runs one workload");
	/* one target that cannot open fails the run before any thread starts */
	snprintf(list, sizeof(list), "%s,/nonexistent/x", path);
	CLI(&r, "bench", list, "--count", "10");
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "/nonexistent/x"), "%s", r.err);
	cr_assert_eq(r.out[0], 0, "%s", r.out);
	unlink(path);
	free(path);
}
