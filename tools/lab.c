// SPDX-License-Identifier: MIT
/*
 * The runs of ringline bench / lat: one run, --compare (the four paths of one NVMe namespace,
 * interleaved in rounds), and a --qd sweep; each ends in the report, the JSON, the CSV and the
 * picture asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "cli.h"
#include "control.h"

unsigned default_batch(unsigned qd)
{
	return qd / 4 > 8 ? 8 : (qd / 4 ? qd / 4 : 1);
}

static unsigned target_flags(const struct params *p)
{
	bool reads_only = p->rw == RW_READ || p->rw == RW_RANDREAD;

	/* Writes claim a block device (an NVMe namespace's too): refused while in use. */
	return reads_only ? RL_TARGET_RDONLY : p->force ? 0 : RL_TARGET_EXCL;
}

/* What would fail only after the run: no gnuplot, a file that cannot be written. */
static int check_outputs(const struct params *p)
{
	int ret = p->plot ? plot_check(p->plot) : 0;

	if (!ret && p->hist) {
		FILE *f = fopen(p->hist, "a");

		if (!f) {
			cli_err("--hist %s: %s", p->hist, strerror(errno));
			return EXIT_IO;
		}
		fclose(f);
	}
	return ret;
}

static int start_http(struct job *j, const struct params *p, struct ctl_http **http)
{
	struct ctl_http_opts ho = {.listen = p->listen};
	int ret;

	if (!p->listen)
		return 0;
	ret = ctl_http_start(job_engine(j), &ho, http);
	if (ret) {
		cli_lib_err(job_engine(j), ret, p->listen);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_IO; /* -EINVAL: not an address */
	}
	fprintf(stderr, "ringline %s: serving metrics on %s\n", p->cmd, ctl_http_address(*http));
	return 0;
}

/* Report, CSV and picture; then the exit status: 1 when a run failed. */
static int finish(struct lat_set *s)
{
	const struct params *p = s->p;
	int status = 0;

	if (p->json)
		report_json(s);
	else
		report_text(s);
	if (p->hist && report_hist_csv(s, p->hist))
		status = EXIT_IO;
	if (p->plot && plot_draw(s, p->plot))
		status = EXIT_IO;
	if (p->plot && !status && !p->json)
		printf("plot: %s\n", p->plot);
	for (unsigned i = 0; i < s->nruns; i++) {
		const struct lat_run *r = &s->runs[i];

		if (!r->failed[0])
			continue;
		cli_err("%s: %llu of %llu I/Os failed; first error: %s", r->device,
			(unsigned long long)r->errors, (unsigned long long)r->ops, r->failed);
		status = EXIT_IO;
	}
	return status;
}

static void free_runs(struct lat_run *runs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		rl_hist_destroy(runs[i].lat);
		free(runs[i].slow);
	}
}

/* "ringline lat /dev/ng0n1: passthrough polled, randread 4 KiB, QD1" */
static void title(char *out, size_t n, const struct params *p, const char *how, const char *qd)
{
	char bs[32];

	fmt_size(bs, sizeof(bs), p->bs);
	snprintf(out, n, "ringline %s %s: %s, %s %s, %s", p->cmd, p->path, how, rw_names[p->rw], bs,
		 qd);
}

/*
 * One run's or one sweep's set-up on PATH: the output files checked, the job, its target, the
 * HTTP service if asked, the buffers. *@j is NULL when the job could not be made.
 */
static int setup_one(const struct params *p, const struct job_opts *o, struct job **j,
		     struct rl_target **t, struct ctl_http **http)
{
	int status = check_outputs(p);

	*j = NULL;
	if (!status)
		status = job_create(p, o, j);
	if (status)
		return status;
	status = job_open(*j, p->path,
			  target_flags(p) | (p->passthrough ? RL_TARGET_PASSTHROUGH : 0) |
			      (p->poll ? RL_TARGET_POLLED : 0),
			  t);
	if (status == EXIT_IO)
		job_open_error(*j, p->path);
	if (!status)
		status = start_http(*j, p, http);
	if (!status)
		status = job_buffers(*j);
	return status;
}

