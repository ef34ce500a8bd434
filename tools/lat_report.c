// SPDX-License-Identifier: MIT
/* What ringline bench / lat print: the text report, the JSON object, and the CSV histogram. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

void fmt_size(char *out, size_t n, uint64_t bs)
{
	if (bs >= (1u << 20) && bs % (1u << 20) == 0)
		snprintf(out, n, "%llu MiB", (unsigned long long)(bs >> 20));
	else if (bs >= 1024 && bs % 1024 == 0)
		snprintf(out, n, "%llu KiB", (unsigned long long)(bs >> 10));
	else
		snprintf(out, n, "%llu B", (unsigned long long)bs);
}

static double iops_of(const struct lat_run *r)
{
	return r->runtime_s > 0 ? (double)r->ops / r->runtime_s : 0;
}

static double bw_of(const struct lat_run *r)
{
	return r->runtime_s > 0 ? (double)r->bytes / r->runtime_s : 0;
}

static bool is_single(const struct lat_set *s)
{
	return !strcmp(s->kind, "single");
}

static void print_features(const struct lat_set *s)
{
	printf("  ring:    ");
	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
		if (s->features & f)
			printf(" %s", rl_feature_name(f));
	printf("\n");
}

static void print_slowest(const struct lat_run *r)
{
	if (!r->nslow)
		return;
	printf("  slowest %u of %llu:\n", r->nslow, (unsigned long long)r->ops);
	printf("    %12s  %10s  %-5s  %14s  %10s\n", "latency (us)", "at (s)", "op", "offset",
	       "length");
	for (unsigned i = 0; i < r->nslow; i++)
		printf("    %12.1f  %10.3f  %-5s  %14llu  %10u\n", r->slow[i].lat_ns / 1e3,
		       r->slow[i].at_s, r->slow[i].write ? "write" : "read",
		       (unsigned long long)r->slow[i].offset, r->slow[i].len);
}

static void report_single(const struct lat_set *s)
{
	const struct params *p = s->p;
	const struct lat_run *r = &s->runs[0];
	const struct rl_hist *lat = r->lat;

	printf("%s: %s (%s%s) %s bs=%llu qd=%u\n", p->cmd, p->path, r->engine_path,
	       r->polled ? ", polled" : "", rw_names[p->rw], (unsigned long long)p->bs, r->qd);
	print_features(s);
	printf("  ops:      %llu in %.2f s, %llu errors\n", (unsigned long long)r->ops,
	       r->runtime_s, (unsigned long long)r->errors);
	printf("  iops:     %.0f\n  bw:       %.1f MiB/s\n", iops_of(r), bw_of(r) / (1 << 20));
	printf("  lat (us): min %.1f  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  "
	       "p99.99 %.1f  max %.1f\n",
	       rl_hist_min(lat) / 1e3, rl_hist_mean(lat) / 1e3, rl_hist_percentile(lat, 50) / 1e3,
	       rl_hist_percentile(lat, 90) / 1e3, rl_hist_percentile(lat, 99) / 1e3,
	       rl_hist_percentile(lat, 99.9) / 1e3, rl_hist_percentile(lat, 99.99) / 1e3,
	       rl_hist_max(lat) / 1e3);
	print_slowest(r);
}

static void report_compare(const struct lat_set *s)
{
	const struct params *p = s->p;

	printf("%s --compare: %s %s bs=%llu qd=%u, %u rounds\n", p->cmd, p->path, rw_names[p->rw],
	       (unsigned long long)p->bs, p->qd, p->rounds);
	print_features(s);
	printf("  %-18s  %-14s  %9s  %8s  %8s  %8s  %8s  %8s  (us)\n", "path", "device", "IOPS",
	       "mean", "p50", "p99", "p99.9", "p99.99");
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];
		const struct rl_hist *h = r->lat;

		if (r->skipped[0]) {
			printf("  %-18s  %-14s  skipped: %s\n", r->label, r->device, r->skipped);
			continue;
		}
		printf("  %-18s  %-14s  %9.0f  %8.1f  %8.1f  %8.1f  %8.1f  %8.1f%s\n", r->label,
		       r->device, iops_of(r), rl_hist_mean(h) / 1e3,
		       rl_hist_percentile(h, 50) / 1e3, rl_hist_percentile(h, 99) / 1e3,
		       rl_hist_percentile(h, 99.9) / 1e3, rl_hist_percentile(h, 99.99) / 1e3,
		       r->errors ? "  (errors)" : "");
	}
}

static void report_sweep(const struct lat_set *s)
{
	const struct params *p = s->p;

	printf("%s: %s (%s%s) %s bs=%llu, queue-depth sweep\n", p->cmd, p->path,
	       s->runs[0].engine_path, s->runs[0].polled ? ", polled" : "", rw_names[p->rw],
	       (unsigned long long)p->bs);
	print_features(s);
	printf("  %5s  %5s  %10s  %9s  %8s  %8s  %8s  %8s  (us)\n", "qd", "batch", "IOPS", "MiB/s",
	       "mean", "p50", "p99", "p99.9");
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];
		const struct rl_hist *h = r->lat;

		printf("  %5u  %5u  %10.0f  %9.1f  %8.1f  %8.1f  %8.1f  %8.1f%s\n", r->qd, r->batch,
		       iops_of(r), bw_of(r) / (1 << 20), rl_hist_mean(h) / 1e3,
		       rl_hist_percentile(h, 50) / 1e3, rl_hist_percentile(h, 99) / 1e3,
		       rl_hist_percentile(h, 99.9) / 1e3, r->errors ? "  (errors)" : "");
	}
}

void report_text(const struct lat_set *s)
{
	if (is_single(s))
		report_single(s);
	else if (!strcmp(s->kind, "compare"))
		report_compare(s);
	else
		report_sweep(s);
	if (s->p->hist)
		printf("hist: %s\n", s->p->hist);
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_double(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static struct json_object *lat_json(const struct rl_hist *h)
{
	static const struct {
		const char *key;
		double p;
	} pcts[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}, {"p99.99", 99.99}};
	struct json_object *o = json_object_new_object();

	add_int(o, "min", (int64_t)rl_hist_min(h));
	add_double(o, "mean", rl_hist_mean(h));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		add_int(o, pcts[i].key, (int64_t)rl_hist_percentile(h, pcts[i].p));
	add_int(o, "max", (int64_t)rl_hist_max(h));
	return o;
}

/* The non-empty buckets, in increasing order: [{lower_ns, upper_ns, count}]. */
static struct json_object *buckets_json(const struct rl_hist *h)
{
	struct json_object *a = json_object_new_array();
	uint64_t lo, hi, n;
	unsigned pos = 0;

