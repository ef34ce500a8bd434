// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringline.h"
#include "cli.h"

static int out_errno; /* errno of the first write to stdout that failed */

/*
 * As coreutils' close_stdout(): output still buffered is written now, and a failure anywhere
 * (a full file system, /dev/full, a pipe whose reader left, a closed stdout) is an error, not
 * an exit status 0 over output that never arrived. Runs at every exit, also exit() from within
 * a command; keeps a failing status, turns success into 1.
 */
static void exit_check(int status, void *arg)
{
	bool pending = __fpending(stdout) != 0, failed = ferror(stdout);
	int err;

	(void)arg;
	errno = 0;
	if (fclose(stdout) != 0 && (pending || errno != EBADF))
		failed = true;
	else if (failed)
		errno = 0;
	if (!failed)
		return;
	err = errno ? errno : out_errno;
	if (err)
		cli_err("write error: %s", strerror(err));
	else
		cli_err("write error");
	_exit(status ? status : EXIT_IO);
}

void cli_init(void)
{
	/*
	 * gnulib's stdopen(): a closed 0, 1 or 2 gets /dev/null opened the other way round, so a
	 * write to a closed stdout still fails (EBADF) and the next open() of a target or the ring
	 * cannot become descriptor 1, where printf() would write into it.
	 */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			_exit(EXIT_IO);
	signal(SIGPIPE, SIG_IGN);
	on_exit(exit_check, NULL);
}

int cli_write_out(const void *buf, size_t n)
{
	if (fwrite(buf, 1, n, stdout) == n)
		return 0;
	if (!out_errno)
		out_errno = errno;
	return -1;
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("ringline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_lib_err(struct rl_engine *e, int ret, const char *what)
{
	const char *msg = rl_engine_last_error(e);

	if (msg && *msg)
		fprintf(stderr, "%s\n", msg);
	else
		cli_err("%s: %s", what, strerror(-ret));
}

const char *cli_lib_msg(struct rl_engine *e)
{
	const char *msg = rl_engine_last_error(e);

	return strncmp(msg, "ringline: ", 10) ? msg : msg + 10;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end == 'i' || *end == 'b' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_getopt(int argc, char **argv, const struct option *opts, const char *cmd)
{
	const struct option *o, *hit = NULL;
	const char *arg, *name;
	char others[256] = "";
	int before = optind, c, matches = 0;
	size_t len;

	opterr = 0;
	c = getopt_long(argc, argv, ":h", opts, NULL);
	if (c != '?' && c != ':')
		return c;
	/*
	 * The element at fault: getopt_long() moved past it, unless it stopped inside a cluster of
	 * short options ("-xh"). Only a long option starts with "--"; a short one is optopt.
	 */
	arg = argv[optind > before ? optind - 1 : optind];
	if (strncmp(arg, "--", 2)) {
		if (c == ':')
			cli_err("%s: option '-%c' needs an argument (see 'ringline %s --help')",
				cmd, optopt, cmd);
		else
			cli_err("%s: unknown option '-%c' (see 'ringline %s --help')", cmd,
				isprint(optopt) ? optopt : '?', cmd);
		return '?';
	}
	name = arg + 2;
	len = strcspn(name, "=");
	for (o = opts; o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len) { /* an exact name is never ambiguous */
			hit = o;
			matches = 1;
			break;
		}
		snprintf(others + strlen(others), sizeof(others) - strlen(others), "%s--%s",
			 matches ? ", " : "", o->name);
		hit = o;
		matches++;
	}
	if (matches == 1 && c == ':')
		cli_err("%s: option '--%s' needs an argument (see 'ringline %s --help')", cmd,
			hit->name, cmd);
	else if (matches == 1 && hit->has_arg == no_argument && name[len] == '=')
		cli_err("%s: option '--%s' takes no argument (see 'ringline %s --help')", cmd,
			hit->name, cmd);
	else if (matches > 1)
		cli_err("%s: option '--%.*s' is ambiguous: %s (see 'ringline %s --help')", cmd,
			(int)len, name, others, cmd);
	else
		cli_err("%s: unknown option '--%.*s' (see 'ringline %s --help')", cmd, (int)len,
			name, cmd);
	return '?';
}

int cli_open_target(struct rl_engine *e, const char *path, unsigned flags, bool force,
		    struct rl_target **out)
{
	int ret;

	if (!(flags & RL_TARGET_RDONLY) && !force)
		flags |= RL_TARGET_EXCL;
	ret = rl_target_open(e, path, flags, out);
	if (!ret)
		return 0;
	cli_open_error(e, path, flags, ret);
	return EXIT_IO;
}

void cli_open_error(struct rl_engine *e, const char *path, unsigned flags, int ret)
{
	if (ret == -EBUSY && (flags & RL_TARGET_EXCL))
		cli_err("%s: in use (a mounted file system, or another program holds it): writing "
			"could corrupt it; --force writes anyway",
			path);
	else
		cli_lib_err(e, ret, path);
}