int lab_single(const struct params *p)
{
	struct job_opts o = {.max_qd = p->qd, .iopoll = p->poll};
	struct lat_run run = {.qd = p->qd, .batch = p->batch ? p->batch : default_batch(p->qd)};
	struct lat_set set = {.p = p, .kind = "single", .runs = &run, .nruns = 1};
	struct ctl_http *http = NULL;
	struct rl_target *t;
	struct job *j;
	char what[96], qd[32], ttl[256];
	double secs;
	int status;

	status = setup_one(p, &o, &j, &t, &http);
	if (!j)
		return status;
	if (status)
		goto out;
	run.polled = p->poll;
	secs = job_window(j, t, run.qd, run.batch, p->ramp_s, p->time_s, p->count, NULL, &run);
	job_progress_end(j);
	if (secs < 0 || job_collect(j, t, &run)) {
		status = EXIT_IO;
		goto out;
	}
	run.runtime_s = secs;
	snprintf(what, sizeof(what), "%s%s", run.engine_path, p->poll ? " polled" : "");
	snprintf(qd, sizeof(qd), "QD%u", run.qd);
	title(ttl, sizeof(ttl), p, what, qd);
	set.title = ttl;
	set.features = rl_engine_features(job_engine(j));
	status = finish(&set);
out:
	if (http)
		ctl_http_stop(http);
	job_destroy(j);
	free_runs(&run, 1);
	return status;
}

int lab_sweep(const struct params *p)
{
	struct job_opts o = {.max_qd = p->depths[p->ndepths - 1], .iopoll = p->poll};
	struct lat_run runs[MAX_DEPTHS] = {0};
	struct lat_set set = {.p = p, .kind = "sweep", .runs = runs};
	struct ctl_http *http = NULL;
	struct rl_target *t;
	struct job *j;
	char what[96], qd[32], ttl[256];
	int status;

	status = setup_one(p, &o, &j, &t, &http);
	if (!j)
		return status;
	if (status)
		goto out;
	for (unsigned i = 0; i < p->ndepths; i++) {
		struct lat_run *r = &runs[set.nruns++];
		double secs;

		r->qd = p->depths[i];
		r->batch = p->batch ? p->batch : default_batch(r->qd);
		r->polled = p->poll;
		snprintf(r->label, sizeof(r->label), "qd %u", r->qd);
		rl_target_reset_stats(t);
		secs =
		    job_window(j, t, r->qd, r->batch, p->ramp_s, p->time_s, p->count, r->label, r);
		if (secs < 0 || job_collect(j, t, r)) {
			job_progress_end(j);
			status = EXIT_IO;
			goto out;
		}
		r->runtime_s = secs;
		if (r->failed[0])
			break; /* report what ran, and the error */
	}
	job_progress_end(j);
	snprintf(what, sizeof(what), "%s%s", runs[0].engine_path, p->poll ? " polled" : "");
	snprintf(qd, sizeof(qd), "QD %u to %u", p->depths[0], p->depths[p->ndepths - 1]);
	title(ttl, sizeof(ttl), p, what, qd);
	set.title = ttl;
	set.features = rl_engine_features(job_engine(j));
	status = finish(&set);
out:
	if (http)
		ctl_http_stop(http);
	job_destroy(j);
	free_runs(runs, MAX_DEPTHS);
	return status;
}

/*
 * The two devices of one namespace: /dev/ngXnY (passthrough) and /dev/nvmeXnY (block), which
 * share X and Y as `ringline list` shows them. @blk is "" when the namespace has no block device.
 */
static int namespace_pair(const char *path, char *ng, size_t nng, char *blk, size_t nblk)
{
	unsigned c, n;
	struct stat st;
	char tail;
	const char *base;

	if (rl_nvme_resolve(path, ng, nng)) {
		cli_err("%s: --compare needs an NVMe namespace (/dev/ngXnY or /dev/nvmeXnY)", path);
		return EXIT_USAGE;
	}
	base = strrchr(ng, '/') ? strrchr(ng, '/') + 1 : ng;
	blk[0] = 0;
	if (sscanf(base, "ng%un%u%c", &c, &n, &tail) == 2) {
		snprintf(blk, nblk, "/dev/nvme%un%u", c, n);
		if (stat(blk, &st) || !S_ISBLK(st.st_mode))
			blk[0] = 0;
	}
	return 0;
}

