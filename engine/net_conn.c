// SPDX-License-Identifier: MIT
/*
 * A connection's life cycle: receiving into its input, offering the input to the protocol,
 * and closing.
 *
 * A connection's state changes in CQE handlers and API calls; rl__conn_progress() then submits
 * whatever the new state needs (arm the receive, start a send, shut down, cancel, close). It is
 * idempotent, so a state whose SQE could not be had is simply retried at the next sweep.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net_internal.h"

struct io_uring_sqe *rl__conn_sqe(struct rl__net *n, struct rl_conn *c, unsigned tag)
{
	struct io_uring_sqe *sqe = rl__net_sqe(n->e);

	if (!sqe) {
		c->kick = 1;
		return NULL;
	}
	io_uring_sqe_set_data64(sqe, rl__conn_ud(tag, c));
	c->pending++;
	n->e->net_pending++;
	return sqe;
}

static void arm_recv(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe = rl__conn_sqe(n, c, RL__TAG_NET_RECV);

	if (!sqe)
		return;
	rl__buf_prep_recv(sqe, (int)(n->conn_base + c->index));
	c->recv_armed = 1;
}

static void drop_input(struct rl__net *n, struct rl_conn *c)
{
	rl__buf_drop_held(n, c);
	c->inlen = 0;
}

void rl__conn_begin_abort(struct rl__net *n, struct rl_conn *c, int reason)
{
	if (c->aborting)
		return;
	c->aborting = 1;
	c->reason = reason;
	drop_input(n, c);
	rl__sendq_drop(n, c);
	rl__conn_progress(n, c);
}

void rl__conn_progress(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe;

	c->kick = 0;
	if (c->state == CONN_FREE || c->close_sent)
		return;
	if (c->aborting || c->state == CONN_REFUSED) {
		if (c->recv_armed && !c->recv_cancel)
			c->recv_cancel = !rl__net_cancel(n->e, rl__conn_ud(RL__TAG_NET_RECV, c));
		if (c->sending && !c->send_cancel)
			c->send_cancel = !rl__net_cancel(n->e, rl__conn_ud(RL__TAG_NET_SEND, c));
		if ((c->recv_armed && !c->recv_cancel) || (c->sending && !c->send_cancel))
			c->kick = 1;
		/* Close only when nothing of this connection is in flight any more. */
		if (!c->pending && (sqe = rl__conn_sqe(n, c, RL__TAG_NET_CLOSE))) {
			io_uring_prep_close_direct(sqe, n->conn_base + c->index);
			c->close_sent = 1;
		}
		return;
	}
	if (c->sq_head && !c->sending)
		rl__sendq_start(n, c);
	if (c->closing) {
		if (!c->sq_head && !c->sending) {
			if (c->eof) {
				rl__conn_begin_abort(n, c, 0);
				return;
			}
			/* io_uring does not order independent SQEs: shut down after the queue
			 * drained. */
			if (!c->shut_sent && (sqe = rl__conn_sqe(n, c, RL__TAG_NET_SHUTDOWN))) {
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
			c->recv_cancel = !rl__net_cancel(n->e, rl__conn_ud(RL__TAG_NET_RECV, c));
	} else if (!c->recv_armed && !c->eof && !c->want_bufs) {
		arm_recv(n, c);
	}
}

/* Copy held buffers into the input buffer as far as it has room. */
static void fill_input(struct rl__net *n, struct rl_conn *c)
{
	c->inlen += rl__buf_copy_held(n, c, c->in + c->inlen, c->l->max_request - c->inlen);
}

void rl__conn_pump(struct rl__net *n, struct rl_conn *c)
{
	size_t used;
	int tell_eof, resumed;

	if (!rl__conn_usable(c))
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
			if (!rl__conn_usable(c))
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
	} while (c->again && rl__conn_usable(c));
	c->in_pump = 0;
	rl__conn_progress(n, c);
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
	rl__listeners_rearm(n);
	if (l)
		rl__listener_maybe_free(n, l);
	rl__sweep_maybe_cancel(n);
}

void rl__conn_init(struct rl_conn *c, unsigned state, uint64_t now)
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

static void on_recv(struct rl__net *n, struct rl_conn *c, int res, uint32_t flags, uint64_t now)
{
	int32_t bid = rl__buf_taken(n, flags);

	if (!(flags & IORING_CQE_F_MORE)) {
		c->recv_armed = 0;
		c->recv_cancel = 0;
		c->pending--;
		n->e->net_pending--;
	}
	if (res > 0 && bid >= 0) {
		n->st.bytes_in += (uint64_t)res;
		if (!rl__conn_usable(c)) {
			rl__buf_give_back(n, bid); /* closing: read only to see the peer's end */
		} else {
			rl__buf_hold(n, c, bid, (uint32_t)res);
			c->last_active = now;
			rl__conn_pump(n, c);
		}
	} else if (bid >= 0) {
		rl__buf_give_back(n, bid);
	}
	if (res == 0) {
		c->eof = 1;
		rl__conn_pump(n, c);
	} else if (res == -ENOBUFS) {
		n->st.enobufs++;
		rl__buf_wait(n, c);
	} else if (res < 0 && res != -ECANCELED) {
		rl__conn_begin_abort(n, c, res);
	}
	if (c->state != CONN_FREE)
		rl__conn_progress(n, c);
}

void rl__conn_complete(struct rl__net *n, struct rl_conn *c, unsigned tag, int res, uint32_t flags,
		       uint64_t now)
{
	switch (tag) {
	case RL__TAG_NET_RECV:
		on_recv(n, c, res, flags, now);
		break;
	case RL__TAG_NET_SEND:
		rl__sendq_complete(n, c, res, now);
		break;
	case RL__TAG_NET_SHUTDOWN:
		c->pending--;
		n->e->net_pending--;
		rl__conn_progress(n, c);
		break;
	case RL__TAG_NET_RESUME:
		c->pending--;
		n->e->net_pending--;
		c->resume_sent = 0;
		rl__conn_pump(n, c);
		rl__conn_progress(n, c);
		break;
	case RL__TAG_NET_CLOSE:
		c->pending--;
		n->e->net_pending--;
		conn_free(n, c);
		rl__sweep_arm(n);
		break;
	}
}

void rl_conn_close(struct rl_conn *c)
{
	if (c->state != CONN_OPEN || c->closing || c->aborting)
		return;
	c->closing = 1;
	drop_input(c->n, c);
	if (!c->in_pump)
		rl__conn_progress(c->n, c);
}

void rl_conn_abort(struct rl_conn *c)
{
	if (c->state == CONN_OPEN)
		rl__conn_begin_abort(c->n, c, 0);
}

void rl_conn_resume(struct rl_conn *c)
{
	struct io_uring_sqe *sqe;

	if (!rl__conn_usable(c))
		return;
	c->resumed = 1; /* on_data runs even if no input is left */
	if (c->resume_sent)
		return;
	sqe = rl__conn_sqe(c->n, c, RL__TAG_NET_RESUME);
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
