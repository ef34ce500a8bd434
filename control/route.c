// SPDX-License-Identifier: MIT
/*
 * The route table: one {method, path pattern, handler} line per endpoint and one dispatch
 * function. A path no route matches is 404; a path some route matches, but not with the
 * request's method, is 405 with the methods it has in Allow. HEAD is answered wherever GET is,
 * with GET's status and headers and no body (RFC 9110, 9.3.2); every answer to a HEAD request,
 * errors included, leaves its body out, or the client would read it as the next response.
 */
#include <stdio.h>
#include <string.h>

#include "route.h"

struct route {
	const char *method;
	const char *pattern; /* '*' matches one path segment, not empty: the handler's @arg */
	ctl__handler_fn *fn;
};

static const struct route routes[] = {
    {"GET", "/metrics", ctl__get_metrics},
    {"GET", "/v1/status", ctl__get_status},
    {"GET", "/v1/devices", ctl__get_devices},
    {"GET", "/v1/devices/*/health", ctl__get_health},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static bool match(const char *pattern, const char *path, size_t len, const char **arg,
		  size_t *arg_len)
{
	const char *end = path + len, *seg;

	*arg = path;
	*arg_len = 0;
	for (; *pattern; pattern++) {
		if (*pattern == '*') {
			for (seg = path; path < end && *path != '/'; path++)
				;
			if (path == seg)
				return false;
			*arg = seg;
			*arg_len = (size_t)(path - seg);
		} else if (path == end || *path++ != *pattern) {
			return false;
		}
	}
	return path == end;
}

/* Add @method to the comma-separated list @allow, once. */
static void allow_add(char *allow, size_t size, const char *method)
{
	size_t n = strlen(allow), m = strlen(method);

	for (const char *p = allow; (p = strstr(p, method)); p += m)
		if ((p == allow || p[-1] == ' ') && (!p[m] || p[m] == ','))
			return;
	snprintf(allow + n, size - n, "%s%s", n ? ", " : "", method);
}

int ctl__route(struct ctl_http *h, struct ctl__conn *hc, const struct ctl__req *r)
{
	const char *q = memchr(r->url, '?', r->url_len), *arg;
	size_t len = q ? (size_t)(q - r->url) : r->url_len, arg_len;
	char allow[64] = "", msg[96], header[96];
	const char *method = r->head ? "GET" : r->method;

	hc->head_only = r->head;
	/* Before the table: without the token, not even which paths exist is revealed. */
	if (!ctl__auth_ok(&h->auth, r->auth, r->auth_len))
		return ctl__reply_error(h, hc, 401, r->keep_alive, "a bearer token is required",
					"WWW-Authenticate: Bearer\r\n");
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, r->url, len, &arg, &arg_len))
			continue;
		if (!strcmp(routes[i].method, method))
			return routes[i].fn(h, hc, arg, arg_len, r->keep_alive);
		allow_add(allow, sizeof(allow), routes[i].method);
		if (!strcmp(routes[i].method, "GET"))
			allow_add(allow, sizeof(allow), "HEAD");
	}
	if (!allow[0])
		return ctl__reply_error(h, hc, 404, r->keep_alive, "no such resource", NULL);
	snprintf(msg, sizeof(msg), "only %s is supported", allow);
	snprintf(header, sizeof(header), "Allow: %s\r\n", allow);
	return ctl__reply_error(h, hc, 405, r->keep_alive, msg, header);
}
