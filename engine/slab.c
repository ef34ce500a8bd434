// SPDX-License-Identifier: MIT
/* Command slab: preallocated slots, O(1) get/put, generation-checked lookup. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

#define SLAB_END UINT32_MAX

int rl__slab_init(struct rl__slab *s, uint32_t cap)
{
	if (cap == 0)
		return -EINVAL;
	s->cmds = calloc(cap, sizeof(*s->cmds));
	if (!s->cmds)
		return -ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		s->cmds[i].next_free = i + 1 < cap ? i + 1 : SLAB_END;
	s->cap = cap;
	s->nfree = cap;
	s->free_head = 0;
	return 0;
}

void rl__slab_fini(struct rl__slab *s)
{
	free(s->cmds);
	s->cmds = NULL;
	s->cap = s->nfree = 0;
}

struct rl__cmd *rl__slab_get(struct rl__slab *s, uint32_t *slot)
{
	struct rl__cmd *c;

	if (s->free_head == SLAB_END || s->nfree == 0)
		return NULL;
	*slot = s->free_head;
	c = &s->cmds[*slot];
	s->free_head = c->next_free;
	s->nfree--;
	c->in_use = 1;
	return c;
}

void rl__slab_put(struct rl__slab *s, uint32_t slot)
{
	struct rl__cmd *c = &s->cmds[slot];

	c->in_use = 0;
	c->gen = (c->gen + 1) & RL__GEN_MASK;
	c->next_free = s->free_head;
	s->free_head = slot;
	s->nfree++;
}

struct rl__cmd *rl__slab_lookup(struct rl__slab *s, uint32_t slot, uint32_t gen)
{
	struct rl__cmd *c;

	if (slot >= s->cap)
		return NULL;
	c = &s->cmds[slot];
	if (!c->in_use || c->gen != gen)
		return NULL;
	return c;
}
