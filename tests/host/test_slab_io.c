// SPDX-License-Identifier: MIT
/* The command slab behind an engine doing I/O: -EBUSY when it is full, then it recovers. */
#include "helpers.h"

TestSuite(slab, .init = skip_unless_io_uring);

Test(slab, engine_returns_ebusy_when_full_and_recovers)
{
	struct rl_engine *e = engine_new(4);
	char *path = make_file("/var/tmp", 1 << 20, 'a');
	struct rl_file *f;
	struct done d[5] = {0};
	void *buf = rl_alloc_aligned(4096, 5 * 4096);

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0, "%s", rl_engine_last_error(e));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(
		    rl_file_read(f, (char *)buf + i * 4096, 4096, i * 4096, done_cb, &d[i]), 0);
	cr_assert_eq(rl_file_read(f, (char *)buf + 4 * 4096, 4096, 0, done_cb, &d[4]), -EBUSY);
	cr_assert(strstr(rl_engine_last_error(e), "reap completions and retry"), "message: %s",
		  rl_engine_last_error(e));
	cr_assert_eq(rl_engine_inflight(e), 4);
	drain(e);
	cr_assert_eq(d[4].calls, 0, "a refused submission ran its callback");
	cr_assert_eq(rl_file_read(f, (char *)buf + 4 * 4096, 4096, 0, done_cb, &d[4]), 0);
	drain(e);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(d[i].calls, 1);
		cr_assert_eq(d[i].res, 4096);
	}
	cr_assert_eq(((char *)buf)[4 * 4096], 'a');
	cr_assert_eq(rl_file_close(f), 0);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}
