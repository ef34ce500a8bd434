/* SPDX-License-Identifier: MIT */
/* Engine internals shared by engine/, directio/ and nvme/. Not installed. */
#ifndef RINGLINE_INTERNAL_H
#define RINGLINE_INTERNAL_H

#include <liburing.h>
#include <stdarg.h>
#include <time.h>

#include "ringline.h"

/*
 * user_data = tag (8 bits) | generation (24 bits) | slot (32 bits). The generation of a slot
 * changes each time it is freed, so a CQE for a slot that has since been reused is recognised.
 */
#define RL__TAG_SHIFT 56
#define RL__GEN_SHIFT 32
#define RL__GEN_MASK 0xffffffu

enum rl__tag {
	RL__TAG_NONE = 0, /* never produced: a zero user_data is always stale */
	RL__TAG_CMD = 1,  /* a command slab slot */
	RL__TAG_IGNORE = 2, /* internal requests (cancel) whose CQE carries nothing */
	/* Sockets and ring events (engine/net*.c); the slot is a listener, connection or event. */
	RL__TAG_NET_ACCEPT = 3,
	RL__TAG_NET_RECV = 4,
	RL__TAG_NET_SEND = 5,
	RL__TAG_NET_SHUTDOWN = 6,
	RL__TAG_NET_CLOSE = 7,
	RL__TAG_NET_SWEEP = 8, /* the idle-timeout sweep timer */
	RL__TAG_NET_EVENT = 9,	/* rl_timer_start() and rl_engine_watch_fd() */
	RL__TAG_NET_RESUME = 10, /* a NOP that brings rl_conn_resume() back to the loop */
};

static inline uint64_t rl__ud_encode(unsigned tag, uint32_t slot, uint32_t gen)
{
	return (uint64_t)tag << RL__TAG_SHIFT | (uint64_t)(gen & RL__GEN_MASK) << RL__GEN_SHIFT |
	       slot;
}

static inline unsigned rl__ud_tag(uint64_t ud)
{
	return ud >> RL__TAG_SHIFT;
}

static inline uint32_t rl__ud_gen(uint64_t ud)
{
	return (ud >> RL__GEN_SHIFT) & RL__GEN_MASK;
}

static inline uint32_t rl__ud_slot(uint64_t ud)
{
	return (uint32_t)ud;
}

/* One in-flight command. */
struct rl__cmd {
	rl_complete_fn fn;
	void *arg;
	struct rl_target *target;
	uint64_t t_submit; /* ns, CLOCK_MONOTONIC */
	uint32_t gen;
	uint32_t len; /* bytes the command moves when it succeeds */
	uint32_t next_free;
	uint8_t op; /* enum rl_op */
	uint8_t in_use;
	uint8_t passthru; /* res > 0 is an NVMe status, not a byte count */
	uint8_t polled;	  /* submitted on the IOPOLL ring */
	/* Command data the SQE points to, kept here so it lives until the CQE (DSM range). */
	uint64_t aux[2];
};

/* Preallocated command slots: a free list threaded through the slots, O(1) get and put. */
struct rl__slab {
	struct rl__cmd *cmds;
	uint32_t cap;
	uint32_t nfree;
	uint32_t free_head;
};

#define RL__SLAB_END UINT32_MAX

int rl__slab_init(struct rl__slab *s, uint32_t cap);
void rl__slab_fini(struct rl__slab *s);

/* NULL when every slot is in use. Inline, as put and lookup: they run once per command. */
static inline struct rl__cmd *rl__slab_get(struct rl__slab *s, uint32_t *slot)
{
	struct rl__cmd *c;

	if (s->free_head == RL__SLAB_END)
		return NULL;
	*slot = s->free_head;
	c = &s->cmds[*slot];
	s->free_head = c->next_free;
	s->nfree--;
	c->in_use = 1;
	return c;
}

/* Frees @slot and advances its generation. */
static inline void rl__slab_put(struct rl__slab *s, uint32_t slot)
{
	struct rl__cmd *c = &s->cmds[slot];

	c->in_use = 0;
	c->gen = (c->gen + 1) & RL__GEN_MASK;
	c->next_free = s->free_head;
	s->free_head = slot;
	s->nfree++;
}

/* The slot's command if it is in use with generation @gen, else NULL (a stale CQE). */
static inline struct rl__cmd *rl__slab_lookup(struct rl__slab *s, uint32_t slot, uint32_t gen)
{
	struct rl__cmd *c;

	if (slot >= s->cap)
		return NULL;
	c = &s->cmds[slot];
	if (!c->in_use || c->gen != gen)
		return NULL;
	return c;
}

/*
 * The fixed-file table: one sparse registered table split in regions. A handle is
 * generation << 32 | table index, so a handle kept after its slot was freed is refused.
 */
struct rl__files {
	uint32_t base[RL_REGION_COUNT];
	uint32_t cap[RL_REGION_COUNT];
	uint32_t total;
	int *fds;	/* -1 when free */
	uint32_t *gen;
};

