/* SPDX-License-Identifier: MIT */
/* Private to nvme/ (and white-box tests): the namespace object and its helpers. Not installed. */
#ifndef RINGLINE_NVME_PRIVATE_H
#define RINGLINE_NVME_PRIVATE_H

#include <linux/nvme_ioctl.h>

#include "../engine/backend.h"
#include "ringline/nvme.h"
#include "ringline/zns.h"

struct rl_nvme_dev {
	struct rl_target t; /* first: see struct rl_target */
	struct rl_nvme_info info;
	bool raw; /* RL_NVME_RAW: the device checks LBA ranges */
	/* The controller char device, where admin uring_cmds go (admin_fd -1 when none). */
	int admin_fd;
	uint64_t admin_fhandle;
	uint32_t admin_findex;
	int excl_fd; /* RL_NVME_EXCL: the claimed block device /dev/nvmeXnY, or -1 */
	/* Derived from info by rl__nvme_set_limits(), for the checks on every command: */
	uint32_t block_bytes; /* bytes per LBA in the data buffer (lba_size, + ms if extended) */
	uint8_t lba_shift;    /* log2(lba_size) */
	uint64_t byte_io_max; /* largest byte-offset I/O, 0 on an extended-LBA format */
	bool zoned;	      /* ZNS command set: zns holds its geometry (nvme/zns.c) */
	struct rl_nvme_zns zns;
};

/* The namespace a target of the NVMe backend is (its ops table says so). */
static inline struct rl_nvme_dev *rl__nvme_of(struct rl_target *t)
{
	return (struct rl_nvme_dev *)t; /* the target is the first member */
}

struct nvme_id_ctrl;
struct nvme_id_ns;

/*
 * rl__nvme_parse_identify() - fill @in from Identify Controller @ctrl and Identify Namespace @ns
 * as the device returned them (nvme/identify.c): the LBA format in use, its data and metadata
 * sizes, the namespace's size, capacity and use, MDTS (@max_transfer before the kernel's limit),
 * model, serial and firmware. @in's nsid and generic_path are the caller's.
 * Return: 0, or -EIO for data ringline cannot use, with what is wrong in @why.
 */
int rl__nvme_parse_identify(const struct nvme_id_ctrl *ctrl, const struct nvme_id_ns *ns,
			    struct rl_nvme_info *in, char *why, size_t why_len);

struct nvme_nvm_id_ns;
/*
 * rl__nvme_parse_pif() - the PI format (@pif, @pi_size) of @in's LBA format from the NVM command
 * set's Identify Namespace (CNS 0x05, CSI 0), which controllers with extended LBA formats
 * (CTRATT.ELBAS) report. Pure.
 */
void rl__nvme_parse_pif(const struct nvme_nvm_id_ns *nvm, struct rl_nvme_info *in);

/* Set the derived fields of @d from d->info (after Identify). */
void rl__nvme_set_limits(struct rl_nvme_dev *d);

/*
 * Make @d (identified, or filled in by a test) a target of @e on namespace @fd.
 * rl__nvme_detach() undoes it, the controller too, without freeing @d.
 * Return: 0 or -errno; @fd stays open on failure.
 */
int rl__nvme_attach(struct rl_nvme_dev *d, struct rl_engine *e, const char *name, int fd,
		    bool polled);
/* Register the controller char device @fd for admin commands. Return: 0 or -errno. */
int rl__nvme_add_admin(struct rl_nvme_dev *d, int fd);
void rl__nvme_detach(struct rl_nvme_dev *d);

/* Byte-offset operations of the NVMe ops table (nvme/cmd.c), in struct rl__target_ops terms. */
int rl__nvme_rw(struct rl_target *t, bool write, void *buf, uint64_t len, uint64_t off, int bi,
		rl_complete_fn cb, void *arg);
int rl__nvme_write_fua(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int bi,
		       rl_complete_fn cb, void *arg);
int rl__nvme_rwv(struct rl_target *t, bool write, const struct iovec *iov, int iovcnt, uint64_t off,
		 rl_complete_fn cb, void *arg);
int rl__nvme_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg);
int rl__nvme_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg);
int rl__nvme_flush_op(struct rl_target *t, rl_complete_fn cb, void *arg);

/* Command dwords of a read, write, verify or write zeroes beyond the LBA range (nvme/pi.c). */
struct rl__nvme_ext {
	uint32_t cdw12; /* FUA, PRINFO, DEAC: or'ed onto NLB */
	uint32_t cdw3;	/* EILBRT bits 47:32 (64-bit guard) */
	uint32_t cdw14; /* EILBRT bits 31:0 */
	uint32_t cdw15; /* LBATM << 16 | LBAT */
	void *md;
	uint32_t md_len;
	uint32_t block_bytes; /* data buffer bytes a block: lba_size when PRACT strips the PI */
};

int rl__nvme_submit_ext(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const void *buf,
			uint64_t slba, uint32_t nlb, const struct rl__nvme_ext *x,
			rl_complete_fn cb, void *arg);
/* Range and buffer checks of nvme/cmd.c, each with its message: 0 or -EINVAL. */
int rl__nvme_check(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb);

/*
 * Zoned namespaces (nvme/zns.c, nvme/zns_parse.c). rl__nvme_zns_identify() finds whether the
 * namespace on @fd is zoned and reads its geometry, after Identify (d->info filled in).
 * rl__nvme_parse_zns() is its pure part: -EIO with @why for geometry ringline cannot use.
 */
struct nvme_zns_id_ns;
struct nvme_zns_id_ctrl;
int rl__nvme_zns_identify(struct rl_engine *e, struct rl_nvme_dev *d, int fd);
int rl__nvme_parse_zns(const struct nvme_zns_id_ns *ns, const struct nvme_zns_id_ctrl *ctrl,
		       const struct rl_nvme_info *in, struct rl_nvme_zns *z, char *why,
		       size_t why_len);

/* cmd.c's command helpers, for the other command files (nvme/zns.c). */
struct nvme_uring_cmd *rl__nvme_prep(struct rl_nvme_dev *d, struct io_uring_sqe *sqe,
				     uint32_t cmd_op, uint8_t opcode);
struct rl__cmd *rl__nvme_begin(struct rl_nvme_dev *d, struct io_uring *ring, enum rl_op op,
			       uint32_t len, rl_complete_fn cb, void *arg,
			       struct io_uring_sqe **sqe);
void rl__nvme_set_data(struct rl_nvme_dev *d, struct io_uring_sqe *sqe, const void *buf,
		       uint32_t len, int bi);
int rl__nvme_check_data(struct rl_nvme_dev *d, const void *buf, uint64_t len);

/* NVMe opcodes (NVM command set and admin). */
enum {
	RL__NVME_FLUSH = 0x00,
	RL__NVME_WRITE = 0x01,
	RL__NVME_READ = 0x02,
	RL__NVME_COMPARE = 0x05,
	RL__NVME_WRITE_ZEROES = 0x08,
	RL__NVME_DSM = 0x09,
	RL__NVME_VERIFY = 0x0c,
	RL__NVME_ZONE_MGMT_SEND = 0x79,
	RL__NVME_ZONE_MGMT_RECV = 0x7a,
	RL__NVME_ZONE_APPEND = 0x7d,
	RL__NVME_ADMIN_GET_LOG = 0x02,
	RL__NVME_ADMIN_IDENTIFY = 0x06,
};

#endif
