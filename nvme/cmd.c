// SPDX-License-Identifier: MIT
/* NVMe commands as IORING_OP_URING_CMD: validation, then the command in the 128-byte SQE. */
#include <errno.h>
#include <string.h>

#include "nvme.h"

void rl__nvme_prep(struct io_uring_sqe *sqe, uint32_t cmd_op, int fixed_file,
		   const struct nvme_uring_cmd *cmd)
{
	/* A 128-byte SQE: the command lives in the 80 bytes from sqe->cmd on. */
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fixed_file;
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, cmd, sizeof(*cmd));
}

static int check_range(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb)
{
	struct rl_engine *e = d->t.e;

	if (nlb == 0 || nlb > 65536)
		return rl__error(e, -EINVAL, "%s: %u blocks: a command covers 1 to 65536 blocks",
				 d->t.name, nlb);
	if (!d->raw && (slba >= d->info.nsze || nlb > d->info.nsze - slba))
		return rl__error(e, -EINVAL,
				 "%s: blocks %llu..%llu are past the end of the namespace "
				 "(%llu blocks of %u bytes)",
				 d->t.name, (unsigned long long)slba,
				 (unsigned long long)(slba + nlb - 1),
				 (unsigned long long)d->info.nsze, d->info.lba_size);
	return 0;
}

static int check_data(struct rl_nvme_dev *d, const void *buf, uint64_t len)
{
	struct rl_engine *e = d->t.e;

	if ((uintptr_t)buf % 4)
		return rl__error(e, -EINVAL, "%s: buffer address %p is not 4-byte aligned",
				 d->t.name, buf);
	if (len > d->info.max_transfer)
		return rl__error(e, -EINVAL,
				 "%s: length %llu exceeds the maximum transfer size %u (MDTS)",
				 d->t.name, (unsigned long long)len, d->info.max_transfer);
	return 0;
}

static void set_lba(struct nvme_uring_cmd *cmd, uint64_t slba, uint32_t nlb)
{
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
	cmd->cdw12 = nlb - 1; /* 0's based */
}

/* Take a slot and an SQE on @ring for a passthrough command; @len is the data it moves. */
static struct rl__cmd *begin(struct rl_nvme_dev *d, struct io_uring *ring, enum rl_op op,
			     uint32_t len, rl_complete_fn cb, void *arg, struct io_uring_sqe **sqe)
{
	struct rl__cmd *c = rl__cmd_begin_on(&d->t, ring, op, len, cb, arg, sqe);

	if (c)
		c->passthru = 1;
	return c;
}

/*
 * Write @cmd into the SQE and commit. A non-vectored @buf uses registered buffer @bi, or with
 * RL__BUF_FIND the registered buffer that holds it, if one does.
 */
static void finish(struct rl_nvme_dev *d, struct rl__cmd *c, struct io_uring_sqe *sqe,
		   uint32_t cmd_op, const struct nvme_uring_cmd *cmd, const void *buf, int bi)
{
	uint32_t file = cmd_op == NVME_URING_CMD_ADMIN ? d->t.admin_findex : d->t.findex;

	rl__nvme_prep(sqe, cmd_op, (int)file, cmd);
	if (buf && bi == RL__BUF_FIND)
		bi = rl__buf_index(d->t.e, buf, cmd->data_len);
	if (buf && bi >= 0) {
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = (uint16_t)bi;
	}
	rl__cmd_commit(c, sqe);
}

static int rw(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const void *buf,
	      uint64_t slba, uint32_t nlb, int bi, rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = opcode, .nsid = d->info.nsid};
	uint64_t len = (uint64_t)nlb * d->block_bytes;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret;

	ret = check_range(d, slba, nlb);
	if (!ret)
		ret = check_data(d, buf, len);
	if (ret)
		return ret;
	c = begin(d, d->t.ring, op, (uint32_t)len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	set_lba(&cmd, slba, nlb);
	cmd.addr = (uintptr_t)buf;
	cmd.data_len = (uint32_t)len;
	finish(d, c, sqe, NVME_URING_CMD_IO, &cmd, buf, bi);
	return 0;
}

int rl__nvme_rw(struct rl_nvme_dev *d, bool write, void *buf, uint64_t slba, uint32_t nlb, int bi,
		rl_complete_fn cb, void *arg)
{
	return write ? rw(d, RL__NVME_WRITE, RL_OP_WRITE, buf, slba, nlb, bi, cb, arg)
		     : rw(d, RL__NVME_READ, RL_OP_READ, buf, slba, nlb, bi, cb, arg);
}

int rl_nvme_read(struct rl_nvme_dev *d, void *buf, uint64_t slba, uint32_t nlb,
		 rl_complete_fn cb, void *arg)
{
	return rw(d, RL__NVME_READ, RL_OP_READ, buf, slba, nlb, RL__BUF_FIND, cb, arg);
}

int rl_nvme_write(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb,
		  rl_complete_fn cb, void *arg)
{
	return rw(d, RL__NVME_WRITE, RL_OP_WRITE, buf, slba, nlb, RL__BUF_FIND, cb, arg);
}

int rl_nvme_compare(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb,
		    rl_complete_fn cb, void *arg)
{
	return rw(d, RL__NVME_COMPARE, RL_OP_COMPARE, buf, slba, nlb, RL__BUF_FIND, cb, arg);
}

