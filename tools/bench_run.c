// SPDX-License-Identifier: MIT
/*
 * The I/O loop of ringline bench / lat: keep QD commands in flight on one target, in whole
 * batches, for a time or a count. Everything is allocated before the loop; per I/O it stores
 * the slot's offset and, with --slowest, compares one latency with the smallest kept. The
 * progress line reads the target's histograms at most once a second.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"

struct job;

struct slot {
	struct job *j;
	char *buf;
	int buf_index;	 /* its registered buffer, or -1 */
	uint64_t offset; /* of the I/O in flight */
	bool write;
	unsigned char *md; /* --pi: its separate metadata (NULL on extended LBAs) */
};

struct job {
	const struct params *p;
	struct rl_engine *e;
	struct rl_target *t; /* the target being driven */
	bool passthru;	     /* success is res 0, not res == bs: NVMe (> 0 a status) and NOP */
	int ok_res;	     /* the result of a successful I/O: 0 when passthru, else bs */
	uint64_t nblocks;
	unsigned max_qd;
	unsigned mem_align;
	struct slot *slots;
	char *bufs;
	struct slot **idle; /* slots whose I/O completed, to be issued again */
	unsigned nidle;
	uint64_t issued;
	uint64_t limit; /* stop after this many I/Os were issued (UINT64_MAX: no limit) */
	bool random;	/* random offsets, not sequential */
	bool mixed;	/* randrw: each I/O a read or a write at random; else slots' write fixed */
	uint64_t completed;
	uint64_t failed;
	uint64_t seq_next;
	uint64_t rng;
	int first_err;
	int open_err;	     /* the last job_open()'s -errno */
	unsigned open_flags; /* and its flags */
	bool stopping;
	double t0; /* start of the measurement, for --slowest's times */
	/* --slowest: a min-heap of the slowest commands, by latency */
	struct slow_io *heap;
	unsigned nheap;
	/* the progress line */
	bool progress;
	bool progress_shown;
	double started; /* when the first window began */
	double next_progress;
	double last_t;
	uint64_t last_ops;
	struct rl_hist *scratch;
	/* --pi: the namespace, its format, and what a slot's buffers hold */
	struct rl_nvme_dev *nvme;
	const struct rl_nvme_info *in;
	uint32_t pi_nlb;  /* blocks an I/O */
	size_t buf_bytes; /* bs, or on extended LBAs the data and metadata interleaved */
	bool pi_reads;	  /* --pi: reads' PI is checked as they complete */
	unsigned char *mds;

	/*
	 * --zoned: Zone Appends of nlb blocks to zone zone_cur until its capacity (zcap blocks)
	 * is used, then the next zone of the range; after the last, zone_wrap stops issuing
	 * until nothing is in flight and every zone of the range is reset.
	 */
	struct rl_nvme_dev *zdev;
	uint64_t zone_blocks;
	uint64_t zcap;
	uint64_t nzones;
	uint64_t zone_cur;
	uint64_t zone_fill;
	uint32_t nlb;
	bool zone_wrap;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: cheap, and good enough to spread offsets uniformly. */
static uint64_t next_rand(struct job *j)
{
	j->rng ^= j->rng >> 12;
	j->rng ^= j->rng << 25;
	j->rng ^= j->rng >> 27;
	return j->rng * 0x2545f4914f6cdd1dull;
}

int job_create(const struct params *p, const struct job_opts *o, struct job **out)
{
	struct rl_engine_opts eo;
	struct job *j = calloc(1, sizeof(*j));
	int ret;

	if (!j) {
		cli_err("out of memory");
		return EXIT_IO;
	}
	j->p = p;
	j->max_qd = o->max_qd;
	j->mem_align = o->mem_align > 4096 ? o->mem_align : 4096;
	j->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	j->progress = !p->json && !o->quiet && isatty(STDOUT_FILENO);
	rl_engine_opts_init(&eo);
	eo.max_inflight = SLAB_CAPACITY;
	eo.reg_buffers = p->fixedbufs ? o->max_qd : 0; /* one per slot, see job_buffers() */
	eo.sqpoll = p->sqpoll;
	eo.iopoll = o->iopoll;
	ret = rl_engine_create(&eo, &j->e);
	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		free(j);
		return EXIT_IO;
	}
	j->slots = calloc(o->max_qd, sizeof(*j->slots));
	j->idle = calloc(o->max_qd, sizeof(*j->idle));
	j->heap = p->slowest ? calloc(p->slowest, sizeof(*j->heap)) : NULL;
	if (!j->slots || !j->idle || (p->slowest && !j->heap) || rl_hist_create(&j->scratch)) {
		cli_err("out of memory");
		job_destroy(j);
		return EXIT_IO;
	}
	*out = j;
	return 0;
}

