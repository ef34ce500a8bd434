// SPDX-License-Identifier: MIT
/* Registered-buffer lookup: which registered buffer, if any, an I/O's memory lies in. */
#include "helpers.h"
#include "internal_helpers.h"

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

Test(bufindex, named_buffer_moves_the_data_on_a_file)
{
	struct rl_engine_opts o;
	struct rl_engine *e;
	struct rl_target *t;
	struct done w = {0}, r = {0};
	unsigned char *wbuf = rl_alloc_aligned(4096, 16384), *rbuf = rl_alloc_aligned(4096, 16384);
	unsigned char *disk;
	char *path = make_file("/var/tmp", 1 << 20, 0);
	int iw, ir;

	rl_engine_opts_init(&o);
	o.reg_buffers = 4;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	cr_assert_eq(rl_target_open(e, path, 0, &t), 0, "%s", rl_engine_last_error(e));
	iw = rl_engine_register_buffer(e, wbuf, 16384);
	ir = rl_engine_register_buffer(e, rbuf, 16384);
	cr_assert(iw >= 0 && ir >= 0);
	for (int i = 0; i < 16384; i++)
		wbuf[i] = (unsigned char)(i * 7 + 3);
	memset(rbuf, 0, 16384);

	/* 8 KiB from the middle of the write buffer to byte 64 KiB, read back into rbuf's end. */
	cr_assert_eq(rl_target_write_fixed(t, wbuf + 4096, 8192, 65536, iw, done_cb, &w), 0, "%s",
		     rl_engine_last_error(e));
	cr_assert_eq(last_sqe(e)->opcode, IORING_OP_WRITE_FIXED);
	cr_assert_eq(last_sqe(e)->buf_index, iw);
	drain(e);
	cr_assert_eq(w.res, 8192, "%s", strerror(-w.res));
	cr_assert_eq(rl_target_read_fixed(t, rbuf + 8192, 8192, 65536, ir, done_cb, &r), 0);
	cr_assert_eq(last_sqe(e)->opcode, IORING_OP_READ_FIXED);
	cr_assert_eq(last_sqe(e)->buf_index, ir);
	drain(e);
	cr_assert_eq(r.res, 8192, "%s", strerror(-r.res));
	cr_assert_eq(memcmp(rbuf + 8192, wbuf + 4096, 8192), 0, "read back other bytes");
	disk = pread_all(path, 8192, 65536);
	cr_assert_eq(memcmp(disk, wbuf + 4096, 8192), 0, "the file holds other bytes");

	/* A buffer named by the wrong index is refused before anything is queued. */
	cr_assert_eq(rl_target_read_fixed(t, rbuf, 4096, 0, iw, done_cb, &r), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "not inside registered buffer"), "%s",
		  rl_engine_last_error(e));
	cr_assert_eq(rl_engine_inflight(e), 0);
	cr_assert_eq(r.res, 8192, "the refused read never completed");

	cr_assert_eq(rl_target_close(t), 0);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
	free(disk);
	rl_free_aligned(wbuf);
	rl_free_aligned(rbuf);
}
