/* SPDX-License-Identifier: MIT */
/* Shared helpers for ringline's Criterion tests. */
#ifndef RINGLINE_TEST_HELPERS_H
#define RINGLINE_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringline.h"

/* Counts the callbacks of one submission and keeps its last result. */
struct done {
	int calls;
	int res;
	uint64_t result;
};

static inline void done_cb(void *arg, int res, uint64_t result)
{
	struct done *d = arg;

	d->calls++;
	d->res = res;
	d->result = result;
}

/*
 * Skip the calling test, with the kernel's reason, where this process cannot set up an io_uring
 * ring: a kernel without io_uring (ENOSYS), io_uring disabled by the sysctl
 * kernel.io_uring_disabled (EPERM), a locked-memory limit too low for the rings (ENOMEM). Call it
 * before the test acquires anything (cr_skip_test() ends the test where it is called), or name it
 * as the suite's or the test's .init: TestSuite(name, .init = skip_unless_io_uring).
 */
static inline void skip_unless_io_uring(void)
{
	struct io_uring ring;
	char sysctl[64] = "";
	int ret = io_uring_queue_init(2, &ring, 0);
	FILE *f;

	if (ret == 0) {
		io_uring_queue_exit(&ring);
		return;
	}
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		int v;

		if (fscanf(f, "%d", &v) == 1 && v)
			snprintf(sysctl, sizeof(sysctl), " (kernel.io_uring_disabled = %d)", v);
		fclose(f);
	}
	cr_skip_test("io_uring is unavailable to this process: io_uring_queue_init: %s%s",
		     strerror(-ret), sysctl);
}

/* An engine with @max_inflight command slots; the test is skipped where io_uring is missing. */
static inline struct rl_engine *engine_new(unsigned max_inflight)
{
	struct rl_engine_opts o;
	struct rl_engine *e = NULL;

	skip_unless_io_uring();
	rl_engine_opts_init(&o);
	o.max_inflight = max_inflight;
	cr_assert_eq(rl_engine_create(&o, &e), 0, "engine create failed");
	return e;
}

/* Open file descriptors of this process (for checks that nothing is left behind). */
static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d, "opendir /proc/self/fd: %s", strerror(errno));
	while (readdir(d))
		n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* Reap until nothing is in flight. */
static inline void drain(struct rl_engine *e)
{
	while (rl_engine_inflight(e))
		cr_assert_geq(rl_engine_poll(e, 1, 5000), 0);
}

/* A file of @size bytes holding @fill in @dir; the caller unlinks it. */
static inline char *make_file(const char *dir, size_t size, int fill)
{
	char *path;
	char *buf = malloc(size ? size : 1);
	int fd;

	cr_assert(asprintf(&path, "%s/rl-test.XXXXXX", dir) > 0);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp in %s: %s", dir, strerror(errno));
	memset(buf, fill, size);
	cr_assert_eq(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
	return path;
}

/* Read @len bytes at @off with plain pread, bypassing ringline, into a new buffer. */
static inline unsigned char *pread_all(const char *path, size_t len, off_t off)
{
	unsigned char *buf = malloc(len);
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
	return buf;
}

static inline int is_root(void)
{
	return geteuid() == 0;
}

#endif
