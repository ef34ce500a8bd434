// SPDX-License-Identifier: MIT
/*
 * NVMe passthrough without a device: cmd_op values, the command's place in the 128-byte SQE,
 * each command's fields, validation before submission, and status strings.
 */
#include <stddef.h>

#include "helpers.h"
#include "internal_helpers.h"
#include "nvme/nvme_private.h"

Test(nvme_abi, cmd_op_values_are_pinned)
{
	/* _IOWR('N', 0x80.., struct nvme_uring_cmd): a wrong cmd_op fails every command (ENOTTY).
	 */
	cr_assert_eq(NVME_URING_CMD_IO, 0xc0484e80u);
	cr_assert_eq(NVME_URING_CMD_IO_VEC, 0xc0484e81u);
	cr_assert_eq(NVME_URING_CMD_ADMIN, 0xc0484e82u);
	cr_assert_eq(sizeof(struct nvme_uring_cmd), 72);
}

Test(nvme_abi, command_layout_in_the_big_sqe)
{
	/* The command starts at byte 48 of the SQE and must fit in its 128 bytes. */
	cr_assert_eq(offsetof(struct io_uring_sqe, cmd), 48);
	cr_assert_leq(offsetof(struct io_uring_sqe, cmd) + sizeof(struct nvme_uring_cmd), 128);
	cr_assert_eq(offsetof(struct io_uring_sqe, cmd_op), 8);
	cr_assert_eq(offsetof(struct nvme_uring_cmd, nsid), 4);
	cr_assert_eq(offsetof(struct nvme_uring_cmd, addr), 24);
	cr_assert_eq(offsetof(struct nvme_uring_cmd, data_len), 36);
	cr_assert_eq(offsetof(struct nvme_uring_cmd, cdw10), 40);
	cr_assert_eq(offsetof(struct nvme_uring_cmd, timeout_ms), 64);
}

/* A namespace that is not there: commands are built and inspected in the SQ, never reach a
 * device (the fd is /dev/zero, which answers uring_cmd with an errno). */
struct fake {
	struct rl_engine *e;
	struct rl_nvme_dev d;
	int fd;
};

static void fake_open(struct fake *f, uint32_t lba, uint64_t nsze, uint32_t max_transfer)
{
	f->e = engine_new(64);
	cr_assert(rl_engine_features(f->e) & RL_FEAT_SQE128, "no SQE128 on this kernel");
	memset(&f->d, 0, sizeof(f->d));
	f->fd = open("/dev/zero", O_RDWR);
	cr_assert_eq(rl__nvme_attach(&f->d, f->e, "/dev/ng9n1", f->fd, false), 0);
	cr_assert_eq(rl__nvme_add_admin(&f->d, open("/dev/zero", O_RDWR)), 0);
	f->d.info = (struct rl_nvme_info){.nsid = 3,
					  .lba_size = lba,
					  .nsze = nsze,
					  .capacity_bytes = nsze * lba,
					  .max_transfer = max_transfer};
	rl__nvme_set_limits(&f->d);
}

/* Reap what was queued (it fails on /dev/zero), then tear down. */
static void fake_close(struct fake *f)
{
	drain(f->e);
	cr_assert_eq(rl_target_inflight(&f->d.t), 0);
	rl__nvme_detach(&f->d);
	rl_engine_destroy(f->e);
}

/* The command area of an SQE. */
static const struct nvme_uring_cmd *cmd_of(struct io_uring_sqe *sqe)
{
	return (const struct nvme_uring_cmd *)sqe->cmd;
}

