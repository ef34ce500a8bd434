// SPDX-License-Identifier: MIT
/*
 * The tool's stdin and stdout: every write to stdout is checked (a full device, a closed
 * descriptor, a pipe whose reader left: exit 1 and "ringline: write error: REASON", never exit 0
 * or death by SIGPIPE), and `write` holds its input in bounded memory, refusing more than fits
 * before it writes anything.
 */
#include "cli_helpers.h"

TestSuite(cli_stdio, .init = skip_unless_io_uring);

#ifdef __SANITIZE_ADDRESS__
#define RSS_SLACK_KB (512 << 10) /* ASan's shadow and quarantine */
#else
#define RSS_SLACK_KB 0
#endif

static void expect_unchanged(const char *path, size_t len, int fill)
{
	unsigned char *disk = pread_all(path, len, 0);

	for (size_t i = 0; i < len; i++)
		cr_assert_eq(disk[i], fill, "%s: byte %zu changed by a refused write", path, i);
	free(disk);
}

Test(cli_stdio, a_full_stdout_is_exit_1_with_the_reason)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct cli_opts full = {.out = "/dev/full"};

	CLI_WITH(&r, &full, "read", path, "0", "512");
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "read", path, "0", "1m"); /* larger than stdio's buffer */
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "bench", path, "--count", "100");
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "bench", path, "--count", "100", "--json");
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "lat", path, "--count", "10");
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "help");
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "read", "--help");
	expect_error(&r, 1, "write error: No space left on device");
	CLI_WITH(&r, &full, "version");
	expect_error(&r, 1, "write error: No space left on device");
	unlink(path);
	free(path);
}

/* `>&-`: nothing the tool opens becomes its stdout, and the lost output is an error. */
Test(cli_stdio, a_closed_stdout_is_exit_1_and_never_a_target)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct cli_opts closed = {.out = CLI_OUT_CLOSED};

	CLI_WITH(&r, &closed, "read", path, "0", "4096");
	expect_error(&r, 1, "write error: Bad file descriptor");
	CLI_WITH(&r, &closed, "bench", path, "--rw", "read", "--count", "16");
	expect_error(&r, 1, "write error: Bad file descriptor");
	expect_unchanged(path, 1 << 20, 7);
	/* A command that prints nothing has nothing to lose. */
	CLI_WITH(&r, &closed, "flush", path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	unlink(path);
	free(path);
}

/* A reader that left: EPIPE is reported like any write error, not a silent SIGPIPE death. */
Test(cli_stdio, a_pipe_without_reader_is_exit_1_not_sigpipe)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct cli_opts gone = {.out = CLI_OUT_NO_READER};

	CLI_WITH(&r, &gone, "read", path, "0", "1m");
	expect_error(&r, 1, "write error: Broken pipe");
	CLI_WITH(&r, &gone, "bench", path, "--count", "100", "--json");
	expect_error(&r, 1, "write error: Broken pipe");
	unlink(path);
	free(path);
}

/* Endless input on a 1 MiB file: refused after 1 MiB + 1 byte, in bounded memory. */
Test(cli_stdio, endless_stdin_is_refused_in_bounded_memory)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 0x5a);
	struct cli_opts o = {.in = "/dev/zero", .as_limit = 256ul << 20, .timeout_s = 30};

	CLI_WITH(&r, &o, "write", path, "0");
	expect_error(&r, 2, "stdin holds more than the 1048576 bytes from offset 0 to the end");
	cr_assert_lt(r.maxrss_kb, (64 << 10) + RSS_SLACK_KB, "peak RSS %ld KiB", r.maxrss_kb);
	CLI_WITH(&r, &o, "write", path, "512k");
	expect_error(&r, 2, "stdin holds more than the 524288 bytes from offset 524288");
	expect_unchanged(path, 1 << 20, 0x5a);
	unlink(path);
	free(path);
}

