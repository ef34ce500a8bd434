// SPDX-License-Identifier: MIT
/*
 * Sockets on the engine's ring: the socket state (created with the first listener), the one
 * dispatcher the loop hands socket CQEs to, statistics and teardown. The rest, by concern:
 *
 *   net_bufring.c  the provided-buffer ring: receive buffers, give-back, ENOBUFS re-arm
 *   net_sendq.c    the send pool, each connection's send queue, one send in flight
 *   net_conn.c     a connection's life cycle (its state table), receiving, closing
 *   net_listen.c   listeners, multishot accept, the connection limit, the idle sweep
 *   net_addr.c     rl_listen()'s address forms, parsed and formatted
 *
 * Timers and fd watches are not sockets: engine/timer.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

int rl__net_get(struct rl_engine *e, struct rl__net **out)
{
	struct rl__net *n = e->net;
	int ret;

	if (n) {
		*out = n;
		return 0;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->e = e;
	n->conn_base = e->files.base[RL_REGION_CONN];
	n->conn_cap = e->files.cap[RL_REGION_CONN];
	n->listener_cap = e->files.cap[RL_REGION_LISTEN];
	if (!n->conn_cap || !n->listener_cap) {
		ret = rl__error(e, -ENFILE, "no %s region in the fixed-file table (region_files)",
				n->conn_cap ? "listener" : "connection");
		goto err_free;
	}
	n->conns = calloc(n->conn_cap, sizeof(*n->conns));
	n->listeners = calloc(n->listener_cap, sizeof(*n->listeners));
	if (!n->conns || !n->listeners) {
		ret = -ENOMEM;
		goto err_tables;
	}
	for (unsigned i = 0; i < n->conn_cap; i++) {
		n->conns[i].n = n;
		n->conns[i].index = i;
	}
	for (unsigned i = 0; i < n->listener_cap; i++) {
		n->listeners[i].n = n;
		n->listeners[i].index = i;
	}
	ret = rl__sendq_init(n, e->net_send_pool);
	if (ret)
		goto err_tables;
	ret = rl__bufring_init(e, n);
	if (ret)
		goto err_sendq;
	/* Accepted sockets take kernel-chosen slots, but only in the connection region. */
	ret = io_uring_register_file_alloc_range(&e->ring, n->conn_base, n->conn_cap);
	if (ret) {
		rl__error(e, ret, "cannot set the connection region for accept: %s",
			  strerror(-ret));
		goto err_bufring;
	}
	e->net = n;
	*out = n;
	return 0;

err_bufring:
	rl__bufring_fini(e, n);
err_sendq:
	rl__sendq_fini(n);
err_tables:
	free(n->conns);
	free(n->listeners);
err_free:
	free(n);
	return ret;
}

int rl__net_cancel(struct rl_engine *e, uint64_t ud)
{
	struct io_uring_sqe *sqe = rl__net_sqe(e);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel64(sqe, ud, 0);
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_IGNORE, 0, 0));
	return 0;
}

void rl__net_dispatch(struct rl_engine *e, uint64_t ud, int res, uint32_t flags, uint64_t now)
{
	struct rl__net *n = e->net;
	unsigned tag = rl__ud_tag(ud);
	uint32_t slot = rl__ud_slot(ud), gen = rl__ud_gen(ud);
	struct rl_conn *c;
	int32_t bid;

	if (!n) {
		e->stale_cqes++;
		return;
	}
	if (tag == RL__TAG_NET_SWEEP) {
		rl__sweep_fired(n);
		return;
	}
	if (tag == RL__TAG_NET_ACCEPT) {
		rl__listener_accepted(n, slot, gen, res, flags, now);
		return;
	}
	c = slot < n->conn_cap ? &n->conns[slot] : NULL;
	if (!c || c->state == CONN_FREE || c->gen != gen) {
		/* A buffer the kernel filled goes back to the ring even for a stale CQE. */
		if (tag == RL__TAG_NET_RECV && (bid = rl__buf_taken(n, flags)) >= 0)
			rl__buf_give_back(n, bid);
		n->st.stale++;
		e->stale_cqes++;
		return;
	}
	rl__conn_complete(n, c, tag, res, flags, now);
}

void rl__net_reaped(struct rl_engine *e)
{
	struct rl__net *n = e->net;

	if (e->dying)
		return;
	if (n->sweep_due) {
		n->sweep_due = 0;
		rl__sweep(n, rl__now_ns());
	}
	rl__sweep_arm(n); /* nothing to do when armed, or with nothing to watch */
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

void rl__net_shutdown(struct rl_engine *e)
{
	struct rl__net *n = e->net;

	if (!n)
		return;
	for (unsigned i = 0; i < n->listener_cap; i++)
		rl_listener_close(&n->listeners[i]);
}

void rl__net_fini(struct rl_engine *e)
{
	struct rl__net *n = e->net;

	if (!n)
		return;
	/* Every CQE has been reaped: what is left is unregistered with the file table. */
	for (unsigned i = 0; i < n->listener_cap; i++) {
		struct rl_listener *l = &n->listeners[i];

		if (l->state == LISTENER_FREE)
			continue;
		l->accept_op = NET_OP_IDLE;
		l->nconns = 0;
		rl__listener_maybe_free(n, l);
	}
	rl__bufring_fini(e, n);
	rl__sendq_fini(n);
	free(n->conns);
	free(n->listeners);
	free(n);
	e->net = NULL;
}
