// SPDX-License-Identifier: MIT
/*
 * GET /metrics: the Prometheus text exposition format (version 0.0.4) of an engine: ring
 * features, slab, sockets, and per target and operation the counters, errors by code, in-flight
 * commands and latency histograms.
 */
#include <stdio.h>
#include <string.h>

#include "render.h"

/*
 * Latency bucket bounds in nanoseconds. The engine's histogram has 128 buckets per power of two;
 * each is counted under the first bound at or above its upper end, so a value may land one
 * Prometheus bucket high when it lies within 1/128 below a bound, never low.
 */
static const uint64_t bounds_ns[] = {
    1000,      2500,	  5000,	      10000,	  25000,      50000,	   100000,   250000,
    500000,    1000000,	  2500000,    5000000,	  10000000,   25000000,	   50000000, 100000000,
    250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
#define NBOUNDS (sizeof(bounds_ns) / sizeof(bounds_ns[0]))

/* A label value with \, " and newline escaped, and bytes that are not UTF-8 as %XX. */
static void label(struct ctl__buf *b, const char *s)
{
	size_t start = 0, i = 0;

	for (; s[i]; i++) {
		if (s[i] != '\\' && s[i] != '"' && s[i] != '\n')
			continue;
		ctl__buf_put_utf8(b, s + start, i - start);
		ctl__buf_put(b, s[i] == '\n' ? "\\n" : s[i] == '"' ? "\\\"" : "\\\\", 2);
		start = i + 1;
	}
	ctl__buf_put_utf8(b, s + start, i - start);
}

static void family(struct ctl__buf *b, const char *name, const char *type, const char *help)
{
	ctl__buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{target="...",op="..."[,extra]} value */
static void target_sample(struct ctl__buf *b, const char *name, const struct rl_target *t,
			  const char *op, const char *extra, const char *value)
{
	ctl__buf_printf(b, "%s{target=\"", name);
	label(b, rl_target_name(t));
	if (op)
		ctl__buf_printf(b, "\",op=\"%s", op);
	ctl__buf_printf(b, "\"%s} %s\n", extra ? extra : "", value);
}

static void counters(struct ctl__buf *b, struct rl_engine *e, const char *name, const char *help,
		     int which)
{
	struct rl_op_stats st;
	char v[32];

	family(b, name, "counter", help);
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		for (int op = 0; op < RL_OP_COUNT; op++) {
			rl_target_stats(t, op, &st);
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)(which == 0 ? st.ops : st.bytes));
			target_sample(b, name, t, rl_op_name(op), NULL, v);
		}
	}
}

static void errors(struct ctl__buf *b, struct rl_engine *e)
{
	struct rl_error_count ec[RL_ERROR_KINDS + 1];
	char extra[256], v[32], why[96];

	family(b, "ringline_errors_total", "counter",
	       "Failed completions by target, operation and error: kind errno (code: the errno "
	       "name) or nvme (code: the status SCT<<8|SC, and its name).");
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		for (int op = 0; op < RL_OP_COUNT; op++) {
			int n = rl_target_errors(t, op, ec, RL_ERROR_KINDS + 1);

			for (int i = 0; i < n; i++) {
				if (ec[i].code < 0)
					snprintf(extra, sizeof(extra),
						 ",kind=\"errno\",code=\"%s\",message=\"%s\"",
						 strerrorname_np(-ec[i].code) ?: "unknown",
						 strerror(-ec[i].code));
				else if (ec[i].code > 0)
					snprintf(extra, sizeof(extra),
						 ",kind=\"nvme\",code=\"0x%03x\",message=\"%s\"",
						 ec[i].code,
						 rl_nvme_status_str(ec[i].code, why, sizeof(why)));
				else
					snprintf(extra, sizeof(extra),
						 ",kind=\"other\",code=\"other\",message=\"further "
						 "error codes\"");
				snprintf(v, sizeof(v), "%llu", (unsigned long long)ec[i].count);
				target_sample(b, "ringline_errors_total", t, rl_op_name(op), extra,
					      v);
			}
		}
	}
}

static void histogram(struct ctl__buf *b, const struct rl_target *t, const char *op,
		      const struct rl_hist *h)
{
	uint64_t per[NBOUNDS] = {0}, upper, n, cum = 0;
	unsigned pos = 0, i;
	char extra[48], v[48];

	while (rl_hist_bucket(h, &pos, &upper, &n)) {
		for (i = 0; i < NBOUNDS && upper > bounds_ns[i]; i++)
			;
		if (i < NBOUNDS)
			per[i] += n;
	}
	for (i = 0; i < NBOUNDS; i++) {
		cum += per[i];
		snprintf(extra, sizeof(extra), ",le=\"%g\"", (double)bounds_ns[i] / 1e9);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)cum);
		target_sample(b, "ringline_latency_seconds_bucket", t, op, extra, v);
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)rl_hist_count(h));
	target_sample(b, "ringline_latency_seconds_bucket", t, op, ",le=\"+Inf\"", v);
	snprintf(v, sizeof(v), "%.9f", rl_hist_mean(h) * (double)rl_hist_count(h) / 1e9);
	target_sample(b, "ringline_latency_seconds_sum", t, op, NULL, v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)rl_hist_count(h));
	target_sample(b, "ringline_latency_seconds_count", t, op, NULL, v);
}