void job_destroy(struct job *j)
{
	if (!j)
		return;
	/* Destroying the engine reaps what is in flight before the buffers go away. */
	rl_engine_destroy(j->e);
	rl_free_aligned(j->bufs);
	rl_free_aligned(j->mds);
	rl_hist_destroy(j->scratch);
	free(j->heap);
	free(j->idle);
	free(j->slots);
	free(j);
}

struct rl_engine *job_engine(struct job *j)
{
	return j->e;
}

int job_open(struct job *j, const char *path, unsigned flags, struct rl_target **out)
{
	const struct params *p = j->p;
	struct rl_target *t;
	uint64_t fsize, range;
	bool passthru;
	int ret = rl_target_open(j->e, path, flags, &t);

	if (ret) {
		/* The caller prints it (job_open_error()) or keeps rl_engine_last_error(). */
		j->open_err = ret;
		j->open_flags = flags;
		return EXIT_IO;
	}
	*out = t;
	passthru = rl_target_kind(t) == RL_TARGET_KIND_NVME;
	if (p->bs % rl_target_block_size(t)) {
		cli_err("%s: block size %llu is not a multiple of its %s %u", path,
			(unsigned long long)p->bs, passthru ? "LBA size" : "O_DIRECT alignment",
			rl_target_block_size(t));
		return EXIT_USAGE;
	}
	fsize = rl_target_size(t);
	if (p->size > fsize) {
		cli_err("%s: is %llu bytes, smaller than the range asked for (--size %llu)", path,
			(unsigned long long)fsize, (unsigned long long)p->size);
		return EXIT_USAGE;
	}
	range = p->size ? p->size : fsize;
	if (range < p->bs) {
		cli_err("%s: is %llu bytes, smaller than one block (--bs %llu)", path,
			(unsigned long long)range, (unsigned long long)p->bs);
		return EXIT_USAGE;
	}
	/* Every target of a job gets the same range: the smallest. */
	if (!j->nblocks || range / p->bs < j->nblocks)
		j->nblocks = range / p->bs;
	if (rl_target_mem_align(t) > j->mem_align)
		j->mem_align = rl_target_mem_align(t);
	j->buf_bytes = p->bs;
	j->nvme = passthru ? rl_target_nvme(t) : NULL;
	j->in = j->nvme ? rl_nvme_info(j->nvme) : NULL;
	if (p->pi && (!j->in || !j->in->pi_type || (j->in->pif != 0 && j->in->pif != 2))) {
		cli_err("%s: --pi needs an NVMe namespace formatted with protection information "
			"(16- or 64-bit guard)%s",
			path, j->in ? "; this LBA format has none" : "");
		return EXIT_USAGE;
	}
	if (!p->pi && !(j->in && j->in->extended))
		j->in = NULL; /* byte offsets, through the target */
	if (j->in) {
		/* By LBA: --pi, and extended LBAs, which byte offsets cannot address. */
		j->pi_nlb = (uint32_t)(p->bs / j->in->lba_size);
		j->pi_reads = p->pi;
		if (j->in->extended)
			j->buf_bytes = (size_t)j->pi_nlb * (j->in->lba_size + j->in->ms);
	}
	return 0;
}

