/* SPDX-License-Identifier: MIT */
/*
 * O_DIRECT regular files and block devices on the engine's ring.
 *
 * Alignment comes from statx(STATX_DIOALIGN); block devices without it use BLKSSZGET, regular
 * files without it (tmpfs) use 512 bytes. Misaligned buffers, offsets and lengths are refused
 * before submission with -EINVAL and a message in rl_engine_last_error().
 */
#ifndef RINGLINE_FILE_H
#define RINGLINE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "ringline/engine.h"
#include "ringline/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_file;

#define RL_FILE_RDONLY (1u << 0) /* open read-only */
#define RL_FILE_CREATE (1u << 1) /* create a regular file if missing */
/*
 * Reads and writes on the engine's IOPOLL ring (needs opts.iopoll): completions are polled for,
 * not signalled by an interrupt, as for RL_NVME_POLLED. Flush, zeroes and trim still go to the
 * interrupt ring (IOPOLL carries only reads and writes). Polling needs a device whose driver
 * has poll queues (nvme poll_queues=N; /sys/block/DEV/queue/io_poll reads 1), reached through
 * O_DIRECT on the block device or a file system that polls (ext4, xfs). Elsewhere the kernel
 * completes the I/O by interrupt on the same ring (Linux 6.1) or fails it with -EOPNOTSUPP
 * (newer kernels, and tmpfs on every kernel).
 */
#define RL_FILE_POLLED (1u << 2)
/*
 * A block device opened for writing is opened with O_EXCL: refused with -EBUSY while it is in
 * use (a mounted file system, a RAID or device-mapper member, swap, another exclusive opener),
 * and, while open, it cannot be mounted. No effect on regular files or with RL_FILE_RDONLY.
 * Not the default: threads that each open the same device for writing (one engine per thread)
 * would refuse each other. The ringline tool sets it for every write unless told --force.
 */
#define RL_FILE_EXCL (1u << 3)

/**
 * struct rl_file_opts - rl_file_open() options.
 * @opts_size: sizeof(struct rl_file_opts).
 * @flags:     RL_FILE_* bits.
 * @size:      with RL_FILE_CREATE, extend a regular file to at least this many bytes.
 * @mode:      permissions of a created file (default 0644 when 0).
 */
struct rl_file_opts {
	size_t opts_size;
	unsigned flags;
	uint64_t size;
	mode_t mode;
};

/**
 * rl_file_open() - open @path with O_DIRECT and register it in the engine's fixed-file table.
 * @opts: options, or NULL to open an existing file read-write.
 * @out:  the file, written only on success.
 *
 * Anything but a regular file or block device (a FIFO, a socket, a character device) is refused
 * before it is opened, and again, from fstat(), after an open with O_NONBLOCK: rl_file_open()
 * never waits in open(2) for a FIFO's writer, even if @path changes in between.
 *
 * Return: 0; -ENOENT, -EACCES, -EISDIR, ... from open(2); -EINVAL if @path is neither a regular
 * file nor a block device, or O_DIRECT is not supported there; -EOPNOTSUPP for RL_FILE_POLLED on
 * an engine without an IOPOLL ring; -EBUSY with RL_FILE_EXCL for a block device in use; -ENOMEM;
 * -ENFILE when the file region of the fixed-file table is full.
 * rl_engine_last_error() names the problem.
 */
RL_EXPORT int rl_file_open(struct rl_engine *e, const char *path, const struct rl_file_opts *opts,
			   struct rl_file **out);

/**
 * rl_file_close() - unregister and close the file.
 * Return: 0, or -EBUSY while commands on it are in flight (reap them and retry); the file stays
 * open then.
 */
RL_EXPORT int rl_file_close(struct rl_file *f);

