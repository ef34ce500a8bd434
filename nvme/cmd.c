// SPDX-License-Identifier: MIT
/* NVMe commands as IORING_OP_URING_CMD: validation, then the command in the 128-byte SQE. */
#include <errno.h>
#include <string.h>

#include "nvme_private.h"
#include "ringline/pi.h"

/*
 * Zero a 128-byte SQE and start an NVMe command in the 80 bytes from sqe->cmd on, in place;
 * the caller fills in the rest of the command.
 */
static struct nvme_uring_cmd *prep(struct rl_nvme_dev *d, struct io_uring_sqe *sqe, uint32_t cmd_op,
				   uint8_t opcode)
{
	struct nvme_uring_cmd *cmd = (struct nvme_uring_cmd *)sqe->cmd;

	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = (int)(cmd_op == NVME_URING_CMD_ADMIN ? d->admin_findex : d->t.findex);
	sqe->cmd_op = cmd_op;
	cmd->opcode = opcode;
	cmd->nsid = d->info.nsid;
	return cmd;
}

void rl__nvme_set_limits(struct rl_nvme_dev *d)
{
	const struct rl_nvme_info *in = &d->info;
	uint64_t max = (uint64_t)in->lba_size << 16; /* 65536 blocks: NLB is 16 bits */

	d->block_bytes = in->lba_size + (in->extended ? in->ms : 0);
	d->lba_shift = (uint8_t)__builtin_ctz(in->lba_size); /* a power of two */
	d->byte_io_max = in->extended ? 0 : (in->max_transfer < max ? in->max_transfer : max);
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
		c->res_status = 1;
	return c;
}

/*
 * Point the command at @buf, from registered buffer @bi, or with RL__BUF_FIND the registered
 * buffer that holds it, if one does.
 */
static void set_data(struct rl_nvme_dev *d, struct io_uring_sqe *sqe, const void *buf, uint32_t len,
		     int bi)
{
	struct nvme_uring_cmd *cmd = (struct nvme_uring_cmd *)sqe->cmd;

	cmd->addr = (uintptr_t)buf;
	cmd->data_len = len;
	if (bi == RL__BUF_FIND)
		bi = rl__buf_index(d->t.e, buf, len);
	if (bi >= 0) {
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = (uint16_t)bi;
	}
}

/* A read, write or compare of @nlb blocks from @slba that passed every check. */
static int submit_rw(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const void *buf,
		     uint64_t slba, uint32_t nlb, int bi, rl_complete_fn cb, void *arg)
{
	uint32_t len = nlb * d->block_bytes; /* within max_transfer, so 32 bits */
	struct io_uring_sqe *sqe;
	struct rl__cmd *c = begin(d, d->t.ring, op, len, cb, arg, &sqe);

	if (!c)
		return -EBUSY;
	set_lba(prep(d, sqe, NVME_URING_CMD_IO, opcode), slba, nlb);
	set_data(d, sqe, buf, len, bi);
	rl__cmd_commit(c, sqe);
	return 0;
}

static int rw(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const void *buf, uint64_t slba,
	      uint32_t nlb, int bi, rl_complete_fn cb, void *arg)
{
	int ret = check_range(d, slba, nlb);

	if (!ret)
		ret = check_data(d, buf, (uint64_t)nlb * d->block_bytes);
	return ret ? ret : submit_rw(d, opcode, op, buf, slba, nlb, bi, cb, arg);
}

