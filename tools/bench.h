/* SPDX-License-Identifier: MIT */
/*
 * ringline bench / lat and the latency lab, inside the tool: options (bench.c), the I/O loop
 * (bench_run.c), --compare and the --qd sweep (lab.c), reports, JSON and CSV (lat_report.c),
 * and pictures (plot.c).
 */
#ifndef RINGLINE_TOOLS_BENCH_H
#define RINGLINE_TOOLS_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ringline.h"

/* The command slab the tool creates; --qd may not exceed it. */
#define SLAB_CAPACITY 1024
/* Depths in one --qd list; rounds of --compare; entries of --slowest. */
#define MAX_DEPTHS 32
#define MAX_ROUNDS 100
#define MAX_SLOWEST 10000
/* --threads; targets in one PATH,PATH list. */
#define MAX_THREADS 64
#define MAX_TARGETS 64

enum rw { RW_READ, RW_WRITE, RW_RANDREAD, RW_RANDWRITE, RW_RANDRW };
extern const char *const rw_names[];

struct params {
	const char *cmd;
	const char *path;
	enum rw rw;
	uint64_t bs;
	unsigned qd;		     /* the first (or only) depth */
	unsigned depths[MAX_DEPTHS]; /* --qd: one depth, or a list to sweep */
	unsigned ndepths;
	unsigned batch; /* completions to wait for per system call (--batch), 0: auto */
	double time_s;	/* 0 when --count is given */
	double ramp_s;	/* --ramp: run this long before measuring */
	uint64_t count; /* 0 when --time is given */
	uint64_t size;	/* 0: the whole target */
	bool json;
	bool fixedbufs;
	bool sqpoll;
	bool passthrough;
	bool poll;
	bool force;	  /* --force: write to a block device in use */
	bool pi;	  /* --pi: NVMe PI generated on writes, checked on reads, in the loop */
	bool zoned;	  /* --zoned: sequential writes by Zone Append, zones reset as they fill */
	bool nop;	  /* --nop: PATH is "nop:" */
	bool compare;	  /* --compare: the four paths of one namespace */
	unsigned rounds;  /* --rounds (with --compare) */
	unsigned slowest; /* --slowest N, 0: off */
	const char *plot; /* --plot FILE.svg */
	const char *hist; /* --hist FILE.csv */
	const char *listen;    /* serve the HTTP endpoints while running */
	unsigned threads;      /* --threads, 0: not given (one, or one per target) */
	int cpus[MAX_THREADS]; /* --cpus: thread i runs on cpus[i % ncpus] */
	unsigned ncpus;
	char *paths[MAX_TARGETS]; /* PATH split at its commas; thread i drives paths[i % npaths] */
	unsigned npaths;
	char *pathbuf; /* the copy of PATH that paths[] point into, freed by the caller */
};

/* One of the --slowest commands. */
struct slow_io {
	uint64_t lat_ns;
	uint64_t offset;
	uint32_t len;
	bool write;
	double at_s; /* when it completed, in seconds from the start of the measurement */
};

/*
 * struct lat_run - one measured run: a single run, one path of --compare, or one depth of a
 * sweep; what the reports, the JSON, the CSV and the plot are made of.
 */
struct lat_run {
	char label[32];	 /* "passthrough", "direct-polled", "qd 8", or "" for a single run */
	char device[64]; /* the path the run opened */
	const char *engine_path; /* "passthrough" or "direct" */
	bool polled;
	unsigned qd;
	unsigned batch;
	double runtime_s;
	uint64_t ops;
	uint64_t errors;
	uint64_t bytes;
	struct rl_hist *lat; /* every completed I/O, owned */
	char skipped[160];   /* why the run did not happen; "" when it did */
	char failed[200];    /* the first error of a run that had errors; "" otherwise */
	uint64_t failed_ios; /* failed completions, short transfers included */
	uint64_t window_ops; /* I/Os measured in the last window */
	double round_iops[MAX_ROUNDS];
	unsigned nrounds;
	struct slow_io *slow; /* --slowest, slowest first */
	unsigned nslow;
};