Test(nvme_cmd, read_write_compare_fields)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 8 * 4096);
	const uint8_t opcodes[] = {0x02, 0x01, 0x05};
	uint64_t slba = 0x100000005ull;

	fake_open(&f, 4096, 1ull << 40, 1 << 20);
	for (int i = 0; i < 3; i++) {
		int ret = i == 0   ? rl_nvme_read(&f.d, buf, slba, 8, done_cb, &d)
			  : i == 1 ? rl_nvme_write(&f.d, buf, slba, 8, done_cb, &d)
				   : rl_nvme_compare(&f.d, buf, slba, 8, done_cb, &d);
		struct io_uring_sqe *sqe = last_sqe(f.e);
		const struct nvme_uring_cmd *c = cmd_of(sqe);

		cr_assert_eq(ret, 0, "%s", rl_engine_last_error(f.e));
		cr_assert_eq(sqe->opcode, IORING_OP_URING_CMD);
		cr_assert_eq(sqe->cmd_op, NVME_URING_CMD_IO);
		cr_assert(sqe->flags & IOSQE_FIXED_FILE);
		cr_assert_eq(sqe->fd, (int)f.d.t.findex);
		cr_assert_eq(sqe->uring_cmd_flags, 0, "unregistered buffer marked fixed");
		cr_assert_eq(c->opcode, opcodes[i]);
		cr_assert_eq(c->nsid, 3);
		cr_assert_eq(c->addr, (uintptr_t)buf);
		cr_assert_eq(c->data_len, 8 * 4096);
		cr_assert_eq(c->cdw10, 5, "SLBA low dword");
		cr_assert_eq(c->cdw11, 1, "SLBA high dword");
		cr_assert_eq(c->cdw12, 7, "NLB is 0's based");
	}
	fake_close(&f);
	rl_free_aligned(buf);
}

Test(nvme_cmd, registered_buffer_sets_fixed)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 64 * 1024);
	int idx;

	fake_open(&f, 512, 1 << 20, 1 << 20);
	idx = rl_engine_register_buffer(f.e, buf, 64 * 1024);
	cr_assert_geq(idx, 0);
	cr_assert_eq(rl_nvme_read(&f.d, buf + 4096, 0, 8, done_cb, &d), 0);
	cr_assert_eq(last_sqe(f.e)->uring_cmd_flags, IORING_URING_CMD_FIXED);
	cr_assert_eq(last_sqe(f.e)->buf_index, idx);
	fake_close(&f);
	rl_free_aligned(buf);
}

