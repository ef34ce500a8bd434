/* SPDX-License-Identifier: MIT */
/* Private: registered buffers, found by address or named by index, checked in O(1). */
#ifndef RINGLINE_ENGINE_REGBUF_H
#define RINGLINE_ENGINE_REGBUF_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

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
 * The registered buffer a backend's read or write uses: @bi, which the caller checked with
 * rl__buf_check(), or RL__BUF_FIND: whichever registered buffer holds the data, if one does.
 */
#define RL__BUF_FIND (-1)

#endif
