// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 on the engine's sockets: keep-alive and pipelining, parsed with Debian's http-parser.
 *
 * A request is handled only once it is wholly in the connection's input buffer (the net layer
 * holds up to max_request bytes): each pass parses from the start of the unconsumed input, so no
 * parser state or header copies outlive a pass, and the URL and headers point into the buffer.
 * Requests are answered in order: while one waits (an NVMe Get Log Page, or room in the send
 * queue), the ones pipelined behind it stay unconsumed.
 */
#include <errno.h>
#include <http_parser.h>
#include <libnvme.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "control.h"
#include "auth.h"
#include "ratelimit.h"
#include "render.h"

/* Per-device SMART request: one Get Log Page in flight, answered to every waiting connection. */
struct health {
	struct ctl_http *h;
	struct rl_target *t;
	void *log; /* 512 bytes the command writes; lives until its completion */
	bool inflight;
	struct hconn *waiters;
};

#define MAX_HEALTH 64
#define PENDING_MAX 4096

struct hconn {
	struct ctl_http *h;
	struct rl_conn *c;
	struct hconn *next;	   /* free list, or a device's waiters */
	struct ctl__parked parked; /* waiting for the rate limit */
	struct health *waiting;
	bool keep_alive;    /* of the request that waits */
	size_t pending_len; /* an answer ready to queue (Get Log Page completed) */
	bool pending_close;
	char pending[PENDING_MAX];
};

struct ctl_http {
	struct rl_engine *e;
	struct rl_listener *l;
	char addr[136];
	struct ctl__auth auth;
	uint32_t max_request;
	uint64_t start_ns;
	bool stopped;
	unsigned pending; /* Get Log Page commands in flight */
	struct ctl__rate *rate;
	struct hconn *conns;
	struct hconn *free_conns;
	struct health health[MAX_HEALTH];
	unsigned nhealth;
	struct ctl__buf body;
	struct ctl__buf head;
	uint64_t answered[CTL_HTTP_NCODES];
};

/* What one parsing pass found out about a request. */
struct req {
	const char *url;
	size_t url_len;
	const char *auth;
	size_t auth_len;
	bool field_is_auth;
	bool headers_done;
	bool complete;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *reason(int code)
{
	return http_status_str((enum http_status)code);
}

static void count(struct ctl_http *h, int code)
{
	for (int i = 0; i < CTL_HTTP_NCODES; i++)
		if (ctl_http_codes[i] == code)
			h->answered[i]++;
}

void ctl_http_stats(const struct ctl_http *h, struct ctl_stats *st)
{
	st->uptime_s = (double)(now_ns() - h->start_ns) / 1e9;
	memcpy(st->requests, h->answered, sizeof(st->requests));
	rl_net_stats(h->e, &st->net);
}

const char *ctl_http_address(const struct ctl_http *h)
{
	return h->addr;
}

/* ---- parser callbacks: the data is contiguous, so each element arrives in one piece -------- */

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct req *r = p->data;

	if (!r->url)
		r->url = at;
	r->url_len += len;
	return 0;
}

