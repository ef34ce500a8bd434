/* SPDX-License-Identifier: MIT */
/* Private: the command slab, preallocated slots with O(1) get, put and lookup. */
#ifndef RINGLINE_ENGINE_SLAB_H
#define RINGLINE_ENGINE_SLAB_H

#include <stdint.h>

#include "ringline.h"
#include "ud.h"

/* One in-flight command. */
struct rl__cmd {
	rl_complete_fn fn;
	void *arg;
	struct rl_target *target;
	uint64_t t_submit; /* ns, CLOCK_MONOTONIC */
	uint32_t gen;
	uint32_t len; /* bytes the command moves when it succeeds */
	uint32_t next_free;
	uint8_t op; /* enum rl_op */
	uint8_t in_use;
	uint8_t res_status; /* res > 0 is a device status (NVMe), not a byte count */
	uint8_t polled;	    /* submitted on the IOPOLL ring */
	/* Command data the SQE points to, kept here so it lives until the CQE (DSM range). */
	uint64_t aux[2];
};

/* Preallocated command slots: a free list threaded through the slots, O(1) get and put. */
struct rl__slab {
	struct rl__cmd *cmds;
	uint32_t cap;
	uint32_t nfree;
	uint32_t free_head;
};

#define RL__SLAB_END UINT32_MAX

int rl__slab_init(struct rl__slab *s, uint32_t cap);
void rl__slab_fini(struct rl__slab *s);

/* NULL when every slot is in use. Inline, as put and lookup: they run once per command. */
static inline struct rl__cmd *rl__slab_get(struct rl__slab *s, uint32_t *slot)
{
	struct rl__cmd *c;

	if (s->free_head == RL__SLAB_END)
		return NULL;
	*slot = s->free_head;
	c = &s->cmds[*slot];
	s->free_head = c->next_free;
	s->nfree--;
	c->in_use = 1;
	return c;
}

/* Frees @slot and advances its generation. */
static inline void rl__slab_put(struct rl__slab *s, uint32_t slot)
{
	struct rl__cmd *c = &s->cmds[slot];

	c->in_use = 0;
	c->gen = (c->gen + 1) & RL__GEN_MASK;
	c->next_free = s->free_head;
	s->free_head = slot;
	s->nfree++;
}

/* The slot's command if it is in use with generation @gen, else NULL (a stale CQE). */
static inline struct rl__cmd *rl__slab_lookup(struct rl__slab *s, uint32_t slot, uint32_t gen)
{
	struct rl__cmd *c;

	if (slot >= s->cap)
		return NULL;
	c = &s->cmds[slot];
	if (!c->in_use || c->gen != gen)
		return NULL;
	return c;
}

#endif