	while (rl_hist_bucket_range(h, &pos, &lo, &hi, &n)) {
		struct json_object *b = json_object_new_object();

		add_int(b, "lower_ns", (int64_t)lo);
		add_int(b, "upper_ns", (int64_t)hi);
		add_int(b, "count", (int64_t)n);
		json_object_array_add(a, b);
	}
	return a;
}

/* The measured fields of one run. */
static void run_json(struct json_object *o, const struct lat_run *r)
{
	add_double(o, "runtime_s", r->runtime_s);
	add_int(o, "ops", (int64_t)r->ops);
	add_int(o, "errors", (int64_t)r->errors);
	add_double(o, "iops", iops_of(r));
	add_double(o, "bw_bytes_per_s", bw_of(r));
	json_object_object_add(o, "lat_ns", lat_json(r->lat));
	json_object_object_add(o, "lat_buckets", buckets_json(r->lat));
	if (r->failed[0])
		add_str(o, "error", r->failed);
}

void report_run_json(struct json_object *o, const struct lat_run *r)
{
	run_json(o, r);
}

static struct json_object *slowest_json(const struct lat_run *r)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < r->nslow; i++) {
		struct json_object *b = json_object_new_object();

		add_int(b, "lat_ns", (int64_t)r->slow[i].lat_ns);
		add_int(b, "offset", (int64_t)r->slow[i].offset);
		add_int(b, "len", r->slow[i].len);
		add_str(b, "op", r->slow[i].write ? "write" : "read");
		add_double(b, "at_s", r->slow[i].at_s);
		json_object_array_add(a, b);
	}
	return a;
}

