/* SPDX-License-Identifier: MIT */
/* Private: registered buffers, found by address or named by index, checked in O(1). */
#ifndef RINGLINE_ENGINE_REGBUF_H
#define RINGLINE_ENGINE_REGBUF_H

#include <stdbool.h>
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

/*
 * Whether registered buffer @index holds [@addr, @addr + @len). The caller returns
 * rl__buf_refuse() when not: a tail call, so the check keeps no registers of its caller.
 */
static inline bool rl__buf_holds(const struct rl_engine *e, int index, const void *addr,
				 uint64_t len)
{
	uintptr_t a = (uintptr_t)addr;
	const struct rl__buf *b;

	if (index < 0 || (unsigned)index >= e->nbufs)
		return false;
	b = &e->bufs[index];
	/* A free slot has length 0, so it holds nothing. */
	return a >= b->addr && len <= b->len && a - b->addr <= b->len - len;
}

/*
 * The registered buffer a backend's read or write uses: @bi, which the caller checked with
 * rl__buf_holds(), or RL__BUF_FIND: whichever registered buffer holds the data, if one does.
 */
#define RL__BUF_FIND (-1)

#endif
