// SPDX-License-Identifier: MIT
/*
 * Sockets on the engine's ring: listeners with multishot accept into the fixed-file table,
 * multishot receive into a provided-buffer ring, a send queue per connection with one send in
 * flight, close after the queue drained, and an idle sweep.
 *
 * A connection's state changes in CQE handlers and API calls; progress() then submits whatever
 * the new state needs (arm the receive, start a send, shut down, cancel, close). It is
 * idempotent, so a state whose SQE could not be had is simply retried at the next sweep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net_internal.h"

#define BUF_GROUP 0
#define SWEEP_MIN_NS 5000000ull	   /* 5 ms */
#define SWEEP_MAX_NS 1000000000ull /* 1 s */

static void pump(struct rl__net *n, struct rl_conn *c);
static void progress(struct rl__net *n, struct rl_conn *c);
static void sweep_arm(struct rl__net *n);
static void arm_accept(struct rl__net *n, struct rl_listener *l);
static void sweep_maybe_cancel(struct rl__net *n);
static void listener_maybe_free(struct rl__net *n, struct rl_listener *l);

int rl__net_get(struct rl_engine *e, struct rl__net **out)
{
	if (!e->net) {
		e->net = calloc(1, sizeof(*e->net));
		if (!e->net)
			return -ENOMEM;
		e->net->e = e;
	}
	*out = e->net;
	return 0;
}

/* ---- socket state: connection table, buffer ring, send pool -------------------------------- */

/* The socket state's memory; the buffer ring must already be unregistered from the ring. */
static void sockets_free(struct rl__net *n)
{
	if (n->br)
		munmap(n->br, n->br_size);
	free(n->conns);
	free(n->listeners);
	free(n->bufs);
	free(n->bufmem);
	free(n->pool);
	n->br = NULL;
	n->conns = NULL;
	n->listeners = NULL;
	n->bufs = NULL;
	n->bufmem = NULL;
	n->pool = NULL;
}

