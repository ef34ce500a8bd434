// SPDX-License-Identifier: MIT
/*
 * ringline bench --threads N and PATH,PATH: one job per thread (its own engine and ring, made
 * on that thread, as a single-issuer ring must be), thread i driving target i % (number of
 * targets), optionally pinned to a CPU of --cpus. Every thread sets up, then all start
 * together (a gate) and run the same window; the report gives each thread's figures and
 * the total: every thread's I/Os added once, the latency histograms merged.
 */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

/* Where the workers wait, set up, until all are: then all start, or none when one failed. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready; /* workers set up (or failed to) */
	bool go;
	bool abort;
};

struct worker {
	const struct params *p;
	unsigned id;
	int cpu; /* -1: not pinned */
	const char *path;
	pthread_t th;
	struct gate *gate;
	struct lat_run run;
	unsigned features;
	int status;
};

static unsigned target_flags(const struct params *p)
{
	bool reads_only = p->rw == RW_READ || p->rw == RW_RANDREAD;

	return reads_only ? RL_TARGET_RDONLY : p->force ? 0 : RL_TARGET_EXCL;
}

static int pin(struct worker *w)
{
	cpu_set_t set;
	int ret;

	if (w->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (ret) {
		cli_err("--cpus: cannot run thread %u on CPU %d: %s", w->id, w->cpu, strerror(ret));
		return EXIT_USAGE;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct params *p = w->p;
	struct job_opts o = {.max_qd = p->qd, .iopoll = p->poll, .quiet = true};
	struct lat_run *r = &w->run;
	struct rl_target *t = NULL;
	struct job *j = NULL;
	bool abort;
	double secs;

	w->status = pin(w);
	if (!w->status)
		w->status = job_create(p, &o, &j);
	if (!w->status) {
		/* Writers share a target: the first thread's exclusive open claims it for all. */
		unsigned flags = target_flags(p) | (p->passthrough ? RL_TARGET_PASSTHROUGH : 0) |
				 (p->poll ? RL_TARGET_POLLED : 0);

		if (w->id >= p->npaths)
			flags &= ~RL_TARGET_EXCL;
		w->status = job_open(j, w->path, flags, &t);
		if (w->status == EXIT_IO)
			job_open_error(j, w->path);
	}
	if (!w->status)
		w->status = job_buffers(j);
	pthread_mutex_lock(&w->gate->lock);
	if (w->status)
		w->gate->abort = true;
	w->gate->ready++;
	pthread_cond_broadcast(&w->gate->cond);
	while (!w->gate->go)
		pthread_cond_wait(&w->gate->cond, &w->gate->lock);
	abort = w->gate->abort;
	pthread_mutex_unlock(&w->gate->lock);
	if (abort)
		goto out;
	r->qd = p->qd;
	r->batch = p->batch ? p->batch : default_batch(p->qd);
	r->polled = p->poll;
	snprintf(r->label, sizeof(r->label), "thread %u", w->id);
	secs = job_window(j, t, r->qd, r->batch, p->ramp_s, p->time_s, p->count, NULL, r);
	if (secs < 0 || job_collect(j, t, r)) {
		w->status = EXIT_IO;
		goto out;
	}
	r->runtime_s = secs;
	w->features = rl_engine_features(job_engine(j));
out:
	job_destroy(j);
	return NULL;
}

/* The total: every thread's I/Os once, histograms merged, over the longest thread's time. */
static int total_of(const struct worker *ws, unsigned n, struct lat_run *tot)
{
	if (rl_hist_create(&tot->lat)) {
		cli_err("out of memory");
		return EXIT_IO;
	}
	tot->qd = ws[0].run.qd;
	tot->batch = ws[0].run.batch;
	tot->polled = ws[0].run.polled;
	tot->engine_path = ws[0].run.engine_path;
	for (unsigned i = 0; i < n; i++) {
		const struct lat_run *r = &ws[i].run;

		rl_hist_merge(tot->lat, r->lat);
		tot->errors += r->errors;
		tot->bytes += r->bytes;
		if (r->runtime_s > tot->runtime_s)
			tot->runtime_s = r->runtime_s;
		if (r->failed[0] && !tot->failed[0])
			snprintf(tot->failed, sizeof(tot->failed), "%s", r->failed);
	}
	tot->ops = rl_hist_count(tot->lat);
	return 0;
}

static double iops(const struct lat_run *r)
{
	return r->runtime_s > 0 ? r->ops / r->runtime_s : 0;
}

static void print_text(const struct params *p, const struct worker *ws, unsigned n,
		       const struct lat_run *tot, unsigned features)
{
	const struct rl_hist *h = tot->lat;

	printf("%s: %s (%s%s) %s bs=%llu qd=%u, %u threads\n", p->cmd, p->path, tot->engine_path,
	       tot->polled ? ", polled" : "", rw_names[p->rw], (unsigned long long)p->bs, tot->qd,
	       n);
	printf("  ring:    ");
	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
		if (features & f)
			printf(" %s", rl_feature_name(f));
	printf("\n");
	printf("  %6s  %4s  %-20s  %10s  %10s  %8s  %8s  %8s  (us)\n", "thread", "cpu", "target",
	       "ops", "IOPS", "mean", "p50", "p99");
	for (unsigned i = 0; i < n; i++) {
		const struct lat_run *r = &ws[i].run;
		char cpu[16] = "-";

		if (ws[i].cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%d", ws[i].cpu);
		printf("  %6u  %4s  %-20s  %10llu  %10.0f  %8.1f  %8.1f  %8.1f%s\n", i, cpu,
		       r->device, (unsigned long long)r->ops, iops(r), rl_hist_mean(r->lat) / 1e3,
		       rl_hist_percentile(r->lat, 50) / 1e3, rl_hist_percentile(r->lat, 99) / 1e3,
		       r->errors ? "  (errors)" : "");
	}
	printf("  total:\n");
	printf("  ops:      %llu in %.2f s, %llu errors\n", (unsigned long long)tot->ops,
	       tot->runtime_s, (unsigned long long)tot->errors);
	printf("  iops:     %.0f\n  bw:       %.1f MiB/s\n", iops(tot),
	       tot->runtime_s > 0 ? tot->bytes / tot->runtime_s / (1 << 20) : 0);
	printf("  lat (us): min %.1f  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  "
	       "p99.99 %.1f  max %.1f\n",
	       rl_hist_min(h) / 1e3, rl_hist_mean(h) / 1e3, rl_hist_percentile(h, 50) / 1e3,
	       rl_hist_percentile(h, 90) / 1e3, rl_hist_percentile(h, 99) / 1e3,
	       rl_hist_percentile(h, 99.9) / 1e3, rl_hist_percentile(h, 99.99) / 1e3,
	       rl_hist_max(h) / 1e3);
}

/* The single run's object for the total, and threads[] of the same for each thread. */
static void print_json(const struct params *p, const struct worker *ws, unsigned n,
		       const struct lat_run *tot, unsigned features)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct json_object *fa = json_object_new_array();

	json_object_object_add(o, "target", json_object_new_string(p->path));
	json_object_object_add(o, "engine_path", json_object_new_string(tot->engine_path));
	json_object_object_add(o, "polled", json_object_new_boolean(tot->polled));
	json_object_object_add(o, "rw", json_object_new_string(rw_names[p->rw]));
	json_object_object_add(o, "bs", json_object_new_int64((int64_t)p->bs));
	json_object_object_add(o, "qd", json_object_new_int64(tot->qd));
	json_object_object_add(o, "ramp_s", json_object_new_double(p->ramp_s));
	report_run_json(o, tot);
	for (unsigned i = 0; i < n; i++) {
		struct json_object *b = json_object_new_object();

		json_object_object_add(b, "thread", json_object_new_int64(i));
		json_object_object_add(b, "cpu", json_object_new_int64(ws[i].cpu));
		json_object_object_add(b, "target", json_object_new_string(ws[i].run.device));
		report_run_json(b, &ws[i].run);
		json_object_array_add(a, b);
	}
	json_object_object_add(o, "threads", a);
	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
		if (features & f)
			json_object_array_add(fa, json_object_new_string(rl_feature_name(f)));
	json_object_object_add(o, "ring_features", fa);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int lab_threads(const struct params *p)
{
	unsigned n = p->threads ? p->threads : p->npaths, started = 0;
	struct worker *ws = calloc(n, sizeof(*ws));
	struct lat_run tot = {0};
	struct gate gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	int status = 0;

	if (!ws) {
		cli_err("out of memory");
		return EXIT_IO;
	}
	if (p->hist) {
		FILE *f = fopen(p->hist, "a");

		if (!f) {
			cli_err("--hist %s: %s", p->hist, strerror(errno));
			free(ws);
			return EXIT_IO;
		}
		fclose(f);
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &ws[i];

		*w = (struct worker){.p = p,
				     .id = i,
				     .cpu = p->ncpus ? p->cpus[i % p->ncpus] : -1,
				     .path = p->paths[i % p->npaths],
				     .gate = &gate};
		if (pthread_create(&w->th, NULL, worker_main, w)) {
			cli_err("cannot start thread %u", i);
			status = EXIT_IO;
			break;
		}
		started++;
	}
	pthread_mutex_lock(&gate.lock);
	while (gate.ready < started)
		pthread_cond_wait(&gate.cond, &gate.lock);
	if (started < n)
		gate.abort = true;
	gate.go = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(ws[i].th, NULL);
		if (ws[i].status && !status)
			status = ws[i].status;
	}
	if (status)
		goto out;
	status = total_of(ws, n, &tot);
	if (status)
		goto out;
	if (p->json)
		print_json(p, ws, n, &tot, ws[0].features);
	else
		print_text(p, ws, n, &tot, ws[0].features);
	if (p->hist) {
		struct lat_set set = {.p = p, .kind = "single", .runs = &tot, .nruns = 1};

		if (report_hist_csv(&set, p->hist))
			status = EXIT_IO;
		else if (!p->json)
			printf("hist: %s\n", p->hist);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct lat_run *r = &ws[i].run;

		if (!r->failed[0])
			continue;
		cli_err("%s (thread %u): %llu of %llu I/Os failed; first error: %s", r->device, i,
			(unsigned long long)r->errors, (unsigned long long)r->ops, r->failed);
		status = EXIT_IO;
	}
out:
	for (unsigned i = 0; i < n; i++) {
		rl_hist_destroy(ws[i].run.lat);
		free(ws[i].run.slow);
	}
	rl_hist_destroy(tot.lat);
	free(ws);
	return status;
}
