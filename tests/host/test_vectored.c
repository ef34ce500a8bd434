// SPDX-License-Identifier: MIT
/*
 * Vectored I/O: rl_file_writev()/rl_file_readv() and rl_target_readv()/rl_target_writev() move
 * the bytes of every segment in order (checked with an independent pread), refuse misaligned
 * segments before submission, and reach NVMe as NVME_URING_CMD_IO_VEC.
 */
#include <limits.h>

#include "helpers.h"
#include "internal_helpers.h"
#include "nvme/nvme_private.h"

TestSuite(vectored, .init = skip_unless_io_uring);

#define SEG 4096

Test(vectored, file_writev_readv_round_trip)
{
	struct rl_engine *e = engine_new(16);
	unsigned char *w = rl_alloc_aligned(4096, 3 * SEG), *r = rl_alloc_aligned(4096, 3 * SEG);
	char *path = make_file("/var/tmp", 1 << 20, 0);
	unsigned char *disk;
	struct rl_file *f;
	struct done dw = {0}, dr = {0};
	/* Segments out of memory order, so a write that ignored the iovec would show. */
	struct iovec wv[2] = {{w + 2 * SEG, SEG}, {w, 2 * SEG}};
	struct iovec rv[3] = {{r + SEG, SEG}, {r + 2 * SEG, SEG}, {r, SEG}};

	for (int i = 0; i < 3 * SEG; i++)
		w[i] = (unsigned char)(i * 7 + i / SEG);
	memset(r, 0, 3 * SEG);
	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_writev(f, wv, 2, 8192, done_cb, &dw), 0, "%s",
		     rl_engine_last_error(e));
	drain(e);
	cr_assert_eq(dw.res, 3 * SEG);

	disk = pread_all(path, 3 * SEG, 8192);
	cr_assert_eq(memcmp(disk, w + 2 * SEG, SEG), 0, "first segment not first on disk");
	cr_assert_eq(memcmp(disk + SEG, w, 2 * SEG), 0, "second segment misplaced on disk");
	free(disk);

	cr_assert_eq(rl_target_readv(rl_file_target(f), rv, 3, 8192, done_cb, &dr), 0, "%s",
		     rl_engine_last_error(e));
	drain(e);
	cr_assert_eq(dr.res, 3 * SEG);
	/* Disk order is w[2], w[0], w[1]; read segments land in r[1], r[2], r[0]. */
	cr_assert_eq(memcmp(r + SEG, w + 2 * SEG, SEG), 0);
	cr_assert_eq(memcmp(r + 2 * SEG, w, SEG), 0);
	cr_assert_eq(memcmp(r, w + SEG, SEG), 0);

	struct rl_op_stats st;
	rl_target_stats(rl_file_target(f), RL_OP_READ, &st);
	cr_assert_eq(st.bytes, 3 * SEG);
	cr_assert_eq(rl_file_close(f), 0);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
	rl_free_aligned(w);
	rl_free_aligned(r);
}

Test(vectored, misaligned_segments_are_refused)
{
	struct rl_engine *e = engine_new(16);
	unsigned char *b = rl_alloc_aligned(4096, 4 * SEG);
	char *path = make_file("/var/tmp", 1 << 20, 0);
	struct rl_file *f;
	struct done d = {0};
	uint32_t a;

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0, "%s", rl_engine_last_error(e));
	a = rl_file_offset_align(f);

	struct iovec bad_len[2] = {{b, SEG}, {b + SEG, a / 2}};
	cr_assert_eq(rl_file_readv(f, bad_len, 2, 0, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "iovec 1: length"), "%s",
		  rl_engine_last_error(e));

	struct iovec bad_addr[1] = {{b + 1, SEG}};
	if (rl_file_mem_align(f) > 1) {
		cr_assert_eq(rl_file_writev(f, bad_addr, 1, 0, done_cb, &d), -EINVAL);
		cr_assert(strstr(rl_engine_last_error(e), "iovec 0: buffer address"), "%s",
			  rl_engine_last_error(e));
	}

	struct iovec ok[1] = {{b, SEG}};
	cr_assert_eq(rl_file_readv(f, ok, 0, 0, done_cb, &d), -EINVAL);
	cr_assert_eq(rl_file_readv(f, ok, IOV_MAX + 1, 0, done_cb, &d), -EINVAL);
	cr_assert_eq(rl_file_readv(f, ok, 1, a / 2, done_cb, &d), -EINVAL, "misaligned offset");
	cr_assert_eq(rl_engine_inflight(e), 0, "a refused command was submitted");
	cr_assert_eq(d.calls, 0);

	cr_assert_eq(rl_file_close(f), 0);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
	rl_free_aligned(b);
}

/* An NVMe target that is not there (as in test_nvme_cmd.c): the SQE is inspected. */
Test(vectored, nvme_target_writev_is_io_vec)
{
	struct rl_engine *e = engine_new(16);
	struct rl_nvme_dev d;
	struct done dn = {0};
	unsigned char *b = rl_alloc_aligned(4096, 2 * SEG);
	struct iovec v[2] = {{b, SEG}, {b + SEG, SEG}};
	struct io_uring_sqe *sqe;
	const struct nvme_uring_cmd *c;
	int fd = open("/dev/zero", O_RDWR);

	cr_assert(rl_engine_features(e) & RL_FEAT_SQE128, "no SQE128 on this kernel");
	memset(&d, 0, sizeof(d));
	cr_assert_eq(rl__nvme_attach(&d, e, "/dev/ng9n1", fd, false), 0);
	d.info = (struct rl_nvme_info){.nsid = 1,
				       .lba_size = 512,
				       .nsze = 1 << 20,
				       .capacity_bytes = 512ull << 20,
				       .max_transfer = 1 << 20};
	rl__nvme_set_limits(&d);

	cr_assert_eq(rl_target_writev(&d.t, v, 2, 4096, done_cb, &dn), 0, "%s",
		     rl_engine_last_error(e));
	sqe = last_sqe(e);
	c = (const struct nvme_uring_cmd *)sqe->cmd;
	cr_assert_eq(sqe->cmd_op, NVME_URING_CMD_IO_VEC);
	cr_assert_eq(c->opcode, 0x01, "Write");
	cr_assert_eq(c->addr, (uintptr_t)v);
	cr_assert_eq(c->data_len, 2, "IO_VEC: data_len is the iovec count");
	cr_assert_eq(c->cdw10, 8, "SLBA: byte 4096 / 512");
	cr_assert_eq(c->cdw12, 15, "16 blocks, 0's based");

	/* A total that is not whole LBAs is refused before submission. */
	v[1].iov_len = 100;
	cr_assert_eq(rl_target_readv(&d.t, v, 2, 0, done_cb, &dn), -EINVAL);
	drain(e);
	cr_assert_eq(dn.calls, 1);
	cr_assert_eq(rl_target_inflight(&d.t), 0);
	rl__nvme_detach(&d);
	rl_engine_destroy(e);
	rl_free_aligned(b);
}
