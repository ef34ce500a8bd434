// SPDX-License-Identifier: MIT
/*
 * NVMe passthrough on a real kernel driver: run inside the emulated-NVMe guest
 * (tests/vm/nvme-vm), whose controller has a namespace with 512-byte LBAs and one with
 * 4096-byte LBAs. Every test skips with a reason where those are absent.
 */
#include <libnvme.h>

#include "helpers.h"

/* [0]: the namespace with 512-byte LBAs, [1]: 4096-byte; as /dev/ngXnY and /dev/nvmeXnY. */
static char ns_paths[2][32], blk_paths[2][32];

/*
 * Find the namespaces by LBA size, not by name: kernels since 6.8 scan namespaces in parallel,
 * so ng0n1 is not always nsid 1.
 */
static void need_devices(void)
{
	for (int n = 1; n <= 2; n++) {
		char sys[64];
		unsigned lba = 0;
		FILE *f;

		snprintf(sys, sizeof(sys), "/sys/block/nvme0n%d/queue/logical_block_size", n);
		f = fopen(sys, "r");
		if (!f || fscanf(f, "%u", &lba) != 1 || (lba != 512 && lba != 4096))
			cr_skip_test("no nvme0n%d with 512- or 4096-byte LBAs: run inside "
				     "tests/vm/nvme-vm",
				     n);
		fclose(f);
		snprintf(ns_paths[lba == 4096], sizeof(ns_paths[0]), "/dev/ng0n%d", n);
		snprintf(blk_paths[lba == 4096], sizeof(blk_paths[0]), "/dev/nvme0n%d", n);
	}
	if (!ns_paths[0][0] || !ns_paths[1][0])
		cr_skip_test("the guest needs one 512-byte and one 4096-byte namespace");
}

static struct rl_nvme_dev *open_ns(struct rl_engine *e, int i, unsigned flags)
{
	struct rl_nvme_opts o = {.opts_size = sizeof(o), .flags = flags};
	struct rl_nvme_dev *d;

	cr_assert_eq(rl_nvme_open(e, ns_paths[i], &o, &d), 0, "%s", rl_engine_last_error(e));
	return d;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 11));
}

/* Run one command to completion and return its res. */
static int wait_res(struct rl_engine *e, int ret, struct done *d)
{
	cr_assert_eq(ret, 0, "refused: %s", rl_engine_last_error(e));
	drain(e);
	cr_assert_eq(d->calls, 1);
	d->calls = 0;
	return d->res;
}

/* The block device of a namespace, read or written with plain O_DIRECT syscalls. */
static void blk_io(int i, int write, void *buf, size_t len, off_t off)
{
	const char *path = blk_paths[i];
	int fd;

	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	if (write)
		cr_assert_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	else
		cr_assert_eq(pread(fd, buf, len, off), (ssize_t)len);
	if (write)
		cr_assert_eq(fsync(fd), 0);
	close(fd);
}

