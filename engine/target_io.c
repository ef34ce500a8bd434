// SPDX-License-Identifier: MIT
/* Byte-offset I/O on any target: dispatch to O_DIRECT files or NVMe passthrough. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static struct rl_file *as_file(struct rl_target *t)
{
	return (struct rl_file *)t; /* the target is the first member */
}

static struct rl_nvme_dev *as_nvme(struct rl_target *t)
{
	return (struct rl_nvme_dev *)t;
}

static bool is_nvme(const struct rl_target *t)
{
	return t->kind == RL__KIND_NVME;
}

int rl_target_open(struct rl_engine *e, const char *path, unsigned flags, struct rl_target **out)
{
	struct rl_nvme_opts no = {.opts_size = sizeof(no)};
	struct rl_file_opts fo = {.opts_size = sizeof(fo)};
	struct rl_nvme_dev *d;
	struct rl_file *f;
	struct stat st;
	int ret;

	if (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || (flags & RL_TARGET_PASSTHROUGH))) {
		no.flags = (flags & RL_TARGET_POLLED ? RL_NVME_POLLED : 0) |
			   (flags & RL_TARGET_RAW ? RL_NVME_RAW : 0);
		ret = rl_nvme_open(e, path, &no, &d);
		if (!ret)
			*out = rl_nvme_target(d);
		return ret;
	}
	fo.flags = flags & RL_TARGET_RDONLY ? RL_FILE_RDONLY : 0;
	ret = rl_file_open(e, path, &fo, &f);
	if (!ret)
		*out = rl_file_target(f);
	return ret;
}

int rl_target_close(struct rl_target *t)
{
	return is_nvme(t) ? rl_nvme_close(as_nvme(t)) : rl_file_close(as_file(t));
}

const char *rl_target_engine_path(const struct rl_target *t)
{
	return is_nvme(t) ? "passthrough" : "direct";
}

uint64_t rl_target_size(const struct rl_target *t)
{
	struct rl_target *m = (struct rl_target *)t;

	return is_nvme(t) ? rl_nvme_info(as_nvme(m))->capacity_bytes : rl_file_size(as_file(m));
}

uint32_t rl_target_block_size(const struct rl_target *t)
{
	struct rl_target *m = (struct rl_target *)t;

	return is_nvme(t) ? rl_nvme_info(as_nvme(m))->lba_size : rl_file_offset_align(as_file(m));
}

uint32_t rl_target_mem_align(const struct rl_target *t)
{
	struct rl_target *m = (struct rl_target *)t;

	return is_nvme(t) ? 4 : rl_file_mem_align(as_file(m));
}

static inline int target_rw(struct rl_target *t, bool write, void *buf, uint64_t len,
			    uint64_t off, int bi, rl_complete_fn cb, void *arg)
{
	return is_nvme(t) ? rl__nvme_rw(as_nvme(t), write, buf, len, off, bi, cb, arg)
			  : rl__file_rw(as_file(t), write, buf, len, off, bi, cb, arg);
}

int rl_target_read(struct rl_target *t, void *buf, uint64_t len, uint64_t off, rl_complete_fn cb,
		   void *arg)
{
	return target_rw(t, false, buf, len, off, RL__BUF_FIND, cb, arg);
}

int rl_target_write(struct rl_target *t, const void *buf, uint64_t len, uint64_t off,
		    rl_complete_fn cb, void *arg)
{
	return target_rw(t, true, (void *)buf, len, off, RL__BUF_FIND, cb, arg);
}

int rl_target_read_fixed(struct rl_target *t, void *buf, uint64_t len, uint64_t off,
			 int buf_index, rl_complete_fn cb, void *arg)
{
	int ret = rl__buf_check(t->e, buf_index, buf, len);

	return ret ? ret : target_rw(t, false, buf, len, off, buf_index, cb, arg);
}

int rl_target_write_fixed(struct rl_target *t, const void *buf, uint64_t len, uint64_t off,
			  int buf_index, rl_complete_fn cb, void *arg)
{
	int ret = rl__buf_check(t->e, buf_index, buf, len);

	return ret ? ret : target_rw(t, true, (void *)buf, len, off, buf_index, cb, arg);
}

static uint64_t iov_bytes(const struct iovec *iov, int iovcnt)
{
	uint64_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return len;
}

int rl_target_readv(struct rl_target *t, const struct iovec *iov, int iovcnt, uint64_t off,
		    rl_complete_fn cb, void *arg)
{
	uint64_t slba;
	uint32_t nlb;
	int ret;

	if (!is_nvme(t))
		return rl_file_readv(as_file(t), iov, iovcnt, off, cb, arg);
	ret = rl__nvme_to_lba(as_nvme(t), off, iov_bytes(iov, iovcnt), &slba, &nlb);
	return ret ? ret : rl_nvme_readv(as_nvme(t), iov, iovcnt, slba, nlb, cb, arg);
}

int rl_target_writev(struct rl_target *t, const struct iovec *iov, int iovcnt, uint64_t off,
		     rl_complete_fn cb, void *arg)
{
	uint64_t slba;
	uint32_t nlb;
	int ret;

	if (!is_nvme(t))
		return rl_file_writev(as_file(t), iov, iovcnt, off, cb, arg);
	ret = rl__nvme_to_lba(as_nvme(t), off, iov_bytes(iov, iovcnt), &slba, &nlb);
	return ret ? ret : rl_nvme_writev(as_nvme(t), iov, iovcnt, slba, nlb, cb, arg);
}

int rl_target_write_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb,
			   void *arg)
{
	uint64_t slba;
	uint32_t nlb;
	int ret;

	if (!is_nvme(t))
		return rl_file_write_zeroes(as_file(t), off, len, cb, arg);
	ret = rl__nvme_to_lba(as_nvme(t), off, len, &slba, &nlb);
	return ret ? ret : rl_nvme_write_zeroes(as_nvme(t), slba, nlb, cb, arg);
}

int rl_target_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	uint64_t slba;
	uint32_t nlb;
	int ret;

	if (!is_nvme(t))
		return rl_file_trim(as_file(t), off, len, cb, arg);
	ret = rl__nvme_to_lba(as_nvme(t), off, len, &slba, &nlb);
	return ret ? ret : rl_nvme_deallocate(as_nvme(t), slba, nlb, cb, arg);
}

int rl_target_flush(struct rl_target *t, rl_complete_fn cb, void *arg)
{
	return is_nvme(t) ? rl_nvme_flush(as_nvme(t), cb, arg) : rl_file_fsync(as_file(t), 1, cb, arg);
}
