/* SPDX-License-Identifier: MIT */
/*
 * Running the ringline binary (or another program) from a Criterion test: exit status, stdout,
 * stderr, peak memory; and reading its JSON output.
 */
#ifndef RINGLINE_TEST_CLI_HELPERS_H
#define RINGLINE_TEST_CLI_HELPERS_H

#include <json-c/json.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "helpers.h"

struct run {
	int status; /* exit status */
	long maxrss_kb;
	char out[4 << 20]; /* a long run's JSON histogram; declare struct run static */
	char err[4096];
};

/* Where the tool's stdout goes, besides a pipe the test reads (NULL) or a file (a path). */
#define CLI_OUT_CLOSED "<closed>"	/* descriptor 1 closed, as `>&-` */
#define CLI_OUT_NO_READER "<no reader>" /* a pipe whose reader has left */

/**
 * struct cli_opts - how to run the tool.
 * @in:        stdin: a path; NULL for /dev/null.
 * @out:       stdout: NULL (captured in run.out), a path, CLI_OUT_CLOSED or CLI_OUT_NO_READER.
 * @as_nobody: run as user nobody (the caller checks for root).
 * @timeout_s: SIGALRM after this many seconds, so a tool that hangs fails the test instead of
 *             hanging it (0: 60).
 * @as_limit:  RLIMIT_AS in bytes, so a tool that grows without bound fails fast (0: none; not
 *             under AddressSanitizer, whose shadow memory alone is larger than any such limit).
 * @path:      PATH for the program, or NULL to inherit it.
 */
struct cli_opts {
	const char *in;
	const char *out;
	int as_nobody;
	unsigned timeout_s;
	unsigned long as_limit;
	const char *path;
};

static inline void cli_slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
}

static inline void cli_child(const struct cli_opts *o, int out, int err, const char *const *argv)
{
	int in = open(o->in ? o->in : "/dev/null", O_RDONLY);

	if (in < 0 || dup2(in, 0) < 0)
		_exit(97);
	if (!o->out || !strcmp(o->out, CLI_OUT_NO_READER)) {
		dup2(out, 1);
	} else if (!strcmp(o->out, CLI_OUT_CLOSED)) {
		close(1);
	} else {
		int fd = open(o->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(96);
	}
	dup2(err, 2);
	signal(SIGPIPE, SIG_DFL); /* as a shell would start it, whatever the test runner did */
	if (o->as_nobody && (setgid(65534) || setuid(65534)))
		_exit(99);
#ifndef __SANITIZE_ADDRESS__
	if (o->as_limit) {
		struct rlimit rl = {o->as_limit, o->as_limit};

		if (setrlimit(RLIMIT_AS, &rl))
			_exit(95);
	}
#endif
	if (o->path)
		setenv("PATH", o->path, 1);
	alarm(o->timeout_s ? o->timeout_s : 60);
	execvp(argv[0], (char *const *)argv);
	_exit(98);
}

/* Run @argv (NULL-terminated; argv[0] found in PATH) as @o says; asserts it exited, not died. */
static inline void cli_exec(struct run *r, const struct cli_opts *o, const char *const *argv)
{
	int out[2], err[2], st;
	struct rusage ru;
	pid_t pid;

	/* Close-on-exec: the tool gets them as 1 and 2 only (dup2() clears the flag). */
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
	/* No reader from the start: the tool's first write to stdout fails with EPIPE. */
	if (o->out && !strcmp(o->out, CLI_OUT_NO_READER))
		close(out[0]);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		cli_child(o, out[1], err[1], argv);
	close(out[1]);
	close(err[1]);
	r->out[0] = 0;
	/* stderr is small; read stdout first so a large JSON cannot block the child. */
	if (!o->out)
		cli_slurp(out[0], r->out, sizeof(r->out));
	cli_slurp(err[0], r->err, sizeof(r->err));
	if (!o->out || strcmp(o->out, CLI_OUT_NO_READER))
		close(out[0]);
	close(err[0]);
	cr_assert_eq(wait4(pid, &st, 0, &ru), pid);
	r->maxrss_kb = ru.ru_maxrss;
	cr_assert(WIFEXITED(st), "%s died of signal %d (%s)%s; stderr: %s", argv[0],
		  WIFSIGNALED(st) ? WTERMSIG(st) : 0,
		  WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "",
		  WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? ": it hung" : "", r->err);
	r->status = WEXITSTATUS(st);
}

/* Run ringline with @args (NULL-terminated) as @o says. */
static inline void cli_run(struct run *r, const struct cli_opts *o, const char *const *args)
{
	const char *argv[32] = {RINGLINE_BIN};

	for (int i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	cli_exec(r, o, argv);
}

#define CLI(r, ...) cli_run((r), &(struct cli_opts){0}, (const char *const[]){__VA_ARGS__, NULL})
#define CLI_WITH(r, o, ...) cli_run((r), (o), (const char *const[]){__VA_ARGS__, NULL})

/* Exit status @code, one line on stderr that starts "ringline: " and names @what; no output. */
static inline void expect_error(struct run *r, int code, const char *what)
{
	cr_assert_eq(r->status, code, "exit %d, wanted %d; stderr: %s", r->status, code, r->err);
	cr_assert(strstr(r->err, what), "stderr lacks '%s': %s", what, r->err);
	cr_assert(strncmp(r->err, "ringline: ", 10) == 0, "stderr: %s", r->err);
	cr_assert_eq(strchr(r->err, '\n'), r->err + strlen(r->err) - 1, "not one line: %s", r->err);
	cr_assert_eq(r->out[0], 0, "printed results on failure: %s", r->out);
}

/* The run succeeded and printed one JSON value: parsed (json_object_put() it). */
static inline struct json_object *parse(const struct run *r)
{
	struct json_object *o;

	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	o = json_tokener_parse(r->out);
	cr_assert_not_null(o, "not JSON: %.300s", r->out);
	return o;
}

static inline struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "JSON lacks '%s'", key);
	return v;
}

static inline int64_t get_int(struct json_object *o, const char *key)
{
	return json_object_get_int64(get(o, key));
}

static inline double get_double(struct json_object *o, const char *key)
{
	return json_object_get_double(get(o, key));
}

#endif