/* /sys/block/NAME/queue/io_poll: 1 when the block device's queue polls, 0 not, -1 unknown. */
static int queue_polls(const char *blk)
{
	char sys[128];
	int v = -1;
	FILE *f;

	snprintf(sys, sizeof(sys), "/sys/block/%s/queue/io_poll", strrchr(blk, '/') + 1);
	f = fopen(sys, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

#define NPATHS 4

int lab_compare(const struct params *p)
{
	static const struct {
		const char *label;
		bool block;
		bool polled;
	} paths[NPATHS] = {
	    {"passthrough", false, false},
	    {"passthrough-polled", false, true},
	    {"direct", true, false},
	    {"direct-polled", true, true},
	};
	struct job_opts o = {.max_qd = p->qd, .iopoll = true};
	struct lat_run runs[NPATHS] = {0};
	struct lat_set set = {.p = p, .kind = "compare", .runs = runs, .nruns = NPATHS};
	struct rl_target *t[NPATHS] = {0};
	struct ctl_http *http = NULL;
	char ng[64], blk[64], bs[32], ttl[320];
	unsigned batch = p->batch ? p->batch : default_batch(p->qd), nopen = 0;
	double share_t = p->time_s / p->rounds;
	uint64_t share_n = p->count / p->rounds;
	struct job *j;
	int status, polls;

	status = namespace_pair(p->path, ng, sizeof(ng), blk, sizeof(blk));
	if (!status)
		status = check_outputs(p);
	if (status)
		return status;
	status = job_create(p, &o, &j);
	if (status)
		return status;
	polls = blk[0] ? queue_polls(blk) : -1;
	for (unsigned i = 0; i < NPATHS; i++) {
		struct lat_run *r = &runs[i];
		struct rl_engine *e = job_engine(j);

		snprintf(r->label, sizeof(r->label), "%s", paths[i].label);
		snprintf(r->device, sizeof(r->device), "%s", paths[i].block ? blk : ng);
		r->engine_path = paths[i].block ? "direct" : "passthrough";
		r->polled = paths[i].polled;
		r->qd = p->qd;
		r->batch = batch;
		r->nrounds = p->rounds;
		if (paths[i].block && !blk[0]) {
			snprintf(r->skipped, sizeof(r->skipped),
				 "%s has no block device /dev/nvmeXnY", ng);
			continue;
		}
		if (paths[i].polled && !(rl_engine_features(e) & RL_FEAT_IOPOLL)) {
			snprintf(r->skipped, sizeof(r->skipped), "no IOPOLL ring: %s",
				 rl_engine_feature_note(e, RL_FEAT_IOPOLL));
			continue;
		}
		if (paths[i].polled && polls == 0) {
			snprintf(r->skipped, sizeof(r->skipped),
				 "no poll queues (%s: queue/io_poll is 0; load nvme with "
				 "poll_queues=N)",
				 blk);
			continue;
		}
		/*
		 * The four paths are one namespace: the first one open holds the claim of a
		 * writing run for all of them (a second exclusive open would refuse the first).
		 */
		status = job_open(j, r->device,
				  (nopen ? target_flags(p) & ~RL_TARGET_EXCL : target_flags(p)) |
				      (paths[i].polled ? RL_TARGET_POLLED : 0),
				  &t[i]);
		if (status == EXIT_USAGE)
			goto out;
		if (status) {
			snprintf(r->skipped, sizeof(r->skipped), "%s", rl_engine_last_error(e));
			t[i] = NULL;
			status = 0;
			continue;
		}
		nopen++;
	}
	if (!nopen) {
		cli_err("%s: --compare: no path could run (%s)", p->path, runs[0].skipped);
		status = EXIT_IO;
		goto out;
	}
	status = start_http(j, p, &http);
	if (!status)
		status = job_buffers(j);
	if (status)
		goto out;
	/* Rounds in alternating order, as the benchmarks do: no path always runs first. */
	for (unsigned round = 0; round < p->rounds; round++) {
		for (unsigned k = 0; k < NPATHS; k++) {
			unsigned i = round % 2 ? NPATHS - 1 - k : k;
			struct lat_run *r = &runs[i];
			char label[64];
			double secs;

			if (!t[i] || r->failed[0])
				continue;
			snprintf(label, sizeof(label), "%-18s round %u/%u", r->label, round + 1,
				 p->rounds);
			secs = job_window(j, t[i], p->qd, batch, round ? 0 : p->ramp_s, share_t,
					  share_n, label, r);
			if (secs < 0) {
				job_progress_end(j);
				status = EXIT_IO;
				goto out;
			}
			r->runtime_s += secs;
			r->round_iops[round] = secs > 0 ? r->window_ops / secs : 0;
		}
	}
	job_progress_end(j);
	for (unsigned i = 0; i < NPATHS; i++)
		if (t[i] && job_collect(j, t[i], &runs[i])) {
			status = EXIT_IO;
			goto out;
		}
	fmt_size(bs, sizeof(bs), p->bs);
	snprintf(ttl, sizeof(ttl), "ringline %s --compare %s and %s: %s %s, QD%u, %u rounds",
		 p->cmd, ng, blk[0] ? blk : "no block device", rw_names[p->rw], bs, p->qd,
		 p->rounds);
	set.title = ttl;
	set.features = rl_engine_features(job_engine(j));
	status = finish(&set);
out:
	if (http)
		ctl_http_stop(http);
	job_destroy(j);
	free_runs(runs, NPATHS);
	return status;
}
