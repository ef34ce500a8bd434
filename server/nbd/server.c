// SPDX-License-Identifier: MIT
/*
 * One NBD server on one engine: its preallocated connections, requests and buffers, the
 * listener's callbacks, a tick timer for the handshake timeout, and the graceful stop.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nbd_internal.h"

#define TICK_NS 250000000ull	 /* handshake timeouts checked, counters published, 4/s */
#define STOP_TICK_NS 10000000ull /* while stopping, every 10 ms */
#define STOP_GRACE_NS (10 * 1000000000ull)

uint64_t nbd__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum nbd_stat_cmd nbd__stat_cmd(uint16_t type)
{
	switch (type) {
	case NBD_CMD_READ:
		return NBD_STAT_READ;
	case NBD_CMD_WRITE:
		return NBD_STAT_WRITE;
	case NBD_CMD_FLUSH:
		return NBD_STAT_FLUSH;
	case NBD_CMD_TRIM:
		return NBD_STAT_TRIM;
	case NBD_CMD_WRITE_ZEROES:
		return NBD_STAT_ZEROES;
	default:
		return NBD_STAT_OTHER;
	}
}

void nbd__conn_put(struct nbd_conn *nc)
{
	struct nbd_server *s = nc->s;

	nc->next_free = s->free_conns;
	s->free_conns = nc;
}

static int on_open(void *arg, struct rl_conn *c)
{
	struct nbd_server *s = arg;
	struct nbd_conn *nc = s->free_conns;

	if (s->stopping || !nc)
		return -1;
	s->free_conns = nc->next_free;
	*nc = (struct nbd_conn){.s = s, .c = c, .phase = PHASE_FLAGS, .opened = nbd__now()};
	rl_conn_set_data(c, nc);
	if (nbd__greet(nc)) {
		nbd__conn_put(nc);
		return -1;
	}
	s->st.conns++;
	return 0;
}

static size_t on_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct nbd_conn *nc = rl_conn_data(c);
	size_t used = 0;

	(void)arg;
	nbd__reply_flush(nc); /* what a full send queue held back */
	if (nc->phase != PHASE_TRANSMIT)
		used = nbd__handshake(nc, data, len);
	if (nc->phase == PHASE_TRANSMIT)
		used += nbd__transmit(nc, data + used, len - used);
	nbd__conn_maybe_close(nc);
	return used;
}

static void on_close(void *arg, struct rl_conn *c, int reason)
{
	struct nbd_server *s = arg;
	struct nbd_conn *nc = rl_conn_data(c);
	struct nbd_req *r, *held[3];

	(void)reason;
	if (!nc)
		return;
	nc->c = NULL;
	s->st.conns--;
	if (nc->stalled) {
		nc->stalled = 0;
		s->nstalled--;
	}
	/* Requests without device commands in flight have nobody to answer: release them. */
	held[0] = nc->rx_req;
	held[1] = nc->skip_req;
	held[2] = nc->ready_head;
	nc->rx_req = nc->skip_req = nc->ready_head = nc->ready_tail = NULL;
	nc->inflight++; /* keeps @nc while its requests are released */
	for (int i = 0; i < 3; i++)
		for (r = held[i]; r;) {
			struct nbd_req *next = i == 2 ? r->next : NULL;

			nbd__req_release(r);
			r = next;
		}
	if (!--nc->inflight)
		nbd__conn_put(nc);
}

static const struct rl_conn_ops ops = {
    .on_open = on_open,
    .on_data = on_data,
    .on_close = on_close,
};

const struct rl_conn_ops *nbd__ops(void)
{
	return &ops;
}

static void on_tick(void *arg, int res, uint64_t result);

void nbd__tick_arm(struct nbd_server *s)
{
	if (!s->done && !s->tick_armed &&
	    !rl_timer_start(s->e, s->stopping ? STOP_TICK_NS : TICK_NS, on_tick, s, &s->tick_id))
		s->tick_armed = true;
}

static void on_final_flush(void *arg, int res, uint64_t result)
{
	struct nbd_server *s = arg;

	(void)res;
	(void)result;
	s->final_flush = false;
	s->dirty = false;
}

/* The stop, step by step: replies out, the last flush, connections closed, the listener. */
static void stop_progress(struct nbd_server *s, uint64_t now)
{
	bool late = now - s->stop_started > STOP_GRACE_NS;

	for (unsigned i = 0; i < s->nconns; i++) {
		struct nbd_conn *nc = &s->conns[i];

		if (nc->c && nc->phase != PHASE_TRANSMIT && !nc->closing) {
			nc->closing = 1;
			rl_conn_close(nc->c);
		} else if (nc->c) {
			nbd__conn_maybe_close(nc);
		}
	}
	if (s->final_flush || (s->reqs_free < s->o.requests && !late))
		return;
	if (s->dirty) {
		s->dirty = false;
		if (!rl_target_flush(s->t, on_final_flush, s)) {
			s->final_flush = true;
			return;
		}
	}
	if (s->st.conns && !late)
		return;
	if (s->l)
		rl_listener_close(s->l);
	s->l = NULL;
	s->done = true;
	if (s->o.shared)
		nbd_server_publish(s, s->o.shared);
}

static void on_tick(void *arg, int res, uint64_t result)
{
	struct nbd_server *s = arg;
	uint64_t now = nbd__now(), limit = (uint64_t)s->o.handshake_ms * 1000000u;
	uint64_t req_limit = (uint64_t)s->o.request_ms * 1000000u;

	(void)result;
	s->tick_armed = false;
	if (res == -ECANCELED && !s->stopping)
		return; /* the engine is going away */
	for (unsigned i = 0; i < s->nconns; i++) {
		struct nbd_conn *nc = &s->conns[i];

		if (nc->c && nc->phase != PHASE_TRANSMIT && now - nc->opened > limit) {
			s->st.timeouts++;
			nc->closing = 1;
			rl_conn_abort(nc->c);
		} else if (nc->c && !nc->closing && (nc->rx_req || nc->skip) &&
			   now - nc->rx_at > req_limit) {
			/* A payload stalled (the socket layer times partial headers) */
			s->st.request_timeouts++;
			nc->closing = 1;
			rl_conn_abort(nc->c);
		}
	}
	if (s->stopping)
		stop_progress(s, now);
	if (s->o.shared)
		nbd_server_publish(s, s->o.shared);
	nbd__tick_arm(s);
}

void nbd_server_stop(struct nbd_server *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	s->stop_started = nbd__now();
	if (s->tick_armed)
		rl_timer_cancel(s->e, s->tick_id); /* its callback re-arms at the stop's pace */
	stop_progress(s, s->stop_started);
}
