// SPDX-License-Identifier: MIT
/*
 * The server's counters as Prometheus text, for the control plane's /metrics (--http): one
 * server's, read on its own thread, or a group's, summed from what each engine's server
 * published (struct nbd_shared) so the thread serving HTTP never reads another's live counters.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "nbd_internal.h"

static const char *const cmd_names[NBD_STAT_CMDS] = {"read", "write",	     "flush",
						     "trim", "write_zeroes", "other"};
static const char *const err_names[NBD_STAT_ERRS] = {"EPERM",  "EIO",	 "ENOMEM",
						     "EINVAL", "ENOSPC", "other"};

/* Latency bucket bounds (ns), those of the control plane's ringline_latency_seconds. */
static const uint64_t bounds_ns[] = {
    1000,      2500,	  5000,	      10000,	  25000,      50000,	   100000,   250000,
    500000,    1000000,	  2500000,    5000000,	  10000000,   25000000,	   50000000, 100000000,
    250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
#define NBOUNDS (sizeof(bounds_ns) / sizeof(bounds_ns[0]))

/* Append to @buf (@len bytes) as snprintf() would; @n is what was written so far. */
#define PUT(...)                                                                                   \
	do {                                                                                       \
		int w_ = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__);  \
		n += w_ > 0 ? (size_t)w_ : 0;                                                      \
	} while (0)

/* Count @cnt failures with @code, in the table's first RL_ERROR_KINDS codes or in code 0. */
static void add_dev_error(struct nbd_stats *st, int code, uint64_t cnt)
{
	unsigned i;

	for (i = 0; i < st->ndev_errors; i++)
		if (st->dev_errors[i].code == code)
			break;
	if (i == st->ndev_errors) {
		if (i == RL_ERROR_KINDS + 1 || (i == RL_ERROR_KINDS && code))
			code = 0; /* the table is full: with the others */
		for (i = 0; i < st->ndev_errors && st->dev_errors[i].code != code; i++)
			;
		if (i == st->ndev_errors)
			st->dev_errors[st->ndev_errors++] = (struct rl_error_count){.code = code};
	}
	st->dev_errors[i].count += cnt;
}

void nbd__count_dev_error(struct nbd_stats *st, int code)
{
	add_dev_error(st, code, 1);
}

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

static size_t histograms(char *buf, size_t len, size_t n, struct rl_hist *const *lat)
{
	const char *name = "ringline_nbd_request_seconds";

	PUT("# HELP %s Request latency, from its header admitted to its reply queued, by "
	    "command.\n# TYPE %s histogram\n",
	    name, name);
	for (int k = 0; k < NBD_STAT_CMDS; k++) {
		uint64_t per[NBOUNDS] = {0}, upper, c, cum = 0;
		unsigned pos = 0, i;

		while (rl_hist_bucket(lat[k], &pos, &upper, &c)) {
			for (i = 0; i < NBOUNDS && upper > bounds_ns[i]; i++)
				;
			if (i < NBOUNDS)
				per[i] += c;
		}
		for (i = 0; i < NBOUNDS; i++) {
			cum += per[i];
			PUT("%s_bucket{cmd=\"%s\",le=\"%g\"} %llu\n", name, cmd_names[k],
			    (double)bounds_ns[i] / 1e9, (unsigned long long)cum);
		}
		c = rl_hist_count(lat[k]);
		PUT("%s_bucket{cmd=\"%s\",le=\"+Inf\"} %llu\n", name, cmd_names[k],
		    (unsigned long long)c);
		PUT("%s_sum{cmd=\"%s\"} %.9f\n", name, cmd_names[k],
		    rl_hist_mean(lat[k]) * (double)c / 1e9);
		PUT("%s_count{cmd=\"%s\"} %llu\n", name, cmd_names[k], (unsigned long long)c);
	}
	return n;
}

