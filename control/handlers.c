// SPDX-License-Identifier: MIT
/*
 * The handlers of the endpoints that render the engine at once: GET /metrics, /v1/status and
 * /v1/devices. Each takes the statistics snapshot and hands it to a renderer.
 */
#include "render.h"
#include "route.h"

#define JSON "application/json"
#define PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

int ctl__get_metrics(struct ctl_http *h, struct ctl__conn *hc, const char *arg, size_t arg_len,
		     bool keep_alive)
{
	struct ctl_stats st;

	(void)arg;
	(void)arg_len;
	ctl_http_stats(h, &st);
	ctl__buf_reset(&h->body);
	ctl__metrics_render(h->e, &st, &h->body);
	return ctl__reply_send(h, hc, 200, PROMETHEUS, keep_alive, NULL);
}

int ctl__get_status(struct ctl_http *h, struct ctl__conn *hc, const char *arg, size_t arg_len,
		    bool keep_alive)
{
	struct ctl_stats st;

	(void)arg;
	(void)arg_len;
	ctl_http_stats(h, &st);
	ctl__reply_json(h, ctl__status_json(h->e, &st));
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
