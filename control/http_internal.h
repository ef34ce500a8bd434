/* SPDX-License-Identifier: MIT */
/*
 * Private to control/: the HTTP service's state, shared by the transport (http.c), the parser
 * glue (parse.c), responses (reply.c), the counters (stats.c), the router and the handlers.
 * The renderers never see it: they get a struct ctl_stats.
 */
#ifndef RINGLINE_CONTROL_HTTP_INTERNAL_H
#define RINGLINE_CONTROL_HTTP_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "control.h"
#include "ratelimit.h"

/* The largest answer a connection keeps while it waits for room in its send queue. */
#define CTL__PENDING_MAX 4096

struct ctl__health;
struct ctl__health_dev;

/* One connection's protocol state; the engine's struct rl_conn carries the socket. */
struct ctl__conn {
	struct ctl_http *h;
	struct rl_conn *c;
	struct ctl__conn *next;		 /* the free list, or a device's waiters */
	struct ctl__parked parked;	 /* waiting for the rate limit */
	struct ctl__health_dev *waiting; /* waiting for a device's SMART log */
	bool keep_alive;		 /* of the request that waits */
	bool head_only;			 /* HEAD: the answer's header without its body */
	size_t pending_len;		 /* an answer ready to queue (Get Log Page completed) */
	bool pending_close;
	char pending[CTL__PENDING_MAX];
};

struct ctl_http {
	struct rl_engine *e;
	struct rl_listener *l;
	char addr[136];
	struct ctl__auth auth;
	uint32_t max_request;
	uint64_t start_ns;
	uint64_t answered[CTL_HTTP_NCODES]; /* by ctl_http_codes[] */
	struct ctl__rate *rate;
	struct ctl__health *health;
	struct ctl__conn *conns;
	struct ctl__conn *free_conns;
	struct ctl__buf body; /* the answer being built, reused */
	struct ctl__buf head;
	size_t (*metrics)(void *arg, char *buf, size_t len); /* ctl_http_opts */
	void *metrics_arg;
	struct json_object *(*status)(void *arg);
	void *status_arg;
};

/* ---- parse.c: the http-parser glue --------------------------------------------------------- */

/* What one parsing pass found out about a request; pointers into the connection's input. */
struct ctl__req {
	const char *method; /* "GET", ... */
	const char *url;
	size_t url_len;
	const char *auth; /* the Authorization header's value, or NULL */
	size_t auth_len;
	bool field_is_auth;
	bool headers_done;
	bool complete;
	bool keep_alive;
	const char *error; /* not HTTP: what is wrong */
	bool head;	   /* a HEAD request: answered as GET, without the body */
};

/*
 * ctl__parse() - parse the request at the start of @data. Return: its length when @r->complete;
 * otherwise the request is cut short (more to come) or, when @r->error is set, malformed.
 */
size_t ctl__parse(const char *data, size_t len, struct ctl__req *r);

/* ctl__reason() - the reason phrase of a status code ("Not Found"). */
const char *ctl__reason(int code);

/* ---- reply.c: answers ---------------------------------------------------------------------- */

/* What became of an answer. */
enum ctl__sent {
	CTL__NO_ROOM, /* nothing was sent: offer the request again after a send completes */
	CTL__SENT,
	CTL__LATER, /* the answer comes when a device command completes */
};

/* ctl__reply_json() - make @o (put here) the body. */
void ctl__reply_json(struct ctl_http *h, struct json_object *o);
/* ctl__reply_error_body() - make {"error": @msg} the body. */
void ctl__reply_error_body(struct ctl_http *h, const char *msg);

/*
 * ctl__reply_send() - send the body with status @code, Content-Type @type and the header lines
 * @extra (or NULL); close after it unless @keep_alive. Count it by @code.
 * Return: CTL__SENT or CTL__NO_ROOM.
 */
int ctl__reply_send(struct ctl_http *h, struct ctl__conn *hc, int code, const char *type,
		    bool keep_alive, const char *extra);

/* ctl__reply_error() - an error answer, as ctl__reply_error_body() and ctl__reply_send(). */
int ctl__reply_error(struct ctl_http *h, struct ctl__conn *hc, int code, bool keep_alive,
		     const char *msg, const char *extra);

/*
 * ctl__reply_defer() - keep the JSON body as @hc's pending answer with status @code, for the
 * transport to queue when @hc is resumed, and count it. An answer over CTL__PENDING_MAX (far
 * beyond a SMART log's) is dropped, and the request goes unanswered.
 */
void ctl__reply_defer(struct ctl_http *h, struct ctl__conn *hc, int code);

/* ---- stats.c: the counters ----------------------------------------------------------------- */

static inline uint64_t ctl__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ctl__count() - one more answer with status @code. */
void ctl__count(struct ctl_http *h, int code);

#endif
