/* SPDX-License-Identifier: MIT */
/*
 * ringline engine: one io_uring ring per thread, a preallocated command slab, a fixed-file table
 * split in regions, registered buffers, and a completion loop.
 *
 * An engine belongs to the thread that created it: no function here takes a lock, and none may be
 * called from another thread.
 */
#ifndef RINGLINE_ENGINE_H
#define RINGLINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RINGLINE_BUILDING)
#define RL_EXPORT __attribute__((visibility("default")))
#else
#define RL_EXPORT
#endif

struct rl_engine;

/**
 * typedef rl_complete_fn - completion callback of a submitted command.
 * @arg:    the pointer given at submission.
 * @res:    >= 0 on success (bytes moved for reads and writes); < 0 is -errno from the kernel;
 *          > 0 on an NVMe passthrough command is an NVMe status (SCT << 8 | SC).
 * @result: the 64-bit NVMe command result from the big CQE (0 for other commands).
 *
 * Runs exactly once for every submission that returned 0, from rl_engine_poll(),
 * rl_engine_run() or rl_engine_destroy(). It may submit new commands.
 */
typedef void (*rl_complete_fn)(void *arg, int res, uint64_t result);

/* Fixed-file table regions. */
enum rl_region {
	RL_REGION_CONN,
	RL_REGION_LISTEN,
	RL_REGION_NVME,
	RL_REGION_FILE,
	RL_REGION_COUNT,
};

/* Ring features (rl_engine_features()). */
#define RL_FEAT_SQE128 (1u << 0)	/* 128-byte SQEs (NVMe passthrough) */
#define RL_FEAT_CQE32 (1u << 1)		/* 32-byte CQEs (NVMe command result) */
#define RL_FEAT_COOP_TASKRUN (1u << 2)	/* no IPI to run completion task work */
#define RL_FEAT_SINGLE_ISSUER (1u << 3) /* one submitting thread */
#define RL_FEAT_DEFER_TASKRUN (1u << 4) /* task work only when the loop waits */
#define RL_FEAT_SQPOLL (1u << 5)	/* kernel thread polls the submission queue */
#define RL_FEAT_IOPOLL (1u << 6)	/* a second, polled ring for storage */
#define RL_FEAT_COUNT 7

/**
 * struct rl_engine_opts - engine creation options; fill with rl_engine_opts_init().
 * @opts_size:     sizeof(struct rl_engine_opts), so the struct can grow.
 * @sq_entries:    submission queue entries (default 256).
 * @max_inflight:  command slab capacity: commands in flight at once (default 1024).
 * @region_files:  fixed-file slots per region, indexed by enum rl_region.
 * @reg_buffers:   registered buffer slots (default 64).
 * @sqpoll:        use a kernel submission polling thread (default off).
 * @sqpoll_idle_ms: idle time before that thread sleeps (default 1000).
 * @iopoll:        add a storage-only IOPOLL ring for polled NVMe (RL_NVME_POLLED) and polled
 *                 O_DIRECT (RL_FILE_POLLED); the same loop reaps it. Polling needs a driver
 *                 with poll queues (nvme poll_queues=N).
 * @no_latency:    do not time commands, saving two clock reads per system call (microseconds
 *                 where the clock source is not the TSC, as in emulated guests) and a histogram
 *                 update per command: the targets' latency histograms stay empty; their
 *                 counters still count (default off). Timed commands are timed from the
 *                 system call that submits them (with sqpoll, from when they are queued).
 * @net_buffers:   sockets (ringline/net.h): receive buffers in the provided-buffer ring, a
 *                 power of two (default 256). Allocated when the first listener opens.
 * @net_buffer_size: bytes per receive buffer (default 4096).
 * @net_send_pool: bytes shared by every connection's send queue (default 4 MiB).
 */
struct rl_engine_opts {
	size_t opts_size;
	unsigned sq_entries;
	unsigned max_inflight;
	unsigned region_files[RL_REGION_COUNT];
	unsigned reg_buffers;
	bool sqpoll;
	unsigned sqpoll_idle_ms;
	bool iopoll;
	bool no_latency;
	unsigned net_buffers;
	unsigned net_buffer_size;
	size_t net_send_pool;
};

/* rl_engine_opts_init() - fill @o with defaults. */
RL_EXPORT void rl_engine_opts_init(struct rl_engine_opts *o);

/**
 * rl_engine_create() - create an engine: set up the ring, probe its features, allocate the
 * command slab and register the (sparse) fixed-file and buffer tables.
 * @o:   options, or NULL for defaults.
 * @out: the engine, written only on success.
 *
 * Ring features are probed: SQE128/CQE32, COOP_TASKRUN, SINGLE_ISSUER and DEFER_TASKRUN are
 * requested and dropped one by one, in reverse order, while the kernel refuses them;
 * rl_engine_feature_note() tells why a feature is not in use.
 *
 * Return: 0, -EINVAL (bad options), -ENOMEM, or -errno from io_uring setup.
 */
RL_EXPORT int rl_engine_create(const struct rl_engine_opts *o, struct rl_engine **out);