static int on_field(http_parser *p, const char *at, size_t len)
{
	struct req *r = p->data;

	r->field_is_auth = len == 13 && !strncasecmp(at, "Authorization", 13);
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t len)
{
	struct req *r = p->data;

	if (r->field_is_auth) {
		r->auth = at;
		r->auth_len = len;
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	((struct req *)p->data)->headers_done = true;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	((struct req *)p->data)->complete = true;
	/* One request per pass: the bytes after it are the next pipelined request. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

/* ---- responses ---------------------------------------------------------------------------- */

/* Put the status line and headers for h->body into h->head. */
static void make_head(struct ctl_http *h, int code, const char *type, bool keep_alive,
		      const char *extra)
{
	ctl__buf_reset(&h->head);
	ctl__buf_printf(&h->head,
			"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
			code, reason(code), type, h->body.len,
			keep_alive ? "" : "Connection: close\r\n", extra ? extra : "");
}

/* Queue head and body. Return: 1 sent, 0 no room (nothing sent: retry later). */
static int send_response(struct ctl_http *h, struct hconn *hc, int code, bool keep_alive)
{
	struct iovec iov[2];

	if (h->head.oom || h->body.oom) {
		ctl__buf_reset(&h->body);
		ctl__buf_printf(&h->body, "{\"error\":\"out of memory\"}\n");
		make_head(h, 500, "application/json", false, NULL);
		code = 500;
		keep_alive = false;
	}
	iov[0] = (struct iovec){h->head.p, h->head.len};
	iov[1] = (struct iovec){h->body.p, h->body.len};
	if (rl_conn_sendv(hc->c, iov, 2))
		return 0; /* no room: offered again after a send completes */
	count(h, code);
	if (!keep_alive)
		rl_conn_close(hc->c);
	return 1;
}

static void json_body(struct ctl_http *h, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);

	ctl__buf_reset(&h->body);
	ctl__buf_put(&h->body, s, strlen(s));
	ctl__buf_put(&h->body, "\n", 1);
	json_object_put(o);
}

static void error_body(struct ctl_http *h, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	json_body(h, o);
}

/* An error answer; the connection closes after 400, 413 and 431 (the stream is unusable). */
static int send_error(struct ctl_http *h, struct hconn *hc, int code, bool keep_alive,
		      const char *msg, const char *extra)
{
	error_body(h, msg);
	make_head(h, code, "application/json", keep_alive, extra);
	return send_response(h, hc, code, keep_alive);
}

/* ---- device health: Get Log Page on the same ring, answered on completion ------------------- */

static void health_answer(struct ctl_http *h, struct hconn *hc, int res, const void *log)
{
	char why[160], status[96];
	int code = 200;

	if (res) {
		code = res == -ECANCELED ? 503 : 502;
		snprintf(why, sizeof(why), "Get Log Page (SMART) failed: %s",
			 res > 0 ? rl_nvme_status_str(res, status, sizeof(status))
				 : strerror(-res));
		error_body(h, why);
	} else {
		json_body(h, ctl_smart_log_json(log));
	}
	make_head(h, code, "application/json", hc->keep_alive, NULL);
	hc->pending_len = 0;
	if (h->head.len + h->body.len <= PENDING_MAX && !h->head.oom && !h->body.oom) {
		memcpy(hc->pending, h->head.p, h->head.len);
		memcpy(hc->pending + h->head.len, h->body.p, h->body.len);
		hc->pending_len = h->head.len + h->body.len;
	}
	hc->pending_close = !hc->keep_alive;
	count(h, code);
}

static void health_done(void *arg, int res, uint64_t result)
{
	struct health *hs = arg;
	struct ctl_http *h = hs->h;
	struct hconn *hc;

	(void)result;
	hs->inflight = false;
	h->pending--;
	while ((hc = hs->waiters)) {
		hs->waiters = hc->next;
		hc->next = NULL;
		hc->waiting = NULL;
		health_answer(h, hc, res, hs->log);
		rl_conn_resume(hc->c);
	}
	if (h->stopped && !h->pending)
		ctl_http_stop(h); /* the deferred free */
}

static struct health *health_slot(struct ctl_http *h, struct rl_target *t)
{
	struct health *hs;

	for (unsigned i = 0; i < h->nhealth; i++)
		if (h->health[i].t == t)
			return &h->health[i];
	if (h->nhealth == MAX_HEALTH)
		return NULL;
	hs = &h->health[h->nhealth];
	hs->log = rl_alloc_aligned(64, 512);
	if (!hs->log)
		return NULL;
	hs->h = h;
	hs->t = t;
	h->nhealth++;
	return hs;
}

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

/* GET /v1/devices/{name}/health. Return: as send_response(), or 2 when the answer will come. */
static int get_health(struct ctl_http *h, struct hconn *hc, const char *name, size_t len,
		      bool keep_alive)
{
	struct rl_target *t = find_target(h->e, name, len);
	struct rl_nvme_dev *d = t ? rl_target_nvme(t) : NULL;
	struct health *hs;
	char msg[160];
	int ret;

	if (!t || !d) {
		snprintf(msg, sizeof(msg),
			 t ? "%.*s is not an NVMe device: it has no SMART log"
			   : "no open device named %.*s",
			 (int)(len > 64 ? 64 : len), name);
		return send_error(h, hc, 404, keep_alive, msg, NULL);
	}
	hs = health_slot(h, t);
	if (!hs)
		return send_error(h, hc, 503, keep_alive, "too many devices", NULL);
	if (!hs->inflight) {
		ret = rl_nvme_get_log(d, NVME_LOG_LID_SMART, NVME_NSID_ALL, hs->log, 512,
				      health_done, hs);
		if (ret) {
			snprintf(msg, sizeof(msg), "%s", rl_engine_last_error(h->e));
			return send_error(h, hc, ret == -EBUSY ? 503 : 502, keep_alive, msg, NULL);
		}
		hs->inflight = true;
		h->pending++;
	}
	hc->waiting = hs;
	hc->keep_alive = keep_alive;
	hc->next = hs->waiters;
	hs->waiters = hc;
	return 2;
}

/* ---- routing ------------------------------------------------------------------------------ */

static bool path_is(const char *p, size_t len, const char *want)
{
	return strlen(want) == len && !memcmp(p, want, len);
}

/* Answer one complete request. Return: 1 answered, 0 no room yet, 2 the answer will come. */
static int route(struct ctl_http *h, struct hconn *hc, const struct req *r, unsigned method,
		 bool keep_alive)
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
	struct ctl_stats st;

	if (!ctl__auth_ok(&h->auth, r->auth, r->auth_len))
		return send_error(h, hc, 401, keep_alive, "a bearer token is required",
				  "WWW-Authenticate: Bearer\r\n");
	if (!known)
		return send_error(h, hc, 404, keep_alive, "no such resource", NULL);
	if (method != HTTP_GET)
		return send_error(h, hc, 405, keep_alive, "only GET is supported",
				  "Allow: GET\r\n");
	if (is_health)
		return get_health(h, hc, name, name_len, keep_alive);
	ctl_http_stats(h, &st);
	if (path_is(path, len, "/metrics")) {
		ctl__buf_reset(&h->body);
		ctl__metrics_render(h->e, &st, &h->body);
		make_head(h, 200, "text/plain; version=0.0.4; charset=utf-8", keep_alive, NULL);
	} else {
		json_body(h, path_is(path, len, "/v1/status") ? ctl__status_json(h->e, &st)
							      : ctl__devices_json(h->e));
		make_head(h, 200, "application/json", keep_alive, NULL);
	}
	return send_response(h, hc, 200, keep_alive);
}

