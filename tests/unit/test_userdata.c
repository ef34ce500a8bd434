// SPDX-License-Identifier: MIT
/* user_data = tag | generation | slot: encode and decode are inverse, fields do not bleed. */
#include "helpers.h"
#include "engine/internal.h"

Test(userdata, round_trip)
{
	const uint32_t slots[] = {0, 1, 1023, 0x7fffffff, UINT32_MAX};
	const uint32_t gens[] = {0, 1, 0x123456, RL__GEN_MASK};
	const unsigned tags[] = {RL__TAG_CMD, RL__TAG_IGNORE, 255};

	for (size_t t = 0; t < sizeof(tags) / sizeof(*tags); t++)
		for (size_t s = 0; s < sizeof(slots) / sizeof(*slots); s++)
			for (size_t g = 0; g < sizeof(gens) / sizeof(*gens); g++) {
				uint64_t ud = rl__ud_encode(tags[t], slots[s], gens[g]);

				cr_assert_eq(rl__ud_tag(ud), tags[t]);
				cr_assert_eq(rl__ud_slot(ud), slots[s]);
				cr_assert_eq(rl__ud_gen(ud), gens[g]);
			}
}

Test(userdata, generation_wraps_within_its_field)
{
	/* A generation past 24 bits must not spill into the tag. */
	uint64_t ud = rl__ud_encode(RL__TAG_CMD, 7, RL__GEN_MASK + 2);

	cr_assert_eq(rl__ud_tag(ud), RL__TAG_CMD);
	cr_assert_eq(rl__ud_gen(ud), 1);
	cr_assert_eq(rl__ud_slot(ud), 7);
}

Test(userdata, zero_is_never_a_command)
{
	cr_assert_neq(rl__ud_tag(0), RL__TAG_CMD);
}