void job_open_error(struct job *j, const char *path)
{
	cli_open_error(j->e, path, j->open_flags, j->open_err);
}

int job_buffers(struct job *j)
{
	const struct params *p = j->p;
	size_t total = (size_t)j->max_qd * j->buf_bytes;
	bool sep_md = p->pi && !j->in->extended;

	j->bufs = rl_alloc_aligned(j->mem_align, total);
	if (sep_md) {
		j->mds = rl_alloc_aligned(4096, (size_t)j->max_qd * j->pi_nlb * j->in->ms);
		if (!j->mds) {
			cli_err("out of memory for metadata buffers");
			return EXIT_IO;
		}
		memset(j->mds, 0, (size_t)j->max_qd * j->pi_nlb * j->in->ms);
	}
	if (!j->bufs) {
		cli_err("out of memory for %u buffers of %llu bytes", j->max_qd,
			(unsigned long long)p->bs);
		return EXIT_IO;
	}
	/* Random, not zero, so a write benchmark moves real data. */
	for (size_t i = 0; i < total; i += 8) {
		uint64_t r = next_rand(j);

		memcpy(j->bufs + i, &r, total - i < 8 ? total - i : 8);
	}
	/*
	 * Each slot's buffer is registered on its own, as t/io_uring and fio do: Linux 6.1 maps a
	 * registered buffer for NVMe passthrough from the I/O's start to the end of its
	 * registration and refuses (EINVAL) more pages than the queue has segments, so one
	 * registration of all the buffers failed I/Os from --qd 32 --bs 128k on. Each I/O names
	 * its slot's buffer index, so the engine need not search for it.
	 */
	for (unsigned i = 0; i < j->max_qd; i++) {
		struct slot *s = &j->slots[i];

		*s =
		    (struct slot){.j = j,
				  .buf = j->bufs + (size_t)i * j->buf_bytes,
				  .buf_index = -1,
				  .md = sep_md ? j->mds + (size_t)i * j->pi_nlb * j->in->ms : NULL};
		if (p->fixedbufs && (i == 0 || j->slots[i - 1].buf_index >= 0)) {
			s->buf_index = rl_engine_register_buffer(j->e, s->buf, j->buf_bytes);
			if (s->buf_index < 0)
				cli_err("warning: %s; buffers %u to %u are not registered",
					cli_lib_msg(j->e), i, j->max_qd - 1);
		}
	}
	return 0;
}

static void on_complete(void *arg, int res, uint64_t result);
static void job_note_errors(struct job *j, struct lat_run *r);

/*
 * --pi, or extended LBAs: the slot's I/O by LBA with its metadata. A write's PI is generated here,
 * in the loop, and checked by the controller; a read's is checked in software when it completes.
 */
static int issue_pi(struct job *j, struct slot *s)
{
	const struct rl_nvme_info *in = j->in;
	uint64_t slba = s->offset / in->lba_size;
	struct rl_nvme_io io = {.size = sizeof(io),
				.flags = !j->p->pi
					     ? 0
					     : RL_NVME_IO_PRCHK_GUARD |
						   (in->pi_type != 3 ? RL_NVME_IO_PRCHK_REFTAG : 0),
				.md = s->md,
				.md_len = s->md ? j->pi_nlb * in->ms : 0};
	int ret = 0;

	if (!s->write)
		return rl_nvme_read_io(j->nvme, s->buf, slba, j->pi_nlb, &io, on_complete, s);
	if (j->p->pi)
		ret = rl_pi_generate(in, s->buf, s->md, slba, j->pi_nlb, &io);
	return ret ? ret : rl_nvme_write_io(j->nvme, s->buf, slba, j->pi_nlb, &io, on_complete, s);
}

/*
 * --zoned: the next Zone Append, to the zone being filled; false (zone_wrap) once every zone of
 * the range is full. @s->offset is where it should land, for --slowest.
 */
