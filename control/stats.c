// SPDX-License-Identifier: MIT
/* The statistics snapshot's status codes, and looking one up. */
#include "stats.h"

const int ctl_http_codes[CTL_HTTP_NCODES + 1] = {200, 400, 401, 404, 405, 413,
						 431, 500, 502, 503, 0};

uint64_t ctl_stats_requests(const struct ctl_stats *s, int code)
{
	for (int i = 0; i < CTL_HTTP_NCODES; i++)
		if (ctl_http_codes[i] == code)
			return s->requests[i];
	return 0;
}
