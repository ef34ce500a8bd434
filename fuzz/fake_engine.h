/* SPDX-License-Identifier: MIT */
/*
 * The part of libringline's public API that control/'s HTTP service uses (connections, timers,
 * targets, Get Log Page, counters), without a ring: fuzz/http.c drives it event by event from
 * the fuzz input. It keeps the contract of include/ringline/net.h and timer.h: on_data is
 * offered the unconsumed input (at most max_request bytes) after data arrives, after a send of
 * the connection completes, after rl_conn_resume() and once at the peer's end; a send refused
 * for room is retried after a send completes; callbacks run from the loop, never from within
 * the call that caused them; every timer and Get Log Page callback runs exactly once.
 */
#ifndef RINGLINE_FUZZ_FAKE_ENGINE_H
#define RINGLINE_FUZZ_FAKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringline.h"

/* Connections the fuzz input can open at once (more than the smallest max_conns it sets). */
#define FAKE_CONNS 4

/**
 * struct fake_config - the engine's side of one run.
 * @send_pool:      bytes all connections may have queued at once; a connection with an empty
 *                  queue may queue one message as large as what is free.
 * @max_send_queue: bytes one connection may have queued.
 * @get_log_busy:   rl_nvme_get_log() answers -EBUSY (the slab is full).
 */
struct fake_config {
	size_t send_pool;
	size_t max_send_queue;
	bool get_log_busy;
};

/* fake_engine_start() - a new engine with two targets: /dev/ng0n1 (NVMe), a file. */
struct rl_engine *fake_engine_start(const struct fake_config *cfg);

/* Peer @k's side: bytes arrive (a connection is accepted first if none is open), its end, reset. */
void fake_deliver(int k, const char *data, size_t len);
void fake_eof(int k);
void fake_reset(int k);

/* The engine's side: every queued send completes, every timer expires, every Get Log Page. */
void fake_complete_sends(void);
void fake_fire_timers(void);
void fake_complete_logs(int res);

/* fake_run() - what the loop does by itself: resumed connections, cancelled timers. */
void fake_run(void);

/* fake_pending() - a send, timer or Get Log Page waits for one of the events above. */
bool fake_pending(void);

/* fake_open() - peer @k's connection is open (not closed by either side). */
bool fake_open(int k);

/*
 * fake_engine_destroy() - as rl_engine_destroy(): every callback still due runs (-ECANCELED).
 * The listener must be closed.
 */
void fake_engine_destroy(void);

/*
 * Implemented by the fuzz target: connection @k took bytes from its peer (they go to the
 * protocol); bytes of @k reached the peer; @k was closed (or refused).
 */
void fake_received(int k, const char *data, size_t len);
void fake_sent(int k, const char *data, size_t len);
void fake_closed(int k);

#endif