static int issue_append(struct job *j, struct slot *s)
{
	if (j->zone_fill + j->nlb > j->zcap) {
		j->zone_fill = 0;
		if (++j->zone_cur == j->nzones) {
			j->zone_cur = 0;
			j->zone_wrap = true;
			return 1;
		}
	}
	s->write = true;
	s->offset = (j->zone_cur * j->zone_blocks + j->zone_fill) * (j->p->bs / j->nlb);
	j->zone_fill += j->nlb;
	return rl_nvme_zone_append(j->zdev, s->buf, j->zone_cur * j->zone_blocks, j->nlb,
				   on_complete, s);
}

/* Queue @s's next I/O; false when the job issues no more (time, --count or an error). */
static bool issue(struct slot *s)
{
	struct job *j = s->j;
	const struct params *p = j->p;
	uint64_t block;
	int ret;

	if (__builtin_expect(j->issued >= j->limit, 0))
		j->stopping = true;
	if (__builtin_expect(j->stopping || j->zone_wrap, 0))
		return false;
	if (__builtin_expect(j->zdev != NULL, 0)) {
		ret = issue_append(j, s);
		if (ret > 0)
			return false;
		goto issued;
	}
	if (__builtin_expect(j->mixed, 0))
		s->write = next_rand(j) & 1;
	block = j->random ? next_rand(j) % j->nblocks : j->seq_next++ % j->nblocks;
	s->offset = block * p->bs;
	if (j->in)
		ret = issue_pi(j, s);
	else if (s->buf_index >= 0)
		ret = s->write ? rl_target_write_fixed(j->t, s->buf, p->bs, s->offset, s->buf_index,
						       on_complete, s)
			       : rl_target_read_fixed(j->t, s->buf, p->bs, s->offset, s->buf_index,
						      on_complete, s);
	else if (s->write)
		ret = rl_target_write(j->t, s->buf, p->bs, s->offset, on_complete, s);
	else
		ret = rl_target_read(j->t, s->buf, p->bs, s->offset, on_complete, s);
issued:
	if (ret) {
		j->first_err = j->first_err ? j->first_err : ret;
		cli_lib_err(j->e, ret, rl_target_name(j->t));
		j->stopping = true;
		return false;
	}
	j->issued++;
	return true;
}

/* Keep the --slowest: replace the fastest of the kept when @lat beats it (a min-heap). */
/* Off the per-I/O path: only --slowest keeps a heap. */
static __attribute__((noinline)) void keep_slow(struct job *j, const struct slot *s)
{
	uint64_t lat = rl_engine_cmd_latency(j->e);
	struct slow_io *h = j->heap;
	unsigned i = 0, n = j->nheap;

	if (n == j->p->slowest && lat <= h[0].lat_ns)
		return;
	struct slow_io v = {.lat_ns = lat,
			    .offset = s->offset,
			    .len = (uint32_t)j->p->bs,
			    .write = s->write,
			    .at_s = now_s() - j->t0};
	if (n < j->p->slowest) {
		/* sift up from the new leaf */
		for (i = j->nheap++; i && h[(i - 1) / 2].lat_ns > v.lat_ns; i = (i - 1) / 2)
			h[i] = h[(i - 1) / 2];
		h[i] = v;
		return;
	}
	/* replace the root, sift down */
	for (;;) {
		unsigned c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].lat_ns < h[c].lat_ns)
			c++;
		if (h[c].lat_ns >= v.lat_ns)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/* Off the per-I/O path: a failed I/O stops the job and keeps its error. */
static __attribute__((noinline, cold)) void note_failure(struct job *j, int res)
{
	j->failed++;
	if (!j->first_err)
		j->first_err = res < 0 || j->passthru ? res : -EIO;
	j->stopping = true;
}

/* --pi: off the plain path, so on_complete() stays a leaf there. */
static __attribute__((noinline)) int check_pi(struct job *j, const struct slot *s)
{
	return rl_pi_verify(j->in, s->buf, s->md, s->offset / j->in->lba_size, j->pi_nlb, NULL,
			    NULL);
}

