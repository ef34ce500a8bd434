// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 on the engine's sockets: connections, keep-alive and pipelining, the request size
 * limit, routing, device health reads, and the service's life cycle. Requests are parsed by
 * parse.c, paced by the rate limit, and answered through reply.c.
 *
 * Requests are answered in order: while one waits (an NVMe Get Log Page, the rate limit, or
 * room in the send queue), the ones pipelined behind it stay unconsumed in the connection's
 * input.
 */
#include <errno.h>
#include <libnvme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "render.h"

const char *ctl_http_address(const struct ctl_http *h)
{
	return h->addr;
}

/* ---- device health: Get Log Page on the same ring, answered on completion ------------------- */

#define MAX_DEVS 64
#define LOG_SIZE 512

/* One device's read: the log buffer the command writes lives until its completion. */
struct ctl__health_dev {
	struct ctl__health *hs;
	struct rl_target *t;
	void *log;
	bool inflight;
	struct ctl__conn *waiters;
};

struct ctl__health {
	unsigned inflight; /* Get Log Page commands */
	bool stopped;
	unsigned ndevs;
	struct ctl__health_dev devs[MAX_DEVS];
};

static int health_create(struct ctl__health **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void health_free(struct ctl__health *hs)
{
	for (unsigned i = 0; i < hs->ndevs; i++)
		rl_free_aligned(hs->devs[i].log);
	free(hs);
}

static void health_stop(struct ctl__health *hs)
{
	hs->stopped = true;
	if (!hs->inflight)
		health_free(hs);
}

static void health_forget(struct ctl__conn *hc)
{
	if (!hc->waiting)
		return;
	for (struct ctl__conn **pp = &hc->waiting->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == hc) {
			*pp = hc->next;
			break;
		}
	}
	hc->waiting = NULL;
}

static void answer(struct ctl__conn *hc, int res, const void *log)
{
	char why[160], status[96];
	int code = 200;

	if (res) {
		code = res == -ECANCELED ? 503 : 502;
		snprintf(why, sizeof(why), "Get Log Page (SMART) failed: %s",
			 res > 0 ? rl_nvme_status_str(res, status, sizeof(status))
				 : strerror(-res));
		ctl__reply_error_body(hc->h, why);
	} else {
		ctl__reply_json(hc->h, ctl_smart_log_json(log));
	}
	ctl__reply_defer(hc->h, hc, code);
}

static void on_log(void *arg, int res, uint64_t result)
{
	struct ctl__health_dev *d = arg;
	struct ctl__health *hs = d->hs;
	struct ctl__conn *hc;

	(void)result;
	d->inflight = false;
	hs->inflight--;
	while ((hc = d->waiters)) {
		d->waiters = hc->next;
		hc->next = NULL;
		hc->waiting = NULL;
		answer(hc, res, d->log);
		rl_conn_resume(hc->c);
	}
	if (hs->stopped && !hs->inflight)
		health_free(hs); /* the deferred free of ctl__health_stop() */
}

static struct ctl__health_dev *dev_slot(struct ctl__health *hs, struct rl_target *t)
{
	struct ctl__health_dev *d;

	for (unsigned i = 0; i < hs->ndevs; i++)
		if (hs->devs[i].t == t)
			return &hs->devs[i];
	if (hs->ndevs == MAX_DEVS)
		return NULL;
	d = &hs->devs[hs->ndevs];
	d->log = rl_alloc_aligned(64, LOG_SIZE);
	if (!d->log)
		return NULL;
	d->hs = hs;
	d->t = t;
	hs->ndevs++;
	return d;
}

/* The open target whose path ends in /@name. */
static struct rl_target *find_target(struct rl_engine *e, const char *name, size_t len)
{
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		const char *tn = rl_target_name(t), *base = strrchr(tn, '/');

		base = base ? base + 1 : tn;
		if (strlen(base) == len && !memcmp(base, name, len))
			return t;
	}
	return NULL;
}