static int sockets_init(struct rl_engine *e, struct rl__net *n)
{
	struct io_uring_buf_reg reg = {0};
	int ret;

	n->conn_base = e->files.base[RL_REGION_CONN];
	n->conn_cap = e->files.cap[RL_REGION_CONN];
	n->listener_cap = e->files.cap[RL_REGION_LISTEN];
	if (!n->conn_cap || !n->listener_cap)
		return rl__error(e, -ENFILE, "no %s region in the fixed-file table (region_files)",
				 n->conn_cap ? "listener" : "connection");
	n->conns = calloc(n->conn_cap, sizeof(*n->conns));
	n->listeners = calloc(n->listener_cap, sizeof(*n->listeners));
	n->nbufs = e->net_bufs;
	n->buf_size = e->net_buf_size;
	n->bufs = calloc(n->nbufs, sizeof(*n->bufs));
	n->bufmem = malloc((size_t)n->nbufs * n->buf_size);
	n->nchunks =
	    (unsigned)(e->net_send_pool / NET_CHUNK) ? (unsigned)(e->net_send_pool / NET_CHUNK) : 1;
	n->pool = malloc((size_t)n->nchunks * NET_CHUNK);
	/* The kernel reads the buffer ring from shared memory: page-aligned, whole pages. */
	n->br_size = (n->nbufs * sizeof(struct io_uring_buf) + 4095) & ~(size_t)4095;
	n->br = mmap(NULL, n->br_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (n->br == MAP_FAILED)
		n->br = NULL;
	if (!n->conns || !n->listeners || !n->bufs || !n->bufmem || !n->pool || !n->br) {
		ret = -ENOMEM;
		goto err;
	}
	for (unsigned i = 0; i < n->conn_cap; i++) {
		n->conns[i].n = n;
		n->conns[i].index = i;
	}
	for (unsigned i = 0; i < n->listener_cap; i++) {
		n->listeners[i].n = n;
		n->listeners[i].index = i;
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
		io_uring_buf_ring_add(n->br, n->bufmem + (size_t)i * n->buf_size, n->buf_size,
				      (unsigned short)i, io_uring_buf_ring_mask(n->nbufs), (int)i);
	io_uring_buf_ring_advance(n->br, (int)n->nbufs);
	n->bufs_free = n->nbufs;
	/* Accepted sockets take kernel-chosen slots, but only in the connection region. */
	ret = io_uring_register_file_alloc_range(&e->ring, n->conn_base, n->conn_cap);
	if (ret) {
		io_uring_unregister_buf_ring(&e->ring, BUF_GROUP);
		rl__error(e, ret, "cannot set the connection region for accept: %s",
			  strerror(-ret));
		goto err;
	}
	for (unsigned i = 0; i < n->nchunks; i++) {
		struct net_chunk *ch = (struct net_chunk *)(n->pool + (size_t)i * NET_CHUNK);

		ch->next = n->free_chunks;
		n->free_chunks = ch;
	}
	n->chunks_free = n->nchunks;
	n->st.send_pool = (size_t)n->nchunks * NET_CHUNK_DATA;
	n->st.bufs = n->nbufs;
	n->sockets = 1;
	return 0;
err:
	sockets_free(n);
	return ret;
}

static uint64_t ud_of(unsigned tag, const struct rl_conn *c)
{
	return rl__ud_encode(tag, c->index, c->gen);
}

static void give_back(struct rl__net *n, int32_t bid)
{
	io_uring_buf_ring_add(n->br, n->bufmem + (size_t)bid * n->buf_size, n->buf_size,
			      (unsigned short)bid, io_uring_buf_ring_mask(n->nbufs), 0);
	io_uring_buf_ring_advance(n->br, 1);
	n->bufs_free++;
	/* Receives that ended with ENOBUFS are re-armed now that a buffer is back, not before. */
	if (n->want_bufs) {
		for (unsigned i = 0; i < n->conn_cap && n->want_bufs; i++) {
			struct rl_conn *c = &n->conns[i];

			if (c->state != CONN_FREE && c->want_bufs) {
				c->want_bufs = 0;
				n->want_bufs--;
				progress(n, c);
			}
		}
	}
}

static void drop_input(struct rl__net *n, struct rl_conn *c)
{
	while (c->held_head >= 0) {
		int32_t bid = c->held_head;

		c->held_head = n->bufs[bid].next;
		give_back(n, bid);
	}
	c->held_tail = -1;
	c->inlen = 0;
}

static void chunk_put(struct rl__net *n, struct net_chunk *ch)
{
	ch->next = n->free_chunks;
	n->free_chunks = ch;
	n->chunks_free++;
}

/* Free queued chunks; the one a send in flight reads from stays until its CQE. */
static void drop_queue(struct rl__net *n, struct rl_conn *c)
{
	struct net_chunk *ch = c->sending ? c->sq_head->next : c->sq_head;

	while (ch) {
		struct net_chunk *next = ch->next;

		c->queued -= ch->len - ch->off;
		n->st.send_queued -= ch->len - ch->off;
		chunk_put(n, ch);
		ch = next;
	}
	if (c->sending) {
		c->sq_head->next = NULL;
		c->sq_tail = c->sq_head;
	} else {
		c->sq_head = c->sq_tail = NULL;
	}
}

/* ---- submissions: each returns 0, or -EBUSY without an SQE (progress() retries) ------------ */

static int submit_cancel(struct rl_engine *e, uint64_t ud)
{
	struct io_uring_sqe *sqe = rl__net_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel64(sqe, ud, 0);
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_IGNORE, 0, 0));
	return 0;
}

static struct io_uring_sqe *conn_sqe(struct rl__net *n, struct rl_conn *c, unsigned tag)
{
	struct io_uring_sqe *sqe = rl__net_sqe(n->e);

	if (!sqe) {
		c->kick = 1;
		return NULL;
	}
	io_uring_sqe_set_data64(sqe, ud_of(tag, c));
	c->pending++;
	n->e->net_pending++;
	return sqe;
}

static void arm_recv(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe = rl__net_sqe(n->e);

	if (!sqe) {
		c->kick = 1;
		return;
	}
	io_uring_prep_recv_multishot(sqe, (int)(n->conn_base + c->index), NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, ud_of(RL__TAG_NET_RECV, c));
	c->pending++;
	n->e->net_pending++;
	c->recv_armed = 1;
}

static void start_send(struct rl__net *n, struct rl_conn *c)
{
	struct net_chunk *ch = c->sq_head;
	struct io_uring_sqe *sqe = rl__net_sqe(n->e);

	if (!sqe) {
		c->kick = 1;
		return;
	}
	/* Appends to this chunk while the send is in flight land past the range it covers. */
	io_uring_prep_send(sqe, (int)(n->conn_base + c->index), ch->data + ch->off,
			   ch->len - ch->off, MSG_NOSIGNAL);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, ud_of(RL__TAG_NET_SEND, c));
	c->pending++;
	n->e->net_pending++;
	c->sending = 1;
}

/* ---- connection state ------------------------------------------------------------------- */

