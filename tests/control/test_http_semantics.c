// SPDX-License-Identifier: MIT
/*
 * HTTP semantics and odd inputs a hostile pass found (issue 18): what HEAD gets, device names
 * with quotes, backslashes and newlines in Prometheus labels and JSON, the token from a file or
 * the environment, and `ringline serve` with a stdout nobody reads.
 */
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "http_helpers.h"

extern char **environ;

TestSuite(http_semantics, .init = skip_unless_io_uring);

/* Read a response's status line and headers only (a HEAD answer has no body). */
static int read_head(int fd, char *buf, size_t size)
{
	size_t have = 0;

	while (have + 1 < size) {
		if (recv(fd, buf + have, 1, 0) != 1)
			return -1;
		have++;
		if (have >= 4 && !memcmp(buf + have - 4, "\r\n\r\n", 4)) {
			buf[have] = 0;
			return 0;
		}
	}
	return -1;
}

struct head_x {
	char head[3][2048];
	int ok[3];
	struct resp get;
	int got;
	struct resp metrics; /* a GET /metrics after */
};

/* HEAD /metrics, HEAD /nope and HEAD /metrics?x pipelined, then a GET on the same stream. */
static void heads(struct srv *s, void *arg)
{
	struct head_x *x = arg;
	static const char req[] = "HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n"
				  "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n"
				  "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
				  "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";
	int fd = dial(s->addr);

	send_all(fd, req, sizeof(req) - 1);
	for (int i = 0; i < 2; i++)
		x->ok[i] = !read_head(fd, x->head[i], sizeof(x->head[i]));
	/* The 405 to POST has its body; had a HEAD answer carried one, this would be off. */
	x->ok[2] = !read_resp(fd, &x->get);
	snprintf(x->head[2], sizeof(x->head[2]), "%s", x->get.head);
	resp_free(&x->get);
	x->got = !read_resp(fd, &x->get);
	close(fd);
	http_get(s->addr, "/metrics", NULL, &x->metrics);
}

Test(http_semantics, head_gets_the_headers_of_get_and_no_body)
{
	struct ctl_http_opts o = {0};
	struct head_x x = {0};
	struct srv s;
	unsigned long head_len = 0;
	char *cl;

	srv_start(&s, &o, 0);
	with_client(&s, heads, &x);
	cr_assert(x.ok[0] && x.ok[1] && x.ok[2]);
	cr_assert(!strncmp(x.head[0], "HTTP/1.1 200 ", 13), "%s", x.head[0]);
	cl = strcasestr(x.head[0], "\r\nContent-Length: ");
	cr_assert(cl, "%s", x.head[0]);
	head_len = strtoul(cl + 18, NULL, 10);
	cr_assert_gt(head_len, 1000, "HEAD says how long GET's body is");
	cr_assert(strstr(x.head[0], "Content-Type: text/plain; version=0.0.4"), "%s", x.head[0]);
	cr_assert(!strncmp(x.head[1], "HTTP/1.1 404 ", 13), "%s", x.head[1]);
	cr_assert(!strncmp(x.head[2], "HTTP/1.1 405 ", 13), "%s", x.head[2]);
	cr_assert(strstr(x.head[2], "\r\nAllow: GET, HEAD\r\n"), "%s", x.head[2]);
	cr_assert(x.got, "the GET behind the HEADs is read as its own response");
	cr_assert_eq(x.get.status, 200);
	cr_assert(json_tokener_parse(x.get.body) != NULL);
	resp_free(&x.get);
	/* GET's body is as long as HEAD said, give or take the counters that moved since. */
	cr_assert_eq(x.metrics.status, 200);
	cr_assert_lt(labs((long)x.metrics.body_len - (long)head_len), 200,
		     "GET %zu bytes, HEAD %lu", x.metrics.body_len, head_len);
	resp_free(&x.metrics);
	srv_stop(&s);
}

/* ---- odd device names ---------------------------------------------------------------------- */

#define ODD "/var/tmp/rl odd \"quoted\" back\\slash\nnewline"

struct names {
	struct resp m, st, dev;
};

static void scrape(struct srv *s, void *arg)
{
	struct names *x = arg;

	http_get(s->addr, "/metrics", NULL, &x->m);
	http_get(s->addr, "/v1/status", NULL, &x->st);
	http_get(s->addr, "/v1/devices", NULL, &x->dev);
}

/* The name of the first object of @arr (or of @o's "targets") under @key. */
static const char *first_name(struct json_object *o, const char *arr, const char *key)
{
	struct json_object *a = o, *v;

	if (arr && !json_object_object_get_ex(o, arr, &a))
		return NULL;
	if (!json_object_is_type(a, json_type_array) || !json_object_array_length(a))
		return NULL;
	if (!json_object_object_get_ex(json_object_array_get_idx(a, 0), key, &v))
		return NULL;
	return json_object_get_string(v);
}

