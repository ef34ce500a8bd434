// SPDX-License-Identifier: MIT
/*
 * A connection's life cycle: its state and the one table of transitions, receiving into its
 * input, offering the input to the protocol, and closing.
 *
 * States change in CQE handlers and API calls; rl__conn_progress() then submits whatever the
 * state needs now (arm the receive, start a send, shut down, cancel, close). It is idempotent,
 * so a step whose SQE could not be had is simply retried at the next sweep.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net_internal.h"

/*
 * The life of a connection. Every change of c->state is made by conn_set_state(), along these
 * edges only (asserted in debug builds):
 *
 *   from        to          when
 *   FREE        OPEN        accepted within the listener's limit: rl__conn_open()
 *   FREE        REFUSED     accepted past the limit, or while the listener or engine closes
 *   OPEN        DRAINING    rl_conn_close()
 *   OPEN        CANCELLING  rl_conn_abort(), on_open() said no, a socket error, the idle
 *                           timeout, rl_listener_close(): rl__conn_close_now()
 *   DRAINING    SHUT_SENT   the send queue drained: shutdown(SHUT_WR) submitted
 *   DRAINING    CANCELLING  drained, and the peer's end already seen; or as from OPEN
 *   SHUT_SENT   CANCELLING  the peer's end seen; or as from OPEN
 *   CANCELLING  CLOSING     nothing of the connection in flight any more: conn_submit_close()
 *   REFUSED     CLOSING     conn_submit_close()
 *   CLOSING     FREE        the close completed: on_close runs, the slot's generation moves on
 *
 * Only OPEN offers input to the protocol and takes sends. DRAINING and SHUT_SENT keep receiving
 * and drop what comes: closing a socket with unread input resets it, which could destroy the
 * reply the peer has not read yet. Whether a receive or send is in flight, the peer's end was
 * seen, or buffers are awaited are facts beside the state (struct rl_conn), not states.
 */
static const uint8_t conn_edges[CONN_STATES] __attribute__((unused)) = {
    [CONN_FREE] = 1u << CONN_OPEN | 1u << CONN_REFUSED,
    [CONN_OPEN] = 1u << CONN_DRAINING | 1u << CONN_CANCELLING,
    [CONN_DRAINING] = 1u << CONN_SHUT_SENT | 1u << CONN_CANCELLING,
    [CONN_SHUT_SENT] = 1u << CONN_CANCELLING,
    [CONN_CANCELLING] = 1u << CONN_CLOSING,
    [CONN_REFUSED] = 1u << CONN_CLOSING,
    [CONN_CLOSING] = 1u << CONN_FREE,
};

static void conn_set_state(struct rl_conn *c, enum conn_state to)
{
	assert(conn_edges[c->state] & 1u << to);
	c->state = (uint8_t)to;
}

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
	c->recv_op = NET_OP_ACTIVE;
}

static void drop_input(struct rl__net *n, struct rl_conn *c)
{
	rl__buf_drop_held(n, c);
	c->inlen = 0;
}

/* Cancel @c's request @tag if it is active. Return: false without an SQE (retry later). */
static bool cancel_op(struct rl__net *n, struct rl_conn *c, uint8_t *op, unsigned tag)
{
	if (*op != NET_OP_ACTIVE)
		return true;
	if (rl__net_cancel(n->e, rl__conn_ud(tag, c)))
		return false;
	*op = NET_OP_CANCEL_SENT;
	return true;
}

/* The one place a connection's close is submitted: once nothing of it is in flight. */
static void conn_submit_close(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->pending)
		return; /* retried when the last of them completes */
	sqe = rl__conn_sqe(n, c, RL__TAG_NET_CLOSE);
	if (!sqe)
		return;
	io_uring_prep_close_direct(sqe, n->conn_base + c->index);
	conn_set_state(c, CONN_CLOSING);
}

/* io_uring does not order independent SQEs: this is submitted only after the queue drained. */
static void submit_shutdown(struct rl__net *n, struct rl_conn *c)
{
	struct io_uring_sqe *sqe = rl__conn_sqe(n, c, RL__TAG_NET_SHUTDOWN);

	if (!sqe)
		return;
	io_uring_prep_shutdown(sqe, (int)(n->conn_base + c->index), SHUT_WR);
	sqe->flags |= IOSQE_FIXED_FILE;
	conn_set_state(c, CONN_SHUT_SENT);
}

void rl__conn_close_now(struct rl__net *n, struct rl_conn *c, int reason)
{
	if (!rl__conn_live(c))
		return;
	conn_set_state(c, CONN_CANCELLING);
	c->reason = reason;
	rl__idle_unlink(n, c);
	drop_input(n, c);
	rl__sendq_drop(n, c);
	rl__conn_progress(n, c);
}

