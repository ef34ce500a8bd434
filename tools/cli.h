/* SPDX-License-Identifier: MIT */
/* Shared pieces of the ringline command-line tool. */
#ifndef RINGLINE_CLI_H
#define RINGLINE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl_engine;
struct rl_target;

/* Exit status: 0 success, 1 an I/O or runtime error, 2 a usage error. */
enum { EXIT_IO = 1, EXIT_USAGE = 2 };

/*
 * Before anything else: give closed descriptors 0-2 a /dev/null that refuses their use (so no
 * file the tool opens becomes its stdout), ignore SIGPIPE (a write to a closed pipe fails with
 * EPIPE and is reported, as every other write error), and check stdout at exit: flushed and
 * closed, a failure is exit status 1 (or the command's own failing status) and one line.
 */
void cli_init(void);

/*
 * Write @n bytes to stdout. Return: 0, or -1 with the error kept for the check at exit, which
 * prints "ringline: write error: REASON" and makes the exit status 1: the caller stops and
 * returns EXIT_IO without a message of its own.
 */
int cli_write_out(const void *buf, size_t n);

/* Print "ringline: MESSAGE" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print what a library call that returned @ret left in rl_engine_last_error(), or, when it left
 * nothing, "ringline: WHAT: strerror(-ret)".
 */
void cli_lib_err(struct rl_engine *e, int ret, const char *what);
/*
 * cli_wait_submitted() - after a submission that returned @ret on @path: its refusal named
 * (EXIT_USAGE for -EINVAL, else EXIT_IO), or every command in flight reaped (0; EXIT_IO when
 * the completion loop fails). tools/data.c.
 */
int cli_wait_submitted(struct rl_engine *e, int ret, const char *path);
/* rl_engine_last_error() without its "ringline: ", to quote inside a message of the tool's own. */
const char *cli_lib_msg(struct rl_engine *e);

/* Parse a byte count with an optional binary suffix (k, m, g, t: 1024-based). 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);

/*
 * getopt_long() for command @cmd, with -h as the only short option and no message of getopt's
 * own. Return: the option, -1 after the last, or '?' after printing one line that names what
 * was wrong: an unknown or ambiguous option, a missing argument, an argument to an option that
 * takes none (the caller returns EXIT_USAGE). The caller sets optind to 1 before the first call.
 */
int cli_getopt(int argc, char **argv, const struct option *opts, const char *cmd);

/*
 * Open @path as rl_target_open() does, exclusively for writing unless @force: a block device
 * opened for writing (no RL_TARGET_RDONLY in @flags) is refused while it is in use, mounted or
 * otherwise, and so is an NVMe namespace whose block device is (RL_TARGET_EXCL). Prints why it
 * failed. Return: 0, or EXIT_IO.
 */
int cli_open_target(struct rl_engine *e, const char *path, unsigned flags, bool force,
		    struct rl_target **out);
/* Print why rl_target_open(@e, @path, @flags) returned @ret, as cli_open_target() does. */
void cli_open_error(struct rl_engine *e, const char *path, unsigned flags, int ret);

int cmd_bench(int argc, char **argv);
int cmd_lat(int argc, char **argv);
/* read, write, zeroes, trim, flush: argv[0] names the verb. */
int cmd_data(int argc, char **argv);
int cmd_list(int argc, char **argv);

/* read / write --md --pi --pract --prchk --apptag --apptag-mask --reftag (tools/data_pi.c). */
struct pi_opts {
	const char *md_path; /* --md FILE: the metadata, ms bytes a block */
	bool pi;	     /* generate PI in software on write, check it on read */
	bool pract;	     /* the controller inserts (write) or strips (read) the PI */
	bool prchk;	     /* the controller checks the PI */
	bool apptag_set, reftag_set;
	uint16_t apptag, apptag_mask;
	uint64_t reftag;
};
/* An NVMe read to stdout (data) and --md (metadata); a write from stdin and --md. */
int data_pi_read(struct rl_engine *e, struct rl_target *t, const char *path, uint64_t off,
		 uint64_t len, const struct pi_opts *o);
int data_pi_write(struct rl_engine *e, struct rl_target *t, const char *path, uint64_t off,
		  const struct pi_opts *o);
int cmd_identify(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_nbd(int argc, char **argv);
/* zones, zone, append: zoned namespaces (tools/zone.c). */
int cmd_zones(int argc, char **argv);
int cmd_zone(int argc, char **argv);
int cmd_append(int argc, char **argv);

#endif