/* A byte range as LBAs, or -EINVAL (-EOPNOTSUPP on extended LBAs) with a message saying why. */
static int to_lba(struct rl_nvme_dev *d, uint64_t off, uint64_t len, uint64_t *slba, uint32_t *nlb)
{
	const struct rl_nvme_info *in = &d->info;

	if (in->extended)
		return rl__error(d->t.e, -EOPNOTSUPP,
				 "%s: byte-offset I/O does not apply to an extended-LBA format "
				 "(metadata interleaved): use rl_nvme_read()/rl_nvme_write()",
				 d->t.name);
	if (rl__mod_pow2(off, in->lba_size))
		return rl__error(d->t.e, -EINVAL,
				 "%s: offset %llu is not a multiple of the LBA size %u", d->t.name,
				 (unsigned long long)off, in->lba_size);
	if (len == 0 || rl__mod_pow2(len, in->lba_size))
		return rl__error(d->t.e, -EINVAL,
				 "%s: length %llu is not a non-zero multiple of the LBA size %u",
				 d->t.name, (unsigned long long)len, in->lba_size);
	if (len >> d->lba_shift > 65536)
		return rl__error(d->t.e, -EINVAL,
				 "%s: length %llu is above 65536 blocks of %u bytes", d->t.name,
				 (unsigned long long)len, in->lba_size);
	*slba = off >> d->lba_shift;
	*nlb = (uint32_t)(len >> d->lba_shift);
	return 0;
}

/* The checks of rl__nvme_rw() one by one, for the message that says which failed. */
static __attribute__((cold, noinline)) int refuse_rw(struct rl_nvme_dev *d, uint8_t opcode,
						     enum rl_op op, void *buf, uint64_t len,
						     uint64_t off, int bi, rl_complete_fn cb,
						     void *arg)
{
	uint64_t slba;
	uint32_t nlb;
	int ret = to_lba(d, off, len, &slba, &nlb);

	return ret ? ret : rw(d, opcode, op, buf, slba, nlb, bi, cb, arg);
}

/* Byte-offset reads and writes (rl_target_*()), the hot path: every limit in one test. */
int rl__nvme_rw(struct rl_target *t, bool write, void *buf, uint64_t len, uint64_t off, int bi,
		rl_complete_fn cb, void *arg)
{
	struct rl_nvme_dev *d = rl__nvme_of(t);
	const struct rl_nvme_info *in = &d->info;
	uint64_t slba = off >> d->lba_shift, nlb = len >> d->lba_shift;
	uint8_t opcode = write ? RL__NVME_WRITE : RL__NVME_READ;
	enum rl_op op = write ? RL_OP_WRITE : RL_OP_READ;

	/* byte_io_max is 0 where byte offsets do not apply, so len - 1 catches len 0 too. */
	if (__builtin_expect(rl__mod_pow2(off | len, in->lba_size) || len - 1 >= d->byte_io_max ||
				 (uintptr_t)buf % 4 ||
				 (!d->raw && (slba >= in->nsze || nlb > in->nsze - slba)),
			     0))
		return refuse_rw(d, opcode, op, buf, len, off, bi, cb, arg);
	return submit_rw(d, opcode, op, buf, slba, (uint32_t)nlb, bi, cb, arg);
}

