// SPDX-License-Identifier: MIT
/*
 * What the tool opens and how: anything but a regular file, block device or NVMe namespace is
 * refused before open() can wait on it (a FIFO, however it is named); --raw means something only
 * on NVMe; a block device is opened exclusively for writing, so one in use (mounted) is refused
 * unless --force.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cli_helpers.h"

TestSuite(cli_targets, .init = skip_unless_io_uring);

/*
 * Scratch made by a test, undone by its .fini even when an assertion ends the test early: a
 * directory with a FIFO or a socket in it, a loop device, a mount.
 */
static struct {
	char dir[64];  /* holds name */
	char name[96]; /* the FIFO or socket in dir */
	char img[64];
	char dev[64];
	char mnt[64];
	char in[64]; /* a file for stdin */
	int held;    /* an O_EXCL descriptor of dev, or 0 */
} scratch;

static void scratch_fini(void)
{
	char cmd[128];

	if (scratch.name[0])
		unlink(scratch.name);
	if (scratch.dir[0])
		rmdir(scratch.dir);
	if (scratch.held > 0)
		close(scratch.held);
	if (scratch.mnt[0] && umount(scratch.mnt) == 0)
		rmdir(scratch.mnt);
	if (scratch.dev[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", scratch.dev);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot detach %s\n", scratch.dev);
	}
	if (scratch.img[0])
		unlink(scratch.img);
	if (scratch.in[0])
		unlink(scratch.in);
	memset(&scratch, 0, sizeof(scratch));
}

/* A path @name in a new scratch directory. */
static const char *scratch_path(const char *name)
{
	snprintf(scratch.dir, sizeof(scratch.dir), "/var/tmp/rl-cli.XXXXXX");
	cr_assert_not_null(mkdtemp(scratch.dir));
	snprintf(scratch.name, sizeof(scratch.name), "%s/%s", scratch.dir, name);
	return scratch.name;
}

/* A FIFO nobody writes to: opening it for reading would wait forever. */
static const char *make_fifo(const char *name)
{
	const char *path = scratch_path(name);

	cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo %s: %s", path, strerror(errno));
	return path;
}

Test(cli_targets, a_fifo_is_refused_before_open_can_wait, .fini = scratch_fini)
{
	static struct run r;
	const char *fifo = make_fifo("fifo");
	/* A hang is a failure (SIGALRM), not a stuck test. */
	struct cli_opts o = {.timeout_s = 10};

	CLI_WITH(&r, &o, "read", fifo, "0", "4096");
	expect_error(&r, 1, "is a FIFO (named pipe), not a regular file or block device");
	CLI_WITH(&r, &o, "bench", fifo, "--count", "1");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "lat", fifo, "--count", "1");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "bench", fifo, "--rw", "randwrite", "--count", "1");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "write", fifo, "0");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "zeroes", fifo, "0", "4096");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "trim", fifo, "0", "4096");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "flush", fifo);
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "serve", "--listen", "127.0.0.1:0", fifo);
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "identify", fifo);
	expect_error(&r, 1, "not an NVMe namespace");
	CLI_WITH(&r, &o, "health", fifo);
	expect_error(&r, 1, "not an NVMe namespace");
}

/* Named as an NVMe generic device, a FIFO is still no NVMe device, and still never waited on. */
Test(cli_targets, a_fifo_named_like_a_namespace_is_refused, .fini = scratch_fini)
{
	static struct run r;
	const char *fifo = make_fifo("ng0n1");
	struct cli_opts o = {.timeout_s = 10};

	CLI_WITH(&r, &o, "read", fifo, "0", "4096");
	expect_error(&r, 1, "is a FIFO");
	CLI_WITH(&r, &o, "bench", fifo, "--passthrough", "--count", "1");
	expect_error(&r, 1, "not an NVMe namespace");
	CLI_WITH(&r, &o, "read", fifo, "0", "4096", "--passthrough");
	expect_error(&r, 1, "not an NVMe namespace");
	CLI_WITH(&r, &o, "identify", fifo);
	expect_error(&r, 1, "not an NVMe namespace");
	CLI_WITH(&r, &o, "serve", "--listen", "127.0.0.1:0", fifo);
	expect_error(&r, 1, "is a FIFO");
}

/* Other things that are no file or block device: a socket, a character device. */
Test(cli_targets, a_socket_or_character_device_is_refused, .fini = scratch_fini)
{
	static struct run r;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", scratch_path("sock"));
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CLI_WITH(&r, &(struct cli_opts){.timeout_s = 10}, "read", sa.sun_path, "0", "4096");
	expect_error(&r, 1, "is a socket");
	CLI_WITH(&r, &(struct cli_opts){.timeout_s = 10}, "read", "/dev/zero", "0", "4096");
	expect_error(&r, 1, "not an NVMe namespace");
	close(s);
}