/* What a whole invocation measured: one run, the paths of --compare, or the depths of a sweep. */
struct lat_set {
	const struct params *p;
	const char *kind; /* "single", "compare", "sweep" */
	struct lat_run *runs;
	unsigned nruns;
	unsigned features; /* ring features of the engine */
	const char *title; /* "ringline lat /dev/ng0n1 ...", for reports and pictures */
};

/* bench_run.c: one engine, its buffers and the target being driven. */
struct job;

struct job_opts {
	unsigned max_qd;    /* slots and buffers to set up */
	bool iopoll;	    /* create the engine with the IOPOLL ring */
	unsigned mem_align; /* at least this buffer alignment */
	bool quiet;	    /* no progress line (one of several threads) */
};

int job_create(const struct params *p, const struct job_opts *o, struct job **out);
void job_destroy(struct job *j);
struct rl_engine *job_engine(struct job *j);
/*
 * Open @path (RL_TARGET_* @flags) and check the request against it. Return: 0; EXIT_USAGE with
 * the message printed; EXIT_IO when the open failed, the message in rl_engine_last_error() and
 * job_open_error() to print the tool's.
 */
int job_open(struct job *j, const char *path, unsigned flags, struct rl_target **out);
/* Print why the last job_open() of @path failed, as cli_open_target() would. */
void job_open_error(struct job *j, const char *path);
/* Set up the slots' buffers (after every target is open: the alignment is the largest). */
int job_buffers(struct job *j);
/*
 * job_window() - drive @t at depth @qd with batches of @batch: run @ramp_s, reset @t's counters,
 * then measure @time_s seconds (or until @count I/Os were issued); drain what is in flight.
 * @label names the run on the progress line. Failed I/Os and the first error are added to @r,
 * and @r->window_ops is set to the I/Os measured. Return: the measured seconds, or < 0 when the
 * loop failed (the message is printed).
 */
double job_window(struct job *j, struct rl_target *t, unsigned qd, unsigned batch, double ramp_s,
		  double time_s, uint64_t count, const char *label, struct lat_run *r);
/* Fill @r from @t's counters (ops, errors, bytes, latency) and the --slowest kept. */
int job_collect(struct job *j, struct rl_target *t, struct lat_run *r);
/* Clear the progress line, if one was shown. */
void job_progress_end(struct job *j);

/* lab.c */
int lab_single(const struct params *p);
int lab_compare(const struct params *p);
int lab_sweep(const struct params *p);
/* bench_threads.c: --threads N and PATH,PATH: one job per thread, one combined report. */
int lab_threads(const struct params *p);
/* The default batch for depth @qd: QD/4, at most 8, at least 1 (as t/io_uring -s8 -c8). */
unsigned default_batch(unsigned qd);

/* lat_report.c */
void report_text(const struct lat_set *s);
void report_json(const struct lat_set *s);
/* Write @s's latency buckets as CSV to @file. Return: 0, or EXIT_IO with the message printed. */
int report_hist_csv(const struct lat_set *s, const char *file);
struct json_object;
/* Add @r's measured fields (runtime_s, ops, errors, iops, bw, lat_ns, lat_buckets) to @o. */
void report_run_json(struct json_object *o, const struct lat_run *r);
/* Format @bs as "4 KiB", "512 B". */
void fmt_size(char *out, size_t n, uint64_t bs);

/* plot.c */
/* Refuse early what would fail after the run: no gnuplot, an unwritable FILE. EXIT_* or 0. */
int plot_check(const char *file);
/* Draw @s into the SVG @file with gnuplot. Return: 0, or EXIT_IO with the message printed. */
int plot_draw(const struct lat_set *s, const char *file);
/* Percentile axis of the pictures: p from the "nines" x = -log10(1 - p/100), and back. */
double plot_nines_to_pct(double x);

#endif
