// SPDX-License-Identifier: MIT
/* Byte-offset I/O on any target, through the backend's ops table: the engine names no backend. */
#include <errno.h>

#include "internal.h"

int rl_target_close(struct rl_target *t)
{
	if (t->inflight)
		return rl__error(t->e, -EBUSY,
				 "%s: %u commands in flight: reap them before closing", t->name,
				 t->inflight);
	t->ops->close(t);
	return 0;
}

enum rl_target_kind rl_target_kind(const struct rl_target *t)
{
	return t->ops->kind;
}

const char *rl_target_engine_path(const struct rl_target *t)
{
	return t->ops->engine_path;
}

uint64_t rl_target_size(const struct rl_target *t)
{
	return t->ops->size(t);
}

uint32_t rl_target_block_size(const struct rl_target *t)
{
	return t->ops->block_size(t);
}

uint32_t rl_target_mem_align(const struct rl_target *t)
{
	return t->ops->mem_align(t);
}

int rl_target_read(struct rl_target *t, void *buf, uint64_t len, uint64_t off, rl_complete_fn cb,
		   void *arg)
{
	return t->ops->rw(t, false, buf, len, off, RL__BUF_FIND, cb, arg);
}

int rl_target_write(struct rl_target *t, const void *buf, uint64_t len, uint64_t off,
		    rl_complete_fn cb, void *arg)
{
	return t->ops->rw(t, true, (void *)buf, len, off, RL__BUF_FIND, cb, arg);
}

int rl_target_read_fixed(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int buf_index,
			 rl_complete_fn cb, void *arg)
{
	if (__builtin_expect(!rl__buf_holds(t->e, buf_index, buf, len), 0))
		return rl__buf_refuse(t->e, buf_index, buf, len);
	return t->ops->rw(t, false, buf, len, off, buf_index, cb, arg);
}

int rl_target_write_fixed(struct rl_target *t, const void *buf, uint64_t len, uint64_t off,
			  int buf_index, rl_complete_fn cb, void *arg)
{
	if (__builtin_expect(!rl__buf_holds(t->e, buf_index, buf, len), 0))
		return rl__buf_refuse(t->e, buf_index, buf, len);
	return t->ops->rw(t, true, (void *)buf, len, off, buf_index, cb, arg);
}

int rl_target_write_flags(struct rl_target *t, const void *buf, uint64_t len, uint64_t off,
			  int buf_index, unsigned flags, rl_complete_fn cb, void *arg)
{
	if (buf_index != RL__BUF_FIND && !rl__buf_holds(t->e, buf_index, buf, len))
		return rl__buf_refuse(t->e, buf_index, buf, len);
	if (flags & ~RL_IO_FUA)
		return rl__error(t->e, -EINVAL, "%s: unknown write flags 0x%x (RL_IO_FUA is 0x%x)",
				 t->name, flags & ~RL_IO_FUA, RL_IO_FUA);
	if (!flags)
		return t->ops->rw(t, true, (void *)buf, len, off, buf_index, cb, arg);
	if (!t->ops->write_fua)
		return rl__error(t->e, -EOPNOTSUPP, "%s: this target has no FUA write", t->name);
	return t->ops->write_fua(t, (void *)buf, len, off, buf_index, cb, arg);
}

int rl_target_readv(struct rl_target *t, const struct iovec *iov, int iovcnt, uint64_t off,
		    rl_complete_fn cb, void *arg)
{
	return t->ops->rwv(t, false, iov, iovcnt, off, cb, arg);
}

int rl_target_writev(struct rl_target *t, const struct iovec *iov, int iovcnt, uint64_t off,
		     rl_complete_fn cb, void *arg)
{
	return t->ops->rwv(t, true, iov, iovcnt, off, cb, arg);
}

int rl_target_write_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb,
			   void *arg)
{
	return t->ops->zeroes(t, off, len, cb, arg);
}

int rl_target_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return t->ops->trim(t, off, len, cb, arg);
}

int rl_target_flush(struct rl_target *t, rl_complete_fn cb, void *arg)
{
	return t->ops->flush(t, cb, arg);
}