/* On a large target, input that is not a file is held up to 64 MiB, then refused. */
Test(cli_stdio, endless_stdin_on_a_large_target_stops_at_the_buffer_limit)
{
	static struct run r;
	char *path = make_file("/var/tmp", 0, 0);
	struct cli_opts o = {.in = "/dev/zero", .as_limit = 256ul << 20, .timeout_s = 30};
	struct stat st;

	cr_assert_eq(truncate(path, 1ll << 30), 0); /* sparse: 1 GiB of space, none of it used */
	CLI_WITH(&r, &o, "write", path, "0");
	expect_error(&r, 2, "holds more than 64 MiB, the most ringline write buffers");
	cr_assert_lt(r.maxrss_kb, (160 << 10) + RSS_SLACK_KB, "peak RSS %ld KiB", r.maxrss_kb);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_blocks, 0, "a refused write allocated %lld blocks",
		     (long long)st.st_blocks);
	unlink(path);
	free(path);
}

/* A file on stdin is checked by its size before a byte is read, then copied in chunks. */
Test(cli_stdio, a_file_on_stdin_is_checked_by_size_then_streamed)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 0x5a);
	char *big = make_file("/var/tmp", 2 << 20, 0x11);
	char *odd = make_file("/var/tmp", 1000, 0x22);
	char *half = make_file("/var/tmp", 512 << 10, 0x33);
	unsigned char *disk;

	CLI_WITH(&r, &(struct cli_opts){.in = big}, "write", path, "0");
	expect_error(&r, 2, "stdin holds more than the 1048576 bytes");
	cr_assert_lt(r.maxrss_kb, (64 << 10) + RSS_SLACK_KB, "peak RSS %ld KiB", r.maxrss_kb);
	CLI_WITH(&r, &(struct cli_opts){.in = odd}, "write", path, "0");
	expect_error(&r, 2, "must be multiples of the O_DIRECT alignment");
	expect_unchanged(path, 1 << 20, 0x5a);

	CLI_WITH(&r, &(struct cli_opts){.in = half}, "write", path, "512k");
	cr_assert_eq(r.status, 0, "%s", r.err);
	disk = pread_all(path, 1 << 20, 0);
	for (size_t i = 0; i < 1 << 20; i++)
		cr_assert_eq(disk[i], i < 512 << 10 ? 0x5a : 0x33, "byte %zu", i);
	free(disk);
	unlink(path);
	unlink(big);
	unlink(odd);
	unlink(half);
	free(path);
	free(big);
	free(odd);
	free(half);
}

/* A pipe on stdin is read whole, then written: the bytes arrive. */
Test(cli_stdio, a_pipe_on_stdin_is_written)
{
	static struct run r;
	char *path = make_file("/var/tmp", 1 << 20, 0x5a);
	char fifo[64] = "/var/tmp/rl-fifo.XXXXXX";
	unsigned char *disk, block[4096];
	struct cli_opts o = {.timeout_s = 30};
	pid_t writer;
	int st;

	cr_assert_not_null(mkdtemp(fifo));
	strcat(fifo, "/in");
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	writer = fork();
	if (writer == 0) {
		int fd = open(fifo, O_WRONLY);

		memset(block, 0x44, sizeof(block));
		for (int i = 0; i < 48; i++) /* 192 KiB, in pieces as a pipe delivers them */
			if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
				_exit(1);
		_exit(0);
	}
	o.in = fifo;
	CLI_WITH(&r, &o, "write", path, "64k");
	cr_assert_eq(waitpid(writer, &st, 0), writer);
	cr_assert_eq(r.status, 0, "%s", r.err);
	disk = pread_all(path, 1 << 20, 0);
	for (size_t i = 0; i < 1 << 20; i++)
		cr_assert_eq(disk[i], i >= 64 << 10 && i < 256 << 10 ? 0x44 : 0x5a, "byte %zu", i);
	free(disk);
	unlink(fifo);
	*strrchr(fifo, '/') = 0;
	rmdir(fifo);
	unlink(path);
	free(path);
}
