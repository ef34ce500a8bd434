// SPDX-License-Identifier: MIT
/*
 * The http-parser glue (Debian's http-parser). A request is parsed only once it is wholly in the
 * connection's input (the net layer holds up to max_request bytes): each pass parses from the
 * start of the unconsumed input, so no parser state or header copies outlive a pass, and the
 * URL and headers point into the input.
 */
#include <http_parser.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"

/* ---- parser callbacks: the data is contiguous, so each element arrives in one piece -------- */

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct ctl__req *r = p->data;

	if (!r->url)
		r->url = at;
	r->url_len += len;
	return 0;
}

static int on_field(http_parser *p, const char *at, size_t len)
{
	struct ctl__req *r = p->data;

	r->field_is_auth = len == 13 && !strncasecmp(at, "Authorization", 13);
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t len)
{
	struct ctl__req *r = p->data;

	if (r->field_is_auth) {
		r->auth = at;
		r->auth_len = len;
	}
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	((struct ctl__req *)p->data)->headers_done = true;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	((struct ctl__req *)p->data)->complete = true;
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

size_t ctl__parse(const char *data, size_t len, struct ctl__req *r)
{
	http_parser p;
	size_t n;

	memset(r, 0, sizeof(*r));
	http_parser_init(&p, HTTP_REQUEST);
	p.data = r;
	n = http_parser_execute(&p, &settings, data, len);
	if (r->complete) {
		r->method = http_method_str((enum http_method)p.method);
		r->head = p.method == HTTP_HEAD;
		r->keep_alive = http_should_keep_alive(&p);
	} else if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
		r->error = http_errno_description(HTTP_PARSER_ERRNO(&p));
	}
	return n;
}

const char *ctl__reason(int code)
{
	return http_status_str((enum http_status)code);
}
