/* SPDX-License-Identifier: MIT */
/*
 * Private to control/: the request rate limit, a token bucket for all connections together.
 * A request without a token parks its connection, unread, until a timer on the ring says the
 * bucket has refilled. Knows connections only as struct rl_conn (public API).
 */
#ifndef RINGLINE_CONTROL_RATELIMIT_H
#define RINGLINE_CONTROL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "ringline.h"

/* A connection's place in the limiter's queue; embedded in the connection's state. */
struct ctl__parked {
	struct ctl__parked *next;
	struct rl_conn *c; /* resumed when the bucket has refilled */
	bool queued;
};

struct ctl__rate;

/*
 * ctl__rate_create() - @rate requests a second, in bursts of up to a tenth of that (at least
 * one), the bucket full at @now_ns. Return: 0 or -ENOMEM.
 */
int ctl__rate_create(struct rl_engine *e, double rate, uint64_t now_ns, struct ctl__rate **out);

/*
 * ctl__rate_take() - take a token for one request at @now_ns. Without one, queue @p (its @c
 * set) and arm the timer: @p's connection is resumed once the bucket holds a token again.
 * Return: true when the request may be answered now.
 */
bool ctl__rate_take(struct ctl__rate *r, uint64_t now_ns, struct ctl__parked *p);

/* ctl__rate_refund() - give back a token whose request was not answered after all. */
void ctl__rate_refund(struct ctl__rate *r);

/* ctl__rate_forget() - take @p out of the queue (its connection closes). */
void ctl__rate_forget(struct ctl__rate *r, struct ctl__parked *p);

/*
 * ctl__rate_stop() - cancel the timer and free @r, at once or, when the timer is in flight,
 * at its completion. The queue must be empty (every connection forgotten).
 */
void ctl__rate_stop(struct ctl__rate *r);

#endif