static void begin_abort(struct rl__net *n, struct rl_conn *c, int reason)
{
	if (c->aborting)
		return;
	c->aborting = 1;
	c->reason = reason;
	drop_input(n, c);
	drop_queue(n, c);
	progress(n, c);
}

static void progress(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe;

	c->kick = 0;
	if (c->state == CONN_FREE || c->close_sent)
		return;
	if (c->aborting || c->state == CONN_REFUSED) {
		if (c->recv_armed && !c->recv_cancel)
			c->recv_cancel = !submit_cancel(n->e, ud_of(RL__TAG_NET_RECV, c));
		if (c->sending && !c->send_cancel)
			c->send_cancel = !submit_cancel(n->e, ud_of(RL__TAG_NET_SEND, c));
		if ((c->recv_armed && !c->recv_cancel) || (c->sending && !c->send_cancel))
			c->kick = 1;
		/* Close only when nothing of this connection is in flight any more. */
		if (!c->pending && (sqe = conn_sqe(n, c, RL__TAG_NET_CLOSE))) {
			io_uring_prep_close_direct(sqe, n->conn_base + c->index);
			c->close_sent = 1;
		}
		return;
	}
	if (c->sq_head && !c->sending)
		start_send(n, c);
	if (c->closing) {
		if (!c->sq_head && !c->sending) {
			if (c->eof) {
				begin_abort(n, c, 0);
				return;
			}
			/* io_uring does not order independent SQEs: shut down after the queue
			 * drained. */
			if (!c->shut_sent && (sqe = conn_sqe(n, c, RL__TAG_NET_SHUTDOWN))) {
				io_uring_prep_shutdown(sqe, (int)(n->conn_base + c->index),
						       SHUT_WR);
				sqe->flags |= IOSQE_FIXED_FILE;
				c->shut_sent = 1;
			}
		}
		/* Keep reading (and discarding) to see the peer's end: closing with unread data
		 * would reset the connection and could destroy the reply it has not read yet. */
		if (!c->recv_armed && !c->eof && !c->want_bufs)
			arm_recv(n, c);
		return;
	}
	if (c->held_head >= 0) {
		/* The input buffer is full: stop reading until the protocol consumes. */
		if (c->recv_armed && !c->recv_cancel)
			c->recv_cancel = !submit_cancel(n->e, ud_of(RL__TAG_NET_RECV, c));
	} else if (!c->recv_armed && !c->eof && !c->want_bufs) {
		arm_recv(n, c);
	}
}

/* Copy held buffers into the input buffer as far as it has room. Return: bytes copied. */
static size_t fill_input(struct rl__net *n, struct rl_conn *c)
{
	uint32_t cap = c->l->max_request;
	size_t copied = 0;

	while (c->held_head >= 0 && c->inlen < cap) {
		int32_t bid = c->held_head;
		struct net_buf *b = &n->bufs[bid];
		uint32_t take = b->len - b->off;

		if (take > cap - c->inlen)
			take = cap - c->inlen;
		memcpy(c->in + c->inlen, n->bufmem + (size_t)bid * n->buf_size + b->off, take);
		c->inlen += take;
		b->off += take;
		copied += take;
		if (b->off == b->len) {
			c->held_head = b->next;
			if (c->held_head < 0)
				c->held_tail = -1;
			give_back(n, bid);
		}
	}
	return copied;
}

static int usable(const struct rl_conn *c)
{
	return c->state == CONN_OPEN && c->ops && !c->closing && !c->aborting;
}

/* Offer the input to the protocol until it stops consuming. */
static void pump(struct rl__net *n, struct rl_conn *c)
{
	size_t used;
	int tell_eof, resumed;

	if (!usable(c))
		return;
	if (c->in_pump) {
		c->again = 1;
		return;
	}
	c->in_pump = 1;
	do {
		c->again = 0;
		for (;;) {
			fill_input(n, c);
			tell_eof = c->eof && c->held_head < 0 && !c->eof_told;
			resumed = c->resumed;
			if (!c->inlen && !tell_eof && !resumed)
				break;
			c->eof_told |= tell_eof;
			c->resumed = 0;
			used = c->ops->on_data(c->arg, c, c->in, c->inlen);
			if (!usable(c))
				break;
			if (used > c->inlen)
				used = c->inlen;
			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= (uint32_t)used;
			if (!used && !tell_eof && !resumed && c->held_head < 0)
				break;
			if (!used && c->inlen == c->l->max_request)
				break; /* full and stuck: the protocol has to close */
		}
	} while (c->again && usable(c));
	c->in_pump = 0;
	progress(n, c);
}

