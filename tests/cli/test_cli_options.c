// SPDX-License-Identifier: MIT
/*
 * Bad command lines, for every command: a bad number, a missing argument, an unknown or
 * ambiguous option, an argument to an option that takes none, extra arguments. Each is refused
 * with exit status 2 and one line on stderr that starts "ringline: " and names what was wrong,
 * before anything is opened.
 */
#include "cli_helpers.h"

TestSuite(cli_options, .init = skip_unless_io_uring);

/* F stands for an existing 64 KiB file, filled in at run time. */
#define F "<file>"

struct bad {
	const char *args[8];
	const char *says;
};

static const struct bad bad[] = {
    /* no command, unknown command, help and version */
    {{NULL}, "missing COMMAND"},
    {{"teleport"}, "unknown command 'teleport'"},
    {{"--frobnicate"}, "unknown command '--frobnicate'"},
    {{"help", "teleport"}, "help: unknown command 'teleport'"},
    {{"help", "bench", "extra"}, "help: unexpected argument 'extra'"},
    {{"version", "extra"}, "version: unexpected argument 'extra'"},
    /* bench and lat */
    {{"bench"}, "bench: missing PATH"},
    {{"bench", F, "extra"}, "bench: unexpected argument 'extra' after PATH"},
    {{"bench", F, "--frobnicate"}, "bench: unknown option '--frobnicate'"},
    {{"bench", F, "-x"}, "bench: unknown option '-x'"},
    {{"bench", F, "-xh"}, "bench: unknown option '-x'"},
    {{"bench", F, "--bs"}, "bench: option '--bs' needs an argument"},
    {{"bench", F, "--json=yes"}, "bench: option '--json' takes no argument"},
    {{"bench", F, "--p"}, "bench: option '--p' is ambiguous: --passthrough, --poll"},
    {{"bench", F, "--bs", "4q"}, "--bs 4q"},
    {{"bench", F, "--bs", "-4096"}, "--bs -4096"},
    {{"bench", F, "--qd", "99999999999999999999999"}, "--qd 99999999999999999999999"},
    {{"bench", F, "--qd", "0"}, "--qd 0"},
    {{"bench", F, "--time", "nan"}, "--time nan"},
    {{"bench", F, "--time", "-1"}, "--time -1"},
    {{"bench", F, "--count", "0"}, "--count 0"},
    {{"bench", F, "--size", "lots"}, "--size lots"},
    {{"bench", F, "--batch", "0"}, "--batch 0"},
    {{"bench", F, "--rw", "sideways"}, "--rw sideways"},
    {{"bench", F, "--listen", "no::such::address", "--count", "1"}, "no::such::address"},
    {{"lat", F, "--ramp"}, "lat: option '--ramp' needs an argument"},
    {{"lat", F, F}, "lat: unexpected argument"},
    {{"lat"}, "lat: missing PATH"},
    /* list, identify, health */
    {{"list", "extra"}, "list: unexpected argument 'extra'"},
    {{"list", "--frobnicate"}, "list: unknown option '--frobnicate'"},
    {{"list", "--json=1"}, "list: option '--json' takes no argument"},
    {{"identify"}, "identify: missing DEV"},
    {{"identify", F, "extra"}, "identify: unexpected argument 'extra'"},
    {{"identify", F, "--frobnicate"}, "identify: unknown option '--frobnicate'"},
    {{"health"}, "health: missing DEV"},
    {{"health", F, "extra"}, "health: unexpected argument 'extra'"},
    {{"health", F, "-q"}, "health: unknown option '-q'"},
    /* the data verbs */
    {{"read"}, "read: missing DEV"},
    {{"read", F}, "read: missing OFFSET"},
    {{"read", F, "0"}, "read: missing LENGTH"},
    {{"read", F, "0", "4096", "extra"}, "read: unexpected argument 'extra'"},
    {{"read", F, "zero", "4096"}, "read: OFFSET 'zero'"},
    {{"read", F, "0", "0"}, "read: LENGTH '0'"},
    {{"read", F, "0", "4096x"}, "read: LENGTH '4096x'"},
    {{"read", F, "0", "4096", "--force"}, "read: --force applies to commands that write"},
    {{"read", F, "0", "4096", "--frobnicate"}, "read: unknown option '--frobnicate'"},
    {{"read", F, "0", "4096", "--raw=1"}, "read: option '--raw' takes no argument"},
    {{"write"}, "write: missing DEV"},
    {{"write", F}, "write: missing OFFSET"},
    {{"write", F, "0", "extra"}, "write: unexpected argument 'extra'"},
    {{"write", F, "-1"}, "write: unknown option '-1'"},
    {{"write", F, "1.5k"}, "write: OFFSET '1.5k'"},
    {{"write", F, "0", "-z"}, "write: unknown option '-z'"},
    {{"zeroes", F, "0"}, "zeroes: missing LENGTH"},
    {{"zeroes", F, "0", "0"}, "zeroes: LENGTH '0'"},
    {{"zeroes", F, "0", "4k", "--frobnicate"}, "zeroes: unknown option '--frobnicate'"},
    {{"trim", F, "x", "4k"}, "trim: OFFSET 'x'"},
    {{"trim", F, "0", "4k", "4k"}, "trim: unexpected argument '4k'"},
    {{"flush"}, "flush: missing DEV"},
    {{"flush", F, "extra"}, "flush: unexpected argument 'extra'"},
    {{"flush", F, "--raw"}, "flush: --raw applies to commands with a range"},
    {{"flush", F, "--force"}, "flush: --force applies to commands that write"},
    /* serve */
    {{"serve", F}, "serve: --listen ADDR is required"},
    {{"serve", "--listen", "127.0.0.1:0"}, "serve: expected at least one DEV"},
    {{"serve", F, "--listen"}, "serve: option '--listen' needs an argument"},
    {{"serve", "--listen", "127.0.0.1:0", "--rate", "fast", F}, "--rate fast"},
    {{"serve", "--listen", "127.0.0.1:0", "--max-conns", "0", F}, "--max-conns 0"},
    {{"serve", "--listen", "127.0.0.1:0", "--token", "", F}, "--token"},
    {{"serve", "--listen", "127.0.0.1:0", "--frobnicate", F}, "serve: unknown option"},
    {{"serve", "--max", "1", "--listen", "127.0.0.1:0", F}, "serve: option '--max' is ambiguous"},
    {{"serve", "--listen", "no::such::address", F}, "no::such::address"},
};

