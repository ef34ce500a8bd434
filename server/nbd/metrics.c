// SPDX-License-Identifier: MIT
/* The server's counters as Prometheus text, for the control plane's /metrics (--http). */
#include <stdio.h>

#include "nbd_internal.h"

static const char *const cmd_names[NBD_STAT_CMDS] = {"read", "write",	     "flush",
						     "trim", "write_zeroes", "other"};

/* Append to @buf (@len bytes) as snprintf() would; @n is what was written so far. */
#define PUT(...)                                                                                   \
	do {                                                                                       \
		int w_ = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__);  \
		n += w_ > 0 ? (size_t)w_ : 0;                                                      \
	} while (0)

static size_t per_cmd(char *buf, size_t len, size_t n, const char *name, const char *help,
		      const uint64_t *v)
{
	PUT("# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int k = 0; k < NBD_STAT_CMDS; k++)
		PUT("%s{cmd=\"%s\"} %llu\n", name, cmd_names[k], (unsigned long long)v[k]);
	return n;
}

static size_t one(char *buf, size_t len, size_t n, const char *name, const char *type,
		  const char *help, uint64_t v)
{
	PUT("# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
	    (unsigned long long)v);
	return n;
}

size_t nbd_server_metrics(void *arg, char *buf, size_t len)
{
	const struct nbd_server *s = arg;
	const struct nbd_stats *st = &s->st;
	size_t n = 0;

	n = one(buf, len, n, "ringline_nbd_connections", "gauge", "NBD connections open now.",
		st->conns);
	n = one(buf, len, n, "ringline_nbd_handshakes_total", "counter",
		"Connections that reached the transmission phase.", st->handshakes);
	n = one(buf, len, n, "ringline_nbd_inflight", "gauge",
		"Requests admitted and not yet answered.", st->inflight);
	n = per_cmd(buf, len, n, "ringline_nbd_requests_total", "Requests answered, by command.",
		    st->ops);
	n = per_cmd(buf, len, n, "ringline_nbd_bytes_total",
		    "Payload bytes of successful reads and writes.", st->bytes);
	n = per_cmd(buf, len, n, "ringline_nbd_errors_total", "Requests answered with an error.",
		    st->errors);
	n = one(buf, len, n, "ringline_nbd_bad_magic_total", "counter",
		"Connections closed for a bad magic.", st->bad_magic);
	n = one(buf, len, n, "ringline_nbd_handshake_timeouts_total", "counter",
		"Connections closed by the handshake timeout.", st->timeouts);
	n = one(buf, len, n, "ringline_nbd_stalls_total", "counter",
		"Times a connection waited for a request slot or buffers.", st->stalls);
	n = one(buf, len, n, "ringline_nbd_fua_commands_total", "counter",
		"Device writes submitted with FUA (NVMe FUA bit, RWF_DSYNC) for FUA requests.",
		st->fua_cmds);
	return n;
}
