/* SPDX-License-Identifier: MIT */
/*
 * Private to control/: the renderers, from an engine (public API) and a statistics snapshot to
 * response bodies. They know nothing of the transport, the router or the handlers above them.
 */
#ifndef RINGLINE_CONTROL_RENDER_H
#define RINGLINE_CONTROL_RENDER_H

#include <json-c/json.h>

#include "buf.h"
#include "devjson.h"
#include "ringline.h"
#include "stats.h"

/* ctl__metrics_render() - append the Prometheus text exposition of @e and @st to @b. */
void ctl__metrics_render(struct rl_engine *e, const struct ctl_stats *st, struct ctl__buf *b);

/* JSON bodies of GET /v1/status and GET /v1/devices; the caller puts them. */
struct json_object *ctl__status_json(struct rl_engine *e, const struct ctl_stats *st);
struct json_object *ctl__devices_json(struct rl_engine *e);

#endif