int rl__files_init(struct rl_engine *e, const unsigned *region_cap);
void rl__files_fini(struct rl_engine *e);
/* Register @fd in @region. Return: the handle, or -ENFILE when the region is full, or -errno. */
int64_t rl__files_add(struct rl_engine *e, enum rl_region region, int fd);
/* Unregister a handle. Return: 0 or -ESTALE. */
int rl__files_remove(struct rl_engine *e, uint64_t handle);
/* Table index of a live handle, or -ESTALE. */
int64_t rl__files_index(const struct rl_engine *e, uint64_t handle);

struct rl__buf {
	uintptr_t addr; /* 0 when the slot is free */
	size_t len;
};

/* A registered buffer in rl_engine.buf_order, which rl__buf_index() searches. */
struct rl__buf_range {
	uintptr_t addr;
	uintptr_t end;
	unsigned slot;
};

enum rl__kind { RL__KIND_FILE, RL__KIND_NVME };

/* Failed completions by code (-errno, or an NVMe status); codes past the table count in other. */
struct rl__err_count {
	int32_t code;
	uint64_t count;
};

struct rl__op_stats {
	uint64_t ops;
	uint64_t bytes;
	uint64_t errors;
	struct rl_hist *lat;
	struct rl__err_count errs[RL_ERROR_KINDS];
	uint64_t errs_other;
};

/*
 * Common head of every target (file, NVMe namespace): the first member of a malloc()ed object,
 * so rl_engine_destroy() can free targets the caller left open.
 */
struct rl_target {
	struct rl_engine *e;
	struct io_uring *ring; /* the engine's ring, or its IOPOLL ring */
	struct rl_target *next;
	enum rl__kind kind;
	enum rl_region region;
	char *name;
	int fd;
	uint64_t fhandle;  /* fixed-file handle */
	uint32_t findex;   /* fixed-file table index */
	/* NVMe: the controller char device, where admin uring_cmds go (-1 when none) */
	int admin_fd;
	uint64_t admin_fhandle;
	uint32_t admin_findex;
	unsigned inflight;
	struct rl__op_stats stats[RL_OP_COUNT];
};

int rl__target_init(struct rl_target *t, struct rl_engine *e, const char *name, int fd,
		    enum rl_region region, bool polled);
/* Register @fd as the target's admin device (same region as the target). */
int rl__target_add_admin(struct rl_target *t, int fd);
/* Unregisters and closes (the admin device too); -EBUSY while commands are in flight. */
int rl__target_fini(struct rl_target *t);

struct rl_engine {
	struct io_uring ring;
	struct io_uring pring; /* IOPOLL ring, when RL_FEAT_IOPOLL */
	unsigned pinflight;    /* commands in flight on pring */
	bool no_latency;       /* struct rl_engine_opts: no per-command timestamps */
	/* Slots of commands queued since the last system call, timed by rl__stamp_queued(). */
	uint32_t *unstamped;
	unsigned nunstamped;
	unsigned features;
	const char *feature_note[RL_FEAT_COUNT];
	struct rl__slab slab;
	struct rl__files files;
	struct rl__buf *bufs;
	unsigned nbufs;
	struct rl__buf_range *buf_order; /* registered buffers sorted by address */
	unsigned nbuf_order;
	struct rl_target *targets;
	struct rl__net *net;  /* sockets and ring events, created on first use (engine/net.c) */
	unsigned net_pending; /* socket operations, timers and watches in flight */
	unsigned net_bufs;    /* sizes for the socket state, from struct rl_engine_opts */
	unsigned net_buf_size;
	size_t net_send_pool;
	uint64_t stale_cqes;
	int stop;
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

/* Record a one-line message for rl_engine_last_error(); returns @err for tail calls. */
int rl__error(struct rl_engine *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), cold));

/* An SQE on @ring; when the SQ ring is full, what is queued is submitted first. NULL if none. */
struct io_uring_sqe *rl__sqe(struct rl_engine *e, struct io_uring *ring);

/* rl__cmd_begin_on() when the slab or the SQ ring is full: an SQE after submitting, or NULL. */
struct io_uring_sqe *rl__cmd_sqe_slow(struct rl_engine *e, struct io_uring *ring);

/*
 * Submission in two steps: rl__cmd_begin() takes a slot and an SQE (-EBUSY when either is
 * exhausted), the caller preps the SQE, and rl__cmd_commit() stamps user_data and the fixed file.
 * Inline: they run once per command.
 */
static inline struct rl__cmd *rl__cmd_begin_on(struct rl_target *t, struct io_uring *ring,
					       enum rl_op op, uint32_t len, rl_complete_fn fn,
					       void *arg, struct io_uring_sqe **sqe)
{
	struct rl_engine *e = t->e;
	struct rl__cmd *c;
	uint32_t slot;

	if (__builtin_expect(e->slab.free_head == RL__SLAB_END, 0) ||
	    __builtin_expect(!(*sqe = io_uring_get_sqe(ring)), 0)) {
		*sqe = rl__cmd_sqe_slow(e, ring);
		if (!*sqe)
			return NULL;
	}
	c = rl__slab_get(&e->slab, &slot);
	c->fn = fn;
	c->arg = arg;
	c->target = t;
	c->op = op;
	c->len = len;
	c->passthru = 0;
	c->polled = ring == &e->pring;
	return c;
}