static int rwv(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const struct iovec *iov,
	       int iovcnt, uint64_t slba, uint32_t nlb, rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = opcode, .nsid = d->info.nsid};
	uint64_t len = (uint64_t)nlb * d->block_bytes, total = 0;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret;

	ret = check_range(d, slba, nlb);
	if (ret)
		return ret;
	if (iovcnt <= 0 || iovcnt > 1024)
		return rl__error(d->t.e, -EINVAL, "%s: %d iovecs: expected 1 to 1024", d->t.name,
				 iovcnt);
	for (int i = 0; i < iovcnt; i++) {
		ret = check_data(d, iov[i].iov_base, iov[i].iov_len);
		if (ret)
			return ret;
		total += iov[i].iov_len;
	}
	if (total != len)
		return rl__error(d->t.e, -EINVAL,
				 "%s: the iovecs hold %llu bytes but %u blocks are %llu bytes",
				 d->t.name, (unsigned long long)total, nlb, (unsigned long long)len);
	ret = check_data(d, NULL, len);
	if (ret)
		return ret;
	c = begin(d, d->t.ring, op, (uint32_t)len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	set_lba(&cmd, slba, nlb);
	cmd.addr = (uintptr_t)iov;
	cmd.data_len = (uint32_t)iovcnt; /* NVME_URING_CMD_IO_VEC: the iovec count */
	finish(d, c, sqe, NVME_URING_CMD_IO_VEC, &cmd, NULL, RL__BUF_FIND);
	return 0;
}

int rl_nvme_readv(struct rl_nvme_dev *d, const struct iovec *iov, int iovcnt, uint64_t slba,
		  uint32_t nlb, rl_complete_fn cb, void *arg)
{
	return rwv(d, RL__NVME_READ, RL_OP_READ, iov, iovcnt, slba, nlb, cb, arg);
}

int rl_nvme_writev(struct rl_nvme_dev *d, const struct iovec *iov, int iovcnt, uint64_t slba,
		   uint32_t nlb, rl_complete_fn cb, void *arg)
{
	return rwv(d, RL__NVME_WRITE, RL_OP_WRITE, iov, iovcnt, slba, nlb, cb, arg);
}

int rl_nvme_write_zeroes(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb, rl_complete_fn cb,
			 void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = RL__NVME_WRITE_ZEROES, .nsid = d->info.nsid};
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret = check_range(d, slba, nlb);

	if (ret)
		return ret;
	c = begin(d, d->t.ring, RL_OP_ZEROES, 0, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	set_lba(&cmd, slba, nlb);
	finish(d, c, sqe, NVME_URING_CMD_IO, &cmd, NULL, RL__BUF_FIND);
	return 0;
}

int rl_nvme_deallocate(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb, rl_complete_fn cb,
		       void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = RL__NVME_DSM, .nsid = d->info.nsid};
	struct nvme_dsm_range {
		uint32_t cattr;
		uint32_t nlb;
		uint64_t slba;
	} *r;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret = check_range(d, slba, nlb);

	if (ret)
		return ret;
	c = begin(d, d->t.ring, RL_OP_TRIM, 0, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	/* The range is command data the device reads: it lives in the slot until the CQE. */
	_Static_assert(sizeof(*r) <= sizeof(c->aux), "DSM range does not fit the slot");
	r = (void *)c->aux;
	*r = (struct nvme_dsm_range){.cattr = 0, .nlb = nlb, .slba = slba};
	cmd.cdw10 = 0;	    /* one range (0's based) */
	cmd.cdw11 = 1 << 2; /* AD: deallocate */
	cmd.addr = (uintptr_t)r;
	cmd.data_len = sizeof(*r);
	finish(d, c, sqe, NVME_URING_CMD_IO, &cmd, NULL, RL__BUF_FIND);
	return 0;
}

int rl_nvme_flush(struct rl_nvme_dev *d, rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = RL__NVME_FLUSH, .nsid = d->info.nsid};
	struct io_uring_sqe *sqe;
	struct rl__cmd *c = begin(d, d->t.ring, RL_OP_FLUSH, 0, cb, arg, &sqe);

	if (!c)
		return -EBUSY;
	finish(d, c, sqe, NVME_URING_CMD_IO, &cmd, NULL, RL__BUF_FIND);
	return 0;
}

/*
 * Admin commands go to the controller device, on the interrupt ring: the admin queue is never
 * polled.
 */
static int admin(struct rl_nvme_dev *d, struct nvme_uring_cmd *cmd, void *buf, uint32_t len,
		 rl_complete_fn cb, void *arg)
{
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret = check_data(d, buf, len);

	if (ret)
		return ret;
	if (d->t.admin_fd < 0)
		return rl__error(d->t.e, -ENODEV,
				 "%s: no controller device (/dev/nvmeX) for admin commands",
				 d->t.name);
	c = begin(d, &d->t.e->ring, RL_OP_ADMIN, len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd->addr = (uintptr_t)buf;
	cmd->data_len = len;
	finish(d, c, sqe, NVME_URING_CMD_ADMIN, cmd, NULL, RL__BUF_FIND);
	return 0;
}

int rl_nvme_identify(struct rl_nvme_dev *d, uint8_t cns, uint32_t nsid, void *buf,
		     rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = RL__NVME_ADMIN_IDENTIFY, .nsid = nsid, .cdw10 = cns};

	return admin(d, &cmd, buf, 4096, cb, arg);
}

int rl_nvme_get_log(struct rl_nvme_dev *d, uint8_t lid, uint32_t nsid, void *buf, uint32_t len,
		    rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd cmd = {.opcode = RL__NVME_ADMIN_GET_LOG, .nsid = nsid};
	uint32_t numd = len / 4 - 1; /* 0's based dword count */

	if (len < 4 || len % 4)
		return rl__error(d->t.e, -EINVAL, "%s: log length %u is not a multiple of 4",
				 d->t.name, len);
	cmd.cdw10 = (numd & 0xffff) << 16 | lid;
	cmd.cdw11 = numd >> 16;
	return admin(d, &cmd, buf, len, cb, arg);
}