static int get_health(struct ctl_http *h, struct ctl__conn *hc, const char *name, size_t len,
		      bool keep_alive)
{
	struct rl_target *t = find_target(h->e, name, len);
	struct rl_nvme_dev *nvme = t ? rl_target_nvme(t) : NULL;
	struct ctl__health_dev *d;
	char msg[160];
	int ret;

	if (!t || !nvme) {
		snprintf(msg, sizeof(msg),
			 t ? "%.*s is not an NVMe device: it has no SMART log"
			   : "no open device named %.*s",
			 (int)(len > 64 ? 64 : len), name);
		return ctl__reply_error(h, hc, 404, keep_alive, msg, NULL);
	}
	d = dev_slot(h->health, t);
	if (!d)
		return ctl__reply_error(h, hc, 503, keep_alive, "too many devices", NULL);
	if (!d->inflight) {
		ret = rl_nvme_get_log(nvme, NVME_LOG_LID_SMART, NVME_NSID_ALL, d->log, LOG_SIZE,
				      on_log, d);
		if (ret) {
			snprintf(msg, sizeof(msg), "%s", rl_engine_last_error(h->e));
			return ctl__reply_error(h, hc, ret == -EBUSY ? 503 : 502, keep_alive, msg,
						NULL);
		}
		d->inflight = true;
		h->health->inflight++;
	}
	hc->waiting = d;
	hc->keep_alive = keep_alive;
	hc->next = d->waiters;
	d->waiters = hc;
	return CTL__LATER;
}

/* ---- routing ------------------------------------------------------------------------------ */

static bool path_is(const char *p, size_t len, const char *want)
{
	return strlen(want) == len && !memcmp(p, want, len);
}

/* Answer one complete request. Return: an enum ctl__sent. */
static int route(struct ctl_http *h, struct ctl__conn *hc, const struct ctl__req *r)
{
	const char *path = r->url, *q = memchr(r->url, '?', r->url_len);
	size_t len = q ? (size_t)(q - path) : r->url_len;
	static const char dev_prefix[] = "/v1/devices/", health_suffix[] = "/health";
	size_t np = sizeof(dev_prefix) - 1, ns = sizeof(health_suffix) - 1;
	const char *name = path + np;
	size_t name_len = len > np + ns ? len - np - ns : 0;
	bool is_health = name_len && !memcmp(path, dev_prefix, np) &&
			 !memcmp(path + len - ns, health_suffix, ns) &&
			 !memchr(name, '/', name_len);
	bool known = path_is(path, len, "/metrics") || path_is(path, len, "/v1/status") ||
		     path_is(path, len, "/v1/devices") || is_health;
	bool keep_alive = r->keep_alive;
	struct ctl_stats st;

	if (!ctl__auth_ok(&h->auth, r->auth, r->auth_len))
		return ctl__reply_error(h, hc, 401, keep_alive, "a bearer token is required",
					"WWW-Authenticate: Bearer\r\n");
	if (!known)
		return ctl__reply_error(h, hc, 404, keep_alive, "no such resource", NULL);
	if (strcmp(r->method, "GET"))
		return ctl__reply_error(h, hc, 405, keep_alive, "only GET is supported",
					"Allow: GET\r\n");
	if (is_health)
		return get_health(h, hc, name, name_len, keep_alive);
	ctl_http_stats(h, &st);
	if (path_is(path, len, "/metrics")) {
		ctl__buf_reset(&h->body);
		ctl__metrics_render(h->e, &st, &h->body);
		return ctl__reply_send(h, hc, 200, "text/plain; version=0.0.4; charset=utf-8",
				       keep_alive, NULL);
	}
	ctl__reply_json(h, path_is(path, len, "/v1/status") ? ctl__status_json(h->e, &st)
							    : ctl__devices_json(h->e));
	return ctl__reply_send(h, hc, 200, "application/json", keep_alive, NULL);
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
	rl_conn_set_data(c, hc);
	return 0;
}

static void conn_close(void *arg, struct rl_conn *c, int why)
{
	struct ctl_http *h = arg;
	struct ctl__conn *hc = rl_conn_data(c);

	(void)why;
	ctl__rate_forget(h->rate, &hc->parked);
	health_forget(hc);
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
		/* A device answer waits for room; nothing behind it may overtake it. */
		if (rl_conn_send_room(c) < hc->pending_len)
			return 0;
		rl_conn_send(c, hc->pending, hc->pending_len);
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
		if (!r.complete) {
			if (refuse_incomplete(h, hc, &r, len - off))
				return len;
			break;
		}
		if (!ctl__rate_take(h->rate, ctl__now_ns(), &hc->parked))
			return off; /* resumed when the bucket has refilled */
		ret = route(h, hc, &r);
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
	return off;
}

static const struct rl_conn_ops http_ops = {conn_open, conn_data, conn_close};

/* ---- life cycle --------------------------------------------------------------------------- */

static void http_free(struct ctl_http *h)
{
	if (h->rate)
		ctl__rate_stop(h->rate);
	if (h->health)
		health_stop(h->health);
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
	lo.max_conns = o->max_conns ? o->max_conns : 64;
	lo.idle_timeout_ms = o->idle_timeout_ms;
	lo.max_request = o->max_request ? o->max_request : 8192;
	h->e = e;
	h->max_request = lo.max_request;
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
	ret = health_create(&h->health);
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