static void conn_free(struct rl__net *n, struct rl_conn *c)
{
	struct rl_listener *l = c->l;
	const struct rl_conn_ops *ops = c->ops;

	c->ops = NULL;
	if (ops && ops->on_close)
		ops->on_close(c->arg, c, c->reason);
	if (c->want_bufs)
		n->want_bufs--;
	if (c->want_room)
		n->want_room--;
	if (l && c->state == CONN_OPEN) {
		l->free_in[l->nfree_in++] = c->inslot;
		l->nconns--;
		n->st.conns--;
	}
	c->state = CONN_FREE;
	c->gen = (c->gen + 1) & RL__GEN_MASK;
	c->l = NULL;
	n->nconns--;
	/* A slot is free again: an accept that stopped on a full region can resume. */
	for (unsigned i = 0; i < n->listener_cap; i++)
		if (n->listeners[i].in_use)
			arm_accept(n, &n->listeners[i]);
	if (l)
		listener_maybe_free(n, l);
	sweep_maybe_cancel(n);
}

static void conn_init(struct rl_conn *c, unsigned state, uint64_t now)
{
	struct rl__net *n = c->n;
	uint32_t index = c->index, gen = c->gen;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->index = index;
	c->gen = gen;
	c->state = (uint8_t)state;
	c->held_head = c->held_tail = -1;
	c->last_active = now;
	n->nconns++;
}

/* ---- listeners ------------------------------------------------------------------------- */

static void listener_maybe_free(struct rl__net *n, struct rl_listener *l)
{
	if (!l->in_use || !l->closing || l->accept_armed || l->nconns)
		return;
	rl__files_remove(n->e, l->fhandle);
	close(l->fd);
	if (l->unix_path[0])
		unlink(l->unix_path);
	free(l->inbufs);
	free(l->free_in);
	l->inbufs = NULL;
	l->free_in = NULL;
	l->in_use = 0;
	l->gen = (l->gen + 1) & RL__GEN_MASK;
	n->nlisteners--;
	n->st.listeners--;
	sweep_maybe_cancel(n);
}

static void arm_accept(struct rl__net *n, struct rl_listener *l)
{
	struct io_uring_sqe *sqe;

	if (l->accept_armed || l->closing || n->e->dying)
		return;
	sqe = rl__net_sqe(n->e);
	if (!sqe)
		return; /* the sweep tries again */
	/* No SOCK_CLOEXEC: a direct descriptor has no fd to inherit, and the kernel refuses it. */
	io_uring_prep_multishot_accept_direct(sqe, (int)l->findex, NULL, NULL, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_NET_ACCEPT, l->index, l->gen));
	n->e->net_pending++;
	l->accept_armed = 1;
}

static void refuse(struct rl__net *n, uint32_t index, uint64_t now)
{
	struct rl_conn *c = &n->conns[index];

	conn_init(c, CONN_REFUSED, now);
	n->st.refused++;
	progress(n, c);
}

static void on_accept(struct rl__net *n, struct rl_listener *l, int res, uint64_t now)
{
	struct rl_conn *c;
	uint32_t index = (uint32_t)res - n->conn_base;

	if ((uint32_t)res < n->conn_base || index >= n->conn_cap ||
	    n->conns[index].state != CONN_FREE) {
		/* Not a slot this table handed out: close it without a connection entry. */
		struct io_uring_sqe *sqe = rl__net_sqe(n->e);

		if (sqe) {
			io_uring_prep_close_direct(sqe, (unsigned)res);
			io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_IGNORE, 0, 0));
		}
		return;
	}
	n->st.accepted++;
	if (!l || l->closing || n->e->dying || l->nconns >= l->max_conns) {
		refuse(n, index, now);
		return;
	}
	c = &n->conns[index];
	conn_init(c, CONN_OPEN, now);
	c->l = l;
	c->inslot = l->free_in[--l->nfree_in];
	c->in = l->inbufs + (size_t)c->inslot * l->max_request;
	c->ops = l->ops;
	c->arg = l->arg;
	l->nconns++;
	n->st.conns++;
	if (c->ops->on_open && c->ops->on_open(c->arg, c)) {
		c->ops = NULL;
		begin_abort(n, c, 0);
		return;
	}
	progress(n, c);
}

/* ---- the idle sweep ---------------------------------------------------------------------- */

