// SPDX-License-Identifier: MIT
/*
 * The latency probe: one read of one block at a random offset every 1/rate seconds, never more
 * than one in flight (QD1), paced by a timer on the same ring. Its completions land in the
 * target's read counters and histogram like any other I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "control.h"

struct ctl_probe {
	struct rl_engine *e;
	struct rl_target *t;
	void *buf;
	uint32_t bs;
	uint64_t nblocks;
	uint64_t period_ns;
	uint64_t rng;
	uint64_t timer_id;
	uint64_t reads;
	uint64_t errors;
	bool reading;
	bool timing;
	bool stopping;
};

static void on_timer(void *arg, int res, uint64_t result);

static uint64_t next_rand(struct ctl_probe *p)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 0x2545f4914f6cdd1dull;
}

static void arm(struct ctl_probe *p, uint64_t ns)
{
	if (p->stopping)
		return;
	p->timing = !rl_timer_start(p->e, ns, on_timer, p, &p->timer_id);
	/* Without a timer slot the probe would stop for good: a failure here is a bug to see. */
	if (!p->timing)
		fprintf(stderr, "%s\n", rl_engine_last_error(p->e));
}

static void on_read(void *arg, int res, uint64_t result)
{
	struct ctl_probe *p = arg;

	(void)result;
	p->reading = false;
	p->reads++;
	/*
	 * The target counts ops, errors by code and latency; but a short O_DIRECT read is a
	 * success of fewer bytes to it. The probe asked for a block inside the size it saw, so
	 * fewer bytes (the file shrank) is a failure here. NVMe completes with 0, or a status.
	 */
	if (res != (rl_target_kind(p->t) == RL_TARGET_KIND_NVME ? 0 : (int)p->bs))
		p->errors++;
}

static void on_timer(void *arg, int res, uint64_t result)
{
	struct ctl_probe *p = arg;

	(void)result;
	p->timing = false;
	if (res || p->stopping)
		return;
	/*
	 * One read at a time: a read slower than the period delays the next one. A removed
	 * device fails every read: the probe then only keeps its timer, which is cheap.
	 */
	if (!p->reading && !rl_target_removed(p->t)) {
		uint64_t off = next_rand(p) % p->nblocks * p->bs;

		if (!rl_target_read(p->t, p->buf, p->bs, off, on_read, p))
			p->reading = true;
	}
	arm(p, p->period_ns);
}

int ctl_probe_start(struct rl_engine *e, struct rl_target *t, double rate, struct ctl_probe **out)
{
	struct ctl_probe *p;
	uint32_t align = rl_target_mem_align(t);

	if (!(rate > 0) || rate > 1e6)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->e = e;
	p->t = t;
	/* 4 KiB, or the target's block if larger: a typical small read. */
	p->bs = rl_target_block_size(t) > 4096 ? rl_target_block_size(t) : 4096;
	if (rl_target_size(t) < p->bs)
		p->bs = rl_target_block_size(t);
	p->nblocks = rl_target_size(t) / p->bs;
	p->period_ns = (uint64_t)(1e9 / rate);
	p->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL) ^ (uintptr_t)p;
	p->buf = rl_alloc_aligned(align > 4096 ? align : 4096, p->bs);
	if (!p->buf || !p->nblocks) {
		int ret = p->buf ? -EINVAL : -ENOMEM;

		rl_free_aligned(p->buf);
		free(p);
		return ret;
	}
	arm(p, 0);
	if (!p->timing) {
		rl_free_aligned(p->buf);
		free(p);
		return -EBUSY;
	}
	*out = p;
	return 0;
}

void ctl_probe_stop(struct ctl_probe *p)
{
	p->stopping = true;
	if (p->timing)
		rl_timer_cancel(p->e, p->timer_id);
}

bool ctl_probe_busy(const struct ctl_probe *p)
{
	return p->reading || p->timing;
}

uint64_t ctl_probe_reads(const struct ctl_probe *p)
{
	return p->reads;
}

uint64_t ctl_probe_errors(const struct ctl_probe *p)
{
	return p->errors;
}

void ctl_probe_free(struct ctl_probe *p)
{
	rl_free_aligned(p->buf);
	free(p);
}
