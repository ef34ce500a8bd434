// SPDX-License-Identifier: MIT
/* Misaligned buffer, offset and length are refused before submission, and nothing is written. */
#include "helpers.h"

TestSuite(misalign, .init = skip_unless_io_uring);

struct fixture {
	struct rl_engine *e;
	struct rl_file *f;
	char *path;
	unsigned char *buf;
	uint32_t align;
};

static void setup(struct fixture *x)
{
	x->e = engine_new(8);
	x->path = make_file("/var/tmp", 1 << 20, 0x11);
	cr_assert_eq(rl_file_open(x->e, x->path, NULL, &x->f), 0);
	x->align = rl_file_offset_align(x->f);
	cr_assert_geq(x->align, 512, "ext4 O_DIRECT alignment below 512?");
	x->buf = rl_alloc_aligned(4096, 3 * 4096);
	memset(x->buf, 0xee, 3 * 4096);
}

/* The refused write left no trace: nothing in flight, no callback, file bytes unchanged. */
static void teardown_unchanged(struct fixture *x, struct done *d)
{
	unsigned char *disk;

	cr_assert_eq(rl_engine_inflight(x->e), 0);
	cr_assert_eq(d->calls, 0, "a refused write ran its callback");
	rl_engine_destroy(x->e);
	disk = pread_all(x->path, 1 << 20, 0);
	for (size_t i = 0; i < 1 << 20; i++)
		cr_assert_eq(disk[i], 0x11, "byte %zu changed by a refused write", i);
	free(disk);
	unlink(x->path);
	free(x->path);
	rl_free_aligned(x->buf);
}

static void expect_refused(struct fixture *x, int ret, const char *what)
{
	char align[32];

	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(rl_engine_last_error(x->e), what), "message lacks '%s': %s", what,
		  rl_engine_last_error(x->e));
	snprintf(align, sizeof(align), "%u", x->align);
	cr_assert(strstr(rl_engine_last_error(x->e), align), "message lacks the alignment: %s",
		  rl_engine_last_error(x->e));
	cr_assert(strstr(rl_engine_last_error(x->e), x->path), "message lacks the path: %s",
		  rl_engine_last_error(x->e));
}

Test(misalign, buffer_address)
{
	struct fixture x;
	struct done d = {0};

	setup(&x);
	if (rl_file_mem_align(x.f) < 2)
		cr_skip_test("this filesystem accepts any buffer address");
	expect_refused(&x, rl_file_write(x.f, x.buf + 1, 4096, 0, done_cb, &d), "buffer address");
	expect_refused(&x, rl_file_read(x.f, x.buf + 1, 4096, 0, done_cb, &d), "buffer address");
	teardown_unchanged(&x, &d);
}

Test(misalign, offset)
{
	struct fixture x;
	struct done d = {0};

	setup(&x);
	expect_refused(&x, rl_file_write(x.f, x.buf, 4096, x.align / 2, done_cb, &d), "offset");
	expect_refused(&x, rl_file_write(x.f, x.buf, 4096, 4096 + 1, done_cb, &d), "offset");
	teardown_unchanged(&x, &d);
}

Test(misalign, length)
{
	struct fixture x;
	struct done d = {0};

	setup(&x);
	expect_refused(&x, rl_file_write(x.f, x.buf, 4000, 0, done_cb, &d), "length 4000");
	expect_refused(&x, rl_file_write(x.f, x.buf, 0, 0, done_cb, &d), "length 0");
	expect_refused(&x, rl_file_read(x.f, x.buf, x.align + 1, 0, done_cb, &d), "length");
	teardown_unchanged(&x, &d);
}

Test(misalign, aligned_request_after_refusals_succeeds)
{
	struct fixture x;
	struct done d = {0};

	setup(&x);
	cr_assert_eq(rl_file_read(x.f, x.buf + 1, 4096, 0, done_cb, &d), -EINVAL);
	cr_assert_eq(rl_file_read(x.f, x.buf, 4096, 4096, done_cb, &d), 0);
	drain(x.e);
	cr_assert_eq(d.res, 4096);
	cr_assert_eq(x.buf[0], 0x11);
	d.calls = 0;
	teardown_unchanged(&x, &d);
}
