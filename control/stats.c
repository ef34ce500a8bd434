// SPDX-License-Identifier: MIT
/*
 * The HTTP service's counters (answers by status code, its start) and the snapshot taken from
 * them for the handlers, the tests and anyone else; the renderers see only the snapshot.
 */
#include <string.h>

#include "http_internal.h"

const int ctl_http_codes[CTL_HTTP_NCODES + 1] = {200, 400, 401, 404, 405, 413,
						 431, 500, 502, 503, 0};

void ctl__count(struct ctl_http *h, int code)
{
	for (int i = 0; i < CTL_HTTP_NCODES; i++)
		if (ctl_http_codes[i] == code)
			h->answered[i]++;
}

void ctl_http_stats(const struct ctl_http *h, struct ctl_stats *st)
{
	st->uptime_s = (double)(ctl__now_ns() - h->start_ns) / 1e9;
	memcpy(st->requests, h->answered, sizeof(st->requests));
	rl_net_stats(h->e, &st->net);
}

uint64_t ctl_stats_requests(const struct ctl_stats *s, int code)
{
	for (int i = 0; i < CTL_HTTP_NCODES; i++)
		if (ctl_http_codes[i] == code)
			return s->requests[i];
	return 0;
}
