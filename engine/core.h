/* SPDX-License-Identifier: MIT */
/* Private: the engine object, its clock, and the hooks between the loop and the sockets. */
#ifndef RINGLINE_ENGINE_CORE_H
#define RINGLINE_ENGINE_CORE_H

#include <liburing.h>
#include <stdbool.h>
#include <time.h>

#include "ringline.h"
#include "fixed_files.h"
#include "slab.h"
#include "timer_internal.h"

struct rl__buf;
struct rl__buf_range;
struct rl__net;

struct rl_engine {
	struct io_uring ring;
	struct io_uring pring; /* IOPOLL ring, when RL_FEAT_IOPOLL */
	unsigned pinflight;    /* commands in flight on pring */
	bool no_latency;       /* struct rl_engine_opts: no per-command timestamps */
	uint64_t cb_latency;   /* latency of the command whose callback ran last (ns) */
	/* Slots of commands queued since the last system call, timed by rl__stamp_queued(). */
	uint32_t *unstamped;
	unsigned nunstamped;
	unsigned features;
	const char *feature_note[RL_FEAT_COUNT];
	struct rl__slab slab;
	struct rl__files files;
	struct rl__buf *bufs; /* registered buffers (regbuf.h) */
	unsigned nbufs;
	struct rl__buf_range *buf_order; /* registered buffers sorted by address */
	unsigned nbuf_order;
	struct rl_target *targets;
	struct rl__net *net;  /* sockets, created with the first listener (engine/net.c) */
	unsigned net_pending; /* socket operations in flight */
	unsigned net_bufs;    /* sizes for the socket state, from struct rl_engine_opts */
	unsigned net_buf_size;
	size_t net_send_pool;
	struct rl__timers timers; /* timers and fd watches (engine/timer.c) */
	uint64_t stale_cqes;
	int stop;
	bool dying; /* rl_engine_destroy() runs: nothing new starts, nothing is re-armed */
	char err[512];
};

static inline bool rl__is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* @v % @pow2 without a division; @pow2 is a power of two (O_DIRECT alignments, LBA sizes). */
static inline uint64_t rl__mod_pow2(uint64_t v, uint64_t pow2)
{
	return v & (pow2 - 1);
}

static inline uint64_t rl__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Slab commands plus socket operations, timers and watches: what keeps the loop waiting. */
static inline unsigned rl__engine_busy(const struct rl_engine *e)
{
	return e->slab.cap - e->slab.nfree + e->net_pending + e->timers.pending;
}

/* An SQE on @ring; when the SQ ring is full, what is queued is submitted first. NULL if none. */
struct io_uring_sqe *rl__sqe(struct rl_engine *e, struct io_uring *ring);

/* Handle one CQE (exposed for tests that feed stale completions). */
void rl__dispatch(struct rl_engine *e, uint64_t user_data, int res, uint32_t flags, uint64_t result,
		  uint64_t now);

/* engine/net.c: a CQE with a socket tag (RL__TAG_NET_*); teardown in rl_engine_destroy(). */
void rl__net_dispatch(struct rl_engine *e, uint64_t user_data, int res, uint32_t flags,
		      uint64_t now);
/* After a batch of CQEs: run the idle sweep if its timer fired (see engine/net.c). */
void rl__net_reaped(struct rl_engine *e);
/* Close listeners (their connections' on_close runs) and stop re-arming anything. */
void rl__net_shutdown(struct rl_engine *e);
/* After every CQE was reaped: unregister the buffer ring and free the socket state. */
void rl__net_fini(struct rl_engine *e);

#endif
