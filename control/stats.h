/* SPDX-License-Identifier: MIT */
/*
 * The HTTP service's statistics at one moment, taken by the transport and handed to the
 * renderers (Prometheus text, /v1/status), which so never call back into the transport.
 * A leaf: it includes only the public API.
 */
#ifndef RINGLINE_CONTROL_STATS_H
#define RINGLINE_CONTROL_STATS_H

#include <stdint.h>

#include "ringline.h"

#define CTL_HTTP_NCODES 10

/* The status codes struct ctl_stats counts, in the order of its @requests, ending with 0. */
extern const int ctl_http_codes[CTL_HTTP_NCODES + 1];

/**
 * struct ctl_stats - a snapshot of the HTTP service.
 * @uptime_s: seconds since ctl_http_start().
 * @requests: requests answered by status code: @requests[i] counts ctl_http_codes[i].
 * @net:      the engine's socket counters (connections, bytes), as rl_net_stats() gives them.
 */
struct ctl_stats {
	double uptime_s;
	uint64_t requests[CTL_HTTP_NCODES];
	struct rl_net_stats net;
};

/* ctl_stats_requests() - requests answered with @code; 0 for a code that is not counted. */
uint64_t ctl_stats_requests(const struct ctl_stats *s, int code);

#endif