void ctl__metrics_render(struct rl_engine *e, const struct ctl_stats *st, struct ctl__buf *b)
{
	unsigned feats = rl_engine_features(e);
	const struct rl_net_stats *ns = &st->net;
	struct rl_op_stats os;
	char v[32];

	family(b, "ringline_info", "gauge", "ringline's version (the value is always 1).");
	ctl__buf_printf(b, "ringline_info{version=\"%s\"} 1\n", RINGLINE_VERSION);
	family(
	    b, "ringline_ring_feature", "gauge",
	    "io_uring ring features: 1 in use, 0 not (requested but refused, or not requested).");
	for (unsigned f = 1; f < 1u << RL_FEAT_COUNT; f <<= 1)
		ctl__buf_printf(b, "ringline_ring_feature{feature=\"%s\"} %d\n", rl_feature_name(f),
				!!(feats & f));
	family(b, "ringline_uptime_seconds", "gauge", "Seconds since the control plane started.");
	ctl__buf_printf(b, "ringline_uptime_seconds %.3f\n", st->uptime_s);
	family(b, "ringline_slab_capacity", "gauge", "Command slab slots.");
	ctl__buf_printf(b, "ringline_slab_capacity %u\n", rl_engine_capacity(e));
	family(b, "ringline_slab_in_use", "gauge",
	       "Command slab slots in use (commands in flight).");
	ctl__buf_printf(b, "ringline_slab_in_use %u\n", rl_engine_inflight(e));
	family(b, "ringline_stale_cqes_total", "counter",
	       "Completions dropped because their slot had been reused.");
	ctl__buf_printf(b, "ringline_stale_cqes_total %llu\n",
			(unsigned long long)rl_engine_stale_cqes(e));
	family(b, "ringline_connections", "gauge", "Open control-plane connections.");
	ctl__buf_printf(b, "ringline_connections %u\n", ns->conns);
	family(b, "ringline_connections_accepted_total", "counter",
	       "Connections accepted, including refused ones.");
	ctl__buf_printf(b, "ringline_connections_accepted_total %llu\n",
			(unsigned long long)ns->accepted);
	family(b, "ringline_connections_refused_total", "counter",
	       "Connections closed at once because the connection limit was reached.");
	ctl__buf_printf(b, "ringline_connections_refused_total %llu\n",
			(unsigned long long)ns->refused);
	family(b, "ringline_connections_idle_closed_total", "counter",
	       "Connections closed by the idle timeout.");
	ctl__buf_printf(b, "ringline_connections_idle_closed_total %llu\n",
			(unsigned long long)ns->idle_closed);
	family(b, "ringline_socket_bytes_total", "counter", "Bytes received and sent on sockets.");
	ctl__buf_printf(b, "ringline_socket_bytes_total{direction=\"in\"} %llu\n",
			(unsigned long long)ns->bytes_in);
	ctl__buf_printf(b, "ringline_socket_bytes_total{direction=\"out\"} %llu\n",
			(unsigned long long)ns->bytes_out);
	family(b, "ringline_http_requests_total", "counter",
	       "HTTP requests answered, by status code.");
	for (int i = 0; ctl_http_codes[i]; i++)
		ctl__buf_printf(b, "ringline_http_requests_total{code=\"%d\"} %llu\n",
				ctl_http_codes[i], (unsigned long long)st->requests[i]);

	family(b, "ringline_target_info", "gauge",
	       "Open targets and their I/O path: direct (O_DIRECT) or passthrough (NVMe).");
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		snprintf(v, sizeof(v), ",engine_path=\"%s\"", rl_target_engine_path(t));
		target_sample(b, "ringline_target_info", t, NULL, v, "1");
	}
	family(b, "ringline_target_removed", "gauge",
	       "1 once the target's device is gone (hot-unplugged, PCI function removed): every "
	       "command on it fails.");
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t))
		target_sample(b, "ringline_target_removed", t, NULL, NULL,
			      rl_target_removed(t) ? "1" : "0");
	counters(b, e, "ringline_ops_total", "Completed operations (successful or not).", 0);
	counters(b, e, "ringline_bytes_total", "Bytes moved by successful operations.", 1);
	errors(b, e);
	family(b, "ringline_inflight", "gauge", "Commands submitted whose completion has not run.");
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		snprintf(v, sizeof(v), "%u", rl_target_inflight(t));
		target_sample(b, "ringline_inflight", t, NULL, NULL, v);
	}
	family(b, "ringline_latency_seconds", "histogram",
	       "Submission-to-completion latency of the operations a target has completed.");
	for (struct rl_target *t = rl_engine_next_target(e, NULL); t;
	     t = rl_engine_next_target(e, t)) {
		for (int op = 0; op < RL_OP_COUNT; op++) {
			rl_target_stats(t, op, &os);
			if (os.ops)
				histogram(b, t, rl_op_name(op), os.lat);
		}
	}
}
