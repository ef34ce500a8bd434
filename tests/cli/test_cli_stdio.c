// SPDX-License-Identifier: MIT
/*
 * The tool's stdout: every write to it is checked (a full device, a closed descriptor, a pipe
 * whose reader left: exit 1 and "ringline: write error: REASON", never exit 0 or death by
 * SIGPIPE).
 */
#include "cli_helpers.h"

TestSuite(cli_stdio, .init = skip_unless_io_uring);

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
