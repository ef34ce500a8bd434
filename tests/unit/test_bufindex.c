// SPDX-License-Identifier: MIT
/* Registered-buffer lookup: which registered buffer, if any, an I/O's memory lies in. */
#include "helpers.h"
#include "internal_helpers.h"

TestSuite(bufindex, .init = skip_unless_io_uring);

Test(bufindex, finds_the_buffer_holding_the_range_in_any_registration_order)
{
	struct rl_engine_opts o;
	struct rl_engine *e;
	char *mem = rl_alloc_aligned(4096, 8 * 4096);
	/* Four 4 KiB buffers with 4 KiB gaps between them, registered out of address order. */
	const int order[4] = {2, 0, 3, 1};
	int idx[4];

	cr_assert_not_null(mem);
	rl_engine_opts_init(&o);
	o.reg_buffers = 8;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	for (int i = 0; i < 4; i++) {
		idx[order[i]] = rl_engine_register_buffer(e, mem + order[i] * 8192, 4096);
		cr_assert_geq(idx[order[i]], 0, "%s", rl_engine_last_error(e));
	}
	for (int b = 0; b < 4; b++) {
		char *start = mem + b * 8192;

		cr_assert_eq(rl__buf_index(e, start, 4096), idx[b], "buffer %d, whole", b);
		cr_assert_eq(rl__buf_index(e, start + 512, 1024), idx[b], "buffer %d, inside", b);
		cr_assert_eq(rl__buf_index(e, start + 512, 4096), -1, "buffer %d, past its end", b);
		cr_assert_eq(rl__buf_index(e, start + 4096, 512), -1, "gap after buffer %d", b);
	}
	cr_assert_eq(rl__buf_index(e, mem - 4096, 512), -1, "before every buffer");

	/* After unregistering one, its memory is no longer found; the others still are. */
	cr_assert_eq(rl_engine_unregister_buffer(e, idx[0]), 0);
	cr_assert_eq(rl__buf_index(e, mem, 4096), -1);
	for (int b = 1; b < 4; b++)
		cr_assert_eq(rl__buf_index(e, mem + b * 8192, 4096), idx[b], "buffer %d", b);
	/* Its slot is reused for a new registration, which is found. */
	cr_assert_eq(rl_engine_register_buffer(e, mem + 4096, 4096), idx[0]);
	cr_assert_eq(rl__buf_index(e, mem + 4096, 4096), idx[0]);
	rl_engine_destroy(e);
	rl_free_aligned(mem);
}
