// SPDX-License-Identifier: MIT
/*
 * Direct I/O: write -> fsync -> read back, with the bytes compared both through ringline and
 * through an independent pread, on ext4, tmpfs and a loop device.
 */
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "helpers.h"

TestSuite(directio, .init = skip_unless_io_uring);

#define LEN (256 * 1024)

static void fill_pattern(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 31 + seed + (i >> 9));
}

/* Write a pattern at 4 KiB-aligned offsets, fsync/fdatasync, read back, compare. */
static void write_sync_read(const char *path, int registered)
{
	struct rl_engine *e = engine_new(64);
	unsigned char *wbuf = rl_alloc_aligned(4096, LEN), *rbuf = rl_alloc_aligned(4096, LEN);
	unsigned char *disk;
	struct rl_file *f;
	struct done w[4] = {0}, s[2] = {0}, r = {0};
	uint64_t off = 1 << 20;

	cr_assert_eq(rl_file_open(e, path, NULL, &f), 0, "%s", rl_engine_last_error(e));
	if (registered) {
		cr_assert_geq(rl_engine_register_buffer(e, wbuf, LEN), 0);
		cr_assert_geq(rl_engine_register_buffer(e, rbuf, LEN), 0);
	}
	fill_pattern(wbuf, LEN, (unsigned)registered + 1);
	memset(rbuf, 0, LEN);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(rl_file_write(f, wbuf + i * (LEN / 4), LEN / 4, off + i * (LEN / 4),
					   done_cb, &w[i]),
			     0, "%s", rl_engine_last_error(e));
	drain(e);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(w[i].res, LEN / 4, "write %d: %d", i, w[i].res);
	cr_assert_eq(rl_file_fsync(f, 0, done_cb, &s[0]), 0);
	cr_assert_eq(rl_file_fsync(f, 1, done_cb, &s[1]), 0);
	drain(e);
	cr_assert_eq(s[0].res, 0);
	cr_assert_eq(s[1].res, 0);
	cr_assert_eq(rl_file_read(f, rbuf, LEN, off, done_cb, &r), 0);
	drain(e);
	cr_assert_eq(r.res, LEN);
	cr_assert_eq(memcmp(rbuf, wbuf, LEN), 0, "ringline read back other bytes than written");

	struct rl_op_stats st;
	rl_target_stats(rl_file_target(f), RL_OP_WRITE, &st);
	cr_assert_eq(st.ops, 4);
	cr_assert_eq(st.bytes, LEN);
	cr_assert_eq(rl_hist_count(st.lat), 4);
	rl_target_stats(rl_file_target(f), RL_OP_FLUSH, &st);
	cr_assert_eq(st.ops, 2);
	cr_assert_eq(rl_file_close(f), 0);
	rl_engine_destroy(e);

	disk = pread_all(path, LEN, (off_t)off);
	cr_assert_eq(memcmp(disk, wbuf, LEN), 0, "the bytes on %s differ from those written", path);
	free(disk);
	rl_free_aligned(wbuf);
	rl_free_aligned(rbuf);
}

/* A 4 MiB file in @dir holding zeroes. */
static char *scratch_in(const char *dir, long fs_magic)
{
	struct statfs sfs;

	cr_assert_eq(statfs(dir, &sfs), 0);
	if (sfs.f_type != fs_magic)
		return NULL;
	return make_file(dir, 4 << 20, 0);
}

static void run_on(const char *path)
{
	write_sync_read(path, 0);
	write_sync_read(path, 1);
}

/* ext4: /var/tmp when it is ext4, else a loop-mounted ext4 image (root only). */
Test(directio, ext4_write_fsync_read_back)
{
	char mnt[] = "/tmp/rl-ext4.XXXXXX", img[64], cmd[512];
	char *path = scratch_in("/var/tmp", EXT4_SUPER_MAGIC);

	if (!path) {
		if (!is_root())
			cr_skip_test("/var/tmp is not ext4 and mounting an ext4 image needs root");
		cr_assert_not_null(mkdtemp(mnt));
		snprintf(img, sizeof(img), "%s.img", mnt);
		snprintf(cmd, sizeof(cmd),
			 "truncate -s 64M %s && mkfs.ext4 -q %s && mount -o loop %s %s", img, img,
			 img, mnt);
		if (system(cmd) != 0)
			cr_skip_test("cannot make and mount an ext4 image (no loop devices?)");
		path = scratch_in(mnt, EXT4_SUPER_MAGIC);
	}
	run_on(path);
	unlink(path);
	free(path);
	if (mnt[strlen(mnt) - 1] != 'X') {
		umount(mnt);
		rmdir(mnt);
		unlink(img);
	}
}

Test(directio, tmpfs_write_fsync_read_back)
{
	char *path = scratch_in("/dev/shm", TMPFS_MAGIC);

	if (!path)
		cr_skip_test("/dev/shm is not a tmpfs");
	run_on(path);
	unlink(path);
	free(path);
}