/* A byte-offset Write with Force Unit Access: rl_target_write_flags(). */
int rl__nvme_write_fua(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int bi,
		       rl_complete_fn cb, void *arg)
{
	struct rl_nvme_dev *d = rl__nvme_of(t);
	struct nvme_uring_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	uint64_t slba;
	uint32_t nlb;
	int ret = to_lba(d, off, len, &slba, &nlb);

	if (!ret)
		ret = check_range(d, slba, nlb);
	if (!ret)
		ret = check_data(d, buf, len);
	if (ret)
		return ret;
	c = begin(d, d->t.ring, RL_OP_WRITE, (uint32_t)len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd = prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_WRITE);
	set_lba(cmd, slba, nlb);
	cmd->cdw12 |= RL_NVME_IO_FUA; /* CDW12 bit 30, ringline/pi.h */
	set_data(d, sqe, buf, (uint32_t)len, bi);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_nvme_read(struct rl_nvme_dev *d, void *buf, uint64_t slba, uint32_t nlb, rl_complete_fn cb,
		 void *arg)
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
	uint64_t len = (uint64_t)nlb * d->block_bytes, total = 0;
	struct nvme_uring_cmd *cmd;
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
		return rl__error(
		    d->t.e, -EINVAL, "%s: the iovecs hold %llu bytes but %u blocks are %llu bytes",
		    d->t.name, (unsigned long long)total, nlb, (unsigned long long)len);
	ret = check_data(d, NULL, len);
	if (ret)
		return ret;
	c = begin(d, d->t.ring, op, (uint32_t)len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd = prep(d, sqe, NVME_URING_CMD_IO_VEC, opcode);
	set_lba(cmd, slba, nlb);
	cmd->addr = (uintptr_t)iov;
	cmd->data_len = (uint32_t)iovcnt; /* NVME_URING_CMD_IO_VEC: the iovec count */
	rl__cmd_commit(c, sqe);
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

/* The segments' total, for the byte-offset vectored calls. */
static uint64_t iov_bytes(const struct iovec *iov, int iovcnt)
{
	uint64_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return len;
}

int rl__nvme_rwv(struct rl_target *t, bool write, const struct iovec *iov, int iovcnt, uint64_t off,
		 rl_complete_fn cb, void *arg)
{
	struct rl_nvme_dev *d = rl__nvme_of(t);
	uint64_t slba;
	uint32_t nlb;
	int ret = to_lba(d, off, iov_bytes(iov, iovcnt), &slba, &nlb);

	if (ret)
		return ret;
	return write ? rwv(d, RL__NVME_WRITE, RL_OP_WRITE, iov, iovcnt, slba, nlb, cb, arg)
		     : rwv(d, RL__NVME_READ, RL_OP_READ, iov, iovcnt, slba, nlb, cb, arg);
}

int rl_nvme_write_zeroes(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb, rl_complete_fn cb,
			 void *arg)
{
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret = check_range(d, slba, nlb);

	if (ret)
		return ret;
	c = begin(d, d->t.ring, RL_OP_ZEROES, 0, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	set_lba(prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_WRITE_ZEROES), slba, nlb);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_nvme_deallocate(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb, rl_complete_fn cb,
		       void *arg)
{
	struct nvme_dsm_range {
		uint32_t cattr;
		uint32_t nlb;
		uint64_t slba;
	} * r;
	struct nvme_uring_cmd *cmd;
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
	cmd = prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_DSM);
	cmd->cdw10 = 0;	     /* one range (0's based) */
	cmd->cdw11 = 1 << 2; /* AD: deallocate */
	cmd->addr = (uintptr_t)r;
	cmd->data_len = sizeof(*r);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_nvme_flush(struct rl_nvme_dev *d, rl_complete_fn cb, void *arg)
{
	struct io_uring_sqe *sqe;
	struct rl__cmd *c = begin(d, d->t.ring, RL_OP_FLUSH, 0, cb, arg, &sqe);

	if (!c)
		return -EBUSY;
	prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_FLUSH);
	rl__cmd_commit(c, sqe);
	return 0;
}

/*
 * Admin commands go to the controller device, on the interrupt ring: the admin queue is never
 * polled.
 */
static int admin(struct rl_nvme_dev *d, uint8_t opcode, uint32_t nsid, uint32_t cdw10,
		 uint32_t cdw11, void *buf, uint32_t len, rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret = check_data(d, buf, len);

	if (ret)
		return ret;
	if (d->admin_fd < 0)
		return rl__error(d->t.e, -ENODEV,
				 "%s: no controller device (/dev/nvmeX) for admin commands",
				 d->t.name);
	c = begin(d, &d->t.e->ring, RL_OP_ADMIN, len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd = prep(d, sqe, NVME_URING_CMD_ADMIN, opcode);
	cmd->nsid = nsid;
	cmd->cdw10 = cdw10;
	cmd->cdw11 = cdw11;
	cmd->addr = (uintptr_t)buf;
	cmd->data_len = len;
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_nvme_identify(struct rl_nvme_dev *d, uint8_t cns, uint32_t nsid, void *buf,
		     rl_complete_fn cb, void *arg)
{
	return admin(d, RL__NVME_ADMIN_IDENTIFY, nsid, cns, 0, buf, 4096, cb, arg);
}

int rl_nvme_get_log(struct rl_nvme_dev *d, uint8_t lid, uint32_t nsid, void *buf, uint32_t len,
		    rl_complete_fn cb, void *arg)
{
	uint32_t numd = len / 4 - 1; /* 0's based dword count */

	if (len < 4 || len % 4)
		return rl__error(d->t.e, -EINVAL, "%s: log length %u is not a multiple of 4",
				 d->t.name, len);
	return admin(d, RL__NVME_ADMIN_GET_LOG, nsid, (numd & 0xffff) << 16 | lid, numd >> 16, buf,
		     len, cb, arg);
}

/* A byte-range operation as the LBA-range call @fn, once the range converts to LBAs. */
static int by_lba(struct rl_target *t, uint64_t off, uint64_t len,
		  int (*fn)(struct rl_nvme_dev *, uint64_t, uint32_t, rl_complete_fn, void *),
		  rl_complete_fn cb, void *arg)
{
	struct rl_nvme_dev *d = rl__nvme_of(t);
	uint64_t slba;
	uint32_t nlb;
	int ret = to_lba(d, off, len, &slba, &nlb);

	return ret ? ret : fn(d, slba, nlb, cb, arg);
}

int rl__nvme_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return by_lba(t, off, len, rl_nvme_write_zeroes, cb, arg);
}

int rl__nvme_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return by_lba(t, off, len, rl_nvme_deallocate, cb, arg);
}

int rl__nvme_flush_op(struct rl_target *t, rl_complete_fn cb, void *arg)
{
	return rl_nvme_flush(rl__nvme_of(t), cb, arg);
}

/*
 * A command with dwords beyond the LBA range (nvme/pi.c checked everything): @buf NULL moves no
 * data (Verify, Write Zeroes); @x->md is the separate metadata buffer, if any.
 */
int rl__nvme_submit_ext(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const void *buf,
			uint64_t slba, uint32_t nlb, const struct rl__nvme_ext *x,
			rl_complete_fn cb, void *arg)
{
	uint32_t len = buf ? nlb * x->block_bytes : 0;
	struct nvme_uring_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c = begin(d, d->t.ring, op, len, cb, arg, &sqe);

	if (!c)
		return -EBUSY;
	cmd = prep(d, sqe, NVME_URING_CMD_IO, opcode);
	set_lba(cmd, slba, nlb);
	cmd->cdw12 |= x->cdw12;
	cmd->cdw3 = x->cdw3;
	cmd->cdw14 = x->cdw14;
	cmd->cdw15 = x->cdw15;
	cmd->metadata = (uintptr_t)x->md;
	cmd->metadata_len = x->md_len;
	if (buf)
		set_data(d, sqe, buf, len, RL__BUF_FIND);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl__nvme_check(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb)
{
	int ret = check_range(d, slba, nlb);

	return ret || !buf ? ret : check_data(d, buf, (uint64_t)nlb * d->block_bytes);
}

struct nvme_uring_cmd *rl__nvme_prep(struct rl_nvme_dev *d, struct io_uring_sqe *sqe,
				     uint32_t cmd_op, uint8_t opcode)
{
	return prep(d, sqe, cmd_op, opcode);
}

struct rl__cmd *rl__nvme_begin(struct rl_nvme_dev *d, struct io_uring *ring, enum rl_op op,
			       uint32_t len, rl_complete_fn cb, void *arg,
			       struct io_uring_sqe **sqe)
{
	return begin(d, ring, op, len, cb, arg, sqe);
}

void rl__nvme_set_data(struct rl_nvme_dev *d, struct io_uring_sqe *sqe, const void *buf,
		       uint32_t len, int bi)
{
	set_data(d, sqe, buf, len, bi);
}

int rl__nvme_check_data(struct rl_nvme_dev *d, const void *buf, uint64_t len)
{
	return check_data(d, buf, len);
}