/* On the target's ring (admin commands of a polled device go to the interrupt ring instead). */
static inline struct rl__cmd *rl__cmd_begin(struct rl_target *t, enum rl_op op, uint32_t len,
					    rl_complete_fn fn, void *arg,
					    struct io_uring_sqe **sqe)
{
	return rl__cmd_begin_on(t, t->ring, op, len, fn, arg, sqe);
}

static inline void rl__cmd_commit(struct rl__cmd *c, struct io_uring_sqe *sqe)
{
	struct rl_engine *e = c->target->e;
	uint32_t slot = (uint32_t)(c - e->slab.cmds);

	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_CMD, slot, c->gen));
	c->target->inflight++;
	e->pinflight += c->polled;
	if (e->no_latency)
		return;
	/* With SQPOLL the kernel may take the SQE now; otherwise at the next system call. */
	if (e->features & RL_FEAT_SQPOLL)
		c->t_submit = rl__now_ns();
	else
		e->unstamped[e->nunstamped++] = slot;
}

/*
 * Before each system call that submits: time the commands queued since the last one from now,
 * one clock read for all of them. A command is timed from the call that hands it to the kernel.
 */
static inline void rl__stamp_queued(struct rl_engine *e)
{
	uint64_t now;

	if (!e->nunstamped)
		return;
	now = rl__now_ns();
	for (unsigned i = 0; i < e->nunstamped; i++)
		e->slab.cmds[e->unstamped[i]].t_submit = now;
	e->nunstamped = 0;
}

/* Registered-buffer index whose range holds [@addr, @addr + @len), or -1. */
int rl__buf_index(const struct rl_engine *e, const void *addr, size_t len);
/* -EINVAL, with a message saying why registered buffer @index does not hold the range. */
int rl__buf_refuse(struct rl_engine *e, int index, const void *addr, uint64_t len);

/* 0 if registered buffer @index holds [@addr, @addr + @len), else -EINVAL with a message. */
static inline int rl__buf_check(struct rl_engine *e, int index, const void *addr, uint64_t len)
{
	uintptr_t a = (uintptr_t)addr;
	const struct rl__buf *b;

	if (index < 0 || (unsigned)index >= e->nbufs)
		return rl__buf_refuse(e, index, addr, len);
	b = &e->bufs[index];
	/* A free slot has length 0, so it holds nothing. */
	if (a < b->addr || len > b->len || a - b->addr > b->len - len)
		return rl__buf_refuse(e, index, addr, len);
	return 0;
}

/*
 * A read (@write false) or write of @buf, using registered buffer @bi, which the caller checked
 * with rl__buf_check(), or RL__BUF_FIND: whichever registered buffer holds @buf, if one does.
 * directio/file.c and nvme/cmd.c; the public entry points call these.
 */
#define RL__BUF_FIND (-1)
struct rl_file;
struct rl_nvme_dev;
int rl__file_rw(struct rl_file *f, bool write, void *buf, size_t len, uint64_t off, int bi,
		rl_complete_fn cb, void *arg);
int rl__nvme_rw(struct rl_nvme_dev *d, bool write, void *buf, uint64_t len, uint64_t off, int bi,
		rl_complete_fn cb, void *arg);
/* A byte range as LBAs, or -EINVAL (-EOPNOTSUPP on extended LBAs) with a message saying why. */
int rl__nvme_to_lba(struct rl_nvme_dev *d, uint64_t off, uint64_t len, uint64_t *slba,
		    uint32_t *nlb);

/* Slab commands plus socket operations, timers and watches: what keeps the loop waiting. */
static inline unsigned rl__engine_busy(const struct rl_engine *e)
{
	return e->slab.cap - e->slab.nfree + e->net_pending;
}

/* Count a failed completion of @st under @code (-errno, or an NVMe status SCT << 8 | SC). */
void rl__count_error(struct rl__op_stats *st, int code);

/* engine/net.c: a CQE with a socket or event tag; teardown in rl_engine_destroy(). */
void rl__net_dispatch(struct rl_engine *e, uint64_t user_data, int res, uint32_t flags,
		      uint64_t now);
/* After a batch of CQEs: run the idle sweep if its timer fired (see engine/net.c). */
void rl__net_reaped(struct rl_engine *e);
/* Close listeners (their connections' on_close runs) and stop re-arming anything. */
void rl__net_shutdown(struct rl_engine *e);
/* After every CQE was reaped: unregister the buffer ring and free the socket state. */
void rl__net_fini(struct rl_engine *e);

/* Handle one CQE (exposed for tests that feed stale completions). */
void rl__dispatch(struct rl_engine *e, uint64_t user_data, int res, uint32_t flags,
		  uint64_t result, uint64_t now);

#endif