Test(directio, loop_device_write_fsync_read_back)
{
	char *img, cmd[512], dev[64] = "";
	FILE *p;

	if (!is_root())
		cr_skip_test("attaching a loop device needs root");
	img = make_file("/var/tmp", 8 << 20, 0);
	snprintf(cmd, sizeof(cmd), "losetup --find --show --direct-io=on %s 2>/dev/null", img);
	p = popen(cmd, "r");
	if (!p || !fgets(dev, sizeof(dev), p) || pclose(p) != 0) {
		unlink(img);
		cr_skip_test("no loop device available");
	}
	dev[strcspn(dev, "\n")] = 0;
	run_on(dev);

	/* The block device's size and alignment come from the kernel, not the caller. */
	struct rl_engine *e = engine_new(8);
	struct rl_file *f;
	cr_assert_eq(rl_file_open(e, dev, NULL, &f), 0);
	cr_assert(rl_file_is_blockdev(f));
	cr_assert_eq(rl_file_size(f), 8 << 20);
	cr_assert_geq(rl_file_offset_align(f), 512);
	rl_engine_destroy(e);

	snprintf(cmd, sizeof(cmd), "losetup -d %s", dev);
	cr_assert_eq(system(cmd), 0);
	unlink(img);
	free(img);
}

Test(directio, create_and_size)
{
	struct rl_engine *e = engine_new(8);
	struct rl_file_opts o = {.opts_size = sizeof(o), .flags = RL_FILE_CREATE, .size = 1 << 20};
	char path[] = "/var/tmp/rl-create.XXXXXX";
	struct rl_file *f;
	struct stat st;

	close(mkstemp(path));
	unlink(path);
	cr_assert_eq(rl_file_open(e, path, &o, &f), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_size(f), 1 << 20);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 1 << 20);
	rl_engine_destroy(e);
	unlink(path);
}

Test(directio, open_refuses_directories_and_missing_files)
{
	struct rl_engine *e = engine_new(8);
	struct rl_file_opts ro = {.opts_size = sizeof(ro), .flags = RL_FILE_RDONLY};
	struct rl_file *f = NULL;

	cr_assert_eq(rl_file_open(e, "/nonexistent/file", NULL, &f), -ENOENT);
	cr_assert(strstr(rl_engine_last_error(e), "/nonexistent/file"));
	cr_assert_eq(rl_file_open(e, "/var/tmp", &ro, &f), -EISDIR);
	cr_assert(strstr(rl_engine_last_error(e), "is a directory"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_open(e, "/dev/null", NULL, &f), -EINVAL);
	cr_assert_null(f, "*out written on failure");
	rl_engine_destroy(e);
}

static struct rl_engine *iopoll_engine(void)
{
	struct rl_engine_opts o;
	struct rl_engine *e = NULL;

	rl_engine_opts_init(&o);
	o.iopoll = true;
	cr_assert_eq(rl_engine_create(&o, &e), 0);
	return e;
}

/*
 * RL_FILE_POLLED: an engine without the IOPOLL ring refuses the open; fdatasync and zero range
 * go to the interrupt ring (an IOPOLL ring would fail them with EINVAL) and succeed. A polled
 * read moves data where the device polls (the guest test on NVMe with poll queues); elsewhere
 * the kernel completes it by interrupt or fails it with EOPNOTSUPP, depending on its version.
 */
Test(directio, polled_file_syncs_on_the_interrupt_ring)
{
	struct rl_file_opts fo = {.opts_size = sizeof(fo), .flags = RL_FILE_POLLED};
	unsigned char *buf = rl_alloc_aligned(4096, 4096);
	char *path = make_file("/var/tmp", 1 << 20, 0x7e);
	struct rl_engine *e;
	struct rl_file *f;
	struct done d = {0}, s = {.res = 1}, z = {.res = 1};

	e = engine_new(8);
	cr_assert_eq(rl_file_open(e, path, &fo, &f), -EOPNOTSUPP);
	cr_assert(strstr(rl_engine_last_error(e), "iopoll"), "%s", rl_engine_last_error(e));
	rl_engine_destroy(e);

	e = iopoll_engine();
	if (!(rl_engine_features(e) & RL_FEAT_IOPOLL))
		cr_skip_test("no IOPOLL ring: %s", rl_engine_feature_note(e, RL_FEAT_IOPOLL));
	cr_assert_eq(rl_file_open(e, path, &fo, &f), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_fsync(f, 1, done_cb, &s), 0);
	cr_assert_eq(rl_file_write_zeroes(f, 0, 4096, done_cb, &z), 0);
	drain(e);
	cr_assert_eq(s.res, 0, "fdatasync of a polled file: %d", s.res);
	cr_assert_eq(z.res, 0, "zero range on a polled file: %d", z.res);
	cr_assert_eq(rl_file_read(f, buf, 4096, 8192, done_cb, &d), 0);
	drain(e);
	cr_assert(d.res == 4096 || d.res == -EOPNOTSUPP, "polled read: %d", d.res);
	if (d.res == 4096)
		cr_assert_eq(buf[0], 0x7e);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}