Test(nvme_cmd, named_registered_buffer_is_used_and_checked)
{
	struct fake f;
	struct done d = {0};
	unsigned char *a = rl_alloc_aligned(4096, 8192), *b = rl_alloc_aligned(4096, 8192);
	const struct nvme_uring_cmd *c;
	int ia, ib, ic;

	fake_open(&f, 512, 1 << 20, 1 << 20);
	ia = rl_engine_register_buffer(f.e, a, 8192);
	ib = rl_engine_register_buffer(f.e, b, 8192);
	cr_assert(ia >= 0 && ib >= 0 && ia != ib);

	/* Byte offset 4096 on 512-byte LBAs: SLBA 8; 4 KiB from inside buffer b. */
	cr_assert_eq(rl_target_read_fixed(&f.d.t, b + 4096, 4096, 4096, ib, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x02, "Read");
	cr_assert_eq(last_sqe(f.e)->uring_cmd_flags, IORING_URING_CMD_FIXED);
	cr_assert_eq(last_sqe(f.e)->buf_index, ib);
	cr_assert_eq(c->addr, (uintptr_t)(b + 4096));
	cr_assert_eq(c->data_len, 4096);
	cr_assert_eq(c->cdw10, 8);
	cr_assert_eq(rl_target_write_fixed(&f.d.t, a, 8192, 0, ia, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x01, "Write");
	cr_assert_eq(last_sqe(f.e)->buf_index, ia);
	/* Named, not searched: the address search would pick c, the registration starting last. */
	ic = rl_engine_register_buffer(f.e, a + 4096, 4096);
	cr_assert_geq(ic, 0);
	cr_assert_eq(rl_target_read_fixed(&f.d.t, a + 4096, 4096, 0, ia, done_cb, &d), 0);
	cr_assert_eq(last_sqe(f.e)->buf_index, ia);
	cr_assert_eq(rl_target_read(&f.d.t, a + 4096, 4096, 0, done_cb, &d), 0);
	cr_assert_eq(last_sqe(f.e)->buf_index, ic);
	cr_assert_eq(rl_engine_inflight(f.e), 4);

	/* The wrong index, one past the buffer's end, or no such buffer: refused, nothing queued.
	 */
	cr_assert_eq(rl_target_read_fixed(&f.d.t, b, 4096, 0, ia, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(f.e), "not inside registered buffer"), "%s",
		  rl_engine_last_error(f.e));
	cr_assert_eq(rl_target_write_fixed(&f.d.t, a + 4608, 4096, 0, ia, done_cb, &d), -EINVAL);
	cr_assert_eq(rl_target_read_fixed(&f.d.t, a, 4096, 0, 99, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(f.e), "registered buffer 99 does not exist"), "%s",
		  rl_engine_last_error(f.e));
	cr_assert_eq(rl_target_read_fixed(&f.d.t, a, 4096, 0, -1, done_cb, &d), -EINVAL);
	cr_assert_eq(rl_engine_unregister_buffer(f.e, ib), -EBUSY, "commands are in flight");
	cr_assert_eq(rl_engine_inflight(f.e), 4);
	fake_close(&f);
	rl_free_aligned(a);
	rl_free_aligned(b);
}

Test(nvme_cmd, flush_zeroes_deallocate_fields)
{
	struct fake f;
	struct done d = {0};
	const struct nvme_uring_cmd *c;
	const uint32_t *range;

	fake_open(&f, 512, 1 << 20, 1 << 20);
	cr_assert_eq(rl_nvme_flush(&f.d, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x00);
	cr_assert_eq(c->nsid, 3);
	cr_assert_eq(c->data_len, 0);

	cr_assert_eq(rl_nvme_write_zeroes(&f.d, 100, 16, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x08);
	cr_assert_eq(c->cdw10, 100);
	cr_assert_eq(c->cdw12, 15);
	cr_assert_eq(c->data_len, 0);

	cr_assert_eq(rl_nvme_deallocate(&f.d, 0x200000001ull % (1 << 20), 32, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x09);
	cr_assert_eq(c->cdw10, 0, "one range, 0's based");
	cr_assert_eq(c->cdw11, 1 << 2, "AD (deallocate) attribute");
	cr_assert_eq(c->data_len, 16);
	range = (const uint32_t *)(uintptr_t)c->addr;
	cr_assert_eq(range[0], 0, "context attributes");
	cr_assert_eq(range[1], 32, "range length is 1-based");
	cr_assert_eq(*(const uint64_t *)&range[2], 0x200000001ull % (1 << 20));
	fake_close(&f);
}

Test(nvme_cmd, vectored_and_admin_fields)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 4 * 4096);
	struct iovec iov[2] = {{buf, 4096}, {buf + 4096, 3 * 4096}};
	const struct nvme_uring_cmd *c;

	fake_open(&f, 512, 1 << 20, 1 << 20);
	cr_assert_eq(rl_nvme_readv(&f.d, iov, 2, 8, 32, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	cr_assert_eq(last_sqe(f.e)->cmd_op, NVME_URING_CMD_IO_VEC);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->addr, (uintptr_t)iov);
	cr_assert_eq(c->data_len, 2, "IO_VEC carries the iovec count");
	cr_assert_eq(c->cdw12, 31);

	cr_assert_eq(rl_nvme_identify(&f.d, 1, 0, buf, done_cb, &d), 0);
	cr_assert_eq(last_sqe(f.e)->cmd_op, NVME_URING_CMD_ADMIN);
	cr_assert_eq(last_sqe(f.e)->fd, (int)f.d.admin_findex, "admin not sent to the controller");
	cr_assert_neq(f.d.admin_findex, f.d.t.findex);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x06);
	cr_assert_eq(c->cdw10, 1, "CNS");
	cr_assert_eq(c->data_len, 4096);

	cr_assert_eq(rl_nvme_get_log(&f.d, 0x02, 0xffffffff, buf, 512, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x02);
	cr_assert_eq(c->nsid, 0xffffffff);
	cr_assert_eq(c->cdw10, (127u << 16) | 0x02, "NUMDL (0's based dwords) and LID");
	cr_assert_eq(c->cdw11, 0);
	fake_close(&f);
	rl_free_aligned(buf);
}

static void expect_refused(struct fake *f, int ret, const char *what)
{
	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(rl_engine_last_error(f->e), what), "message lacks '%s': %s", what,
		  rl_engine_last_error(f->e));
	cr_assert_eq(rl_engine_inflight(f->e), 0, "a refused command was queued");
}

Test(nvme_cmd, validation_before_submission)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 1 << 20);
	struct iovec iov[1] = {{buf, 1000}};

	fake_open(&f, 4096, 1000, 128 * 1024);
	expect_refused(&f, rl_nvme_read(&f.d, buf, 999, 2, done_cb, &d),
		       "past the end of the namespace");
	expect_refused(&f, rl_nvme_write(&f.d, buf, 1000, 1, done_cb, &d), "past the end");
	expect_refused(&f, rl_nvme_read(&f.d, buf, 0, 33, done_cb, &d),
		       "exceeds the maximum transfer size 131072 (MDTS)");
	expect_refused(&f, rl_nvme_read(&f.d, buf + 2, 0, 1, done_cb, &d), "not 4-byte aligned");
	expect_refused(&f, rl_nvme_read(&f.d, buf, 0, 0, done_cb, &d), "1 to 65536 blocks");
	expect_refused(&f, rl_nvme_write_zeroes(&f.d, 990, 11, done_cb, &d), "past the end");
	expect_refused(&f, rl_nvme_deallocate(&f.d, 1000, 1, done_cb, &d), "past the end");
	expect_refused(&f, rl_nvme_readv(&f.d, iov, 1, 0, 1, done_cb, &d), "iovecs hold 1000");
	expect_refused(&f, rl_nvme_get_log(&f.d, 2, 0, buf, 510, done_cb, &d), "multiple of 4");
	/* Byte-offset I/O refuses what is not whole LBAs. */
	expect_refused(&f, rl_target_read(&f.d.t, buf, 512, 0, done_cb, &d), "LBA size 4096");
	expect_refused(&f, rl_target_read(&f.d.t, buf, 4096, 512, done_cb, &d), "LBA size 4096");
	cr_assert_eq(d.calls, 0);
	/* RL_NVME_RAW leaves the range to the device: the command is queued. */
	f.d.raw = true;
	cr_assert_eq(rl_nvme_read(&f.d, buf, 1000, 1, done_cb, &d), 0);
	fake_close(&f);
	cr_assert_eq(d.calls, 1);
	rl_free_aligned(buf);
}

/*
 * Byte-offset I/O (rl_target_*()) tests every limit at once and names the one that failed; each
 * limit is probed on both sides of its edge.
 */
Test(nvme_cmd, byte_offset_io_limits_at_their_edges)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 65537 * 512);
	const struct nvme_uring_cmd *c;

	fake_open(&f, 4096, 1000, 128 * 1024);
	expect_refused(&f, rl_target_read(&f.d.t, buf, 4096, 1000 * 4096, done_cb, &d),
		       "blocks 1000..1000 are past the end of the namespace");
	expect_refused(&f, rl_target_write(&f.d.t, buf, 8192, 999 * 4096, done_cb, &d),
		       "blocks 999..1000 are past the end");
	expect_refused(&f, rl_target_read(&f.d.t, buf, 33 * 4096, 0, done_cb, &d),
		       "exceeds the maximum transfer size 131072 (MDTS)");
	expect_refused(&f, rl_target_read(&f.d.t, buf + 2, 4096, 0, done_cb, &d),
		       "not 4-byte aligned");
	expect_refused(&f, rl_target_read(&f.d.t, buf, 0, 0, done_cb, &d), "non-zero multiple");
	expect_refused(&f, rl_target_read(&f.d.t, buf, 4096, UINT64_MAX - 4095, done_cb, &d),
		       "past the end");
	cr_assert_eq(rl_target_read(&f.d.t, buf, 4096, 999 * 4096, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	c = cmd_of(last_sqe(f.e));
	cr_assert(c->cdw10 == 999 && c->cdw11 == 0 && c->cdw12 == 0, "the last block");
	cr_assert_eq(rl_target_write(&f.d.t, buf, 32 * 4096, 0, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	c = cmd_of(last_sqe(f.e));
	cr_assert(c->opcode == 0x01 && c->cdw12 == 31 && c->data_len == 32 * 4096, "MDTS exactly");
	/* RL_NVME_RAW leaves the range to the device. */
	f.d.raw = true;
	cr_assert_eq(rl_target_read(&f.d.t, buf, 4096, 1000 * 4096, done_cb, &d), 0);
	cr_assert_eq(cmd_of(last_sqe(f.e))->cdw10, 1000);
	cr_assert_eq(rl_engine_inflight(f.e), 3);
	fake_close(&f);

	/* A command covers at most 65536 blocks, whatever MDTS allows. */
	fake_open(&f, 512, 1 << 20, UINT32_MAX);
	expect_refused(&f, rl_target_read(&f.d.t, buf, 65537 * 512, 0, done_cb, &d),
		       "above 65536 blocks");
	cr_assert_eq(rl_target_read(&f.d.t, buf, 65536 * 512, 0, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	cr_assert_eq(cmd_of(last_sqe(f.e))->cdw12, 65535);
	fake_close(&f);

	/* Extended LBAs interleave metadata: byte offsets do not apply. */
	fake_open(&f, 512, 1 << 20, 1 << 20);
	f.d.info.extended = true;
	f.d.info.ms = 8;
	rl__nvme_set_limits(&f.d);
	cr_assert_eq(rl_target_read(&f.d.t, buf, 512, 0, done_cb, &d), -EOPNOTSUPP);
	cr_assert(strstr(rl_engine_last_error(f.e), "extended-LBA"), "%s",
		  rl_engine_last_error(f.e));
	cr_assert_eq(rl_nvme_read(&f.d, buf, 0, 1, done_cb, &d), 0, "block I/O still works");
	cr_assert_eq(cmd_of(last_sqe(f.e))->data_len, 520);
	fake_close(&f);
	rl_free_aligned(buf);
}

Test(nvme_cmd, errno_completions_are_not_nvme_statuses)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 4096);
	struct rl_op_stats st;

	fake_open(&f, 4096, 1000, 1 << 20);
	cr_assert_eq(rl_nvme_read(&f.d, buf, 0, 1, done_cb, &d), 0);
	drain(f.e);
	/* /dev/zero has no uring_cmd: the kernel answers with an errno, never a positive status. */
	cr_assert_eq(d.calls, 1);
	cr_assert_lt(d.res, 0, "res %d", d.res);
	rl_target_stats(&f.d.t, RL_OP_READ, &st);
	cr_assert_eq(st.errors, 1);
	cr_assert_eq(st.bytes, 0);
	fake_close(&f);
	rl_free_aligned(buf);
}

Test(nvme_status, names_with_sct_sc_dnr)
{
	char buf[128];

	cr_assert_str_eq(rl_nvme_status_str(0x80, buf, sizeof(buf)),
			 "LBA Out of Range (SCT 0x0, SC 0x80)");
	cr_assert_str_eq(rl_nvme_status_str(0x4080, buf, sizeof(buf)),
			 "LBA Out of Range (SCT 0x0, SC 0x80, DNR)");
	cr_assert_str_eq(rl_nvme_status_str(0x4285, buf, sizeof(buf)),
			 "Compare Failure (SCT 0x2, SC 0x85, DNR)");
	cr_assert_str_eq(rl_nvme_status_str(0x281, buf, sizeof(buf)),
			 "Unrecovered Read Error (SCT 0x2, SC 0x81)");
	cr_assert_str_eq(rl_nvme_status_str(0x02, buf, sizeof(buf)),
			 "Invalid Field in Command (SCT 0x0, SC 0x02)");
	cr_assert_eq(RL_NVME_SCT(0x4285), 2);
	cr_assert_eq(RL_NVME_SC(0x4285), 0x85);
	cr_assert_eq(RL_NVME_DNR(0x4285), 1);
}

Test(nvme_open, refuses_what_is_not_a_namespace)
{
	struct rl_engine *e = engine_new(8);
	struct rl_nvme_dev *d = NULL;
	char *path = make_file("/var/tmp", 4096, 0), out[64];

	cr_assert_eq(rl_nvme_open(e, path, NULL, &d), -ENODEV);
	cr_assert(strstr(rl_engine_last_error(e), "not an NVMe namespace"), "%s",
		  rl_engine_last_error(e));
	cr_assert_eq(rl_nvme_open(e, "/dev/null", NULL, &d), -ENODEV);
	cr_assert_eq(rl_nvme_resolve("/dev/null", out, sizeof(out)), -ENODEV);
	cr_assert_eq(rl_nvme_resolve("/nonexistent", out, sizeof(out)), -ENOENT);
	cr_assert_null(d);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
}

Test(nvme_cmd, fua_write_sets_cdw12_bit_30)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 8 * 4096);
	struct io_uring_sqe *sqe;
	int idx;

	fake_open(&f, 4096, 1ull << 40, 1 << 20);
	idx = rl_engine_register_buffer(f.e, buf, 8 * 4096);
	cr_assert_geq(idx, 0);
	/* Byte offset 5 blocks past 4 GiB blocks, 2 blocks, from the registered buffer by index. */
	cr_assert_eq(rl_target_write_flags(&f.d.t, buf, 8192, 0x100000005ull * 4096, idx, RL_IO_FUA,
					   done_cb, &d),
		     0, "%s", rl_engine_last_error(f.e));
	sqe = last_sqe(f.e);
	cr_assert_eq(cmd_of(sqe)->opcode, 0x01, "a Write");
	cr_assert_eq(cmd_of(sqe)->cdw10, 5);
	cr_assert_eq(cmd_of(sqe)->cdw11, 1);
	cr_assert_eq(cmd_of(sqe)->cdw12, (1u << 30) | 1, "FUA (bit 30) and NLB 1 (0's based)");
	cr_assert_eq(cmd_of(sqe)->data_len, 8192);
	cr_assert_eq(sqe->uring_cmd_flags, IORING_URING_CMD_FIXED);
	cr_assert_eq(sqe->buf_index, idx);
	/* Flags 0 is a plain write; -1 finds the buffer by address. */
	cr_assert_eq(rl_target_write_flags(&f.d.t, buf, 4096, 0, -1, 0, done_cb, &d), 0);
	cr_assert_eq(cmd_of(last_sqe(f.e))->cdw12, 0, "no FUA without RL_IO_FUA");
	cr_assert_eq(last_sqe(f.e)->uring_cmd_flags, IORING_URING_CMD_FIXED);
	/* Unknown flags and bad ranges are refused before anything is queued. */
	cr_assert_eq(rl_target_write_flags(&f.d.t, buf, 4096, 0, -1, 2, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(f.e), "unknown write flags 0x2"), "%s",
		  rl_engine_last_error(f.e));
	cr_assert_eq(rl_target_write_flags(&f.d.t, buf, 100, 0, -1, RL_IO_FUA, done_cb, &d),
		     -EINVAL);
	cr_assert(strstr(rl_engine_last_error(f.e), "LBA size"), "%s", rl_engine_last_error(f.e));
	cr_assert_eq(rl_target_inflight(&f.d.t), 2);
	fake_close(&f);
	rl_free_aligned(buf);
}