RL_EXPORT struct rl_target *rl_file_target(struct rl_file *f);
/* Size in bytes (block devices: BLKGETSIZE64). */
RL_EXPORT uint64_t rl_file_size(const struct rl_file *f);
/* O_DIRECT alignment of buffer addresses, and of offsets and lengths. */
RL_EXPORT uint32_t rl_file_mem_align(const struct rl_file *f);
RL_EXPORT uint32_t rl_file_offset_align(const struct rl_file *f);
/* Where the alignment came from: "statx", "BLKSSZGET" or "default". */
RL_EXPORT const char *rl_file_align_source(const struct rl_file *f);
RL_EXPORT int rl_file_is_blockdev(const struct rl_file *f);

/**
 * rl_file_read() - queue an O_DIRECT read of @len bytes at @offset into @buf.
 * @cb, @arg: completion callback; res is the byte count (short at end of file) or -errno.
 *
 * @buf must stay valid and untouched until the callback runs. A buffer inside a registered range
 * (rl_engine_register_buffer()) is read with READ_FIXED.
 *
 * Return: 0 (the callback will run once); -EINVAL for a misaligned buffer, offset or length, or
 * a range past the end of a block device; -EBUSY when the command slab is full (reap, retry).
 */
RL_EXPORT int rl_file_read(struct rl_file *f, void *buf, size_t len, uint64_t offset,
			   rl_complete_fn cb, void *arg);

/* rl_file_write() - as rl_file_read(), writing @buf (WRITE_FIXED when registered). */
RL_EXPORT int rl_file_write(struct rl_file *f, const void *buf, size_t len, uint64_t offset,
			    rl_complete_fn cb, void *arg);

/**
 * rl_file_readv() - queue a vectored O_DIRECT read (IORING_OP_READV) at @offset into the
 * @iovcnt buffers of @iov.
 * @iov:    1 to IOV_MAX segments; each base aligned to rl_file_mem_align() and each length a
 *          multiple of rl_file_offset_align(), as the kernel requires of O_DIRECT segments.
 * @cb, @arg: completion callback; res is the total byte count (short at end of file) or -errno.
 *
 * The iovec array and every buffer in it must stay valid until the callback runs. Vectored
 * commands never use registered buffers.
 *
 * Return: 0 (the callback will run once); -EINVAL for a bad segment count, a misaligned
 * segment or offset, a total of 0 or above 4 GiB, or a range past the end of a block device;
 * -EBUSY when the command slab is full (reap, retry).
 */
RL_EXPORT int rl_file_readv(struct rl_file *f, const struct iovec *iov, int iovcnt, uint64_t offset,
			    rl_complete_fn cb, void *arg);

/* rl_file_writev() - as rl_file_readv(), writing (IORING_OP_WRITEV). */
RL_EXPORT int rl_file_writev(struct rl_file *f, const struct iovec *iov, int iovcnt,
			     uint64_t offset, rl_complete_fn cb, void *arg);

/**
 * rl_file_fsync() - queue fsync, or fdatasync when @datasync is non-zero.
 * Return: 0, or -EBUSY when the command slab is full.
 */
RL_EXPORT int rl_file_fsync(struct rl_file *f, int datasync, rl_complete_fn cb, void *arg);

/**
 * rl_file_write_zeroes() - queue a zeroing of [@offset, @offset + @len) (fallocate
 * FALLOC_FL_ZERO_RANGE, keeping the size). Alignment is checked as for writes.
 * Return: 0, -EINVAL (misaligned, or past the end of a block device), -EBUSY.
 */
RL_EXPORT int rl_file_write_zeroes(struct rl_file *f, uint64_t offset, uint64_t len,
				   rl_complete_fn cb, void *arg);

/**
 * rl_file_trim() - queue a deallocation of [@offset, @offset + @len) (fallocate
 * FALLOC_FL_PUNCH_HOLE, keeping the size): the range reads back as zeroes.
 * Return: 0, -EINVAL, -EBUSY.
 */
RL_EXPORT int rl_file_trim(struct rl_file *f, uint64_t offset, uint64_t len, rl_complete_fn cb,
			   void *arg);

#ifdef __cplusplus
}
#endif
#endif
