// SPDX-License-Identifier: MIT
/*
 * The provided-buffer ring that every multishot receive picks its buffers from. A received
 * buffer is held by its connection (a list of buffer ids) until the bytes are copied into the
 * connection's input, then given back. A receive that ended with ENOBUFS is re-armed after a
 * buffer has come back, never in a loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "net_internal.h"

#define BUF_GROUP 0

static char *buf_addr(const struct rl__net *n, int32_t bid)
{
	return n->bufmem + (size_t)bid * n->buf_size;
}

static void bufring_free(struct rl__net *n)
{
	if (n->br)
		munmap(n->br, n->br_size);
	free(n->bufs);
	free(n->bufmem);
	n->br = NULL;
	n->bufs = NULL;
	n->bufmem = NULL;
}

int rl__bufring_init(struct rl_engine *e, struct rl__net *n)
{
	struct io_uring_buf_reg reg = {0};
	int ret;

	n->nbufs = e->net_bufs;
	n->buf_size = e->net_buf_size;
	n->bufs = calloc(n->nbufs, sizeof(*n->bufs));
	n->bufmem = malloc((size_t)n->nbufs * n->buf_size);
	/* The kernel reads the buffer ring from shared memory: page-aligned, whole pages. */
	n->br_size = (n->nbufs * sizeof(struct io_uring_buf) + 4095) & ~(size_t)4095;
	n->br = mmap(NULL, n->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (n->br == MAP_FAILED)
		n->br = NULL;
	if (!n->bufs || !n->bufmem || !n->br) {
		ret = -ENOMEM;
		goto err;
	}
	io_uring_buf_ring_init(n->br);
	reg.ring_addr = (uint64_t)(uintptr_t)n->br;
	reg.ring_entries = n->nbufs;
	reg.bgid = BUF_GROUP;
	ret = io_uring_register_buf_ring(&e->ring, &reg, 0);
	if (ret) {
		rl__error(e, ret, "cannot register the receive buffer ring: %s", strerror(-ret));
		goto err;
	}
	for (unsigned i = 0; i < n->nbufs; i++)
		io_uring_buf_ring_add(n->br, buf_addr(n, (int32_t)i), n->buf_size,
				      (unsigned short)i, io_uring_buf_ring_mask(n->nbufs), (int)i);
	io_uring_buf_ring_advance(n->br, (int)n->nbufs);
	n->bufs_free = n->nbufs;
	n->st.bufs = n->nbufs;
	return 0;
err:
	bufring_free(n);
	return ret;
}

void rl__bufring_fini(struct rl_engine *e, struct rl__net *n)
{
	io_uring_unregister_buf_ring(&e->ring, BUF_GROUP);
	bufring_free(n);
}

void rl__buf_prep_recv(struct io_uring_sqe *sqe, int fd)
{
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
}

int32_t rl__buf_taken(struct rl__net *n, uint32_t flags)
{
	if (!(flags & IORING_CQE_F_BUFFER))
		return -1;
	n->bufs_free--;
	return (int32_t)(flags >> IORING_CQE_BUFFER_SHIFT);
}

void rl__buf_give_back(struct rl__net *n, int32_t bid)
{
	io_uring_buf_ring_add(n->br, buf_addr(n, bid), n->buf_size, (unsigned short)bid,
			      io_uring_buf_ring_mask(n->nbufs), 0);
	io_uring_buf_ring_advance(n->br, 1);
	n->bufs_free++;
	/* Receives that ended with ENOBUFS are re-armed now that a buffer is back, not before. */
	if (n->want_bufs) {
		for (unsigned i = 0; i < n->conn_cap && n->want_bufs; i++) {
			struct rl_conn *c = &n->conns[i];

			if (c->state != CONN_FREE && c->want_bufs) {
				c->want_bufs = 0;
				n->want_bufs--;
				rl__conn_progress(n, c);
			}
		}
	}
}

void rl__buf_wait(struct rl__net *n, struct rl_conn *c)
{
	/* Given back since the ring ran dry: re-arm now; else when one comes back. */
	if (!n->bufs_free && !c->want_bufs) {
		c->want_bufs = 1;
		n->want_bufs++;
	}
}

void rl__buf_hold(struct rl__net *n, struct rl_conn *c, int32_t bid, uint32_t len)
{
	n->bufs[bid] = (struct net_buf){.len = len, .off = 0, .next = -1};
	if (c->held_tail >= 0)
		n->bufs[c->held_tail].next = bid;
	else
		c->held_head = bid;
	c->held_tail = bid;
}

uint32_t rl__buf_copy_held(struct rl__net *n, struct rl_conn *c, char *dst, uint32_t room)
{
	uint32_t copied = 0;

	while (c->held_head >= 0 && copied < room) {
		int32_t bid = c->held_head;
		struct net_buf *b = &n->bufs[bid];
		uint32_t take = b->len - b->off;

		if (take > room - copied)
			take = room - copied;
		memcpy(dst + copied, buf_addr(n, bid) + b->off, take);
		b->off += take;
		copied += take;
		if (b->off == b->len) {
			c->held_head = b->next;
			if (c->held_head < 0)
				c->held_tail = -1;
			rl__buf_give_back(n, bid);
		}
	}
	return copied;
}

void rl__buf_drop_held(struct rl__net *n, struct rl_conn *c)
{
	while (c->held_head >= 0) {
		int32_t bid = c->held_head;

		c->held_head = n->bufs[bid].next;
		rl__buf_give_back(n, bid);
	}
	c->held_tail = -1;
}
