// SPDX-License-Identifier: MIT
/*
 * The request rate limit: a token bucket refilled continuously at the configured rate. Requests
 * beyond it are not refused but left unread in their connection, so however hard clients push,
 * the service takes a bounded share of the thread the data plane runs on. One timer on the ring
 * wakes every parked connection when a token is due.
 */
#include <errno.h>
#include <stdlib.h>

#include "ratelimit.h"

struct ctl__rate {
	struct rl_engine *e;
	double rate;  /* tokens a second */
	double burst; /* the bucket's size */
	double tokens;
	uint64_t refilled_ns;
	bool timer_armed;
	bool stopped;
	uint64_t timer_id;
	struct ctl__parked *queue;
};

int ctl__rate_create(struct rl_engine *e, double rate, uint64_t now_ns, struct ctl__rate **out)
{
	struct ctl__rate *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->e = e;
	r->rate = rate;
	r->burst = rate / 10 > 1 ? rate / 10 : 1;
	r->tokens = r->burst;
	r->refilled_ns = now_ns;
	*out = r;
	return 0;
}

static void on_timer(void *arg, int res, uint64_t result)
{
	struct ctl__rate *r = arg;
	struct ctl__parked *p;

	(void)res;
	(void)result;
	r->timer_armed = false;
	if (r->stopped) {
		free(r); /* the deferred free of ctl__rate_stop() */
		return;
	}
	while ((p = r->queue)) {
		r->queue = p->next;
		p->queued = false;
		rl_conn_resume(p->c);
	}
}

bool ctl__rate_take(struct ctl__rate *r, uint64_t now_ns, struct ctl__parked *p)
{
	r->tokens += (double)(now_ns - r->refilled_ns) * r->rate / 1e9;
	if (r->tokens > r->burst)
		r->tokens = r->burst;
	r->refilled_ns = now_ns;
	if (r->tokens >= 1) {
		r->tokens -= 1;
		return true;
	}
	if (!p->queued) {
		p->queued = true;
		p->next = r->queue;
		r->queue = p;
	}
	if (!r->timer_armed &&
	    !rl_timer_start(r->e, (uint64_t)((1 - r->tokens) / r->rate * 1e9) + 1, on_timer, r,
			    &r->timer_id))
		r->timer_armed = true;
	return false;
}

void ctl__rate_refund(struct ctl__rate *r)
{
	r->tokens += 1;
}

void ctl__rate_forget(struct ctl__rate *r, struct ctl__parked *p)
{
	if (!p->queued)
		return;
	for (struct ctl__parked **pp = &r->queue; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->queued = false;
}

void ctl__rate_stop(struct ctl__rate *r)
{
	r->stopped = true;
	if (!r->timer_armed) {
		free(r);
		return;
	}
	rl_timer_cancel(r->e, r->timer_id);
}