/* ---- connection callbacks ----------------------------------------------------------------- */

static int hc_open(void *arg, struct rl_conn *c)
{
	struct ctl_http *h = arg;
	struct hconn *hc = h->free_conns;

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

static void hc_close(void *arg, struct rl_conn *c, int why)
{
	struct ctl_http *h = arg;
	struct hconn *hc = rl_conn_data(c), **pp;

	(void)why;
	ctl__rate_forget(h->rate, &hc->parked);
	if (hc->waiting) {
		for (pp = &hc->waiting->waiters; *pp; pp = &(*pp)->next) {
			if (*pp == hc) {
				*pp = hc->next;
				break;
			}
		}
		hc->waiting = NULL;
	}
	hc->c = NULL;
	hc->next = h->free_conns;
	h->free_conns = hc;
}

static size_t hc_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct ctl_http *h = arg;
	struct hconn *hc = rl_conn_data(c);
	size_t off = 0, n;
	http_parser p;
	struct req r;
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
		memset(&r, 0, sizeof(r));
		http_parser_init(&p, HTTP_REQUEST);
		p.data = &r;
		n = http_parser_execute(&p, &settings, data + off, len - off);
		if (!r.complete) {
			if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
				send_error(h, hc, 400, false,
					   http_errno_description(HTTP_PARSER_ERRNO(&p)), NULL);
				rl_conn_close(c);
				return len;
			}
			if (len - off >= h->max_request) {
				/* Everything the connection may hold, and the request is not done.
				 */
				send_error(h, hc, r.headers_done ? 413 : 431, false,
					   r.headers_done ? "request body too large"
							  : "request header too large",
					   NULL);
				rl_conn_close(c);
				return len;
			}
			break; /* incomplete: wait for more */
		}
		if (!ctl__rate_take(h->rate, now_ns(), &hc->parked))
			return off; /* resumed when the bucket has refilled */
		ret = route(h, hc, &r, p.method, http_should_keep_alive(&p));
		if (!ret) {
			ctl__rate_refund(h->rate); /* not answered: the retry takes it again */
			return off; /* no room: offered again after a send completes */
		}
		off += n;
		if (ret == 2 || !http_should_keep_alive(&p))
			return ret == 2 ? off : len;
	}
	if (rl_conn_eof(c) && !hc->waiting)
		rl_conn_close(c); /* the peer is done and everything it sent has been answered */
	return off;
}

static const struct rl_conn_ops http_ops = {hc_open, hc_data, hc_close};

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
	h->conns = calloc(lo.max_conns, sizeof(*h->conns));
	if (!h->conns) {
		ret = -ENOMEM;
		goto err;
	}
	ret = ctl__auth_init(&h->auth, o->token);
	if (ret)
		goto err;
	for (unsigned i = 0; i < lo.max_conns; i++) {
		h->conns[i].h = h;
		h->conns[i].next = i + 1 < lo.max_conns ? &h->conns[i + 1] : NULL;
	}
	h->free_conns = h->conns;
	h->start_ns = now_ns();
	ret = ctl__rate_create(e, o->max_rate ? o->max_rate : CTL_HTTP_RATE, h->start_ns, &h->rate);
	if (ret)
		goto err;
	ret = rl_listen(e, o->listen, &lo, &http_ops, h, &h->l);
	if (ret)
		goto err;
	rl_listener_address(h->l, h->addr, sizeof(h->addr));
	*out = h;
	return 0;
err:
	if (h->rate)
		ctl__rate_stop(h->rate);
	free(h->conns);
	ctl__auth_free(&h->auth);
	free(h);
	return ret;
}

void ctl_http_stop(struct ctl_http *h)
{
	if (!h->stopped) {
		h->stopped = true;
		rl_listener_close(h->l); /* every connection's on_close runs now */
		ctl__rate_stop(h->rate); /* no connection waits for it any more */
	}
	if (h->pending)
		return; /* freed by the last completion */
	for (unsigned i = 0; i < h->nhealth; i++)
		rl_free_aligned(h->health[i].log);
	ctl__buf_free(&h->body);
	ctl__buf_free(&h->head);
	free(h->conns);
	ctl__auth_free(&h->auth);
	free(h);
}