/* A device error code as a label: "EIO" style for -errno, "nvme_0x0281" for a status. */
static size_t dev_errors(char *buf, size_t len, size_t n, const struct nbd_stats *st)
{
	const char *name = "ringline_nbd_device_errors_total";

	PUT("# HELP %s Failed device commands by -errno or NVMe status (SCT << 8 | SC); code "
	    "\"other\" past %d distinct codes.\n# TYPE %s counter\n",
	    name, RL_ERROR_KINDS, name);
	for (unsigned i = 0; i < st->ndev_errors; i++) {
		int c = st->dev_errors[i].code;
		unsigned long long v = (unsigned long long)st->dev_errors[i].count;

		const char *e = c < 0 ? strerrorname_np(-c) : NULL;

		if (e)
			PUT("%s{code=\"%s\"} %llu\n", name, e, v);
		else if (c < 0)
			PUT("%s{code=\"errno_%d\"} %llu\n", name, -c, v);
		else if (c > 0)
			PUT("%s{code=\"nvme_0x%04x\"} %llu\n", name, (unsigned)c, v);
		else
			PUT("%s{code=\"other\"} %llu\n", name, v);
	}
	return n;
}

static size_t render(char *buf, size_t len, const struct nbd_stats *st, struct rl_hist *const *lat)
{
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
	PUT("# HELP ringline_nbd_error_replies_total Requests answered with an error, by NBD "
	    "error.\n# TYPE ringline_nbd_error_replies_total counter\n");
	for (int k = 0; k < NBD_STAT_ERRS; k++)
		PUT("ringline_nbd_error_replies_total{error=\"%s\"} %llu\n", err_names[k],
		    (unsigned long long)st->nbd_errors[k]);
	n = dev_errors(buf, len, n, st);
	n = histograms(buf, len, n, lat);
	n = one(buf, len, n, "ringline_nbd_bad_magic_total", "counter",
		"Connections closed for a bad magic.", st->bad_magic);
	n = one(buf, len, n, "ringline_nbd_handshake_timeouts_total", "counter",
		"Connections closed by the handshake timeout.", st->timeouts);
	n = one(buf, len, n, "ringline_nbd_payload_timeouts_total", "counter",
		"Connections closed for a WRITE payload stalled past the request timeout.",
		st->request_timeouts);
	n = one(buf, len, n, "ringline_nbd_stalls_total", "counter",
		"Times a connection waited for a request slot or buffers.", st->stalls);
	n = one(buf, len, n, "ringline_nbd_fua_commands_total", "counter",
		"Device writes submitted with FUA (NVMe FUA bit, RWF_DSYNC) for FUA requests.",
		st->fua_cmds);
	return n;
}

size_t nbd_server_metrics(void *arg, char *buf, size_t len)
{
	const struct nbd_server *s = arg;

	return render(buf, len, &s->st, s->lat);
}

int nbd_shared_init(struct nbd_shared *sh)
{
	memset(sh, 0, sizeof(*sh));
	pthread_mutex_init(&sh->lock, NULL);
	for (int k = 0; k < NBD_STAT_CMDS; k++)
		if (rl_hist_create(&sh->lat[k])) {
			nbd_shared_fini(sh);
			return -ENOMEM;
		}
	return 0;
}

void nbd_shared_fini(struct nbd_shared *sh)
{
	for (int k = 0; k < NBD_STAT_CMDS; k++)
		rl_hist_destroy(sh->lat[k]);
	pthread_mutex_destroy(&sh->lock);
	memset(sh, 0, sizeof(*sh));
}

void nbd_server_publish(const struct nbd_server *s, struct nbd_shared *sh)
{
	struct rl_op_stats dev[RL_OP_COUNT];

	for (int op = 0; op < RL_OP_COUNT; op++) {
		rl_target_stats(s->t, (enum rl_op)op, &dev[op]);
		dev[op].lat = NULL; /* the target's, this thread's */
	}
	pthread_mutex_lock(&sh->lock);
	sh->st = s->st;
	memcpy(sh->dev, dev, sizeof(dev));
	for (int k = 0; k < NBD_STAT_CMDS; k++) {
		rl_hist_reset(sh->lat[k]);
		rl_hist_merge(sh->lat[k], s->lat[k]);
	}
	pthread_mutex_unlock(&sh->lock);
}

