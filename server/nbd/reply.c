// SPDX-License-Identifier: MIT
/*
 * Replies: each connection has a queue of requests whose reply is ready, in completion order
 * (replies are matched by cookie, so they need not follow the requests' order). The head reply
 * is queued on the socket in messages of at most one buffer chunk, header with the first, so a
 * 32 MiB read never needs 32 MiB of send pool; a message refused for lack of room waits for
 * on_data, which the engine calls again once room frees, and no other reply can cut in.
 *
 * The socket layer copies each message into its send pool (rl_conn_sendv()): one copy of every
 * read, the price of the public API's send queue today.
 */
#include <errno.h>
#include <sys/uio.h>

#include "nbd_internal.h"

void nbd__wake_stalled(struct nbd_server *s)
{
	for (unsigned i = 0; i < s->nconns && s->nstalled; i++) {
		struct nbd_conn *nc = &s->conns[i];

		if (nc->stalled && nc->c) {
			nc->stalled = 0;
			s->nstalled--;
			rl_conn_resume(nc->c);
		}
	}
}

static enum nbd_stat_err stat_err(int err)
{
	switch (err) {
	case NBD_EPERM:
		return NBD_STAT_EPERM;
	case NBD_EIO:
		return NBD_STAT_EIO;
	case NBD_ENOMEM:
		return NBD_STAT_ENOMEM;
	case NBD_EINVAL:
		return NBD_STAT_EINVAL;
	case NBD_ENOSPC:
		return NBD_STAT_ENOSPC;
	default:
		return NBD_STAT_EOTHER;
	}
}

void nbd__req_release(struct nbd_req *r)
{
	struct nbd_server *s = r->s;
	struct nbd_conn *nc = r->nc;
	enum nbd_stat_cmd k = nbd__stat_cmd(r->type);

	s->st.ops[k]++;
	rl_hist_record(s->lat[k], nbd__now() - r->t0);
	if (r->err) {
		s->st.errors[k]++;
		s->st.nbd_errors[stat_err(r->err)]++;
	} else if (r->type == NBD_CMD_READ || r->type == NBD_CMD_WRITE)
		s->st.bytes[k] += r->len;
	if (r->nchunks)
		nc->bytes -= r->len;
	nbd__pool_put(s, r);
	r->stage = REQ_FREE;
	r->nc = NULL;
	r->next = s->free_reqs;
	s->free_reqs = r;
	s->reqs_free++;
	s->st.inflight--;
	nc->inflight--;
	if (!nc->c && !nc->inflight)
		nbd__conn_put(nc);
	else if (nc->c && !nc->inflight && !nc->rx_req && !nc->skip)
		rl_conn_set_idle(nc->c, 1); /* may be evicted for a new connection */
	if (nc->c)
		nbd__conn_maybe_close(nc);
	if (s->nstalled)
		nbd__wake_stalled(s);
}

void nbd__reply_queue(struct nbd_req *r)
{
	struct nbd_conn *nc = r->nc;
	char *p = r->hdr;

	if (!nc->c) { /* the connection is gone: nobody to answer */
		nbd__req_release(r);
		return;
	}
	p = nbd_put32(p, NBD_SIMPLE_REPLY_MAGIC);
	p = nbd_put32(p, (uint32_t)r->err);
	nbd_put64(p, r->cookie);
	r->stage = REQ_READY;
	r->next = NULL;
	if (nc->ready_tail)
		nc->ready_tail->next = r;
	else
		nc->ready_head = r;
	nc->ready_tail = r;
	nbd__reply_flush(nc);
}

void nbd__reply_flush(struct nbd_conn *nc)
{
	struct nbd_req *r;

	while (nc->c && (r = nc->ready_head)) {
		uint32_t dlen = r->type == NBD_CMD_READ && !r->err ? r->len : 0;
		uint32_t piece = dlen - nc->sent;
		struct iovec iov[2];
		int n = 0, ret;

		if (piece > NBD_CHUNK - nc->sent % NBD_CHUNK)
			piece = NBD_CHUNK - nc->sent % NBD_CHUNK;
		if (!nc->hdr_sent)
			iov[n++] = (struct iovec){r->hdr, NBD_REPLY_SIZE};
		if (piece)
			iov[n++] = (struct iovec){nbd__chunk(nc->s, r, nc->sent), piece};
		ret = rl_conn_sendv(nc->c, iov, n);
		if (ret == -ENOBUFS)
			return; /* on_data runs again when room frees */
		if (!ret) {
			nc->hdr_sent = 1;
			nc->sent += piece;
			if (nc->sent < dlen)
				continue;
		}
		/* Sent, or the connection is closing (-EPIPE): either way this one is done. */
		nc->ready_head = r->next;
		if (!nc->ready_head)
			nc->ready_tail = NULL;
		nc->hdr_sent = 0;
		nc->sent = 0;
		nbd__req_release(r);
	}
}

void nbd__conn_maybe_close(struct nbd_conn *nc)
{
	struct nbd_server *s = nc->s;
	bool over;

	if (!nc->c || nc->closing || nc->inflight || nc->rx_req || nc->skip)
		return;
	over = nc->disc || rl_conn_eof(nc->c) || s->stopping;
	if (over) {
		nc->closing = 1;
		rl_conn_close(nc->c);
	}
}