/*
 * Per I/O: a leaf with no frame. Success is one comparison with ok_res (0 for passthrough,
 * where > 0 is an NVMe status, and for a NOP; bs for O_DIRECT, where a short transfer fails).
 */
static void on_complete(void *arg, int res, uint64_t result)
{
	struct slot *s = arg;
	struct job *j = s->j;

	(void)result;
	j->completed++;
	/* --pi: a read's PI, checked as it arrives; a failure is its NVMe status. */
	if (__builtin_expect(j->pi_reads, 0) && !s->write && res == 0)
		res = check_pi(j, s);
	j->idle[j->nidle++] = s;
	if (__builtin_expect(res != j->ok_res, 0))
		note_failure(j, res);
	if (__builtin_expect(j->heap != NULL, 0))
		keep_slow(j, s);
}

/* Reads and writes of @t merged into @h. */
static void target_lat(struct rl_target *t, struct rl_hist *h)
{
	struct rl_op_stats st;

	rl_hist_reset(h);
	for (int op = RL_OP_READ; op <= RL_OP_WRITE; op++) {
		rl_target_stats(t, op, &st);
		rl_hist_merge(h, st.lat);
	}
}

/* The line a terminal sees once a second: elapsed, IOPS of the last second, p50/p99 so far. */
static void progress(struct job *j, double now, const char *label, bool ramping)
{
	uint64_t ops;
	double iops;

	target_lat(j->t, j->scratch);
	ops = rl_hist_count(j->scratch);
	iops = now > j->last_t && ops >= j->last_ops ? (ops - j->last_ops) / (now - j->last_t) : 0;
	j->last_ops = ops;
	j->last_t = now;
	printf("\r%7.1f s  %s%s%s%9.0f IOPS  p50 %8.1f us  p99 %8.1f us\033[K", now - j->started,
	       label ? label : "", label && *label ? "  " : "", ramping ? "ramp  " : "", iops,
	       rl_hist_percentile(j->scratch, 50) / 1e3, rl_hist_percentile(j->scratch, 99) / 1e3);
	fflush(stdout);
	j->progress_shown = true;
}

void job_progress_end(struct job *j)
{
	if (j->progress_shown) {
		printf("\r\033[K");
		fflush(stdout);
		j->progress_shown = false;
	}
}

static void on_zone_done(void *arg, int res, uint64_t result)
{
	int *r = arg;

	(void)result;
	if (res && !r[1])
		r[1] = res;
	r[0]--;
}

/*
 * --zoned: reset every zone of the range (nothing in flight), as many commands at once as the
 * depth allows. Return: 0, or -1 after saying why.
 */
static int zones_reset(struct job *j, unsigned qd)
{
	int r[2] = {0, 0}, ret;
	char why[128];

	for (uint64_t z = 0; z < j->nzones || r[0];) {
		while (z < j->nzones && (unsigned)r[0] < qd) {
			ret = rl_nvme_zone_mgmt(j->zdev, RL_ZONE_RESET, z * j->zone_blocks, false,
						on_zone_done, r);
			if (ret) {
				cli_lib_err(j->e, ret, rl_target_name(j->t));
				return -1;
			}
			r[0]++;
			z++;
		}
		if ((ret = rl_engine_poll(j->e, 1, -1)) < 0) {
			cli_err("completion loop failed: %s", strerror(-ret));
			return -1;
		}
	}
	if (r[1]) {
		cli_err("%s: zone reset: %s", rl_target_name(j->t),
			r[1] > 0 ? rl_nvme_status_str(r[1], why, sizeof(why)) : strerror(-r[1]));
		return -1;
	}
	return 0;
}

static void on_report(void *arg, int res, uint64_t result)
{
	(void)result;
	*(int *)arg = res;
}

/*
 * --zoned: the zones of the range and their capacity (the first zone's, from Report Zones).
 * Return: 0, or -1 after saying why.
 */
