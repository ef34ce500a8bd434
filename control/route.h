/* SPDX-License-Identifier: MIT */
/*
 * Private to control/: the route table and its handlers. The transport hands each complete
 * request to ctl__route(); the table decides 401, 404 and 405, and a handler answers the rest.
 */
#ifndef RINGLINE_CONTROL_ROUTE_H
#define RINGLINE_CONTROL_ROUTE_H

#include "http_internal.h"

/*
 * A handler answers a request whose path matched its route. @arg, @arg_len: the path segment
 * the route's '*' matched (empty for a route without one).
 * Return: an enum ctl__sent.
 */
typedef int ctl__handler_fn(struct ctl_http *h, struct ctl__conn *hc, const char *arg,
			    size_t arg_len, bool keep_alive);

/* ctl__route() - answer the complete request @r. Return: an enum ctl__sent. */
int ctl__route(struct ctl_http *h, struct ctl__conn *hc, const struct ctl__req *r);

/* handlers.c: the renderers' endpoints. */
ctl__handler_fn ctl__get_metrics;
ctl__handler_fn ctl__get_status;
ctl__handler_fn ctl__get_devices;
/* health.c: GET /v1/devices/{name}/health, answered when the Get Log Page completes. */
ctl__handler_fn ctl__get_health;

#endif