static void sweep_arm(struct rl__net *n)
{
	uint64_t ns = SWEEP_MAX_NS;
	struct io_uring_sqe *sqe;

	if (n->sweep_armed || n->e->dying || (!n->nlisteners && !n->nconns))
		return;
	for (unsigned i = 0; i < n->listener_cap; i++)
		if (n->listeners[i].in_use && n->listeners[i].idle_ns / 4 < ns)
			ns = n->listeners[i].idle_ns / 4;
	if (ns < SWEEP_MIN_NS)
		ns = SWEEP_MIN_NS;
	sqe = rl__net_sqe(n->e);
	if (!sqe)
		return; /* tried again after the next batch of completions */
	n->sweep_ts.tv_sec = (long long)(ns / 1000000000u);
	n->sweep_ts.tv_nsec = (long long)(ns % 1000000000u);
	io_uring_prep_timeout(sqe, &n->sweep_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_NET_SWEEP, 0, 0));
	n->e->net_pending++;
	n->sweep_armed = 1;
}

/* Nothing left to watch: cancel the sweep so the loop can end without waiting for it. */
static void sweep_maybe_cancel(struct rl__net *n)
{
	if (n->sweep_armed && !n->nlisteners && !n->nconns)
		submit_cancel(n->e, rl__ud_encode(RL__TAG_NET_SWEEP, 0, 0));
}

static void sweep(struct rl__net *n, uint64_t now)
{
	for (unsigned i = 0; i < n->conn_cap; i++) {
		struct rl_conn *c = &n->conns[i];

		if (c->state == CONN_OPEN && !c->aborting && now > c->last_active &&
		    now - c->last_active > c->l->idle_ns) {
			if (!c->closing)
				n->st.idle_closed++;
			begin_abort(n, c, -ETIMEDOUT);
		} else if (c->state != CONN_FREE && c->kick) {
			c->kick = 0;
			pump(n, c); /* a resume that found no SQE */
			progress(n, c);
		}
	}
	for (unsigned i = 0; i < n->listener_cap; i++)
		if (n->listeners[i].in_use)
			arm_accept(n, &n->listeners[i]);
}

/* ---- completions -------------------------------------------------------------------------- */

static void on_recv(struct rl__net *n, struct rl_conn *c, int res, uint32_t flags, uint64_t now)
{
	int has_buf = flags & IORING_CQE_F_BUFFER;
	int32_t bid = (int32_t)(flags >> IORING_CQE_BUFFER_SHIFT);

	if (has_buf)
		n->bufs_free--;
	if (!(flags & IORING_CQE_F_MORE)) {
		c->recv_armed = 0;
		c->recv_cancel = 0;
		c->pending--;
		n->e->net_pending--;
	}
	if (res > 0 && has_buf) {
		n->st.bytes_in += (uint64_t)res;
		if (!usable(c)) {
			give_back(n, bid); /* closing: read only to see the peer's end */
		} else {
			n->bufs[bid] = (struct net_buf){.len = (uint32_t)res, .off = 0, .next = -1};
			if (c->held_tail >= 0)
				n->bufs[c->held_tail].next = bid;
			else
				c->held_head = bid;
			c->held_tail = bid;
			c->last_active = now;
			pump(n, c);
		}
	} else if (has_buf) {
		give_back(n, bid);
	}
	if (res == 0) {
		c->eof = 1;
		pump(n, c);
	} else if (res == -ENOBUFS) {
		n->st.enobufs++;
		/* Given back since the ring ran dry: re-arm now; else when one comes back. */
		if (!n->bufs_free && !c->want_bufs) {
			c->want_bufs = 1;
			n->want_bufs++;
		}
	} else if (res < 0 && res != -ECANCELED) {
		begin_abort(n, c, res);
	}
	if (c->state != CONN_FREE)
		progress(n, c);
}

static void on_send(struct rl__net *n, struct rl_conn *c, int res, uint64_t now)
{
	struct net_chunk *ch = c->sq_head;
	int freed = 0;

	c->pending--;
	n->e->net_pending--;
	c->sending = 0;
	c->send_cancel = 0;
	if (res > 0) {
		n->st.bytes_out += (uint64_t)res;
		c->last_active = now;
		ch->off += (uint32_t)res;
		c->queued -= (size_t)res;
		n->st.send_queued -= (size_t)res;
	}
	if (ch->off == ch->len || c->aborting) {
		c->queued -= ch->len - ch->off;
		n->st.send_queued -= ch->len - ch->off;
		c->sq_head = ch->next;
		if (!c->sq_head)
			c->sq_tail = NULL;
		chunk_put(n, ch);
		freed = 1;
	}
	if (res < 0)
		begin_abort(n, c, res == -ECANCELED ? c->reason : res);
	progress(n, c);
	pump(n, c); /* room freed: the protocol may answer what it held back */
	if (freed && n->want_room) {
		for (unsigned i = 0; i < n->conn_cap && n->want_room; i++) {
			struct rl_conn *w = &n->conns[i];

			if (w->want_room && w != c) {
				w->want_room = 0;
				n->want_room--;
				pump(n, w);
			}
		}
	}
}