Test(http_semantics, odd_device_names_are_escaped_in_labels_and_json)
{
	struct ctl_http_opts o = {.listen = "127.0.0.1:0", .max_rate = 1000000};
	struct names x = {0};
	struct json_object *st, *dev;
	struct srv s = {0};
	char tmp[] = "/tmp/rl-odd-metrics.XXXXXX", cmd[128];
	int fd, status;

	s.e = engine_new(64);
	fd = open(ODD, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	cr_assert_eq(rl_target_open(s.e, ODD, RL_TARGET_RDONLY, &s.t), 0, "%s",
		     rl_engine_last_error(s.e));
	cr_assert_eq(ctl_http_start(s.e, &o, &s.h), 0);
	snprintf(s.addr, sizeof(s.addr), "%s", ctl_http_address(s.h));
	s.path = strdup(ODD);
	with_client(&s, scrape, &x);
	cr_assert_eq(x.m.status, 200);
	/* Prometheus: \ " and newline escaped in the label value, nothing else touched. */
	cr_assert(strstr(x.m.body, "ringline_target_info{target=\"/var/tmp/rl odd \\\"quoted\\\" "
				   "back\\\\slash\\nnewline\""),
		  "%s", x.m.body);
	cr_assert_null(strstr(x.m.body, "\nnewline"), "no raw newline inside a label");
	if (!system("command -v promtool >/dev/null 2>&1")) {
		fd = mkstemp(tmp);
		cr_assert_eq(write(fd, x.m.body, x.m.body_len), (ssize_t)x.m.body_len);
		close(fd);
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s >/dev/null 2>&1", tmp);
		status = system(cmd);
		unlink(tmp);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "promtool check failed");
	}
	/* JSON: the parser gives the name back byte for byte. */
	st = json_tokener_parse(x.st.body);
	dev = json_tokener_parse(x.dev.body);
	cr_assert(st && dev, "both bodies are JSON");
	cr_assert_str_eq(first_name(st, "targets", "name"), ODD);
	cr_assert_str_eq(first_name(dev, NULL, "device"), ODD);
	json_object_put(st);
	json_object_put(dev);
	resp_free(&x.m);
	resp_free(&x.st);
	resp_free(&x.dev);
	srv_stop(&s); /* unlinks ODD */
}

/* ---- ringline serve: the token, a stdout nobody reads ---------------------------------------- */

struct daemon_run {
	pid_t pid;
	char addr[128];
};

static void spawn_serve(struct daemon_run *d, char *const extra[], char **env, int out_fd)
{
	static char img[256];
	char *argv[16] = {RINGLINE_BIN, "serve", "--listen", d->addr, "--rate", "50"};
	posix_spawn_file_actions_t fa;
	int n = 6;
	char *p = make_file("/var/tmp", 1 << 20, 't');

	snprintf(img, sizeof(img), "%s", p);
	free(p);
	snprintf(d->addr, sizeof(d->addr), "unix:/tmp/rl-sem-%d.sock", getpid());
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n++] = img;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&d->pid, RINGLINE_BIN, &fa, NULL, argv, env ? env : environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	/* Until it answers (or 5 s). */
	for (int i = 0; i < 500 && access(d->addr + 5, F_OK); i++)
		usleep(10000);
	usleep(50000);
	unlink(img);
}

/* SIGTERM, and its exit status (-signal when a signal killed it). */
static int stop_serve(struct daemon_run *d)
{
	int status;

	kill(d->pid, SIGTERM);
	cr_assert_eq(waitpid(d->pid, &status, 0), d->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int status_with(const char *addr, const char *auth)
{
	struct resp r;
	int st = http_get(addr, "/v1/status", auth, &r) ? 0 : r.status;

	resp_free(&r);
	return st;
}

Test(http_semantics, token_from_a_file_or_the_environment)
{
	char path[] = "/tmp/rl-token.XXXXXX";
	char *extra[] = {"--token-file", path, NULL};
	char *env[] = {"RINGLINE_TOKEN=s3cret-env", NULL};
	struct daemon_run d;
	int fd = mkstemp(path);

	cr_assert_eq(write(fd, "s3cret-file\n", 12), 12);
	close(fd);
	spawn_serve(&d, extra, NULL, -1);
	cr_assert_eq(status_with(d.addr, NULL), 401);
	cr_assert_eq(status_with(d.addr, "Authorization: Bearer s3cret-fil\r\n"), 401);
	cr_assert_eq(status_with(d.addr, "Authorization: Bearer s3cret-filx\r\n"), 401);
	cr_assert_eq(status_with(d.addr, "Authorization: Bearer s3cret-file\r\n"), 200);
	cr_assert_eq(stop_serve(&d), 0);

	spawn_serve(&d, NULL, env, -1);
	cr_assert_eq(status_with(d.addr, NULL), 401);
	cr_assert_eq(status_with(d.addr, "Authorization: bearer s3cret-env\r\n"), 200);
	cr_assert_eq(stop_serve(&d), 0);

	/* An empty file is a usage error, not a service open to all. */
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	{
		char cmd[512];
		int st;

		snprintf(cmd, sizeof(cmd), "%s serve --listen :0 --token-file %s /dev/null 2>&1",
			 RINGLINE_BIN, path);
		st = system(cmd);
		cr_assert_eq(WEXITSTATUS(st), 2);
		snprintf(cmd, sizeof(cmd),
			 "%s serve --listen :0 --token-file /nonexistent /dev/null 2>/dev/null",
			 RINGLINE_BIN);
		st = system(cmd);
		cr_assert_eq(WEXITSTATUS(st), 2);
	}
	unlink(path);
}

Test(http_semantics, serve_outlives_a_stdout_nobody_reads)
{
	struct daemon_run d;
	int p[2], st;

	cr_assert_eq(pipe(p), 0);
	close(p[0]);		  /* the reader left before the address is printed */
	signal(SIGPIPE, SIG_DFL); /* as a shell would start it, whatever the runner did */
	spawn_serve(&d, NULL, NULL, p[1]);
	close(p[1]);
	cr_assert_eq(status_with(d.addr, NULL), 200, "still serving");
	st = stop_serve(&d);
	cr_assert_geq(st, 0, "killed by signal %d", -st);
}
