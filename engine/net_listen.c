// SPDX-License-Identifier: MIT
/*
 * Listeners: a multishot accept straight into the connection region of the fixed-file table,
 * the per-listener connection limit (at the limit, a new connection takes the place of the
 * oldest one its protocol marked idle, or is accepted and closed at once when there is none),
 * and the sweep, a timer that closes connections idle past their listener's idle timeout or
 * holding input past its header timeout, and retries what found no SQE.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_internal.h"

#define SWEEP_MIN_NS 5000000ull	   /* 5 ms */
#define SWEEP_MAX_NS 1000000000ull /* 1 s */
/* Idle-list entries an accept at the limit looks at: O(1) per accept, whatever the list holds. */
#define EVICT_LOOK 16

/* ---- the idle list: connections between requests, oldest first ---------------------------- */

void rl__idle_unlink(struct rl__net *n, struct rl_conn *c)
{
	struct rl_listener *l = c->l;

	if (!c->idle)
		return;
	if (c->idle_prev >= 0)
		n->conns[c->idle_prev].idle_next = c->idle_next;
	else
		l->idle_head = c->idle_next;
	if (c->idle_next >= 0)
		n->conns[c->idle_next].idle_prev = c->idle_prev;
	else
		l->idle_tail = c->idle_prev;
	c->idle_prev = c->idle_next = -1;
	c->idle = 0;
}

void rl_conn_set_idle(struct rl_conn *c, int idle)
{
	struct rl__net *n = c->n;
	struct rl_listener *l = c->l;

	if (!idle) {
		rl__idle_unlink(n, c);
		return;
	}
	if (c->idle || !rl__conn_usable(c))
		return; /* already on the list: it keeps its place, the time it became idle */
	c->idle = 1;
	c->idle_next = -1;
	c->idle_prev = l->idle_tail;
	if (l->idle_tail >= 0)
		n->conns[l->idle_tail].idle_next = (int32_t)c->index;
	else
		l->idle_head = (int32_t)c->index;
	l->idle_tail = (int32_t)c->index;
}

/*
 * At the limit: close the oldest idle connection of @l that holds no input and has nothing to
 * send, at once (its on_close runs now, so the protocol has its state back for on_open).
 * Return: the input buffer it leaves to the new connection, or -1 when there is none.
 */
static int64_t evict_idle(struct rl__net *n, struct rl_listener *l)
{
	int32_t i = l->idle_head;

	for (unsigned k = 0; i >= 0 && k < EVICT_LOOK; k++) {
		struct rl_conn *c = &n->conns[i];
		const struct rl_conn_ops *ops = c->ops;

		i = c->idle_next;
		if (c->inlen || c->held_head >= 0 || c->queued || c->send_op != NET_OP_IDLE ||
		    c->resumed || c->in_pump)
			continue;
		rl__idle_unlink(n, c);
		c->evicted = 1;
		l->nevicting++;
		n->st.evicted++;
		c->ops = NULL;
		if (ops->on_close)
			ops->on_close(c->arg, c, -ECONNABORTED);
		rl__conn_close_now(n, c, -ECONNABORTED);
		return c->inslot;
	}
	return -1;
}

/* ---- listeners ------------------------------------------------------------------------- */

void rl__listener_maybe_free(struct rl__net *n, struct rl_listener *l)
{
	if (l->state != LISTENER_CLOSING || l->accept_op != NET_OP_IDLE || l->nconns)
		return;
	rl__files_remove(n->e, l->fhandle);
	close(l->fd);
	if (l->unix_path[0])
		unlink(l->unix_path);
	free(l->inbufs);
	free(l->free_in);
	l->inbufs = NULL;
	l->free_in = NULL;
	l->state = LISTENER_FREE;
	l->gen = (l->gen + 1) & RL__GEN_MASK;
	n->nlisteners--;
	n->st.listeners--;
	rl__sweep_maybe_cancel(n);
}

