// SPDX-License-Identifier: MIT
/*
 * The handlers of the endpoints that render the engine at once: GET /metrics, /v1/status and
 * /v1/devices. Each takes the statistics snapshot and hands it to a renderer.
 */
#include <stdlib.h>

#include "render.h"
#include "route.h"

#define JSON "application/json"
#define PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

/* The embedding server's metrics (ctl_http_opts), after the engine's. */
static void embedder_metrics(struct ctl_http *h)
{
	char small[8192], *p = small;
	size_t n = h->metrics(h->metrics_arg, small, sizeof(small));

	if (n >= sizeof(small)) {
		size_t room = n + 1;

		p = malloc(room);
		if (!p)
			return;
		n = h->metrics(h->metrics_arg, p, room);
		if (n >= room)
			n = room - 1; /* it grew between the calls: never read past @p */
	}
	ctl__buf_put(&h->body, p, n);
	if (p != small)
		free(p);
}

int ctl__get_metrics(struct ctl_http *h, struct ctl__conn *hc, const char *arg, size_t arg_len,
		     bool keep_alive)
{
	struct ctl_stats st;

	(void)arg;
	(void)arg_len;
	ctl_http_stats(h, &st);
	ctl__buf_reset(&h->body);
	ctl__metrics_render(h->e, &st, &h->body);
	if (h->metrics)
		embedder_metrics(h);
	return ctl__reply_send(h, hc, 200, PROMETHEUS, keep_alive, NULL);
}

int ctl__get_status(struct ctl_http *h, struct ctl__conn *hc, const char *arg, size_t arg_len,
		    bool keep_alive)
{
	struct json_object *o, *server;
	struct ctl_stats st;

	(void)arg;
	(void)arg_len;
	ctl_http_stats(h, &st);
	o = ctl__status_json(h->e, &st);
	server = h->status ? h->status(h->status_arg) : NULL;
	if (server)
		json_object_object_add(o, "server", server);
	ctl__reply_json(h, o);
	return ctl__reply_send(h, hc, 200, JSON, keep_alive, NULL);
}

int ctl__get_devices(struct ctl_http *h, struct ctl__conn *hc, const char *arg, size_t arg_len,
		     bool keep_alive)
{
	(void)arg;
	(void)arg_len;
	ctl__reply_json(h, ctl__devices_json(h->e));
	return ctl__reply_send(h, hc, 200, JSON, keep_alive, NULL);
}
