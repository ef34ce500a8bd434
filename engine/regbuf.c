// SPDX-License-Identifier: MIT
/* Registered buffers: registration in both rings, and the search by address the I/O path uses. */
#include <errno.h>
#include <string.h>

#include "internal.h"

/*
 * rl__buf_index() searches the registered buffers by start address. Of overlapping registrations
 * it tries only the one starting last at or before the I/O: an I/O it misses still runs, from
 * an unregistered buffer.
 */
static void order_insert(struct rl_engine *e, unsigned slot)
{
	struct rl__buf_range r = {e->bufs[slot].addr, e->bufs[slot].addr + e->bufs[slot].len, slot};
	unsigned pos = e->nbuf_order;

	for (; pos && e->buf_order[pos - 1].addr > r.addr; pos--)
		e->buf_order[pos] = e->buf_order[pos - 1];
	e->buf_order[pos] = r;
	e->nbuf_order++;
}

static void order_remove(struct rl_engine *e, unsigned slot)
{
	unsigned pos = 0;

	while (e->buf_order[pos].slot != slot)
		pos++;
	e->nbuf_order--;
	memmove(&e->buf_order[pos], &e->buf_order[pos + 1],
		(e->nbuf_order - pos) * sizeof(*e->buf_order));
}

int rl_engine_register_buffer(struct rl_engine *e, void *addr, size_t len)
{
	struct iovec iov = {.iov_base = addr, .iov_len = len};
	int ret;

	if (!addr || !len)
		return rl__error(e, -EINVAL, "cannot register an empty buffer");
	for (unsigned i = 0; i < e->nbufs; i++) {
		if (e->bufs[i].addr)
			continue;
		ret = io_uring_register_buffers_update_tag(&e->ring, i, &iov, NULL, 1);
		if (ret >= 0 && (e->features & RL_FEAT_IOPOLL))
			ret = io_uring_register_buffers_update_tag(&e->pring, i, &iov, NULL, 1);
		if (ret < 0) {
			iov = (struct iovec){0};
			io_uring_register_buffers_update_tag(&e->ring, i, &iov, NULL, 1);
			return rl__error(e, ret, "registering a %zu-byte buffer: %s", len,
					 strerror(-ret));
		}
		e->bufs[i].addr = (uintptr_t)addr;
		e->bufs[i].len = len;
		order_insert(e, i);
		return (int)i;
	}
	return rl__error(e, -ENOSPC, "all %u registered buffer slots are in use", e->nbufs);
}

int rl_engine_unregister_buffer(struct rl_engine *e, int index)
{
	struct iovec iov = {0};

	if (index < 0 || (unsigned)index >= e->nbufs || !e->bufs[index].addr)
		return -ENOENT;
	/* A command in flight may use it; the slab does not track which buffer each one uses. */
	if (rl_engine_inflight(e))
		return -EBUSY;
	io_uring_register_buffers_update_tag(&e->ring, index, &iov, NULL, 1);
	if (e->features & RL_FEAT_IOPOLL)
		io_uring_register_buffers_update_tag(&e->pring, index, &iov, NULL, 1);
	order_remove(e, (unsigned)index);
	e->bufs[index].addr = 0;
	e->bufs[index].len = 0;
	return 0;
}

/* The registered buffer that holds [addr, addr + len): a binary search by start address. */
int rl__buf_index(const struct rl_engine *e, const void *addr, size_t len)
{
	const struct rl__buf_range *o = e->buf_order;
	uintptr_t a = (uintptr_t)addr;
	unsigned n = e->nbuf_order, half;

	if (!n)
		return -1;
	/* The last buffer that starts at or before @addr, or the first one if none does. */
	while (n > 1) {
		half = n / 2;
		o = o[half].addr <= a ? o + half : o;
		n -= half;
	}
	return o->addr <= a && a + len <= o->end ? (int)o->slot : -1;
}

int rl__buf_refuse(struct rl_engine *e, int index, const void *addr, uint64_t len)
{
	const struct rl__buf *b;

	if (index < 0 || (unsigned)index >= e->nbufs || !e->bufs[index].addr)
		return rl__error(e, -EINVAL, "registered buffer %d does not exist", index);
	b = &e->bufs[index];
	return rl__error(e, -EINVAL, "buffer %p+%llu is not inside registered buffer %d (%p+%zu)",
			 addr, (unsigned long long)len, index, (void *)b->addr, b->len);
}
