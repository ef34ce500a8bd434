/* SPDX-License-Identifier: MIT */
/*
 * The control plane: an HTTP/1.1 service on an engine's ring (metrics, status, device identify
 * and health), a low-rate latency probe, and the `ringline serve` daemon built from them.
 * Used by the CLI and the tests; not installed.
 */
#ifndef RINGLINE_CONTROL_H
#define RINGLINE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "devjson.h"
#include "ringline.h"
#include "stats.h"

/**
 * struct ctl_http_opts - the HTTP service.
 * @listen:          address as rl_listen() takes it.
 * @token:           when set, every request needs "Authorization: Bearer TOKEN".
 * @max_conns:       connections at once (0: CTL_HTTP_MAX_CONNS). At the limit a new connection
 *                   takes the place of the oldest one between requests (keep-alive, or not yet
 *                   sent a byte); one with a request in progress is never closed for it.
 * @idle_timeout_ms, @max_request: as struct rl_listen_opts (0: its defaults).
 *                   @max_request bounds a whole request (431 when its header is larger).
 * @header_timeout_ms: a request must arrive whole within this time of its first byte, and wait
 *                   unanswered (behind replies the client does not read) no longer
 *                   (0: CTL_HTTP_HEADER_MS); else the connection is closed.
 * @max_rate:        requests answered per second, all connections together (0: the default,
 *                   CTL_HTTP_RATE). Requests beyond it wait, unread, so however hard clients
 *                   push, the service takes a bounded share of the thread the data plane runs on.
 * @metrics:         an embedding server's own Prometheus text, appended to /metrics (NULL:
 *                   none): writes at most @len bytes to @buf and returns the length of the whole
 *                   text, as snprintf(); called again with room for it when that is more.
 * @metrics_arg:     its first argument.
 * @status:          an embedding server's own status, added to /v1/status as "server" (NULL:
 *                   none): a new JSON object, which the service puts; NULL adds nothing.
 * @status_arg:      its first argument.
 */
struct ctl_http_opts {
	const char *listen;
	const char *token;
	unsigned max_conns;
	unsigned idle_timeout_ms;
	unsigned max_request;
	unsigned max_rate;
	unsigned header_timeout_ms;
	size_t (*metrics)(void *arg, char *buf, size_t len);
	void *metrics_arg;
	struct json_object *(*status)(void *arg);
	void *status_arg;
};

#define CTL_HTTP_RATE 100
#define CTL_HTTP_MAX_CONNS 128
#define CTL_HTTP_HEADER_MS 10000

struct ctl_http;

/* ctl_http_start() - listen and serve on @e's ring. Return: 0 or -errno (message in the engine). */
int ctl_http_start(struct rl_engine *e, const struct ctl_http_opts *o, struct ctl_http **out);

/* The bound address ("127.0.0.1:9100", "unix:/run/x.sock"). */
const char *ctl_http_address(const struct ctl_http *h);

/*
 * ctl_http_stop() - close the listener and every connection, and free @h. A Get Log Page or the
 * rate limit's timer still in flight keeps only its own state alive until its completion (at
 * the latest in rl_engine_destroy()).
 */
void ctl_http_stop(struct ctl_http *h);

/* ctl_http_stats() - the service's counters now (requests by status code, uptime, sockets). */
void ctl_http_stats(const struct ctl_http *h, struct ctl_stats *st);

struct ctl_probe;

/*
 * ctl_probe_start() - read one block at a random offset of @t every 1/@rate seconds, one read in
 * flight at a time (QD1), so the target's read latency histogram tracks the device at rest.
 */
int ctl_probe_start(struct rl_engine *e, struct rl_target *t, double rate, struct ctl_probe **out);
/* ctl_probe_stop() - issue no more reads and cancel the timer; a read in flight completes. */
void ctl_probe_stop(struct ctl_probe *p);
/* ctl_probe_busy() - a read or the timer of @p is still pending: keep the loop running. */
bool ctl_probe_busy(const struct ctl_probe *p);
/* ctl_probe_reads() - reads completed (successful or not). */
uint64_t ctl_probe_reads(const struct ctl_probe *p);
/*
 * ctl_probe_errors() - reads that failed: an error, or fewer bytes than asked (the file shrank
 * under the probe), which the target's counters take for a success of that many bytes.
 */
uint64_t ctl_probe_errors(const struct ctl_probe *p);
/* ctl_probe_free() - free a stopped probe that is no longer busy. */
void ctl_probe_free(struct ctl_probe *p);

/**
 * struct ctl_serve_opts - the `ringline serve` daemon.
 * @devs, @ndevs: targets to open read-only and probe.
 * @rate:         probe reads per second per device.
 * @out:          where "listening on ADDR" and shutdown notes go (stdout for the CLI).
 */
struct ctl_serve_opts {
	struct ctl_http_opts http;
	double rate;
	const char *const *devs;
	int ndevs;
	FILE *out;
};

/**
 * struct ctl_serve_report - what the daemon saw at shutdown, after everything it opened was
 * closed and before the engine was destroyed.
 * @signo:         the signal that stopped it.
 * @files_in_use:  fixed-file slots still registered (0 when nothing leaked).
 * @inflight:      commands still in flight (0: every probe read completed or was reaped).
 * @probe_reads:   probe reads completed.
 * @probe_errors:  probe reads that failed or came back short.
 */
struct ctl_serve_report {
	int signo;
	unsigned files_in_use;
	unsigned inflight;
	uint64_t probe_reads;
	uint64_t probe_errors;
};

/*
 * ctl_serve() - run the daemon until SIGTERM or SIGINT (blocked and read through a signalfd on
 * the ring), then shut down: stop the probes and the HTTP service, let in-flight reads complete,
 * close every target, check that no fixed-file slot is left, destroy the engine.
 * Return: 0 on a clean shutdown, 1 on a runtime error or a leak, 2 when @o->http.listen is not
 * an address (messages on stderr).
 */
int ctl_serve(const struct ctl_serve_opts *o, struct ctl_serve_report *rep);

#endif
