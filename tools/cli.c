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
