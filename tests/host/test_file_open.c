// SPDX-License-Identifier: MIT
/*
 * What rl_file_open() and rl_target_open() refuse before open(2) can wait or do harm: a FIFO
 * (opening one for reading waits for a writer), a socket, a character device; and, with
 * RL_FILE_EXCL (RL_TARGET_EXCL), a block device in use when opened for writing.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "engine/internal.h"
#include "helpers.h"

TestSuite(file_open, .init = skip_unless_io_uring);

Test(file_open, a_fifo_is_refused_without_waiting)
{
	struct rl_engine *e = engine_new(8);
	struct rl_file_opts ro = {.opts_size = sizeof(ro), .flags = RL_FILE_RDONLY};
	char dir[] = "/var/tmp/rl-fifo.XXXXXX", path[64];
	struct rl_target *t;
	struct rl_file *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	alarm(10); /* a wait in open() is a failure, not a hung test */
	cr_assert_eq(rl_file_open(e, path, &ro, &f), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "is a FIFO"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_open(e, path, NULL, &f), -EINVAL);
	cr_assert_eq(rl_target_open(e, path, RL_TARGET_RDONLY, &t), -EINVAL);
	/* Named like an NVMe generic device, it is still refused, by the NVMe backend too. */
	snprintf(path, sizeof(path), "%s/ng0n1", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(rl_target_open(e, path, RL_TARGET_RDONLY, &t), -EINVAL);
	cr_assert_eq(rl_target_open(e, path, RL_TARGET_PASSTHROUGH, &t), -ENODEV);
	alarm(0);
	cr_assert_eq(rl_engine_files_in_use(e), 0);
	rl_engine_destroy(e);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	unlink(path);
	rmdir(dir);
}

Test(file_open, a_socket_or_character_device_is_refused)
{
	struct rl_engine *e = engine_new(8);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/var/tmp/rl-sock.XXXXXX";
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct rl_file *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(rl_file_open(e, sa.sun_path, NULL, &f), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "is a socket"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_open(e, "/dev/zero", NULL, &f), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "is a character device"), "%s",
		  rl_engine_last_error(e));
	rl_engine_destroy(e);
	close(s);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* The O_NONBLOCK that keeps open() from waiting is gone before any I/O. */
Test(file_open, a_regular_file_does_io_as_before)
{
	struct rl_engine *e = engine_new(8);
	char *path = make_file("/var/tmp", 64 << 10, 0x5a);
	struct rl_file_opts xo = {.opts_size = sizeof(xo), .flags = RL_FILE_EXCL};
	void *buf = rl_alloc_aligned(4096, 4096);
	struct done d = {0};
	struct rl_file *f;

	/* RL_FILE_EXCL changes nothing for a regular file. */
	cr_assert_eq(rl_file_open(e, path, &xo, &f), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(fcntl(rl_file_target(f)->fd, F_GETFL) & O_NONBLOCK, 0);
	cr_assert_eq(rl_file_read(f, buf, 4096, 0, done_cb, &d), 0);
	drain(e);
	cr_assert_eq(d.res, 4096);
	cr_assert_eq(((unsigned char *)buf)[4095], 0x5a);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}

/* The loop device and its image, undone by .fini even when an assertion ends the test early. */
static char loop_img[64], loop_dev[64];

static void loop_fini(void)
{
	char cmd[128];

	if (loop_dev[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", loop_dev);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot detach %s\n", loop_dev);
	}
	if (loop_img[0])
		unlink(loop_img);
	loop_dev[0] = loop_img[0] = 0;
}

Test(file_open, excl_refuses_a_block_device_in_use_for_writing, .fini = loop_fini)
{
	struct rl_engine *e;
	struct rl_file_opts xo = {.opts_size = sizeof(xo), .flags = RL_FILE_EXCL};
	struct rl_file_opts xro = {.opts_size = sizeof(xro),
				   .flags = RL_FILE_EXCL | RL_FILE_RDONLY};
	char *img, cmd[256], *dev = loop_dev;
	struct rl_target *t;
	struct rl_file *f, *g;
	FILE *p;
	int held;

	if (!is_root())
		cr_skip_test("attaching a loop device needs root");
	e = engine_new(8);
	img = make_file("/var/tmp", 8 << 20, 0);
	snprintf(loop_img, sizeof(loop_img), "%s", img);
	free(img);
	snprintf(cmd, sizeof(cmd), "losetup --find --show --direct-io=on %s 2>/dev/null", loop_img);
	p = popen(cmd, "r");
	if (!p || !fgets(loop_dev, sizeof(loop_dev), p) || pclose(p) != 0) {
		loop_dev[0] = 0;
		cr_skip_test("no loop device available");
	}
	loop_dev[strcspn(loop_dev, "\n")] = 0;

	/* Free: claimed, and then held against another exclusive opener (a mount, mkfs). */
	cr_assert_eq(rl_file_open(e, dev, &xo, &f), 0, "%s", rl_engine_last_error(e));
	cr_assert_lt(open(dev, O_RDONLY | O_EXCL), 0, "the claim did not hold");
	cr_assert_eq(errno, EBUSY);
	cr_assert_eq(rl_file_close(f), 0);

	/* In use: refused for writing, with the reason; reads and opens without the flag pass. */
	held = open(dev, O_RDONLY | O_EXCL);
	cr_assert_geq(held, 0, "%s", strerror(errno));
	cr_assert_eq(rl_file_open(e, dev, &xo, &f), -EBUSY);
	cr_assert(strstr(rl_engine_last_error(e), "in use"), "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_target_open(e, dev, RL_TARGET_EXCL, &t), -EBUSY);
	cr_assert_eq(rl_file_open(e, dev, &xro, &f), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_open(e, dev, NULL, &g), 0, "%s", rl_engine_last_error(e));
	cr_assert_eq(rl_file_close(f), 0);
	cr_assert_eq(rl_file_close(g), 0);
	close(held);
	rl_engine_destroy(e);
}