void rl__net_reaped(struct rl_engine *e)
{
	struct rl__net *n = e->net;

	if (n->e->dying)
		return;
	if (n->sweep_due) {
		n->sweep_due = 0;
		sweep(n, rl__now_ns());
	}
	sweep_arm(n); /* nothing to do when armed, or with nothing to watch */
}

void rl__net_dispatch(struct rl_engine *e, uint64_t ud, int res, uint32_t flags, uint64_t now)
{
	struct rl__net *n = e->net;
	unsigned tag = rl__ud_tag(ud);
	uint32_t slot = rl__ud_slot(ud), gen = rl__ud_gen(ud);
	struct rl_listener *l;
	struct rl_conn *c;

	if (!n) {
		e->stale_cqes++;
		return;
	}
	if (tag == RL__TAG_NET_SWEEP) {
		e->net_pending--;
		n->sweep_armed = 0;
		/*
		 * Not now: CQEs behind this one may carry activity of connections that look
		 * idle (after the thread was descheduled, say). Once the batch is handled.
		 */
		n->sweep_due = !n->e->dying;
		return;
	}
	if (tag == RL__TAG_NET_ACCEPT) {
		l = slot < n->listener_cap && n->listeners[slot].in_use &&
			    n->listeners[slot].gen == gen
			? &n->listeners[slot]
			: NULL;
		if (l && !(flags & IORING_CQE_F_MORE)) {
			/* The multishot accept ended (cancelled, or an error such as a full
			 * region): it is re-armed by the sweep or when a connection frees a slot.
			 */
			l->accept_armed = 0;
			l->accept_cancel = 0;
			e->net_pending--;
		}
		if (res >= 0)
			on_accept(n, l, res, now);
		if (l) {
			listener_maybe_free(n, l);
			sweep_arm(n);
		}
		return;
	}
	c = slot < n->conn_cap ? &n->conns[slot] : NULL;
	if (!c || c->state == CONN_FREE || c->gen != gen) {
		/* A buffer the kernel filled goes back to the ring even for a stale CQE. */
		if (tag == RL__TAG_NET_RECV && (flags & IORING_CQE_F_BUFFER) && n->sockets) {
			n->bufs_free--;
			give_back(n, (int32_t)(flags >> IORING_CQE_BUFFER_SHIFT));
		}
		n->st.stale++;
		e->stale_cqes++;
		return;
	}
	switch (tag) {
	case RL__TAG_NET_RECV:
		on_recv(n, c, res, flags, now);
		break;
	case RL__TAG_NET_SEND:
		on_send(n, c, res, now);
		break;
	case RL__TAG_NET_SHUTDOWN:
		c->pending--;
		e->net_pending--;
		progress(n, c);
		break;
	case RL__TAG_NET_RESUME:
		c->pending--;
		e->net_pending--;
		c->resume_sent = 0;
		pump(n, c);
		progress(n, c);
		break;
	case RL__TAG_NET_CLOSE:
		c->pending--;
		e->net_pending--;
		conn_free(n, c);
		sweep_arm(n);
		break;
	}
}

/* ---- addresses ------------------------------------------------------------------------- */

