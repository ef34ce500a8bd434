/* SPDX-License-Identifier: MIT */
/*
 * Targets: anything the engine does I/O on (an O_DIRECT file or block device, an NVMe namespace).
 * Each target keeps per-operation counters and a latency histogram, updated on completion.
 */
#ifndef RINGLINE_TARGET_H
#define RINGLINE_TARGET_H

#include <stdint.h>
#include <sys/uio.h>
#include "ringline/engine.h"
#include "ringline/hist.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_target;

enum rl_op {
	RL_OP_READ,
	RL_OP_WRITE,
	RL_OP_FLUSH,   /* fsync, fdatasync, NVMe Flush */
	RL_OP_TRIM,    /* NVMe Dataset Management (deallocate), punch hole */
	RL_OP_ZEROES,  /* NVMe Write Zeroes, zero range */
	RL_OP_COMPARE, /* NVMe Compare */
	RL_OP_ADMIN,   /* NVMe admin commands (Identify, Get Log Page) */
	RL_OP_COUNT,
};

/**
 * struct rl_op_stats - counters of one operation on one target.
 * @ops:    completed operations (successful or not).
 * @bytes:  bytes moved by successful operations.
 * @errors: operations that completed with an error.
 * @lat:    latency histogram (submission to completion, ns) of every completed operation;
 *          owned by the target.
 */
struct rl_op_stats {
	uint64_t ops;
	uint64_t bytes;
	uint64_t errors;
	const struct rl_hist *lat;
};

/* rl_op_name() - "read", "write", "flush", "trim", "zeroes", "compare", "admin". */
RL_EXPORT const char *rl_op_name(enum rl_op op);

/* rl_target_name() - the path the target was opened with. */
RL_EXPORT const char *rl_target_name(const struct rl_target *t);

/* rl_target_inflight() - commands on this target whose callback has not run. */
RL_EXPORT unsigned rl_target_inflight(const struct rl_target *t);

/*
 * rl_target_removed() - whether the device behind @t is gone (hot-unplugged, its PCI function
 * removed, its namespace deleted). Noted when a command on @t fails and the device's node has
 * left /sys/dev (asked again by this call once a command has failed, since the kernel may fail
 * commands a moment before it deletes the node); from then on every command on @t fails. Close @t
 * once rl_target_inflight() is 0: a device that comes back (a PCI rescan) is a new node to open.
 * Never true for a regular file or a NOP target. Context: the engine's thread, like every call on
 * @t.
 */
RL_EXPORT bool rl_target_removed(const struct rl_target *t);

/* rl_target_stats() - counters of @op. Return: 0, or -EINVAL for an unknown op. */
RL_EXPORT int rl_target_stats(const struct rl_target *t, enum rl_op op, struct rl_op_stats *out);

/* Distinct error codes counted per operation; further codes are counted together (code 0). */
#define RL_ERROR_KINDS 8

/**
 * struct rl_error_count - failed completions of one operation with one error.
 * @code:  < 0: -errno from the kernel; > 0: an NVMe status (SCT << 8 | SC, without the DNR and
 *         More bits); 0: every error beyond the first RL_ERROR_KINDS distinct codes.
 * @count: completions that failed so.
 */
struct rl_error_count {
	int code;
	uint64_t count;
};

/**
 * rl_target_errors() - the errors of @op by code, in the order first seen.
 * @out: room for @max entries; RL_ERROR_KINDS + 1 holds them all.
 * Return: entries written (0 when @op never failed), or -EINVAL for an unknown op.
 */
RL_EXPORT int rl_target_errors(const struct rl_target *t, enum rl_op op, struct rl_error_count *out,
			       unsigned max);

/* rl_target_reset_stats() - zero every counter and histogram of @t. */
RL_EXPORT void rl_target_reset_stats(struct rl_target *t);

/*
 * Byte-offset I/O on any target, so one code path drives files, block devices and NVMe
 * namespaces. Offsets and lengths must be multiples of rl_target_block_size(); for NVMe they are
 * converted to LBAs. The same lifetime and error rules as rl_file_read() and rl_nvme_read() apply.
 */
#define RL_TARGET_RDONLY (1u << 0)	/* files and block devices: open read-only */
#define RL_TARGET_PASSTHROUGH (1u << 1) /* /dev/nvmeXnY: use its /dev/ngXnY, not O_DIRECT */
#define RL_TARGET_POLLED (1u << 2)	/* the IOPOLL ring (RL_NVME_POLLED, RL_FILE_POLLED) */
#define RL_TARGET_RAW (1u << 3)		/* NVMe: the device checks LBA ranges (RL_NVME_RAW) */
/* Writable block devices opened exclusively, -EBUSY while in use (RL_FILE_EXCL, RL_NVME_EXCL) */
#define RL_TARGET_EXCL (1u << 4)

/**
 * rl_target_open() - open @path as the right kind of target: a /dev/ngXnY (or, with
 * RL_TARGET_PASSTHROUGH, a /dev/nvmeXnY) through NVMe passthrough, anything else with O_DIRECT.
 * "nop:" or "nop:SIZE" (default 1 GiB; a multiple of 512 bytes, k/m/g/t suffixes) opens a NOP
 * target: every operation is checked like a 512-byte-block device's, then submitted as an
 * IORING_OP_NOP through the slab, the loop, the statistics and the callback, moving no data
 * (0 bytes counted), which measures the engine's own cost per command.
 * Return: as rl_nvme_open() or rl_file_open(); -EINVAL for a malformed "nop:SIZE".
 */
RL_EXPORT int rl_target_open(struct rl_engine *e, const char *path, unsigned flags,
			     struct rl_target **out);
