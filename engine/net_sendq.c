// SPDX-License-Identifier: MIT
/*
 * Sending: one pool of fixed-size chunks for the engine, a queue of chunks per connection, and
 * one send in flight per connection, a sendmsg over up to NET_SEND_IOV chunks from the head of
 * its queue. A connection whose send was refused for lack of room is offered its input again
 * when a chunk comes back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net_internal.h"

int rl__sendq_init(struct rl__net *n, size_t pool_bytes)
{
	n->nchunks = pool_bytes / NET_CHUNK ? (unsigned)(pool_bytes / NET_CHUNK) : 1;
	n->pool = malloc((size_t)n->nchunks * NET_CHUNK);
	if (!n->pool)
		return -ENOMEM;
	for (unsigned i = 0; i < n->nchunks; i++) {
		struct net_chunk *ch = (struct net_chunk *)(n->pool + (size_t)i * NET_CHUNK);

		ch->next = n->free_chunks;
		n->free_chunks = ch;
	}
	n->chunks_free = n->nchunks;
	n->st.send_pool = (size_t)n->nchunks * NET_CHUNK_DATA;
	return 0;
}

void rl__sendq_fini(struct rl__net *n)
{
	free(n->pool);
	n->pool = NULL;
	n->free_chunks = NULL;
}

/* Return a chunk of @c's queue to the pool; its unsent bytes are dropped. */
static void chunk_put(struct rl__net *n, struct rl_conn *c, struct net_chunk *ch)
{
	c->queued -= ch->len - ch->off;
	n->st.send_queued -= ch->len - ch->off;
	ch->next = n->free_chunks;
	n->free_chunks = ch;
	n->chunks_free++;
}

/*
 * Chunks came back without a send completing (a connection closed with its queue full): wake
 * the connections a refused send left waiting, from the loop (rl_conn_resume()), since this
 * runs within whatever closes the connection, perhaps another connection's on_data.
 */
static void wake_later(struct rl__net *n, struct rl_conn *except)
{
	for (unsigned i = 0; i < n->conn_cap && n->want_room; i++) {
		struct rl_conn *w = &n->conns[i];

		if (w->want_room && w != except) {
			w->want_room = 0;
			n->want_room--;
			rl_conn_resume(w);
		}
	}
}

void rl__sendq_drop(struct rl__net *n, struct rl_conn *c)
{
	struct net_chunk *keep = NULL, *ch = c->sq_head;
	bool freed;

	/* The chunks a send in flight covers stay until its CQE: the kernel reads them. */
	if (c->send_op != NET_OP_IDLE)
		for (unsigned k = 0; ch && k < c->send_msg.msg_iovlen; k++, ch = ch->next)
			keep = ch;
	freed = ch != NULL;
	while (ch) {
		struct net_chunk *next = ch->next;

		chunk_put(n, c, ch);
		ch = next;
	}
	if (keep) {
		keep->next = NULL;
		c->sq_tail = keep;
	} else {
		c->sq_head = c->sq_tail = NULL;
	}
	if (freed && n->want_room)
		wake_later(n, c);
}

void rl__sendq_start(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe = rl__conn_sqe(n, c, RL__TAG_NET_SEND);
	struct net_chunk *ch = c->sq_head;
	unsigned k = 0;

	if (!sqe)
		return;
	/* Appends to the tail chunk while the send is in flight land past the range it covers. */
	for (; ch && k < NET_SEND_IOV; ch = ch->next, k++)
		c->send_iov[k] = (struct iovec){ch->data + ch->off, ch->len - ch->off};
	c->send_msg = (struct msghdr){.msg_iov = c->send_iov, .msg_iovlen = k};
	io_uring_prep_sendmsg(sqe, (int)(n->conn_base + c->index), &c->send_msg, MSG_NOSIGNAL);
	sqe->flags |= IOSQE_FIXED_FILE;
	c->send_op = NET_OP_ACTIVE;
}

