// SPDX-License-Identifier: MIT
/* Command slab: preallocated slots threaded on a free list (get, put and lookup: internal.h). */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int rl__slab_init(struct rl__slab *s, uint32_t cap)
{
	if (cap == 0)
		return -EINVAL;
	s->cmds = calloc(cap, sizeof(*s->cmds));
	if (!s->cmds)
		return -ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		s->cmds[i].next_free = i + 1 < cap ? i + 1 : RL__SLAB_END;
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