void rl__conn_progress(struct rl__net *n, struct rl_conn *c)
{
	bool cancelled;

	c->kick = 0;
	switch ((enum conn_state)c->state) {
	case CONN_FREE:
	case CONN_CLOSING:
	case CONN_STATES:
		return;
	case CONN_CANCELLING:
	case CONN_REFUSED:
		cancelled = cancel_op(n, c, &c->recv_op, RL__TAG_NET_RECV);
		cancelled &= cancel_op(n, c, &c->send_op, RL__TAG_NET_SEND);
		if (!cancelled)
			c->kick = 1;
		conn_submit_close(n, c);
		return;
	case CONN_OPEN:
	case CONN_DRAINING:
	case CONN_SHUT_SENT:
		break;
	}
	if (c->sq_head && c->send_op == NET_OP_IDLE)
		rl__sendq_start(n, c);
	if (c->state == CONN_OPEN && (c->held_head >= 0 || c->want_room)) {
		/*
		 * The input buffer is full, or the protocol waits for send room (a client that does
		 * not read its replies): stop reading until it consumes, before the multishot
		 * receive takes more of the buffer ring that every connection shares.
		 */
		cancel_op(n, c, &c->recv_op, RL__TAG_NET_RECV);
		return;
	}
	if (c->state != CONN_OPEN && !c->sq_head && c->send_op == NET_OP_IDLE) {
		/* DRAINING or SHUT_SENT, and everything queued was sent. */
		if (c->eof) {
			rl__conn_close_now(n, c, 0); /* the peer is done too: close */
			return;
		}
		if (c->state == CONN_DRAINING)
			submit_shutdown(n, c);
	}
	/* Closing too: keep reading (and dropping) to see the peer's end. */
	if (c->recv_op == NET_OP_IDLE && !c->eof && !c->want_bufs)
		arm_recv(n, c);
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
			if (used)
				c->in_since = rl__now_ns(); /* the header timeout starts again */
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
	rl__idle_unlink(n, c);
	if (l) { /* accepted, not refused: its input buffer goes back to the listener */
		if (c->evicted)
			l->nevicting--; /* ... unless it went to the connection that evicted it */
		else
			l->free_in[l->nfree_in++] = c->inslot;
		l->nconns--;
		n->st.conns--;
	}
	conn_set_state(c, CONN_FREE);
	c->gen = (c->gen + 1) & RL__GEN_MASK;
	c->l = NULL;
	n->nconns--;
	rl__listeners_rearm(n);
	if (l)
		rl__listener_maybe_free(n, l);
	rl__sweep_maybe_cancel(n);
}

/* A free slot the kernel just filled with an accepted socket. */
static void conn_init(struct rl__net *n, struct rl_conn *c, enum conn_state state, uint64_t now)
{
	uint32_t index = c->index, gen = c->gen;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->index = index;
	c->gen = gen;
	conn_set_state(c, state);
	c->held_head = c->held_tail = -1;
	c->idle_prev = c->idle_next = -1;
	c->last_active = now;
	n->nconns++;
}

void rl__conn_open(struct rl__net *n, struct rl_conn *c, struct rl_listener *l, int64_t inslot,
		   uint64_t now)
{
	conn_init(n, c, CONN_OPEN, now);
	c->l = l;
	c->inslot = inslot >= 0 ? (uint32_t)inslot : l->free_in[--l->nfree_in];
	c->in = l->inbufs + (size_t)c->inslot * l->max_request;
	c->ops = l->ops;
	c->arg = l->arg;
	l->nconns++;
	n->st.conns++;
	if (c->ops->on_open && c->ops->on_open(c->arg, c)) {
		c->ops = NULL; /* refused by the protocol: on_close does not run */
		rl__conn_close_now(n, c, 0);
		return;
	}
	rl__conn_progress(n, c);
}

void rl__conn_refuse(struct rl__net *n, struct rl_conn *c, uint64_t now)
{
	conn_init(n, c, CONN_REFUSED, now);
	n->st.refused++;
	rl__conn_progress(n, c);
}

static void on_recv(struct rl__net *n, struct rl_conn *c, int res, uint32_t flags, uint64_t now)
{
	int32_t bid = rl__buf_taken(n, flags);

	if (!(flags & IORING_CQE_F_MORE)) {
		c->recv_op = NET_OP_IDLE;
		c->pending--;
		n->e->net_pending--;
	}
	if (res > 0 && bid >= 0) {
		n->st.bytes_in += (uint64_t)res;
		if (!rl__conn_usable(c)) {
			rl__buf_give_back(n, bid); /* closing: read only to see the peer's end */
		} else {
			if (!c->inlen && c->held_head < 0)
				c->in_since = now; /* input held from now on: the header timeout */
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
		rl__conn_close_now(n, c, res);
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
	if (c->state != CONN_OPEN)
		return;
	conn_set_state(c, CONN_DRAINING);
	rl__idle_unlink(c->n, c);
	drop_input(c->n, c);
	if (!c->in_pump)
		rl__conn_progress(c->n, c);
}

void rl_conn_abort(struct rl_conn *c)
{
	rl__conn_close_now(c->n, c, 0);
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
