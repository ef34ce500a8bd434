// SPDX-License-Identifier: MIT
/* Registered buffers named by index move the data on a file; a wrong index is refused. */
#include "helpers.h"
#include "internal_helpers.h"

TestSuite(bufindex, .init = skip_unless_io_uring);

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

/* RL_IO_FUA on a file: the write carries RWF_DSYNC, lands, and other flags are refused. */
Test(bufindex, fua_write_is_rwf_dsync_on_a_file)
{
	struct rl_engine *e;
	struct rl_target *t;
	struct done w = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 8192), *disk;
	char *path = make_file("/var/tmp", 1 << 20, 0);
	int idx;

	cr_assert_eq(rl_engine_create(NULL, &e), 0);
	cr_assert_eq(rl_target_open(e, path, 0, &t), 0, "%s", rl_engine_last_error(e));
	idx = rl_engine_register_buffer(e, buf, 8192);
	for (int i = 0; i < 8192; i++)
		buf[i] = (unsigned char)(i * 13 + 1);
	cr_assert_eq(rl_target_write_flags(t, buf, 8192, 16384, idx, RL_IO_FUA, done_cb, &w), 0,
		     "%s", rl_engine_last_error(e));
	cr_assert_eq(last_sqe(e)->opcode, idx >= 0 ? IORING_OP_WRITE_FIXED : IORING_OP_WRITE);
	cr_assert_eq(last_sqe(e)->rw_flags, RWF_DSYNC);
	drain(e);
	cr_assert_eq(w.res, 8192, "%s", strerror(-w.res));
	disk = pread_all(path, 8192, 16384);
	cr_assert_eq(memcmp(disk, buf, 8192), 0, "the file holds other bytes");
	/* Without the flag, a plain write: no RWF_DSYNC. */
	cr_assert_eq(rl_target_write_flags(t, buf, 4096, 0, -1, 0, done_cb, &w), 0);
	cr_assert_eq(last_sqe(e)->rw_flags, 0);
	drain(e);
	cr_assert_eq(w.res, 4096, "%s", strerror(-w.res));
	cr_assert_eq(rl_target_write_flags(t, buf, 4096, 0, -1, 0x80, done_cb, &w), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "unknown write flags"), "%s",
		  rl_engine_last_error(e));
	cr_assert_eq(rl_engine_inflight(e), 0);
	cr_assert_eq(rl_target_close(t), 0);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
	free(disk);
	rl_free_aligned(buf);
}