Test(nvme_dev, passthrough_and_block_device_agree)
{
	need_devices();
	struct rl_engine *e = engine_new(32);
	unsigned char *w = rl_alloc_aligned(4096, 65536), *r = rl_alloc_aligned(4096, 65536);
	struct done d = {0};

	for (int i = 0; i < 2; i++) {
		struct rl_nvme_dev *dev = open_ns(e, i, 0);
		uint32_t lba = rl_nvme_info(dev)->lba_size, nlb = 65536 / lba;
		uint64_t slba = 1000;

		cr_assert_eq(lba, i ? 4096 : 512);
		/* passthrough write -> passthrough read and block-device read */
		fill(w, 65536, 1 + i);
		cr_assert_eq(wait_res(e, rl_nvme_write(dev, w, slba, nlb, done_cb, &d), &d), 0);
		memset(r, 0, 65536);
		cr_assert_eq(wait_res(e, rl_nvme_read(dev, r, slba, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(memcmp(r, w, 65536), 0, "%s: passthrough read differs", ns_paths[i]);
		memset(r, 0, 65536);
		blk_io(i, 0, r, 65536, (off_t)(slba * lba));
		cr_assert_eq(memcmp(r, w, 65536), 0, "%s: block device read differs", ns_paths[i]);
		/* block-device write -> passthrough read */
		fill(w, 65536, 9 + i);
		blk_io(i, 1, w, 65536, (off_t)(slba * lba));
		memset(r, 0, 65536);
		cr_assert_eq(wait_res(e, rl_nvme_read(dev, r, slba, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(memcmp(r, w, 65536), 0, "%s: passthrough misses a block write",
			     ns_paths[i]);
		rl_nvme_close(dev);
	}
	rl_engine_destroy(e);
	rl_free_aligned(w);
	rl_free_aligned(r);
}

Test(nvme_dev, zeroes_deallocate_flush_compare)
{
	need_devices();
	struct rl_engine *e = engine_new(32);
	unsigned char *w = rl_alloc_aligned(4096, 32768), *r = rl_alloc_aligned(4096, 32768);
	struct done d = {0};

	for (int i = 0; i < 2; i++) {
		struct rl_nvme_dev *dev = open_ns(e, i, 0);
		const struct rl_nvme_info *in = rl_nvme_info(dev);
		uint32_t nlb = 32768 / in->lba_size;
		int res;

		fill(w, 32768, 3);
		cr_assert_eq(wait_res(e, rl_nvme_write(dev, w, 64, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(wait_res(e, rl_nvme_write_zeroes(dev, 64, nlb, done_cb, &d), &d), 0);
		memset(r, 0xaa, 32768);
		cr_assert_eq(wait_res(e, rl_nvme_read(dev, r, 64, nlb, done_cb, &d), &d), 0);
		for (size_t k = 0; k < 32768; k++)
			cr_assert_eq(r[k], 0, "%s: byte %zu not zero after Write Zeroes",
				     ns_paths[i], k);

		/* Deallocated blocks read as DLFEAT says: 1 zeroes, 2 ones, else unspecified. */
		cr_assert_eq(wait_res(e, rl_nvme_write(dev, w, 64, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(wait_res(e, rl_nvme_deallocate(dev, 64, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(wait_res(e, rl_nvme_read(dev, r, 64, nlb, done_cb, &d), &d), 0);
		if ((in->dlfeat & 7) == 1 || (in->dlfeat & 7) == 2)
			for (size_t k = 0; k < 32768; k++)
				cr_assert_eq(r[k], (in->dlfeat & 7) == 1 ? 0 : 0xff,
					     "%s: deallocated byte %zu is %#x (DLFEAT %#x)",
					     ns_paths[i], k, r[k], in->dlfeat);

		cr_assert_eq(wait_res(e, rl_nvme_flush(dev, done_cb, &d), &d), 0);

		cr_assert_eq(wait_res(e, rl_nvme_write(dev, w, 64, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(wait_res(e, rl_nvme_compare(dev, w, 64, nlb, done_cb, &d), &d), 0,
			     "compare of equal data failed");
		w[100] ^= 1;
		res = wait_res(e, rl_nvme_compare(dev, w, 64, nlb, done_cb, &d), &d);
		cr_assert_gt(res, 0, "compare of different data: res %d", res);
		cr_assert_eq(RL_NVME_SCT(res), 2);
		cr_assert_eq(RL_NVME_SC(res), 0x85, "status %#x is not Compare Failure", res);
		rl_nvme_close(dev);
	}
	rl_engine_destroy(e);
	rl_free_aligned(w);
	rl_free_aligned(r);
}

Test(nvme_dev, out_of_range_and_misfit_sizes)
{
	need_devices();
	struct rl_engine *e = engine_new(32);
	unsigned char *buf = rl_alloc_aligned(4096, 8192);
	struct done d = {0};
	struct rl_nvme_dev *raw = open_ns(e, 0, RL_NVME_RAW), *ns4k = open_ns(e, 1, 0);
	uint64_t nsze = rl_nvme_info(raw)->nsze;
	char why[96];
	int res;

	/* The device itself answers a read past the end: LBA Out of Range, never an errno. */
	res = wait_res(e, rl_nvme_read(raw, buf, nsze, 1, done_cb, &d), &d);
	cr_assert_eq(res & 0x7ff, RL_NVME_STATUS_LBA_RANGE, "status %#x", res);
	cr_assert(strstr(rl_nvme_status_str(res, why, sizeof(why)), "LBA Out of Range"), "%s", why);
	/* A 512-byte I/O on the 4096-byte namespace is refused before submission. */
	cr_assert_eq(rl_target_read(rl_nvme_target(ns4k), buf, 512, 0, done_cb, &d), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "LBA size 4096"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_engine_inflight(e), 0);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
}

Test(nvme_dev, registered_and_vectored_paths_move_data)
{
	need_devices();
	struct rl_engine *e = engine_new(32);
	unsigned char *w = rl_alloc_aligned(4096, 65536), *r = rl_alloc_aligned(4096, 65536);
	struct done d = {0};

	cr_assert_geq(rl_engine_register_buffer(e, w, 65536), 0);
	cr_assert_geq(rl_engine_register_buffer(e, r, 65536), 0);
	for (int i = 0; i < 2; i++) {
		struct rl_nvme_dev *dev = open_ns(e, i, 0);
		uint32_t nlb = 65536 / rl_nvme_info(dev)->lba_size;
		struct iovec wv[3] = {{w, 4096}, {w + 4096, 28672}, {w + 32768, 32768}};
		struct iovec rv[2] = {{r, 32768}, {r + 32768, 32768}};

		fill(w, 65536, 20 + i);
		memset(r, 0, 65536);
		/* registered buffers (IORING_URING_CMD_FIXED) */
		cr_assert_eq(wait_res(e, rl_nvme_write(dev, w, 2048, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(wait_res(e, rl_nvme_read(dev, r, 2048, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(memcmp(r, w, 65536), 0, "registered-buffer data differs");
		/* vectored (NVME_URING_CMD_IO_VEC) */
		fill(w, 65536, 40 + i);
		memset(r, 0, 65536);
		cr_assert_eq(wait_res(e, rl_nvme_writev(dev, wv, 3, 4096, nlb, done_cb, &d), &d),
			     0);
		cr_assert_eq(wait_res(e, rl_nvme_readv(dev, rv, 2, 4096, nlb, done_cb, &d), &d), 0);
		cr_assert_eq(memcmp(r, w, 65536), 0, "vectored data differs");
		rl_nvme_close(dev);
	}
	rl_engine_destroy(e);
	rl_free_aligned(w);
	rl_free_aligned(r);
}

Test(nvme_dev, polled_path_moves_data)
{
	need_devices();
	struct rl_engine_opts o;
	struct rl_engine *e;
	unsigned char *w = rl_alloc_aligned(4096, 65536), *r = rl_alloc_aligned(4096, 65536);
	struct done d[16] = {0};
	FILE *pq = fopen("/sys/module/nvme/parameters/poll_queues", "r");
	struct rl_file_opts fo = {.opts_size = sizeof(fo),
				  .flags = RL_FILE_POLLED | RL_FILE_RDONLY};
	struct rl_file *bf;
	int queues = 0;

	if (!pq || fscanf(pq, "%d", &queues) != 1 || queues < 1)
		cr_skip_test("the nvme driver has no poll queues (nvme poll_queues=N)");
	fclose(pq);
	rl_engine_opts_init(&o);
	o.iopoll = true;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	cr_assert(rl_engine_features(e) & RL_FEAT_IOPOLL, "%s",
		  rl_engine_feature_note(e, RL_FEAT_IOPOLL));
	cr_assert_geq(rl_engine_register_buffer(e, r, 65536), 0);
	for (int i = 0; i < 2; i++) {
		struct rl_nvme_dev *dev = open_ns(e, i, RL_NVME_POLLED);
		uint32_t lba = rl_nvme_info(dev)->lba_size, nlb = 4096 / lba;

		fill(w, 65536, 60 + i);
		memset(r, 0, 65536);
		/* 16 commands in flight at once, reaped by polling */
		for (int k = 0; k < 16; k++)
			cr_assert_eq(
			    rl_nvme_write(dev, w + k * 4096, 8192 + k * nlb, nlb, done_cb, &d[k]),
			    0);
		drain(e);
		for (int k = 0; k < 16; k++) {
			cr_assert_eq(d[k].res, 0, "polled write %d: %d", k, d[k].res);
			cr_assert_eq(
			    rl_nvme_read(dev, r + k * 4096, 8192 + k * nlb, nlb, done_cb, &d[k]),
			    0);
		}
		drain(e);
		for (int k = 0; k < 16; k++)
			cr_assert_eq(d[k].res, 0);
		cr_assert_eq(memcmp(r, w, 65536), 0, "polled data differs");
		/* An admin command on a polled device goes through the interrupt ring. */
		cr_assert_eq(rl_nvme_identify(dev, 1, 0, w, done_cb, &d[0]), 0);
		drain(e);
		cr_assert_eq(d[0].res, 0);
		rl_nvme_close(dev);
		/* The block device, polled O_DIRECT (RL_FILE_POLLED), reads what was written. */
		fill(w, 65536, 60 + i);
		memset(r, 0, 65536);
		cr_assert_eq(rl_file_open(e, blk_paths[i], &fo, &bf), 0, "%s",
			     rl_engine_last_error(e));
		for (int k = 0; k < 16; k++)
			cr_assert_eq(rl_file_read(bf, r + k * 4096, 4096, (8192 + k * nlb) * lba,
						  done_cb, &d[k]),
				     0, "%s", rl_engine_last_error(e));
		drain(e);
		for (int k = 0; k < 16; k++)
			cr_assert_eq(d[k].res, 4096, "polled O_DIRECT read %d: %d", k, d[k].res);
		cr_assert_eq(memcmp(r, w, 65536), 0, "polled O_DIRECT data differs");
		rl_file_close(bf);
	}
	rl_engine_destroy(e);
	rl_free_aligned(w);
	rl_free_aligned(r);
}

Test(nvme_dev, slab_exhaustion_and_close_in_flight)
{
	need_devices();
	struct rl_engine *e = engine_new(8);
	unsigned char *buf = rl_alloc_aligned(4096, 9 * 4096);
	struct rl_nvme_dev *dev = open_ns(e, 1, 0);
	struct done d[9] = {0};

	for (int k = 0; k < 8; k++)
		cr_assert_eq(rl_nvme_read(dev, buf + k * 4096, k, 1, done_cb, &d[k]), 0);
	cr_assert_eq(rl_nvme_read(dev, buf + 8 * 4096, 8, 1, done_cb, &d[8]), -EBUSY);
	rl_engine_submit(e);
	cr_assert_eq(rl_nvme_close(dev), -EBUSY, "closed with commands in flight");
	drain(e);
	for (int k = 0; k < 8; k++)
		cr_assert_eq(d[k].res, 0);
	cr_assert_eq(d[8].calls, 0);
	cr_assert_eq(rl_nvme_read(dev, buf + 8 * 4096, 8, 1, done_cb, &d[8]), 0, "no recovery");
	drain(e);
	cr_assert_eq(d[8].res, 0);
	cr_assert_eq(rl_nvme_close(dev), 0);

	/* Destroying the engine with passthrough commands in flight reaps every one. */
	dev = open_ns(e, 0, 0);
	for (int k = 0; k < 8; k++) {
		d[k].calls = 0;
		cr_assert_eq(rl_nvme_read(dev, buf + k * 4096, k * 8, 8, done_cb, &d[k]), 0);
	}
	rl_engine_submit(e);
	rl_engine_destroy(e);
	for (int k = 0; k < 8; k++)
		cr_assert_eq(d[k].calls, 1, "command %d: %d callbacks", k, d[k].calls);
	rl_free_aligned(buf);
}

Test(nvme_dev, admin_identify_on_the_ring_matches_libnvme)
{
	need_devices();
	struct rl_engine *e = engine_new(8);
	struct rl_nvme_dev *dev = open_ns(e, 1, 0);
	struct nvme_id_ctrl *ring_ctrl = rl_alloc_aligned(4096, 4096);
	struct nvme_id_ctrl ioctl_ctrl;
	struct done d = {0};
	int fd = open(ns_paths[1], O_RDONLY);

	cr_assert_eq(
	    wait_res(e, rl_nvme_identify(dev, NVME_IDENTIFY_CNS_CTRL, 0, ring_ctrl, done_cb, &d),
		     &d),
	    0);
	cr_assert_eq(nvme_identify_ctrl(fd, &ioctl_ctrl), 0);
	cr_assert_eq(memcmp(ring_ctrl->sn, ioctl_ctrl.sn, sizeof(ioctl_ctrl.sn)), 0);
	cr_assert_eq(memcmp(ring_ctrl->mn, ioctl_ctrl.mn, sizeof(ioctl_ctrl.mn)), 0);
	cr_assert_eq(ring_ctrl->mdts, ioctl_ctrl.mdts);
	close(fd);
	rl_engine_destroy(e);
	rl_free_aligned(ring_ctrl);
}
