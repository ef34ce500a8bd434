// SPDX-License-Identifier: MIT
/* Aligned allocator and registered buffers. */
#include "helpers.h"

Test(alloc, honours_every_power_of_two)
{
	for (size_t align = sizeof(void *); align <= (2u << 20); align <<= 1) {
		unsigned char *p = rl_alloc_aligned(align, 12345);

		cr_assert_not_null(p, "align %zu", align);
		cr_assert_eq((uintptr_t)p % align, 0, "%p not aligned to %zu", (void *)p, align);
		memset(p, 0xa5, 12345);
		cr_assert_eq(p[12344], 0xa5);
		rl_free_aligned(p);
	}
}

Test(alloc, refuses_bad_arguments)
{
	errno = 0;
	cr_assert_null(rl_alloc_aligned(3000, 4096));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(rl_alloc_aligned(2, 4096));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(rl_alloc_aligned(4096, 0));
	cr_assert_eq(errno, EINVAL);
	rl_free_aligned(NULL);
}

Test(alloc, registered_slots_fill_and_free, .init = skip_unless_io_uring)
{
	struct rl_engine_opts o;
	struct rl_engine *e;
	void *bufs[3];

	rl_engine_opts_init(&o);
	o.reg_buffers = 2;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	for (int i = 0; i < 3; i++)
		bufs[i] = rl_alloc_aligned(4096, 65536);
	cr_assert_eq(rl_engine_register_buffer(e, bufs[0], 65536), 0);
	cr_assert_eq(rl_engine_register_buffer(e, bufs[1], 65536), 1);
	cr_assert_eq(rl_engine_register_buffer(e, bufs[2], 65536), -ENOSPC);
	cr_assert(strstr(rl_engine_last_error(e), "registered buffer slots"));
	cr_assert_eq(rl_engine_unregister_buffer(e, 0), 0);
	cr_assert_eq(rl_engine_unregister_buffer(e, 0), -ENOENT);
	cr_assert_eq(rl_engine_register_buffer(e, bufs[2], 65536), 0);
	rl_engine_destroy(e);
	for (int i = 0; i < 3; i++)
		rl_free_aligned(bufs[i]);
}