/* Parse rl_listen()'s address forms into @ss. */
static int parse_addr(struct rl_engine *e, const char *addr, struct sockaddr_storage *ss,
		      socklen_t *len, char *unix_path, size_t unix_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char host[128];
	const char *port, *colon;
	int ret;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		if (!addr[5] || strlen(addr + 5) >= sizeof(un->sun_path) ||
		    strlen(addr + 5) >= unix_len)
			return rl__error(e, -EINVAL, "%s: a Unix socket path of 1 to %zu bytes",
					 addr, sizeof(un->sun_path) - 1);
		memset(un, 0, sizeof(*un));
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, addr + 5);
		strcpy(unix_path, addr + 5);
		*len = sizeof(*un);
		return 0;
	}
	colon = strrchr(addr, ':');
	port = colon ? colon + 1 : addr;
	if (!colon || colon == addr) {
		snprintf(host, sizeof(host), "127.0.0.1"); /* loopback unless told otherwise */
	} else if (addr[0] == '[' && colon[-1] == ']' &&
		   (size_t)(colon - addr - 2) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2), addr + 1);
	} else if ((size_t)(colon - addr) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	} else {
		return rl__error(e, -EINVAL, "%s: host name too long", addr);
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || atol(port) > 65535)
		return rl__error(e, -EINVAL,
				 "%s: expected HOST:PORT, [IPV6]:PORT, :PORT, PORT or unix:PATH",
				 addr);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return rl__error(e, -EINVAL, "%s: %s", addr, gai_strerror(ret));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void format_addr(struct rl_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";

	if (l->unix_path[0]) {
		snprintf(l->addr, sizeof(l->addr), "unix:%s", l->unix_path);
		return;
	}
	getsockname(l->fd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(l->addr, sizeof(l->addr), "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(l->addr, sizeof(l->addr), "%s:%u", ip, ntohs(a->sin_port));
	}
}

/* ---- public API -------------------------------------------------------------------------- */

int rl_listen(struct rl_engine *e, const char *addr, const struct rl_listen_opts *uo,
	      const struct rl_conn_ops *ops, void *arg, struct rl_listener **out)
{
	struct rl_listen_opts o = {.opts_size = sizeof(o)};
	struct sockaddr_storage ss;
	struct rl_listener *l = NULL;
	struct rl__net *n;
	socklen_t slen = 0;
	int64_t h;
	int fd, one = 1, ret;

	if (uo)
		memcpy(&o, uo, uo->opts_size < sizeof(o) ? uo->opts_size : sizeof(o));
	o.backlog = o.backlog ? o.backlog : 128;
	o.max_conns = o.max_conns ? o.max_conns : 64;
	o.idle_timeout_ms = o.idle_timeout_ms ? o.idle_timeout_ms : 60000;
	o.max_request = o.max_request ? o.max_request : 8192;
	o.max_send_queue = o.max_send_queue ? o.max_send_queue : 1u << 20;
	if (!ops || !ops->on_data)
		return rl__error(e, -EINVAL, "rl_listen: on_data is required");
	ret = rl__net_get(e, &n);
	if (ret)
		return ret;
	if (n->e->dying)
		return -ESHUTDOWN;
	if (!n->sockets && (ret = sockets_init(e, n)))
		return ret;
	for (unsigned i = 0; i < n->listener_cap && !l; i++)
		if (!n->listeners[i].in_use)
			l = &n->listeners[i];
	if (!l)
		return rl__error(e, -ENFILE, "all %u listener slots are in use", n->listener_cap);
	if (o.max_conns > n->conn_cap)
		o.max_conns = n->conn_cap;

	memset(l->unix_path, 0, sizeof(l->unix_path));
	ret = parse_addr(e, addr, &ss, &slen, l->unix_path, sizeof(l->unix_path));
	if (ret)
		return ret;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rl__error(e, -errno, "%s: socket: %s", addr, strerror(errno));
	if (ss.ss_family != AF_UNIX) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/*
		 * Accepted sockets inherit it, and a direct descriptor has no fd to set it on
		 * later. Without it, a reply queued behind one still in flight waits for the
		 * peer's delayed ACK (Nagle), some 40 ms per pipelined batch.
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, slen) || listen(fd, (int)o.backlog)) {
		ret = rl__error(e, -errno, "%s: %s", addr, strerror(errno));
		l->unix_path[0] = 0; /* not ours to remove */
		goto err_close;
	}
	l->inbufs = malloc((size_t)o.max_conns * o.max_request);
	l->free_in = malloc(o.max_conns * sizeof(*l->free_in));
	if (!l->inbufs || !l->free_in) {
		ret = -ENOMEM;
		goto err_free;
	}
	h = rl__files_add(e, RL_REGION_LISTEN, fd);
	if (h < 0) {
		ret = rl__error(e, (int)h, "%s: cannot register the listener: %s", addr,
				strerror((int)-h));
		goto err_free;
	}
	for (unsigned i = 0; i < o.max_conns; i++)
		l->free_in[i] = o.max_conns - 1 - i;
	l->nfree_in = o.max_conns;
	l->fd = fd;
	l->fhandle = (uint64_t)h;
	l->findex = (uint32_t)h;
	l->ops = ops;
	l->arg = arg;
	l->max_conns = o.max_conns;
	l->nconns = 0;
	l->max_request = o.max_request;
	l->idle_ns = (uint64_t)o.idle_timeout_ms * 1000000u;
	l->max_send_queue = o.max_send_queue;
	l->closing = 0;
	l->accept_armed = 0;
	l->accept_cancel = 0;
	l->in_use = 1;
	format_addr(l);
	n->nlisteners++;
	n->st.listeners++;
	arm_accept(n, l);
	if (!l->accept_armed) {
		rl_listener_close(l);
		return rl__error(e, -EBUSY, "%s: submission queue full", addr);
	}
	sweep_arm(n);
	*out = l;
	return 0;

err_free:
	free(l->inbufs);
	free(l->free_in);
	l->inbufs = NULL;
	l->free_in = NULL;
	if (l->unix_path[0])
		unlink(l->unix_path);
err_close:
	close(fd);
	return ret;
}