static int zones_setup(struct job *j, struct rl_target *t)
{
	const struct rl_nvme_zns *z;
	struct rl_nvme_zone_iter it;
	struct rl_nvme_zone zone;
	uint32_t lbs;
	int res = 1, ret;

	j->zdev = rl_target_nvme(t);
	z = j->zdev ? rl_nvme_zns(j->zdev) : NULL;
	if (!z) {
		cli_err("%s: --zoned needs a zoned NVMe namespace (ZNS), through passthrough",
			rl_target_name(t));
		return -1;
	}
	lbs = rl_nvme_info(j->zdev)->lba_size;
	if (j->p->bs > z->max_append) {
		cli_err("%s: --bs %llu is above the zone append size limit of %u bytes",
			rl_target_name(t), (unsigned long long)j->p->bs, z->max_append);
		return -1;
	}
	j->zone_blocks = z->zone_size;
	j->nlb = (uint32_t)(j->p->bs / lbs);
	j->nzones = j->nblocks * j->p->bs / lbs / z->zone_size;
	if (!j->nzones) {
		cli_err("%s: the range holds no whole zone of %llu bytes", rl_target_name(t),
			(unsigned long long)(z->zone_size * lbs));
		return -1;
	}
	ret =
	    rl_nvme_report_zones(j->zdev, 0, RL_ZONE_LIST_ALL, true, j->bufs, 128, on_report, &res);
	while (!ret && res == 1 && (ret = rl_engine_poll(j->e, 1, -1)) >= 0)
		ret = 0;
	if (ret || res || rl_nvme_zone_iter_init(&it, j->bufs, 128) != 1 ||
	    !rl_nvme_zone_next(&it, &zone)) {
		cli_err("%s: Report Zones failed", rl_target_name(t));
		return -1;
	}
	j->zcap = zone.zcap;
	if (j->zcap < j->nlb) {
		cli_err("%s: zones hold %llu blocks, less than one --bs", rl_target_name(t),
			(unsigned long long)j->zcap);
		return -1;
	}
	j->zone_cur = j->zone_fill = 0;
	j->zone_wrap = false;
	return 0;
}

double job_window(struct job *j, struct rl_target *t, unsigned qd, unsigned batch, double ramp_s,
		  double time_s, uint64_t count, const char *label, struct lat_run *r)
{
	double start, deadline, now;
	bool ramping = ramp_s > 0;
	int ret;

	j->t = t;
	j->passthru = rl_target_kind(t) != RL_TARGET_KIND_FILE;
	j->ok_res = j->passthru ? 0 : (int)j->p->bs;
	j->issued = j->completed = j->failed = 0;
	j->first_err = 0;
	j->stopping = false;
	j->limit = count ? count : UINT64_MAX;
	j->random = j->p->rw >= RW_RANDREAD;
	j->mixed = j->p->rw == RW_RANDRW;
	for (unsigned i = 0; i < qd; i++)
		j->slots[i].write = j->p->rw == RW_WRITE || j->p->rw == RW_RANDWRITE;
	j->nheap = 0;
	j->nidle = 0;
	j->zdev = NULL;
	if (j->p->zoned && (zones_setup(j, t) || zones_reset(j, qd)))
		return -1;
	for (unsigned i = 0; i < qd; i++)
		j->idle[j->nidle++] = &j->slots[qd - 1 - i];
	start = j->t0 = now_s();
	if (!j->started)
		j->started = start;
	deadline = time_s > 0 ? start + ramp_s + time_s : INFINITY;
	target_lat(t, j->scratch);
	j->last_ops = rl_hist_count(j->scratch);
	j->last_t = start;
	j->next_progress = start + 1;
	for (;;) {
		/*
		 * Issue whole batches of @batch I/Os, as t/io_uring -s does: each batch is
		 * submitted at once while another follows, and the last goes with the poll that
		 * waits, in the same system call (so `lat` makes one call per I/O; what a failed
		 * submit leaves queued goes with it too). Resubmitting every completed slot in one
		 * call instead keeps the queue in step: all of it completes together, is
		 * resubmitted together, and the device idles while the host turns it around.
		 */
		while (j->nidle >= batch && !j->stopping && !j->zone_wrap) {
			for (unsigned i = 0; i < batch && issue(j->idle[j->nidle - 1]); i++)
				j->nidle--;
			if (j->nidle >= batch)
				rl_engine_submit(j->e);
		}
		if (!rl_engine_inflight(j->e) && j->zone_wrap && !j->stopping) {
			/* --zoned: every zone of the range is full and nothing is in flight. */
			if (zones_reset(j, qd)) {
				job_progress_end(j);
				return -1;
			}
			j->zone_wrap = false;
			continue;
		}
		if (!rl_engine_inflight(j->e))
			break;
		ret = rl_engine_poll(j->e, batch, -1);
		if (ret < 0) {
			job_progress_end(j);
			cli_err("completion loop failed: %s", strerror(-ret));
			return -1;
		}
		now = now_s();
		if (ramping && now >= start + ramp_s) {
			/* Measure from here: nothing that completed during the ramp counts. */
			rl_target_reset_stats(t);
			start = j->t0 = now;
			deadline = now + time_s;
			ramping = false;
			j->completed = 0;
			j->nheap = 0;
			j->last_ops = 0;
			j->last_t = now;
			j->next_progress = now + 1;
		}
		if (!j->stopping && now >= deadline)
			j->stopping = true;
		if (j->progress && now >= j->next_progress) {
			progress(j, now, label, ramping);
			j->next_progress = now + 1;
		}
	}
	now = now_s();
	job_note_errors(j, r);
	return now - start;
}

