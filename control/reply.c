// SPDX-License-Identifier: MIT
/*
 * Answers: the status line and headers for a body built in the service's buffers, queued on the
 * connection as one message, or kept as the connection's pending answer when it comes from a
 * device command's completion. Every answer is counted by its status code.
 */
#include <string.h>

#include "http_internal.h"

#define JSON "application/json"

/* Put the status line and headers for h->body into h->head. */
static void make_head(struct ctl_http *h, int code, const char *type, bool keep_alive,
		      const char *extra)
{
	ctl__buf_reset(&h->head);
	ctl__buf_printf(&h->head,
			"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
			code, ctl__reason(code), type, h->body.len,
			keep_alive ? "" : "Connection: close\r\n", extra ? extra : "");
}

void ctl__reply_json(struct ctl_http *h, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);

	/*
	 * json-c copies a string's bytes as they are, and names (paths, model strings) are bytes:
	 * quote what is not UTF-8, which can only be inside a string, so the answer stays JSON.
	 */
	ctl__buf_reset(&h->body);
	ctl__buf_put_utf8(&h->body, s, strlen(s));
	ctl__buf_put(&h->body, "\n", 1);
	json_object_put(o);
}

void ctl__reply_error_body(struct ctl_http *h, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	ctl__reply_json(h, o);
}

int ctl__reply_send(struct ctl_http *h, struct ctl__conn *hc, int code, const char *type,
		    bool keep_alive, const char *extra)
{
	struct iovec iov[2];

	make_head(h, code, type, keep_alive, extra);
	if (h->head.oom || h->body.oom) {
		ctl__buf_reset(&h->body);
		ctl__buf_printf(&h->body, "{\"error\":\"out of memory\"}\n");
		make_head(h, 500, JSON, false, NULL);
		code = 500;
		keep_alive = false;
	}
	iov[0] = (struct iovec){h->head.p, h->head.len};
	iov[1] = (struct iovec){h->body.p, h->body.len};
	/* HEAD: Content-Length says what GET would send; the body stays here. */
	if (rl_conn_sendv(hc->c, iov, hc->head_only ? 1 : 2))
		return CTL__NO_ROOM; /* offered again after a send completes */
	ctl__count(h, code);
	if (!keep_alive)
		rl_conn_close(hc->c);
	return CTL__SENT;
}

/* After 400, 413 and 431 the caller passes !keep_alive: the stream is unusable. */
int ctl__reply_error(struct ctl_http *h, struct ctl__conn *hc, int code, bool keep_alive,
		     const char *msg, const char *extra)
{
	ctl__reply_error_body(h, msg);
	return ctl__reply_send(h, hc, code, JSON, keep_alive, extra);
}

void ctl__reply_defer(struct ctl_http *h, struct ctl__conn *hc, int code)
{
	make_head(h, code, JSON, hc->keep_alive, NULL);
	hc->pending_len = 0;
	if (h->head.len + h->body.len <= CTL__PENDING_MAX && !h->head.oom && !h->body.oom) {
		memcpy(hc->pending, h->head.p, h->head.len);
		hc->pending_len = h->head.len;
		if (!hc->head_only) {
			memcpy(hc->pending + h->head.len, h->body.p, h->body.len);
			hc->pending_len += h->body.len;
		}
	}
	hc->pending_close = !hc->keep_alive;
	ctl__count(h, code);
}