size_t rl_conn_send_room(const struct rl_conn *c)
{
	const struct rl__net *n = c->n;
	size_t room;

	if (!rl__conn_usable(c))
		return 0;
	/* The tail chunk takes appends even while a send reads its earlier bytes. */
	room = (size_t)n->chunks_free * NET_CHUNK_DATA;
	if (c->sq_tail)
		room += NET_CHUNK_DATA - c->sq_tail->len;
	if (c->queued && c->queued + room > c->l->max_send_queue)
		room = c->queued < c->l->max_send_queue ? c->l->max_send_queue - c->queued : 0;
	return room;
}

/* Append @len bytes to the send queue (room checked by the caller). */
static void append(struct rl__net *n, struct rl_conn *c, const char *p, size_t len)
{
	c->queued += len;
	n->st.send_queued += len;
	while (len) {
		struct net_chunk *ch = c->sq_tail;
		uint32_t take;

		if (!ch || ch->len == NET_CHUNK_DATA) {
			ch = n->free_chunks;
			n->free_chunks = ch->next;
			n->chunks_free--;
			ch->next = NULL;
			ch->len = ch->off = 0;
			if (c->sq_tail)
				c->sq_tail->next = ch;
			else
				c->sq_head = ch;
			c->sq_tail = ch;
		}
		take = NET_CHUNK_DATA - ch->len < len ? NET_CHUNK_DATA - ch->len : (uint32_t)len;
		memcpy(ch->data + ch->len, p, take);
		ch->len += take;
		p += take;
		len -= take;
	}
}

int rl_conn_sendv(struct rl_conn *c, const struct iovec *iov, int iovcnt)
{
	struct rl__net *n = c->n;
	size_t len = 0;

	if (!rl__conn_usable(c))
		return -EPIPE;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > rl_conn_send_room(c)) {
		if (!c->want_room) {
			c->want_room = 1;
			n->want_room++;
		}
		return -ENOBUFS;
	}
	for (int i = 0; i < iovcnt; i++)
		append(n, c, iov[i].iov_base, iov[i].iov_len);
	/* Everything appended before the send starts goes out in it: one segment, not two. */
	if (c->send_op == NET_OP_IDLE)
		rl__sendq_start(n, c);
	return 0;
}

int rl_conn_send(struct rl_conn *c, const void *data, size_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	return rl_conn_sendv(c, &iov, 1);
}

/* Room freed for @w, which a refused send left waiting: on_data runs even without input. */
static void wake(struct rl__net *n, struct rl_conn *w)
{
	w->want_room = 0;
	n->want_room--;
	w->resumed = 1;
	rl__conn_pump(n, w);
}

/* A chunk came back: connections refused for lack of room may answer now. */
static void wake_want_room(struct rl__net *n, struct rl_conn *except)
{
	for (unsigned i = 0; i < n->conn_cap && n->want_room; i++) {
		struct rl_conn *w = &n->conns[i];

		if (w->want_room && w != except)
			wake(n, w);
	}
}

void rl__sendq_complete(struct rl__net *n, struct rl_conn *c, int res, uint64_t now)
{
	uint32_t left = res > 0 ? (uint32_t)res : 0;
	int freed = 0;

	c->pending--;
	n->e->net_pending--;
	c->send_op = NET_OP_IDLE;
	if (res > 0) {
		n->st.bytes_out += (uint64_t)res;
		c->last_active = now;
		c->queued -= (size_t)res;
		n->st.send_queued -= (size_t)res;
	}
	/* The bytes sent are the first @res from the head on, across the chunks the send covered.
	 */
	while (c->sq_head) {
		struct net_chunk *ch = c->sq_head;
		uint32_t take = ch->len - ch->off < left ? ch->len - ch->off : left;

		ch->off += take;
		left -= take;
		if (ch->off != ch->len && c->state != CONN_CANCELLING)
			break;
		c->sq_head = ch->next;
		if (!c->sq_head)
			c->sq_tail = NULL;
		chunk_put(n, c, ch);
		freed = 1;
		if (!left && c->state != CONN_CANCELLING)
			break;
	}
	if (res < 0)
		rl__conn_close_now(n, c, res == -ECANCELED ? c->reason : res);
	rl__conn_progress(n, c);
	/* Room freed: the protocol may answer what it held back. */
	if (c->want_room && rl__conn_usable(c))
		wake(n, c);
	else
		rl__conn_pump(n, c);
	if (freed && n->want_room)
		wake_want_room(n, c);
}