static void job_note_errors(struct job *j, struct lat_run *r)
{
	r->failed_ios += j->failed;
	r->window_ops = j->completed;
	if (j->first_err && !r->failed[0]) {
		char why[128];

		if (j->first_err > 0)
			rl_nvme_status_str(j->first_err, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s",
				 j->first_err == -EIO && !j->passthru
				     ? "short transfer (past the end?)"
				     : strerror(-j->first_err));
		if (rl_target_removed(j->t))
			snprintf(r->failed, sizeof(r->failed), "the device was removed (%s)", why);
		else
			snprintf(r->failed, sizeof(r->failed), "%s", why);
	}
}

static int cmp_slow(const void *a, const void *b)
{
	const struct slow_io *x = a, *y = b;

	return x->lat_ns < y->lat_ns ? 1 : x->lat_ns > y->lat_ns ? -1 : 0;
}

int job_collect(struct job *j, struct rl_target *t, struct lat_run *r)
{
	struct rl_op_stats st;

	snprintf(r->device, sizeof(r->device), "%s", rl_target_name(t));
	r->engine_path = rl_target_engine_path(t);
	r->ops = r->errors = r->bytes = 0;
	if (!r->lat && rl_hist_create(&r->lat)) {
		cli_err("out of memory");
		return EXIT_IO;
	}
	rl_hist_reset(r->lat);
	for (int op = RL_OP_READ; op <= RL_OP_WRITE; op++) {
		rl_target_stats(t, op, &st);
		rl_hist_merge(r->lat, st.lat);
		r->errors += st.errors;
		r->bytes += st.bytes;
	}
	r->ops = rl_hist_count(r->lat);
	/* Short transfers succeed as far as the kernel is concerned. */
	if (r->failed_ios > r->errors)
		r->errors = r->failed_ios;
	if (j->nheap) {
		free(r->slow);
		r->slow = malloc(j->nheap * sizeof(*r->slow));
		if (!r->slow) {
			cli_err("out of memory");
			return EXIT_IO;
		}
		memcpy(r->slow, j->heap, j->nheap * sizeof(*r->slow));
		qsort(r->slow, j->nheap, sizeof(*r->slow), cmp_slow);
		r->nslow = j->nheap;
	}
	return 0;
}