void report_json(const struct lat_set *s)
{
	const struct params *p = s->p;
	const struct lat_run *r0 = &s->runs[0];
	struct json_object *o = json_object_new_object(), *fa = json_object_new_array(), *a;

	add_str(o, "target", p->path);
	if (!strcmp(s->kind, "compare")) {
		add_str(o, "rw", rw_names[p->rw]);
		add_int(o, "bs", (int64_t)p->bs);
		add_int(o, "qd", p->qd);
		add_int(o, "rounds", p->rounds);
		add_double(o, "ramp_s", p->ramp_s);
		a = json_object_new_array();
		for (unsigned i = 0; i < s->nruns; i++) {
			const struct lat_run *r = &s->runs[i];
			struct json_object *b = json_object_new_object(), *ri;

			add_str(b, "path", r->label);
			add_str(b, "device", r->device);
			add_str(b, "engine_path", r->engine_path);
			json_object_object_add(b, "polled", json_object_new_boolean(r->polled));
			if (r->skipped[0]) {
				add_str(b, "skipped", r->skipped);
			} else {
				run_json(b, r);
				ri = json_object_new_array();
				for (unsigned k = 0; k < r->nrounds; k++)
					json_object_array_add(
					    ri, json_object_new_double(r->round_iops[k]));
				json_object_object_add(b, "round_iops", ri);
			}
			json_object_array_add(a, b);
		}
		json_object_object_add(o, "paths", a);
	} else {
		add_str(o, "engine_path", r0->engine_path);
		json_object_object_add(o, "polled", json_object_new_boolean(r0->polled));
		add_str(o, "rw", rw_names[p->rw]);
		add_int(o, "bs", (int64_t)p->bs);
		if (is_single(s)) {
			add_int(o, "qd", r0->qd);
			add_double(o, "ramp_s", p->ramp_s);
			run_json(o, r0);
			if (p->slowest)
				json_object_object_add(o, "slowest", slowest_json(r0));
		} else {
			add_double(o, "ramp_s", p->ramp_s);
			a = json_object_new_array();
			for (unsigned i = 0; i < s->nruns; i++) {
				struct json_object *b = json_object_new_object();

				add_int(b, "qd", s->runs[i].qd);
				add_int(b, "batch", s->runs[i].batch);
				run_json(b, &s->runs[i]);
				json_object_array_add(a, b);
			}
			json_object_object_add(o, "sweep", a);
		}
	}
	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
		if (s->features & f)
			json_object_array_add(fa, json_object_new_string(rl_feature_name(f)));
	json_object_object_add(o, "ring_features", fa);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int report_hist_csv(const struct lat_set *s, const char *file)
{
	FILE *f = fopen(file, "w");
	bool single = is_single(s), compare = !strcmp(s->kind, "compare");
	uint64_t lo, hi, n;

	if (!f) {
		cli_err("--hist %s: %s", file, strerror(errno));
		return EXIT_IO;
	}
	fprintf(f, "%slower_ns,upper_ns,count\n", single ? "" : compare ? "path," : "qd,");
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];
		unsigned pos = 0;

		if (r->skipped[0] || !r->lat)
			continue;
		while (rl_hist_bucket_range(r->lat, &pos, &lo, &hi, &n)) {
			if (compare)
				fprintf(f, "%s,", r->label);
			else if (!single)
				fprintf(f, "%u,", r->qd);
			fprintf(f, "%llu,%llu,%llu\n", (unsigned long long)lo,
				(unsigned long long)hi, (unsigned long long)n);
		}
	}
	if (fclose(f)) {
		cli_err("--hist %s: %s", file, strerror(errno));
		return EXIT_IO;
	}
	return 0;
}