/* --raw leaves the range check to an NVMe device; a file has none, so it is refused there. */
Test(cli_targets, raw_is_refused_on_a_file)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 0x5a);
	char *in = make_file("/var/tmp", 4096, 0);
	struct cli_opts o = {.in = in};
	struct stat st;

	CLI_WITH(&r, &o, "write", path, "1t", "--raw");
	expect_error(&r, 2, "--raw applies to NVMe namespaces only");
	CLI_WITH(&r, &o, "write", path, "0", "--raw");
	expect_error(&r, 2, "--raw applies to NVMe namespaces only");
	CLI(&r, "zeroes", path, "2m", "1m", "--raw");
	expect_error(&r, 2, "--raw applies to NVMe namespaces only");
	CLI(&r, "trim", path, "0", "4096", "--raw");
	expect_error(&r, 2, "--raw applies to NVMe namespaces only");
	CLI(&r, "read", path, "0", "4096", "--raw");
	expect_error(&r, 2, "--raw applies to NVMe namespaces only");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 1 << 20, "the file grew to %lld bytes", (long long)st.st_size);
	cr_assert_leq(st.st_blocks * 512, 1 << 20, "blocks were allocated past the end");
	unlink(path);
	unlink(in);
	free(path);
	free(in);
}

/* A loop device over a new ext4 image of 16 MiB in scratch; mounted when @mount_it. */
static void loop_setup(bool mount_it)
{
	char cmd[256], *img;
	FILE *p;

	if (!is_root())
		cr_skip_test("a loop device and a mount need root");
	img = make_file("/var/tmp", 16 << 20, 0);
	snprintf(scratch.img, sizeof(scratch.img), "%s", img);
	free(img);
	snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F %s >/dev/null 2>&1", scratch.img);
	if (system(cmd) != 0)
		cr_skip_test("mkfs.ext4 failed (e2fsprogs missing?)");
	snprintf(cmd, sizeof(cmd), "losetup --find --show --direct-io=on %s 2>/dev/null",
		 scratch.img);
	p = popen(cmd, "r");
	if (!p || !fgets(scratch.dev, sizeof(scratch.dev), p) || pclose(p) != 0) {
		scratch.dev[0] = 0;
		cr_skip_test("no loop device available");
	}
	scratch.dev[strcspn(scratch.dev, "\n")] = 0;
	if (!mount_it)
		return;
	snprintf(scratch.mnt, sizeof(scratch.mnt), "/tmp/rl-mnt.XXXXXX");
	cr_assert_not_null(mkdtemp(scratch.mnt));
	if (mount(scratch.dev, scratch.mnt, "ext4", 0, NULL)) {
		int err = errno;

		rmdir(scratch.mnt);
		scratch.mnt[0] = 0;
		cr_skip_test("cannot mount ext4 on %s: %s", scratch.dev, strerror(err));
	}
}

/* Bytes at @off of the device, through the page cache the mounted file system shares. */
static int first_byte_at(const char *dev, off_t off)
{
	unsigned char b = 0;
	int fd = open(dev, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &b, 1, off), 1);
	close(fd);
	return b;
}

#define TAIL (15 << 20) /* past what ext4 uses of 16 MiB when nothing is stored in it */

Test(cli_targets, a_mounted_block_device_is_not_written_without_force, .fini = scratch_fini)
{
	static struct run r;
	const char *dev = scratch.dev;
	struct cli_opts o = {.in = scratch.in, .timeout_s = 30};
	char off[32], *in;

	loop_setup(true);
	in = make_file("/var/tmp", 4096, 0xab);
	snprintf(scratch.in, sizeof(scratch.in), "%s", in);
	free(in);
	snprintf(off, sizeof(off), "%d", TAIL);
	CLI_WITH(&r, &o, "write", dev, off);
	expect_error(&r, 1, "in use");
	cr_assert(strstr(r.err, dev) && strstr(r.err, "--force"), "%s", r.err);
	cr_assert_neq(first_byte_at(dev, TAIL), 0xab, "the refused write landed");
	CLI(&r, "bench", dev, "--rw", "randwrite", "--count", "16");
	expect_error(&r, 1, "in use (a mounted file system, or another program holds it)");
	CLI(&r, "lat", dev, "--rw", "write", "--count", "16");
	expect_error(&r, 1, "--force writes anyway");
	CLI(&r, "zeroes", dev, off, "4096");
	expect_error(&r, 1, "in use");
	CLI(&r, "trim", dev, off, "4096");
	expect_error(&r, 1, "in use");

	/* Reads need no exclusive open. */
	CLI(&r, "read", dev, "0", "4096");
	cr_assert_eq(r.status, 0, "%s", r.err);
	CLI(&r, "bench", dev, "--count", "64", "--json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	CLI(&r, "flush", dev);
	cr_assert_eq(r.status, 0, "%s", r.err);

	/* --force writes anyway (where the file system keeps nothing). */
	CLI_WITH(&r, &o, "write", dev, off, "--force");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(first_byte_at(dev, TAIL), 0xab, "the forced write did not land");
}

/* Held exclusively by another opener (here the test): refused; --force writes; free: written. */
Test(cli_targets, a_held_block_device_is_written_only_with_force, .fini = scratch_fini)
{
	static struct run r;
	const char *dev = scratch.dev;

	loop_setup(false);
	scratch.held = open(dev, O_RDONLY | O_EXCL);
	cr_assert_gt(scratch.held, 0, "open %s O_EXCL: %s", dev, strerror(errno));
	CLI(&r, "bench", dev, "--rw", "randwrite", "--count", "16");
	expect_error(&r, 1, "in use");
	CLI(&r, "bench", dev, "--rw", "randwrite", "--count", "16", "--force", "--json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	close(scratch.held);
	scratch.held = 0;
	CLI(&r, "bench", dev, "--rw", "randwrite", "--count", "16", "--json");
	cr_assert_eq(r.status, 0, "%s", r.err);
	CLI(&r, "zeroes", dev, "0", "1m");
	cr_assert_eq(r.status, 0, "%s", r.err);
}