Test(cli_options, every_bad_command_line_is_one_line_and_exit_2)
{
	static struct run r;
	char *path = make_file("/var/tmp", 64 * 1024, 0x5a);
	unsigned char *disk;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[9] = {0};

		for (int k = 0; bad[i].args[k]; k++)
			args[k] = strcmp(bad[i].args[k], F) ? bad[i].args[k] : path;
		cr_log_info("ringline %s %s %s ...", args[0] ? args[0] : "",
			    args[0] && args[1] ? args[1] : "",
			    args[0] && args[1] && args[2] ? args[2] : "");
		cli_run(&r, &(struct cli_opts){.timeout_s = 20}, args);
		expect_error(&r, 2, bad[i].says);
	}
	/* None of them wrote anything. */
	disk = pread_all(path, 64 * 1024, 0);
	for (size_t i = 0; i < 64 * 1024; i++)
		cr_assert_eq(disk[i], 0x5a, "byte %zu changed", i);
	free(disk);
	unlink(path);
	free(path);
}

/* 'ringline help COMMAND' is the command's --help; help and version take nothing else. */
Test(cli_options, help_for_a_command)
{
	static struct run r, own;
	const char *cmds[] = {"bench", "lat",	 "list", "identify", "health", "read",
			      "write", "zeroes", "trim", "flush",    "serve"};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		CLI(&r, "help", cmds[i]);
		cr_assert_eq(r.status, 0, "help %s: %s", cmds[i], r.err);
		CLI(&own, cmds[i], "--help");
		cr_assert_eq(own.status, 0);
		cr_assert_str_eq(r.out, own.out, "help %s differs from %s --help", cmds[i],
				 cmds[i]);
		cr_assert(strstr(r.out, "usage: ringline"), "%s", r.out);
	}
	CLI(&r, "version");
	cr_assert_eq(r.status, 0);
	cr_assert(!strncmp(r.out, "ringline ", 9), "%s", r.out);
}