/**
 * rl_engine_destroy() - cancel and reap every command in flight (their callbacks run, usually
 * with -ECANCELED), close targets still open, unregister buffers and files, and free the engine.
 * Context: not from a completion callback.
 */
RL_EXPORT void rl_engine_destroy(struct rl_engine *e);

/* rl_engine_features() - the RL_FEAT_* bits in use. */
RL_EXPORT unsigned rl_engine_features(const struct rl_engine *e);

/* rl_feature_name() - "SQE128", "DEFER_TASKRUN", ... for one RL_FEAT_* bit, or NULL. */
RL_EXPORT const char *rl_feature_name(unsigned feat);

/**
 * rl_engine_feature_note() - why a feature is not in use ("refused by the kernel: ...",
 * "not requested", "not used with SQPOLL"), or NULL when it is in use.
 */
RL_EXPORT const char *rl_engine_feature_note(const struct rl_engine *e, unsigned feat);

/**
 * rl_engine_submit() - hand queued submissions to the kernel without waiting.
 * Return: number submitted, or -errno.
 */
RL_EXPORT int rl_engine_submit(struct rl_engine *e);

/**
 * rl_engine_poll() - submit what is queued, then reap completions and run their callbacks.
 * @min_complete: wait until at least this many callbacks ran (0: do not wait), in one system
 *                call where possible; waiting for several completions at once batches the
 *                work per system call. The wait ends early when nothing is left in flight:
 *                no command, socket operation, timer or watch (ringline/net.h).
 * @timeout_ms:   longest wait for each completion; -1 waits without limit.
 *
 * Return: number of callbacks run (may be fewer than @min_complete after a timeout), or -errno.
 */
RL_EXPORT int rl_engine_poll(struct rl_engine *e, unsigned min_complete, int timeout_ms);

/**
 * rl_engine_run() - run the completion loop until rl_engine_stop() is called or nothing is in
 * flight (an open listener, connection, timer or watch keeps it running).
 * Return: 0, or -errno from the ring.
 */
RL_EXPORT int rl_engine_run(struct rl_engine *e);

/* rl_engine_stop() - make rl_engine_run() return after the current batch. */
RL_EXPORT void rl_engine_stop(struct rl_engine *e);

/* rl_engine_inflight() - commands submitted whose callback has not run yet. */
RL_EXPORT unsigned rl_engine_inflight(const struct rl_engine *e);

/* rl_engine_capacity() - command slab capacity (max_inflight). */
RL_EXPORT unsigned rl_engine_capacity(const struct rl_engine *e);

/**
 * rl_engine_cmd_latency() - in a command's completion callback, that command's latency in ns:
 * the value its target's histogram just recorded (from the system call that submitted it to
 * the reaping of its completion), so a caller can single out slow commands without reading the
 * clock itself.
 * Return: the latency; outside a completion callback, that of the last command whose callback
 * ran (0 before any); 0 when the engine was created with no_latency.
 */
RL_EXPORT uint64_t rl_engine_cmd_latency(const struct rl_engine *e);

/* rl_engine_stale_cqes() - completions dropped because their command slot had been reused. */
RL_EXPORT uint64_t rl_engine_stale_cqes(const struct rl_engine *e);

/**
 * rl_engine_last_error() - a one-line message about the last refused call on this engine, such
 * as "ringline: /tmp/f: offset 100 is not a multiple of the offset alignment 512"; "" if none.
 */
RL_EXPORT const char *rl_engine_last_error(const struct rl_engine *e);

/**
 * rl_alloc_aligned() - allocate @size bytes aligned to @align (a power of two, at least
 * sizeof(void *)). Return: the memory, or NULL with errno set (EINVAL, ENOMEM).
 */
RL_EXPORT void *rl_alloc_aligned(size_t align, size_t size);

/* rl_free_aligned() - free memory from rl_alloc_aligned(); NULL is ignored. */
RL_EXPORT void rl_free_aligned(void *p);

/**
 * rl_engine_register_buffer() - register [@addr, @addr + @len) with the ring so reads and writes
 * into it use READ_FIXED/WRITE_FIXED (or IORING_URING_CMD_FIXED). Any I/O buffer lying inside a
 * registered range is used as registered automatically, found by a search of the registered
 * buffers; rl_target_read_fixed()/rl_target_write_fixed() name the index and skip the search.
 * For NVMe passthrough register one buffer per I/O, not one range for many: Linux 6.1 maps a
 * registered buffer from the I/O's start to the end of its registration and fails the command
 * (EINVAL) when that spans more pages than the device queue has segments.
 * Return: the buffer index (>= 0), -ENOSPC when every slot is taken, or -errno.
 */
RL_EXPORT int rl_engine_register_buffer(struct rl_engine *e, void *addr, size_t len);

/**
 * rl_engine_unregister_buffer() - give back buffer slot @index.
 * Return: 0, -ENOENT if the slot is not in use, -EBUSY while commands are in flight.
 */
RL_EXPORT int rl_engine_unregister_buffer(struct rl_engine *e, int index);

#ifdef __cplusplus
}
#endif
#endif
