/* SPDX-License-Identifier: MIT */
/*
 * NVMe passthrough: commands go to /dev/ngXnY as IORING_OP_URING_CMD (128-byte SQEs, 32-byte
 * CQEs) on the engine's ring. Completion callbacks get res == 0 on success, res < 0 for -errno
 * from the kernel, and res > 0 for an NVMe status; the two are never folded into each other.
 */
#ifndef RINGLINE_NVME_H
#define RINGLINE_NVME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "ringline/engine.h"
#include "ringline/target.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_nvme_dev;

/**
 * struct rl_nvme_info - what Identify Controller and Identify Namespace report.
 * @nsid:           namespace id (NVME_IOCTL_ID).
 * @lba_size:       data bytes per logical block of the format in use.
 * @ms:             metadata bytes per logical block.
 * @extended:       metadata is interleaved with the data (extended LBA).
 * @lbaf:           index of the LBA format in use (up to 63).
 * @nsze, @ncap, @nuse: namespace size, capacity and utilisation in logical blocks.
 * @capacity_bytes: @nsze * @lba_size.
 * @mdts_bytes:     the controller's Maximum Data Transfer Size in bytes (0: no limit).
 * @max_transfer:   the largest transfer ringline submits: MDTS, or the kernel's limit if lower.
 * @dlfeat:         deallocate read behaviour (bits 2:0: 1 reads zeroes, 2 reads ones).
 * @model, @serial, @firmware: trimmed strings from Identify Controller.
 * @generic_path:   the /dev/ngXnY the device was opened through.
 * @pi_type:        end-to-end protection information type (Identify Namespace DPS): 0 none, 1-3.
 * @pi_first:       PI is in the first bytes of the metadata (DPS bit 3), else in the last.
 * @pif:            PI format (Identify NS for the NVM command set, ELBAF): 0 the 16-bit guard
 *                  (8-byte PI), 1 the 32-bit guard, 2 the 64-bit guard (16-byte PI).
 * @pi_size:        bytes of PI in each block's metadata (0 without PI).
 */
struct rl_nvme_info {
	uint32_t nsid;
	uint32_t lba_size;
	uint16_t ms;
	bool extended;
	uint8_t lbaf;
	uint64_t nsze;
	uint64_t ncap;
	uint64_t nuse;
	uint64_t capacity_bytes;
	uint32_t mdts_bytes;
	uint32_t max_transfer;
	uint8_t dlfeat;
	char model[41];
	char serial[21];
	char firmware[9];
	char generic_path[64];
	uint8_t pi_type;
	bool pi_first;
	uint8_t pif;
	uint8_t pi_size;
};

#define RL_NVME_POLLED (1u << 0) /* use the engine's IOPOLL ring (needs opts.iopoll) */
/*
 * Leave the LBA range check to the device: a command past the namespace end is submitted and
 * completes with the NVMe status LBA Out of Range. For testing devices and error paths.
 */
#define RL_NVME_RAW (1u << 1)
/*
 * Claim the namespace's block device /dev/nvmeXnY with O_EXCL while the namespace is open:
 * -EBUSY while it is in use (a mounted file system, a RAID or device-mapper member, swap,
 * another exclusive opener), and nothing can mount it meanwhile. For writers: passthrough
 * writes under a mounted file system corrupt it. A namespace without a block device is opened
 * as usual. The ringline tool sets it for every write unless told --force.
 */
#define RL_NVME_EXCL (1u << 2)

/**
 * struct rl_nvme_opts - rl_nvme_open() options.
 * @opts_size: sizeof(struct rl_nvme_opts).
 * @flags:     RL_NVME_* bits.
 */
struct rl_nvme_opts {
	size_t opts_size;
	unsigned flags;
};

/**
 * rl_nvme_resolve() - the generic char device of an NVMe namespace: /dev/ngXnY is returned as
 * is; /dev/nvmeXnY is mapped to its /dev/ngXnY through sysfs.
 * Return: 0, -ENODEV when @path is not an NVMe namespace or has no generic device, -errno.
 */
RL_EXPORT int rl_nvme_resolve(const char *path, char *out, size_t outlen);

/**
 * rl_nvme_open() - open a namespace for passthrough, identify it, register it in the engine's
 * fixed-file table.
 * @path: /dev/ngXnY, or /dev/nvmeXnY (resolved with rl_nvme_resolve()).
 *
 * Return: 0; -ENODEV (not an NVMe namespace, or not a character device when opened: a FIFO is
 * refused, never waited on); -EOPNOTSUPP when the ring has no SQE128/CQE32 or, with
 * RL_NVME_POLLED, no IOPOLL ring; -EBUSY with RL_NVME_EXCL when the block device is in use;
 * -errno from open(2) or the Identify commands; -ENFILE when the NVMe region of the fixed-file
 * table is full. rl_engine_last_error() names the problem.
 */