static void arm_accept(struct rl__net *n, struct rl_listener *l)
{
	struct io_uring_sqe *sqe;

	if (l->state != LISTENER_OPEN || l->accept_op != NET_OP_IDLE || n->e->dying)
		return;
	sqe = rl__net_sqe(n->e);
	if (!sqe)
		return; /* the sweep tries again */
	/* No SOCK_CLOEXEC: a direct descriptor has no fd to inherit, and the kernel refuses it. */
	io_uring_prep_multishot_accept_direct(sqe, (int)l->findex, NULL, NULL, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_NET_ACCEPT, l->index, l->gen));
	n->e->net_pending++;
	l->accept_op = NET_OP_ACTIVE;
}

void rl__listeners_rearm(struct rl__net *n)
{
	for (unsigned i = 0; i < n->listener_cap; i++)
		arm_accept(n, &n->listeners[i]);
}

static void on_accept(struct rl__net *n, struct rl_listener *l, int res, uint64_t now)
{
	struct rl_conn *c;
	uint32_t index = (uint32_t)res - n->conn_base;
	int64_t slot;

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
	c = &n->conns[index];
	if (!l || l->state != LISTENER_OPEN || n->e->dying)
		rl__conn_refuse(n, c, now);
	else if (l->nconns - l->nevicting < l->max_conns)
		rl__conn_open(n, c, l, -1, now);
	else if ((slot = evict_idle(n, l)) >= 0)
		rl__conn_open(n, c, l, slot, now);
	else
		rl__conn_refuse(n, c, now);
}

void rl__listener_accepted(struct rl__net *n, uint32_t slot, uint32_t gen, int res, uint32_t flags,
			   uint64_t now)
{
	struct rl_listener *l = slot < n->listener_cap ? &n->listeners[slot] : NULL;

	if (l && (l->state == LISTENER_FREE || l->gen != gen))
		l = NULL; /* stale: a connection it still carries is refused */

	if (l && !(flags & IORING_CQE_F_MORE)) {
		/* The multishot accept ended (cancelled, or an error such as a full region): it
		 * is re-armed by the sweep or when a connection frees a slot. */
		l->accept_op = NET_OP_IDLE;
		n->e->net_pending--;
	}
	if (res >= 0)
		on_accept(n, l, res, now);
	if (l) {
		rl__listener_maybe_free(n, l);
		rl__sweep_arm(n);
	}
}

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
	if (!ops || !ops->on_data)
		return rl__error(e, -EINVAL, "rl_listen: on_data is required");
	if (o.flags & ~RL_LISTEN_REUSEPORT)
		return rl__error(e, -EINVAL, "rl_listen: unknown flags 0x%x", o.flags);
	if (e->dying)
		return -ESHUTDOWN;
	ret = rl__net_get(e, &n);
	if (ret)
		return ret;
	for (unsigned i = 0; i < n->listener_cap && !l; i++)
		if (n->listeners[i].state == LISTENER_FREE)
			l = &n->listeners[i];
	if (!l)
		return rl__error(e, -ENFILE, "all %u listener slots are in use", n->listener_cap);
	if (o.max_conns > n->conn_cap)
		o.max_conns = n->conn_cap;
	/*
	 * A share of the pool, so connections that never read cannot fill it for everyone:
	 * max_conns of them together hold at most the pool (4 of them for a small limit).
	 */
	if (!o.max_send_queue) {
		o.max_send_queue = e->net_send_pool / (o.max_conns > 4 ? o.max_conns : 4);
		if (o.max_send_queue > 1u << 20)
			o.max_send_queue = 1u << 20;
		if (o.max_send_queue < 2 * NET_CHUNK_DATA)
			o.max_send_queue = 2 * NET_CHUNK_DATA;
	}

	memset(l->unix_path, 0, sizeof(l->unix_path));
	ret = rl__net_parse_addr(e, addr, &ss, &slen, l->unix_path, sizeof(l->unix_path));
	if (ret)
		return ret;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rl__error(e, -errno, "%s: socket: %s", addr, strerror(errno));
	if (ss.ss_family != AF_UNIX) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if ((o.flags & RL_LISTEN_REUSEPORT) &&
		    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) {
			ret = rl__error(e, -errno, "%s: SO_REUSEPORT: %s", addr, strerror(errno));
			goto err_close;
		}
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
	l->header_ns = (uint64_t)o.header_timeout_ms * 1000000u;
	l->nevicting = 0;
	l->idle_head = l->idle_tail = -1;
	l->max_send_queue = o.max_send_queue;
	l->accept_op = NET_OP_IDLE;
	l->state = LISTENER_OPEN;
	rl__net_format_addr(fd, l->unix_path, l->addr, sizeof(l->addr));
	n->nlisteners++;
	n->st.listeners++;
	arm_accept(n, l);
	if (l->accept_op == NET_OP_IDLE) {
		rl_listener_close(l);
		return rl__error(e, -EBUSY, "%s: submission queue full", addr);
	}
	rl__sweep_arm(n);
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

	if (l->state != LISTENER_OPEN)
		return;
	l->state = LISTENER_CLOSING;
	for (unsigned i = 0; i < n->conn_cap; i++) {
		struct rl_conn *c = &n->conns[i];
		const struct rl_conn_ops *ops = c->ops;

		if (c->state == CONN_FREE || c->l != l)
			continue;
		c->ops = NULL;
		if (ops && ops->on_close)
			ops->on_close(c->arg, c, -ECANCELED);
		rl__conn_close_now(n, c, -ECANCELED);
	}
	if (l->accept_op == NET_OP_ACTIVE &&
	    !rl__net_cancel(n->e, rl__ud_encode(RL__TAG_NET_ACCEPT, l->index, l->gen)))
		l->accept_op = NET_OP_CANCEL_SENT;
	rl__listener_maybe_free(n, l);
}