void rl_listener_close(struct rl_listener *l)
{
	struct rl__net *n = l->n;

	if (!l->in_use || l->closing)
		return;
	l->closing = 1;
	for (unsigned i = 0; i < n->conn_cap; i++) {
		struct rl_conn *c = &n->conns[i];
		const struct rl_conn_ops *ops = c->ops;

		if (c->state != CONN_OPEN || c->l != l)
			continue;
		c->ops = NULL;
		if (ops && ops->on_close)
			ops->on_close(c->arg, c, -ECANCELED);
		begin_abort(n, c, -ECANCELED);
	}
	if (l->accept_armed && !l->accept_cancel)
		l->accept_cancel =
		    !submit_cancel(n->e, rl__ud_encode(RL__TAG_NET_ACCEPT, l->index, l->gen));
	listener_maybe_free(n, l);
}

char *rl_listener_address(const struct rl_listener *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s", l->addr);
	return buf;
}

size_t rl_conn_send_room(const struct rl_conn *c)
{
	const struct rl__net *n = c->n;
	size_t room;

	if (!usable(c))
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

	if (!usable(c))
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
	if (!c->sending)
		start_send(n, c);
	return 0;
}

int rl_conn_send(struct rl_conn *c, const void *data, size_t len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	return rl_conn_sendv(c, &iov, 1);
}

void rl_conn_close(struct rl_conn *c)
{
	if (c->state != CONN_OPEN || c->closing || c->aborting)
		return;
	c->closing = 1;
	drop_input(c->n, c);
	if (!c->in_pump)
		progress(c->n, c);
}

void rl_conn_abort(struct rl_conn *c)
{
	if (c->state == CONN_OPEN)
		begin_abort(c->n, c, 0);
}

void rl_conn_resume(struct rl_conn *c)
{
	struct io_uring_sqe *sqe;

	if (!usable(c))
		return;
	c->resumed = 1; /* on_data runs even if no input is left */
	if (c->resume_sent)
		return;
	sqe = conn_sqe(c->n, c, RL__TAG_NET_RESUME);
	if (!sqe)
		return; /* kicked: the sweep pumps it */
	io_uring_prep_nop(sqe);
	c->resume_sent = 1;
}

int rl_conn_eof(const struct rl_conn *c)
{
	return c->eof;
}

void rl_conn_set_data(struct rl_conn *c, void *data)
{
	c->data = data;
}

void *rl_conn_data(const struct rl_conn *c)
{
	return c->data;
}

struct rl_listener *rl_conn_listener(const struct rl_conn *c)
{
	return c->l;
}

void rl_net_stats(const struct rl_engine *e, struct rl_net_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (e->net) {
		*st = e->net->st;
		st->bufs_free = e->net->bufs_free;
	}
}

unsigned rl_engine_files_in_use(const struct rl_engine *e)
{
	unsigned used = e->net ? e->net->nconns : 0;

	for (uint32_t i = 0; i < e->files.total; i++)
		used += e->files.fds[i] != -1;
	return used;
}

/* ---- teardown ---------------------------------------------------------------------------- */

void rl__net_shutdown(struct rl_engine *e)
{
	struct rl__net *n = e->net;

	if (!n)
		return;
	if (!n->sockets)
		return;
	for (unsigned i = 0; i < n->listener_cap; i++)
		rl_listener_close(&n->listeners[i]);
}

void rl__net_fini(struct rl_engine *e)
{
	struct rl__net *n = e->net;

	if (!n)
		return;
	if (n->sockets) {
		/* Every CQE has been reaped: what is left is unregistered with the file table. */
		for (unsigned i = 0; i < n->listener_cap; i++) {
			struct rl_listener *l = &n->listeners[i];

			if (!l->in_use)
				continue;
			l->accept_armed = 0;
			l->nconns = 0;
			listener_maybe_free(n, l);
		}
		io_uring_unregister_buf_ring(&e->ring, BUF_GROUP);
		sockets_free(n);
	}
	free(n);
	e->net = NULL;
}
