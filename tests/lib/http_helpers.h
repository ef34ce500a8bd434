/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the HTTP control-plane tests: a server (engine, file target, probe, HTTP service)
 * run by the test's main thread, and a blocking HTTP client run in a second thread. Traffic
 * stays on 127.0.0.1; every wait is bounded.
 */
#ifndef RINGLINE_TEST_HTTP_HELPERS_H
#define RINGLINE_TEST_HTTP_HELPERS_H

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "helpers.h"
#include "control/control.h"

struct srv {
	struct rl_engine *e;
	struct rl_target *t;
	struct ctl_probe *probe;
	struct ctl_http *h;
	char *path;
	char addr[136];
};

/* A 16 MiB file target with a probe reading @rate times a second, and the HTTP service. */
static inline void srv_start(struct srv *s, struct ctl_http_opts *o, double rate)
{
	memset(s, 0, sizeof(*s));
	s->e = engine_new(64);
	s->path = make_file("/var/tmp", 16 << 20, 'p');
	cr_assert_eq(rl_target_open(s->e, s->path, RL_TARGET_RDONLY, &s->t), 0);
	if (rate > 0)
		cr_assert_eq(ctl_probe_start(s->e, s->t, rate, &s->probe), 0);
	if (!o->listen)
		o->listen = "127.0.0.1:0";
	if (!o->max_rate)
		o->max_rate = 1000000; /* these tests are about behaviour, not the rate limit */
	cr_assert_eq(ctl_http_start(s->e, o, &s->h), 0, "%s", rl_engine_last_error(s->e));
	snprintf(s->addr, sizeof(s->addr), "%s", ctl_http_address(s->h));
}

static inline void srv_stop(struct srv *s)
{
	if (s->probe)
		ctl_probe_stop(s->probe);
	ctl_http_stop(s->h);
	cr_assert_eq(rl_engine_run(s->e), 0);
	if (s->probe)
		ctl_probe_free(s->probe);
	rl_engine_destroy(s->e);
	unlink(s->path);
	free(s->path);
}

/* Requests @s's HTTP service answered with @code, from its statistics snapshot. */
static inline uint64_t srv_requests(const struct srv *s, int code)
{
	struct ctl_stats st;

	ctl_http_stats(s->h, &st);
	return ctl_stats_requests(&st, code);
}

struct job {
	void (*fn)(struct srv *, void *);
	struct srv *s;
	void *arg;
	volatile int done;
};

static inline void *job_main(void *p)
{
	struct job *j = p;

	j->fn(j->s, j->arg);
	j->done = 1;
	return NULL;
}

/*
 * Run @fn(s, arg) in a client thread while this thread runs the engine. Criterion assertions
 * belong in this thread: the client records, the test checks after.
 */
static inline void with_client(struct srv *s, void (*fn)(struct srv *, void *), void *arg)
{
	struct job j = {fn, s, arg, 0};
	pthread_t th;

	pthread_create(&th, NULL, job_main, &j);
	for (int i = 0; i < 60000 && !j.done; i++)
		cr_assert_geq(rl_engine_poll(s->e, 1, 5), 0);
	pthread_join(th, NULL);
	cr_assert(j.done, "the client did not finish in time");
}

/* Connect to "127.0.0.1:PORT" or "unix:PATH". */
static inline int dial(const char *addr)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 10};
	bool is_unix = !strncmp(addr, "unix:", 5);
	int fd = socket(is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (is_unix) {
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", addr + 5);
		ret = connect(fd, (struct sockaddr *)&un, sizeof(un));
	} else {
		in.sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1));
		inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
		ret = connect(fd, (struct sockaddr *)&in, sizeof(in));
	}
	if (ret) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static inline int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

struct resp {
	int status;  /* 0: no response (EOF, reset or timeout) */
	bool closes; /* "Connection: close" */
	char head[2048];
	char *body; /* malloc()ed, NUL-terminated */
	size_t body_len;
};

/* Read one response from @fd: status line, headers, Content-Length bytes. */
static inline int read_resp(int fd, struct resp *r)
{
	char buf[2048];
	size_t have = 0, need;
	char *end, *cl;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	for (;;) {
		n = recv(fd, buf + have, 1, 0); /* byte by byte: do not eat the next response */
		if (n <= 0)
			return -1;
		have++;
		if (have >= 4 && !memcmp(buf + have - 4, "\r\n\r\n", 4))
			break;
		if (have == sizeof(buf) - 1)
			return -1;
	}
	buf[have] = 0;
	end = buf + have;
	snprintf(r->head, sizeof(r->head), "%s", buf);
	sscanf(buf, "HTTP/1.1 %d", &r->status);
	r->closes = strcasestr(buf, "\r\nConnection: close\r\n") != NULL;
	cl = strcasestr(buf, "\r\nContent-Length: ");
	need = cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0;
	r->body = malloc(need + 1);
	for (r->body_len = 0; r->body_len < need; r->body_len += (size_t)n) {
		n = recv(fd, r->body + r->body_len, need - r->body_len, 0);
		if (n <= 0)
			return -1;
	}
	r->body[need] = 0;
	return 0;
}

static inline void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* One request on a new connection. */
static inline int http_get(const char *addr, const char *path, const char *extra, struct resp *r)
{
	char req[512];
	int fd = dial(addr), ret;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n", path,
		 extra ? extra : "");
	ret = send_all(fd, req, strlen(req)) ? -1 : read_resp(fd, r);
	close(fd);
	return ret;
}

/* The read ops of the first target, from GET /v1/status; -1 on failure. */
static inline long long status_reads(const char *addr)
{
	struct resp r;
	struct json_object *o, *t, *v;
	long long n = -1;

	if (http_get(addr, "/v1/status", NULL, &r) || r.status != 200) {
		resp_free(&r);
		return -1;
	}
	o = json_tokener_parse(r.body);
	if (o && json_object_object_get_ex(o, "targets", &t) && json_object_array_length(t) &&
	    json_object_object_get_ex(json_object_array_get_idx(t, 0), "ops", &v) &&
	    json_object_object_get_ex(v, "read", &v) && json_object_object_get_ex(v, "ops", &v))
		n = json_object_get_int64(v);
	json_object_put(o);
	resp_free(&r);
	return n;
}

/*
 * After a bad client: a normal request still gets 200 and the probe's reads still advance.
 * Return: 0, or a negative step number that failed.
 */
static inline int still_serving(const char *addr)
{
	long long a = status_reads(addr), b;

	if (a < 0)
		return -1;
	for (int i = 0; i < 200; i++) {
		usleep(10000);
		b = status_reads(addr);
		if (b < 0)
			return -2;
		if (b > a)
			return 0;
	}
	return -3;
}

#endif
