// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 on the engine's sockets: connections, keep-alive and pipelining, the request size
 * limit, and the service's life cycle. Requests are parsed by parse.c, paced by the rate limit,
 * and answered through the route table.
 *
 * Requests are answered in order: while one waits (an NVMe Get Log Page, the rate limit, or
 * room in the send queue), the ones pipelined behind it stay unconsumed in the connection's
 * input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "route.h"

const char *ctl_http_address(const struct ctl_http *h)
{
	return h->addr;
}

/* ---- connection callbacks ----------------------------------------------------------------- */

static int conn_open(void *arg, struct rl_conn *c)
{
	struct ctl_http *h = arg;
	struct ctl__conn *hc = h->free_conns;

	if (!hc)
		return -1;
	h->free_conns = hc->next;
	hc->next = NULL;
	hc->c = c;
	hc->parked = (struct ctl__parked){.c = c};
	hc->waiting = NULL;
	hc->pending_len = 0;
	hc->head_only = false;
	rl_conn_set_data(c, hc);
	/* No request yet: at the connection limit, a new connection may take its place. */
	rl_conn_set_idle(c, 1);
	return 0;
}

static void conn_close(void *arg, struct rl_conn *c, int why)
{
	struct ctl_http *h = arg;
	struct ctl__conn *hc = rl_conn_data(c);

	(void)why;
	ctl__rate_forget(h->rate, &hc->parked);
	ctl__health_forget(hc);
	hc->c = NULL;
	hc->next = h->free_conns;
	h->free_conns = hc;
}

/* A request that is not complete: malformed (400) or over the size limit (413, 431). */
static bool refuse_incomplete(struct ctl_http *h, struct ctl__conn *hc, const struct ctl__req *r,
			      size_t len)
{
	if (r->error) {
		ctl__reply_error(h, hc, 400, false, r->error, NULL);
	} else if (len >= h->max_request) {
		/* Everything the connection may hold, and the request is not done. */
		ctl__reply_error(
		    h, hc, r->headers_done ? 413 : 431, false,
		    r->headers_done ? "request body too large" : "request header too large", NULL);
	} else {
		return false; /* incomplete: wait for more */
	}
	rl_conn_close(hc->c);
	return true;
}

static size_t conn_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct ctl_http *h = arg;
	struct ctl__conn *hc = rl_conn_data(c);
	size_t off = 0, n;
	struct ctl__req r;
	int ret;

	if (hc->pending_len) {
		/*
		 * A device answer waits for room; nothing behind it may overtake it. A refused send
		 * is what asks the engine to offer on_data again when room frees, even without
		 * input: checking rl_conn_send_room() alone would wait for an event that never
		 * comes.
		 */
		if (rl_conn_send(c, hc->pending, hc->pending_len))
			return 0;
		hc->pending_len = 0;
		if (hc->pending_close) {
			rl_conn_close(c);
			return len;
		}
	}
	if (hc->waiting)
		return 0;
	while (off < len) {
		n = ctl__parse(data + off, len - off, &r);
		hc->head_only = false; /* until ctl__route() sees a HEAD */
		if (!r.complete) {
			if (refuse_incomplete(h, hc, &r, len - off))
				return len;
			break;
		}
		rl_conn_set_idle(c, 0); /* a request in progress */
		if (!ctl__rate_take(h->rate, ctl__now_ns(), &hc->parked))
			return off; /* resumed when the bucket has refilled */
		ret = ctl__route(h, hc, &r);
		if (ret == CTL__NO_ROOM) {
			ctl__rate_refund(h->rate); /* not answered: the retry takes it again */
			return off;		   /* offered again after a send completes */
		}
		off += n;
		if (ret == CTL__LATER)
			return off;
		if (!r.keep_alive)
			return len;
	}
	if (rl_conn_eof(c) && !hc->waiting)
		rl_conn_close(c); /* the peer is done and everything it sent has been answered */
	/* Between requests only when everything it sent has been answered. */
	rl_conn_set_idle(c, off == len && !hc->waiting && !hc->pending_len);
	return off;
}

static const struct rl_conn_ops http_ops = {conn_open, conn_data, conn_close};

/* ---- life cycle --------------------------------------------------------------------------- */

static void http_free(struct ctl_http *h)
{
	if (h->rate)
		ctl__rate_stop(h->rate);
	if (h->health)
		ctl__health_stop(h->health);
	ctl__auth_free(&h->auth);
	ctl__buf_free(&h->body);
	ctl__buf_free(&h->head);
	free(h->conns);
	free(h);
}

int ctl_http_start(struct rl_engine *e, const struct ctl_http_opts *o, struct ctl_http **out)
{
	struct rl_listen_opts lo = {.opts_size = sizeof(lo)};
	struct ctl_http *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	lo.max_conns = o->max_conns ? o->max_conns : CTL_HTTP_MAX_CONNS;
	lo.idle_timeout_ms = o->idle_timeout_ms;
	lo.header_timeout_ms = o->header_timeout_ms ? o->header_timeout_ms : CTL_HTTP_HEADER_MS;
	lo.max_request = o->max_request ? o->max_request : 8192;
	h->e = e;
	h->max_request = lo.max_request;
	h->metrics = o->metrics;
	h->metrics_arg = o->metrics_arg;
	h->status = o->status;
	h->status_arg = o->status_arg;
	h->start_ns = ctl__now_ns();
	h->conns = calloc(lo.max_conns, sizeof(*h->conns));
	if (!h->conns) {
		ret = -ENOMEM;
		goto err;
	}
	ret = ctl__auth_init(&h->auth, o->token);
	if (ret)
		goto err;
	ret = ctl__rate_create(e, o->max_rate ? o->max_rate : CTL_HTTP_RATE, h->start_ns, &h->rate);
	if (ret)
		goto err;
	ret = ctl__health_create(&h->health);
	if (ret)
		goto err;
	for (unsigned i = 0; i < lo.max_conns; i++) {
		h->conns[i].h = h;
		h->conns[i].next = i + 1 < lo.max_conns ? &h->conns[i + 1] : NULL;
	}
	h->free_conns = h->conns;
	ret = rl_listen(e, o->listen, &lo, &http_ops, h, &h->l);
	if (ret)
		goto err;
	rl_listener_address(h->l, h->addr, sizeof(h->addr));
	*out = h;
	return 0;
err:
	http_free(h); /* frees what was set up: every part takes NULL */
	return ret;
}

void ctl_http_stop(struct ctl_http *h)
{
	/* Every connection's on_close runs now, so none waits for the limiter or a device. */
	rl_listener_close(h->l);
	http_free(h);
}