char *rl_listener_address(const struct rl_listener *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s", l->addr);
	return buf;
}

/* ---- the idle sweep ---------------------------------------------------------------------- */

void rl__sweep_arm(struct rl__net *n)
{
	uint64_t ns = SWEEP_MAX_NS;
	struct io_uring_sqe *sqe;

	if (n->sweep_armed || n->e->dying || (!n->nlisteners && !n->nconns))
		return;
	for (unsigned i = 0; i < n->listener_cap; i++) {
		const struct rl_listener *l = &n->listeners[i];

		if (l->state == LISTENER_FREE)
			continue;
		if (l->idle_ns / 4 < ns)
			ns = l->idle_ns / 4;
		if (l->header_ns && l->header_ns / 4 < ns)
			ns = l->header_ns / 4;
	}
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

void rl__sweep_maybe_cancel(struct rl__net *n)
{
	if (n->sweep_armed && !n->nlisteners && !n->nconns)
		rl__net_cancel(n->e, rl__ud_encode(RL__TAG_NET_SWEEP, 0, 0));
}

void rl__sweep_fired(struct rl__net *n)
{
	n->e->net_pending--;
	n->sweep_armed = 0;
	/*
	 * Not now: CQEs behind this one may carry activity of connections that look idle (after
	 * the thread was descheduled, say). Once the batch is handled (rl__net_reaped()).
	 */
	n->sweep_due = !n->e->dying;
}

void rl__sweep(struct rl__net *n, uint64_t now)
{
	for (unsigned i = 0; i < n->conn_cap; i++) {
		struct rl_conn *c = &n->conns[i];

		if (rl__conn_live(c) && now > c->last_active &&
		    now - c->last_active > c->l->idle_ns) {
			if (c->state == CONN_OPEN)
				n->st.idle_closed++;
			rl__conn_close_now(n, c, -ETIMEDOUT);
		} else if (c->state == CONN_OPEN && c->l->header_ns &&
			   (c->inlen || c->held_head >= 0) && now > c->in_since &&
			   now - c->in_since > c->l->header_ns) {
			n->st.header_timeouts++;
			rl__conn_close_now(n, c, -ETIMEDOUT);
		} else if (c->state != CONN_FREE && c->kick) {
			c->kick = 0;
			rl__conn_pump(n, c); /* a resume that found no SQE */
			rl__conn_progress(n, c);
		}
	}
	rl__listeners_rearm(n);
}