RL_EXPORT int rl_nvme_open(struct rl_engine *e, const char *path, const struct rl_nvme_opts *o,
			   struct rl_nvme_dev **out);

/* rl_nvme_close() - as rl_file_close(): -EBUSY while commands are in flight. */
RL_EXPORT int rl_nvme_close(struct rl_nvme_dev *d);

RL_EXPORT const struct rl_nvme_info *rl_nvme_info(const struct rl_nvme_dev *d);
RL_EXPORT struct rl_target *rl_nvme_target(struct rl_nvme_dev *d);

/*
 * I/O commands. @slba is the first logical block, @nlb the number of blocks (1..65536). Each is
 * validated before submission: the data length is @nlb times the LBA size (plus metadata for
 * extended formats) and within @max_transfer, the range lies inside the namespace (unless the
 * device was opened with RL_NVME_RAW), and the buffer is 4-byte aligned; otherwise -EINVAL with a
 * message. -EBUSY: the slab is full, reap and retry.
 * The buffer (and for vectored commands the iovec array and every buffer in it) must stay valid
 * until the callback runs. Buffers inside a registered range use IORING_URING_CMD_FIXED.
 */
RL_EXPORT int rl_nvme_read(struct rl_nvme_dev *d, void *buf, uint64_t slba, uint32_t nlb,
			   rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_write(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb,
			    rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_compare(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb,
			      rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_readv(struct rl_nvme_dev *d, const struct iovec *iov, int iovcnt,
			    uint64_t slba, uint32_t nlb, rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_writev(struct rl_nvme_dev *d, const struct iovec *iov, int iovcnt,
			     uint64_t slba, uint32_t nlb, rl_complete_fn cb, void *arg);
/* Write Zeroes and Dataset Management (deallocate) of one range; no buffer. */
RL_EXPORT int rl_nvme_write_zeroes(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb,
				   rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_deallocate(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb,
				 rl_complete_fn cb, void *arg);
RL_EXPORT int rl_nvme_flush(struct rl_nvme_dev *d, rl_complete_fn cb, void *arg);

/*
 * Admin commands (NVME_URING_CMD_ADMIN) go to the namespace's controller device /dev/nvmeX,
 * which rl_nvme_open() opens too: kernels refuse admin uring_cmds on /dev/ngXnY. They return
 * -ENODEV when that device could not be opened.
 */

/**
 * rl_nvme_identify() - admin Identify through NVME_URING_CMD_ADMIN.
 * @cns: 0 namespace, 1 controller, ... ; @buf: 4096 bytes, alive until the callback.
 */
RL_EXPORT int rl_nvme_identify(struct rl_nvme_dev *d, uint8_t cns, uint32_t nsid, void *buf,
			       rl_complete_fn cb, void *arg);

/**
 * rl_nvme_get_log() - admin Get Log Page of @len bytes (a multiple of 4) into @buf.
 * @lid: log identifier (0x02: SMART / health, laid out as libnvme's struct nvme_smart_log);
 * @nsid: 0xffffffff for the controller.
 */
RL_EXPORT int rl_nvme_get_log(struct rl_nvme_dev *d, uint8_t lid, uint32_t nsid, void *buf,
			      uint32_t len, rl_complete_fn cb, void *arg);

/* Fields of an NVMe status as completion callbacks receive it (res > 0). */
#define RL_NVME_SC(s) ((s)&0xff)
#define RL_NVME_SCT(s) (((s) >> 8) & 0x7)
#define RL_NVME_DNR(s) (((s) >> 14) & 0x1)

/* Generic command status and media error values used by ringline's tests and tools. */
#define RL_NVME_STATUS_LBA_RANGE 0x080	    /* SCT 0, SC 0x80: LBA Out of Range */
#define RL_NVME_STATUS_COMPARE_FAILED 0x285 /* SCT 2, SC 0x85: Compare Failure */
/* SCT 2 (media and data integrity), end-to-end protection information checks: */
#define RL_NVME_STATUS_GUARD_CHECK 0x282  /* End-to-end Guard Check Error */
#define RL_NVME_STATUS_APPTAG_CHECK 0x283 /* End-to-end Application Tag Check Error */
#define RL_NVME_STATUS_REFTAG_CHECK 0x284 /* End-to-end Reference Tag Check Error */

/**
 * rl_nvme_status_str() - name an NVMe status (res > 0 of a passthrough command), such as
 * "LBA Out of Range (SCT 0x0, SC 0x80, DNR)", into @buf. Return: @buf.
 */
RL_EXPORT char *rl_nvme_status_str(int status, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
