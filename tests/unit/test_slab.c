// SPDX-License-Identifier: MIT
/* Command slab: exhaustion, O(1) reuse with a new generation, stale lookups. */
#include "helpers.h"
#include "engine/internal.h"

Test(slab, exhausts_then_recovers)
{
	struct rl__slab s;
	uint32_t slot, got[8];

	cr_assert_eq(rl__slab_init(&s, 8), 0);
	for (int i = 0; i < 8; i++) {
		cr_assert_not_null(rl__slab_get(&s, &got[i]));
		for (int k = 0; k < i; k++)
			cr_assert_neq(got[i], got[k], "slot %u handed out twice", got[i]);
	}
	cr_assert_null(rl__slab_get(&s, &slot), "a full slab handed out a slot");
	rl__slab_put(&s, got[3]);
	cr_assert_not_null(rl__slab_get(&s, &slot));
	cr_assert_eq(slot, got[3]);
	rl__slab_fini(&s);
}

Test(slab, reuse_bumps_generation_and_old_lookups_fail)
{
	struct rl__slab s;
	struct rl__cmd *c;
	uint32_t slot, slot2, gen;

	cr_assert_eq(rl__slab_init(&s, 4), 0);
	c = rl__slab_get(&s, &slot);
	gen = c->gen;
	cr_assert_eq(rl__slab_lookup(&s, slot, gen), c);
	rl__slab_put(&s, slot);
	cr_assert_null(rl__slab_lookup(&s, slot, gen), "a freed slot was found");
	c = rl__slab_get(&s, &slot2);
	cr_assert_eq(slot2, slot);
	cr_assert_eq(c->gen, (gen + 1) & RL__GEN_MASK);
	cr_assert_null(rl__slab_lookup(&s, slot, gen), "the old generation matched a reused slot");
	cr_assert_eq(rl__slab_lookup(&s, slot, c->gen), c);
	cr_assert_null(rl__slab_lookup(&s, 99, 0), "an out-of-range slot was found");
	rl__slab_fini(&s);
}

Test(slab, generation_wraps_at_24_bits)
{
	struct rl__slab s;
	uint32_t slot;

	cr_assert_eq(rl__slab_init(&s, 1), 0);
	s.cmds[0].gen = RL__GEN_MASK;
	cr_assert_not_null(rl__slab_get(&s, &slot));
	rl__slab_put(&s, slot);
	cr_assert_eq(s.cmds[0].gen, 0);
	rl__slab_fini(&s);
}