/* Add @b's counters to @a. */
static void add(struct nbd_stats *a, const struct nbd_stats *b)
{
	a->conns += b->conns;
	a->handshakes += b->handshakes;
	a->inflight += b->inflight;
	a->bad_magic += b->bad_magic;
	a->timeouts += b->timeouts;
	a->request_timeouts += b->request_timeouts;
	a->stalls += b->stalls;
	a->fua_cmds += b->fua_cmds;
	for (int k = 0; k < NBD_STAT_CMDS; k++) {
		a->ops[k] += b->ops[k];
		a->bytes[k] += b->bytes[k];
		a->errors[k] += b->errors[k];
	}
	for (int k = 0; k < NBD_STAT_ERRS; k++)
		a->nbd_errors[k] += b->nbd_errors[k];
	for (unsigned i = 0; i < b->ndev_errors; i++)
		add_dev_error(a, b->dev_errors[i].code, b->dev_errors[i].count);
}

/* Sum what the group's servers published into @g->sum. */
static void group_sum(struct nbd_group *g)
{
	struct nbd_shared *sum = &g->sum;

	memset(&sum->st, 0, sizeof(sum->st));
	memset(sum->dev, 0, sizeof(sum->dev));
	for (int k = 0; k < NBD_STAT_CMDS; k++)
		rl_hist_reset(sum->lat[k]);
	for (unsigned i = 0; i < g->n; i++) {
		struct nbd_shared *sh = &g->sh[i];

		pthread_mutex_lock(&sh->lock);
		add(&sum->st, &sh->st);
		for (int k = 0; k < NBD_STAT_CMDS; k++)
			rl_hist_merge(sum->lat[k], sh->lat[k]);
		for (int op = 0; op < RL_OP_COUNT; op++) {
			sum->dev[op].ops += sh->dev[op].ops;
			sum->dev[op].bytes += sh->dev[op].bytes;
			sum->dev[op].errors += sh->dev[op].errors;
		}
		pthread_mutex_unlock(&sh->lock);
	}
}

size_t nbd_group_metrics(void *arg, char *buf, size_t len)
{
	struct nbd_group *g = arg;
	struct nbd_shared *sum = &g->sum;
	size_t n;

	/*
	 * A caller that had too little room asks again at once with enough: the same sums then,
	 * so the text is the same length though the engines published in between.
	 */
	if (g->again) {
		g->again = false;
		return render(buf, len, &sum->st, sum->lat);
	}
	group_sum(g);
	n = render(buf, len, &sum->st, sum->lat);
	g->again = n >= len;
	return n;
}

#define JINT(v) json_object_new_int64((int64_t)(v))

struct json_object *nbd_group_status(void *arg)
{
	struct nbd_group *g = arg;
	const struct nbd_stats *st = &g->sum.st;
	struct json_object *o = json_object_new_object(), *reqs = json_object_new_object();
	struct json_object *errs = json_object_new_object(), *dev = json_object_new_object();

	group_sum(g);
	g->again = false; /* a /metrics in two calls sums again */
	json_object_object_add(o, "engines", JINT(g->n));
	json_object_object_add(o, "connections", JINT(st->conns));
	json_object_object_add(o, "handshakes", JINT(st->handshakes));
	json_object_object_add(o, "inflight", JINT(st->inflight));
	for (int k = 0; k < NBD_STAT_CMDS; k++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "ops", JINT(st->ops[k]));
		json_object_object_add(c, "bytes", JINT(st->bytes[k]));
		json_object_object_add(c, "errors", JINT(st->errors[k]));
		json_object_object_add(
		    c, "p99_us",
		    json_object_new_double(rl_hist_percentile(g->sum.lat[k], 99) / 1e3));
		json_object_object_add(reqs, cmd_names[k], c);
	}
	json_object_object_add(o, "requests", reqs);
	for (int k = 0; k < NBD_STAT_ERRS; k++)
		json_object_object_add(errs, err_names[k], JINT(st->nbd_errors[k]));
	json_object_object_add(o, "error_replies", errs);
	for (int op = 0; op < RL_OP_COUNT; op++) {
		const struct rl_op_stats *ds = &g->sum.dev[op];
		struct json_object *d;

		if (!ds->ops)
			continue;
		d = json_object_new_object();
		json_object_object_add(d, "ops", JINT(ds->ops));
		json_object_object_add(d, "bytes", JINT(ds->bytes));
		json_object_object_add(d, "errors", JINT(ds->errors));
		json_object_object_add(dev, rl_op_name((enum rl_op)op), d);
	}
	json_object_object_add(o, "device", dev);
	return o;
}