/* rl_target_close() - as rl_file_close(): -EBUSY while commands are in flight. */
RL_EXPORT int rl_target_close(struct rl_target *t);

/* What a target is, as rl_target_kind() reports it. */
enum rl_target_kind {
	RL_TARGET_KIND_FILE, /* a regular file or block device, O_DIRECT (ringline/file.h) */
	RL_TARGET_KIND_NVME, /* an NVMe namespace through passthrough (ringline/nvme.h) */
	RL_TARGET_KIND_NOP,  /* "nop:": every command an IORING_OP_NOP, for the engine's own cost */
};

/* rl_target_kind() - which kind of target @t is: ask this, never compare names. */
RL_EXPORT enum rl_target_kind rl_target_kind(const struct rl_target *t);

struct rl_nvme_dev;
struct rl_file;
/* rl_target_nvme() - the NVMe namespace behind @t (see ringline/nvme.h), or NULL if none. */
RL_EXPORT struct rl_nvme_dev *rl_target_nvme(struct rl_target *t);
/* rl_target_file() - the O_DIRECT file or block device behind @t (ringline/file.h), or NULL. */
RL_EXPORT struct rl_file *rl_target_file(struct rl_target *t);

/*
 * rl_target_engine_path() - "direct" (O_DIRECT) or "passthrough" (NVMe uring_cmd), for reports;
 * use rl_target_kind() to decide.
 */
RL_EXPORT const char *rl_target_engine_path(const struct rl_target *t);
/* Size in bytes; granularity of offsets and lengths; alignment of buffer addresses. */
RL_EXPORT uint64_t rl_target_size(const struct rl_target *t);
RL_EXPORT uint32_t rl_target_block_size(const struct rl_target *t);
RL_EXPORT uint32_t rl_target_mem_align(const struct rl_target *t);

RL_EXPORT int rl_target_read(struct rl_target *t, void *buf, uint64_t len, uint64_t offset,
			     rl_complete_fn cb, void *arg);
RL_EXPORT int rl_target_write(struct rl_target *t, const void *buf, uint64_t len, uint64_t offset,
			      rl_complete_fn cb, void *arg);
/*
 * As rl_target_read()/rl_target_write(), from registered buffer @buf_index (the index
 * rl_engine_register_buffer() returned), which must hold [@buf, @buf + @len): -EINVAL if it
 * does not. The plain calls find the registered buffer by address; naming it skips that search,
 * as liburing's io_uring_prep_read_fixed() and fio's io_uring engines do.
 */
RL_EXPORT int rl_target_read_fixed(struct rl_target *t, void *buf, uint64_t len, uint64_t offset,
				   int buf_index, rl_complete_fn cb, void *arg);
RL_EXPORT int rl_target_write_fixed(struct rl_target *t, const void *buf, uint64_t len,
				    uint64_t offset, int buf_index, rl_complete_fn cb, void *arg);
/* rl_target_write_flags() @flags: the write completes only once its data is on stable media. */
#define RL_IO_FUA (1u << 0)

/**
 * rl_target_write_flags() - rl_target_write() with @flags, for a write that must be durable when
 * its callback runs without flushing the whole device cache: with RL_IO_FUA, an NVMe namespace
 * gets a Write with the Force Unit Access bit (CDW12 bit 30), a file or block device a write
 * with RWF_DSYNC (the block layer sends a FUA write, or the write then a flush where the device
 * has no FUA; a file system also writes the metadata needed to read it back). @flags 0 is
 * rl_target_write().
 * @buf_index: the registered buffer holding [@buf, @buf + @len) as rl_target_write_fixed()
 *             takes it, or -1 to find it by address as rl_target_write() does.
 * Return: as rl_target_write_fixed(); -EINVAL for a bit of @flags other than RL_IO_FUA;
 * -EOPNOTSUPP when the target has no FUA write (none has today but may: fall back to a flush).
 */
RL_EXPORT int rl_target_write_flags(struct rl_target *t, const void *buf, uint64_t len,
				    uint64_t offset, int buf_index, unsigned flags,
				    rl_complete_fn cb, void *arg);
/*
 * Vectored byte-offset I/O: rl_file_readv()/rl_file_writev() on files and block devices,
 * rl_nvme_readv()/rl_nvme_writev() (NVME_URING_CMD_IO_VEC) on NVMe, where the segments' total
 * must be a whole number of LBAs. The iovec array and its buffers must stay valid until the
 * callback runs; vectored commands never use registered buffers.
 */
RL_EXPORT int rl_target_readv(struct rl_target *t, const struct iovec *iov, int iovcnt,
			      uint64_t offset, rl_complete_fn cb, void *arg);
RL_EXPORT int rl_target_writev(struct rl_target *t, const struct iovec *iov, int iovcnt,
			       uint64_t offset, rl_complete_fn cb, void *arg);
RL_EXPORT int rl_target_write_zeroes(struct rl_target *t, uint64_t offset, uint64_t len,
				     rl_complete_fn cb, void *arg);
RL_EXPORT int rl_target_trim(struct rl_target *t, uint64_t offset, uint64_t len, rl_complete_fn cb,
			     void *arg);
/* NVMe Flush, or fdatasync for files and block devices. */
RL_EXPORT int rl_target_flush(struct rl_target *t, rl_complete_fn cb, void *arg);

/* rl_engine_next_target() - iterate open targets: NULL starts, NULL ends. */
RL_EXPORT struct rl_target *rl_engine_next_target(struct rl_engine *e, struct rl_target *prev);

#ifdef __cplusplus
}
#endif
#endif
