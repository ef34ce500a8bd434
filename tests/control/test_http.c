// SPDX-License-Identifier: MIT
/*
 * The HTTP service: /metrics and /v1/status count exactly the I/Os done, promtool accepts the
 * exposition, routes answer 200/401/404/405, keep-alive and HTTP/1.0, errors by code, and the
 * JSON shared with the CLI.
 */
#include <sys/wait.h>

#include "http_helpers.h"
#include "engine/internal.h"

struct fetch {
	const char *path;
	const char *extra;
	struct resp r;
	int ret;
};

static void fetch_one(struct srv *s, void *arg)
{
	struct fetch *f = arg;

	f->ret = http_get(s->addr, f->path, f->extra, &f->r);
}

static void fetch(struct srv *s, struct fetch *f, const char *path, const char *extra)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->extra = extra;
	with_client(s, fetch_one, f);
	cr_assert_eq(f->ret, 0, "GET %s: no response", path);
}

/* The value of the sample line that starts with @prefix (name{labels}), or -1. */
static long long sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while ((p = strstr(p, prefix))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

static void io_cb(void *arg, int res, uint64_t result)
{
	(void)result;
	(void)res;
	(*(int *)arg)++;
}

Test(http, counters_equal_the_ios_done)
{
	struct ctl_http_opts o = {0};
	struct srv s;
	struct rl_target *rw, *ro;
	char *p2 = make_file("/var/tmp", 1 << 20, 'w');
	void *buf = rl_alloc_aligned(4096, 8192);
	char key[512];
	int done = 0;
	struct fetch f;
	struct json_object *j, *v;

	srv_start(&s, &o, 0); /* no probe: the test does every I/O itself */
	cr_assert_eq(rl_target_open(s.e, p2, 0, &rw), 0);
	for (int i = 0; i < 37; i++)
		cr_assert_eq(rl_target_read(rw, buf, 4096, (uint64_t)i * 4096, io_cb, &done), 0);
	for (int i = 0; i < 11; i++)
		cr_assert_eq(rl_target_write(rw, buf, 8192, (uint64_t)i * 8192, io_cb, &done), 0);
	/* Writes to the read-only target fail in the kernel with EBADF: counted by code. */
	ro = s.t;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(rl_target_write(ro, buf, 4096, 0, io_cb, &done), 0);
	while (done < 51)
		cr_assert_geq(rl_engine_poll(s.e, 1, 1000), 0);

	fetch(&s, &f, "/metrics", NULL);
	cr_assert_eq(f.r.status, 200);
	cr_assert(strstr(f.r.head, "Content-Type: text/plain; version=0.0.4"));
#define M(fmt, ...) (snprintf(key, sizeof(key), fmt, __VA_ARGS__), sample(f.r.body, key))
	cr_assert_eq(M("ringline_ops_total{target=\"%s\",op=\"read\"}", p2), 37);
	cr_assert_eq(M("ringline_bytes_total{target=\"%s\",op=\"read\"}", p2), 37 * 4096);
	cr_assert_eq(M("ringline_ops_total{target=\"%s\",op=\"write\"}", p2), 11);
	cr_assert_eq(M("ringline_bytes_total{target=\"%s\",op=\"write\"}", p2), 11 * 8192);
	cr_assert_eq(M("ringline_latency_seconds_count{target=\"%s\",op=\"read\"}", p2), 37);
	cr_assert_eq(
	    M("ringline_latency_seconds_bucket{target=\"%s\",op=\"read\",le=\"+Inf\"}", p2), 37);
	cr_assert_eq(M("ringline_ops_total{target=\"%s\",op=\"write\"}", s.path), 3);
	cr_assert_eq(
	    M("ringline_errors_total{target=\"%s\",op=\"write\",kind=\"errno\",code=\"EBADF\","
	      "message=\"Bad file descriptor\"}",
	      s.path),
	    3, "%s", f.r.body);
	cr_assert_eq(M("ringline_inflight{target=\"%s\"}", p2), 0);
	cr_assert_eq(sample(f.r.body, "ringline_ring_feature{feature=\"SQE128\"}"),
		     !!(rl_engine_features(s.e) & RL_FEAT_SQE128));
	cr_assert_eq(sample(f.r.body, "ringline_connections"), 1);
	resp_free(&f.r);

	fetch(&s, &f, "/v1/status", NULL);
	cr_assert_eq(f.r.status, 200);
	j = json_tokener_parse(f.r.body);
	cr_assert(j);
	cr_assert(json_object_object_get_ex(j, "targets", &v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *t = json_object_array_get_idx(v, i), *x, *ops;
		bool is_rw;

		json_object_object_get_ex(t, "name", &x);
		is_rw = !strcmp(json_object_get_string(x), p2);
		json_object_object_get_ex(t, "ops", &ops);
		json_object_object_get_ex(ops, is_rw ? "read" : "write", &x);
		json_object_object_get_ex(x, "ops", &x);
		cr_assert_eq(json_object_get_int64(x), is_rw ? 37 : 3);
		json_object_object_get_ex(ops, "write", &x);
		json_object_object_get_ex(x, "errors", &x);
		cr_assert_eq(json_object_get_int64(x), is_rw ? 0 : 3);
	}
	cr_assert(json_object_object_get_ex(j, "uptime_s", &v));
	cr_assert(json_object_object_get_ex(j, "slab", &v));
	cr_assert(json_object_object_get_ex(v, "in_use", &v));
	cr_assert_eq(json_object_get_int(v), 0);
	cr_assert(json_object_object_get_ex(j, "connections", &v));
	cr_assert(json_object_object_get_ex(v, "open", &v));
	cr_assert_eq(json_object_get_int(v), 1);
	cr_assert(json_object_object_get_ex(j, "ring_features", &v));
	cr_assert(json_object_object_get_ex(v, "in_use", &v));
	json_object_put(j);
	resp_free(&f.r);
#undef M
	srv_stop(&s);
	rl_free_aligned(buf);
	unlink(p2);
	free(p2);
}

Test(http, promtool_accepts_metrics)
{
	struct ctl_http_opts o = {0};
	struct srv s;
	struct fetch f;
	char tmp[] = "/tmp/rl-metrics.XXXXXX", cmd[128];
	void *buf = rl_alloc_aligned(4096, 4096);
	int fd, done = 0, status;

	if (system("command -v promtool >/dev/null 2>&1"))
		cr_skip_test("promtool is missing (Debian package prometheus; scripts/setup)");
	srv_start(&s, &o, 200);
	/* Every kind of series: histograms (probe reads) and errors (writes to a read-only file).
	 */
	cr_assert_eq(rl_target_write(s.t, buf, 4096, 0, io_cb, &done), 0);
	for (int i = 0; i < 20; i++)
		rl_engine_poll(s.e, 1, 10);
	fetch(&s, &f, "/metrics", NULL);
	cr_assert_eq(f.r.status, 200);
	cr_assert(strstr(f.r.body, "ringline_latency_seconds_bucket"));
	cr_assert(strstr(f.r.body, "ringline_errors_total{"));
	fd = mkstemp(tmp);
	cr_assert_eq(write(fd, f.r.body, f.r.body_len), (ssize_t)f.r.body_len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", tmp);
	status = system(cmd);
	unlink(tmp);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "promtool check metrics failed");
	resp_free(&f.r);
	srv_stop(&s);
	rl_free_aligned(buf);
}

Test(http, routes_and_methods)
{
	struct ctl_http_opts o = {0};
	struct srv s;
	struct fetch f;
	struct json_object *j, *d, *v;

	srv_start(&s, &o, 0);
	fetch(&s, &f, "/nope", NULL);
	cr_assert_eq(f.r.status, 404);
	resp_free(&f.r);
	fetch(&s, &f, "/v1/devices", NULL);
	cr_assert_eq(f.r.status, 200);
	j = json_tokener_parse(f.r.body);
	cr_assert_eq(json_object_array_length(j), 1);
	d = json_object_array_get_idx(j, 0);
	cr_assert(json_object_object_get_ex(d, "device", &v));
	cr_assert_str_eq(json_object_get_string(v), s.path);
	cr_assert(json_object_object_get_ex(d, "engine_path", &v));
	cr_assert_str_eq(json_object_get_string(v), "direct");
	cr_assert(json_object_object_get_ex(d, "size_bytes", &v));
	cr_assert_eq(json_object_get_int64(v), 16 << 20);
	json_object_put(j);
	resp_free(&f.r);
	/* A file has no SMART log; an unknown name is no device. */
	fetch(&s, &f, "/v1/devices/x/health", NULL);
	cr_assert_eq(f.r.status, 404);
	cr_assert(strstr(f.r.body, "no open device named x"), "%s", f.r.body);
	resp_free(&f.r);
	{
		char p[128];

		snprintf(p, sizeof(p), "/v1/devices%s/health", strrchr(s.path, '/'));
		fetch(&s, &f, p, NULL);
		cr_assert_eq(f.r.status, 404);
		cr_assert(strstr(f.r.body, "not an NVMe device"), "%s", f.r.body);
		resp_free(&f.r);
	}
	fetch(&s, &f, "/metrics?x=1", NULL);
	cr_assert_eq(f.r.status, 200, "a query string is ignored");
	resp_free(&f.r);
	srv_stop(&s);
}

struct raw {
	const char *req;
	struct resp r[4];
	int n;
	int eof_after;
};

/* Send @req as is and read up to four responses, then note whether the server closed. */
static void raw_exchange(struct srv *s, void *arg)
{
	struct raw *x = arg;
	int fd = dial(s->addr);
	char c;

	send_all(fd, x->req, strlen(x->req));
	while (x->n < 4 && !read_resp(fd, &x->r[x->n]))
		x->n++;
	x->eof_after = recv(fd, &c, 1, MSG_DONTWAIT) == 0;
	close(fd);
}

Test(http, method_not_allowed_keeps_the_connection)
{
	struct ctl_http_opts o = {.idle_timeout_ms = 300};
	struct srv s;
	struct raw x = {.req = "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
			       "DELETE /v1/status HTTP/1.1\r\nHost: t\r\n\r\n"
			       "GET /v1/status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"};

	srv_start(&s, &o, 0);
	with_client(&s, raw_exchange, &x);
	cr_assert_eq(x.n, 3);
	cr_assert_eq(x.r[0].status, 405);
	cr_assert(strstr(x.r[0].head, "\r\nAllow: GET, HEAD\r\n"), "%s", x.r[0].head);
	cr_assert_eq(x.r[1].status, 405);
	cr_assert_eq(x.r[2].status, 200);
	cr_assert(x.r[2].closes);
	cr_assert_eq(srv_requests(&s, 405), 2);
	for (int i = 0; i < x.n; i++)
		resp_free(&x.r[i]);
	srv_stop(&s);
}

Test(http, http10_closes_after_the_answer)
{
	struct ctl_http_opts o = {0};
	struct srv s;
	struct raw x = {.req = "GET /v1/status HTTP/1.0\r\n\r\nGET /v1/status HTTP/1.0\r\n\r\n"};

	srv_start(&s, &o, 0);
	with_client(&s, raw_exchange, &x);
	cr_assert_eq(x.n, 1);
	cr_assert_eq(x.r[0].status, 200);
	cr_assert(x.r[0].closes);
	resp_free(&x.r[0]);
	srv_stop(&s);
}

/*
 * Found by fuzz/http.c (corpus/http/regress-health-name-not-utf8): the device name of a health
 * request went into the 404's JSON as the client sent it, bytes above 0x7f included, so the
 * body was not UTF-8. It is quoted as in a URL now.
 */
Test(http, a_device_name_is_quoted_in_the_answer)
{
	struct ctl_http_opts o = {0};
	struct srv s;
	struct raw x = {.req = "GET /v1/devices/ng\x80\xff/health HTTP/1.1\r\nHost: t\r\n"
			       "Connection: close\r\n\r\n"};
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j;

	srv_start(&s, &o, 0);
	with_client(&s, raw_exchange, &x);
	cr_assert_eq(x.n, 1);
	cr_assert_eq(x.r[0].status, 404);
	cr_assert_str_eq(x.r[0].body, "{\"error\":\"no open device named ng%80%FF\"}\n");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, x.r[0].body, (int)x.r[0].body_len - 1);
	cr_assert(j, "not JSON in UTF-8: %s", x.r[0].body);
	json_object_put(j);
	json_tokener_free(tok);
	resp_free(&x.r[0]);
	srv_stop(&s);
}

/*
 * A path is bytes; JSON and the Prometheus text are UTF-8. A file named with bytes that are not
 * UTF-8 (and one that is: U+00E9, a quote, a backslash) is shown with those bytes as %XX in
 * /v1/devices and in the metrics' labels, the UTF-8 kept, and both still parse.
 */
Test(http, a_file_name_not_utf8_is_quoted_in_devices_and_metrics)
{
	struct ctl_http_opts o = {0};
	struct srv s;
	struct rl_target *t;
	struct fetch f;
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j;
	char *base = make_file("/var/tmp", 1 << 16, 'u'), *odd, *shown, key[512];
	bool found = false;

	cr_assert(asprintf(&odd, "%s-\xc3\xa9\xff\x80\"q\\", base) > 0);
	cr_assert(asprintf(&shown, "%s-\xc3\xa9%%FF%%80\"q\\", base) > 0);
	cr_assert_eq(rename(base, odd), 0);
	srv_start(&s, &o, 0);
	cr_assert_eq(rl_target_open(s.e, odd, RL_TARGET_RDONLY, &t), 0);

	fetch(&s, &f, "/v1/devices", NULL);
	cr_assert_eq(f.r.status, 200);
	cr_assert_null(memchr(f.r.body, 0xff, f.r.body_len), "a raw 0xff byte: %s", f.r.body);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, f.r.body, (int)f.r.body_len - 1);
	cr_assert(j, "not JSON in UTF-8: %s", f.r.body);
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		const char *d = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(j, i), "device"));

		found |= d && !strcmp(d, shown);
	}
	cr_assert(found, "no device named %s in %s", shown, f.r.body);
	json_object_put(j);
	json_tokener_free(tok);
	resp_free(&f.r);

	fetch(&s, &f, "/metrics", NULL);
	cr_assert_eq(f.r.status, 200);
	cr_assert_null(memchr(f.r.body, 0xff, f.r.body_len), "a raw 0xff byte in /metrics");
	/* in a label, the quote and the backslash are escaped as well */
	snprintf(key, sizeof(key),
		 "ringline_target_removed{target=\"%s-\xc3\xa9%%FF%%80\\\"q\\\\\"}", base);
	cr_assert_eq(sample(f.r.body, key), 0, "no sample %s in:\n%s", key, f.r.body);
	resp_free(&f.r);

	cr_assert_eq(rl_target_close(t), 0);
	srv_stop(&s);
	unlink(odd);
	free(odd);
	free(shown);
	free(base);
}

Test(http, bearer_token)
{
	struct ctl_http_opts o = {.token = "s3cret"};
	struct srv s;
	struct fetch f;

	srv_start(&s, &o, 0);
	fetch(&s, &f, "/metrics", NULL);
	cr_assert_eq(f.r.status, 401);
	cr_assert(strstr(f.r.head, "WWW-Authenticate: Bearer"));
	resp_free(&f.r);
	fetch(&s, &f, "/metrics", "Authorization: Bearer wrong\r\n");
	cr_assert_eq(f.r.status, 401);
	resp_free(&f.r);
	fetch(&s, &f, "/metrics", "Authorization: Bearer s3cret\r\n");
	cr_assert_eq(f.r.status, 200);
	resp_free(&f.r);
	fetch(&s, &f, "/nope", NULL);
	cr_assert_eq(f.r.status, 401, "nothing is revealed without the token");
	resp_free(&f.r);
	srv_stop(&s);
}

Test(http, errors_by_code_unit)
{
	struct rl_engine *e = engine_new(8);
	char *path = make_file("/var/tmp", 4096, 'e');
	struct rl_target *t;
	struct rl_error_count ec[RL_ERROR_KINDS + 1];
	struct rl_op_stats st;
	void *buf = rl_alloc_aligned(4096, 4096);
	int done = 0, n;

	cr_assert_eq(rl_target_open(e, path, RL_TARGET_RDONLY, &t), 0);
	cr_assert_eq(rl_target_errors(t, RL_OP_WRITE, ec, RL_ERROR_KINDS + 1), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(rl_target_write(t, buf, 4096, 0, io_cb, &done), 0);
	drain(e);
	n = rl_target_errors(t, RL_OP_WRITE, ec, RL_ERROR_KINDS + 1);
	cr_assert_eq(n, 1);
	cr_assert_eq(ec[0].code, -EBADF);
	cr_assert_eq(ec[0].count, 2);
	rl_target_stats(t, RL_OP_WRITE, &st);
	cr_assert_eq(st.errors, 2);
	cr_assert_eq(rl_target_errors(t, RL_OP_COUNT, ec, 1), -EINVAL);
	/* Past RL_ERROR_KINDS distinct codes, errors are counted together under code 0. */
	for (int code = 1; code <= RL_ERROR_KINDS + 2; code++)
		rl__count_error(&t->stats[RL_OP_READ], -code);
	n = rl_target_errors(t, RL_OP_READ, ec, RL_ERROR_KINDS + 1);
	cr_assert_eq(n, RL_ERROR_KINDS + 1);
	cr_assert_eq(ec[RL_ERROR_KINDS - 1].code, -RL_ERROR_KINDS);
	cr_assert_eq(ec[RL_ERROR_KINDS].code, 0);
	cr_assert_eq(ec[RL_ERROR_KINDS].count, 2);
	cr_assert_null(rl_target_nvme(t));
	rl_target_reset_stats(t);
	cr_assert_eq(rl_target_errors(t, RL_OP_WRITE, ec, RL_ERROR_KINDS + 1), 0);
	rl_engine_destroy(e);
	rl_free_aligned(buf);
	unlink(path);
	free(path);
}

struct burst {
	int ok;
	long ms;
};

/* 30 requests on one keep-alive connection, timed. */
static void thirty(struct srv *s, void *arg)
{
	struct burst *b = arg;
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";
	struct timespec t0, t1;
	struct resp r;
	int fd = dial(s->addr);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 30; i++) {
		if (send_all(fd, req, sizeof(req) - 1) || read_resp(fd, &r))
			break;
		b->ok += r.status == 200;
		resp_free(&r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	b->ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	close(fd);
}

Test(http, rate_limit_delays_and_answers)
{
	struct ctl_http_opts o = {.max_rate = 50};
	struct srv s;
	struct burst b = {0};

	srv_start(&s, &o, 0);
	with_client(&s, thirty, &b);
	cr_assert_eq(b.ok, 30, "every request is answered, none refused");
	/* A burst of 5 (rate / 10), then 25 at 50 per second: at least half a second. */
	cr_assert_geq(b.ms, 450, "30 requests took %ld ms", b.ms);
	cr_assert_lt(b.ms, 3000, "30 requests took %ld ms", b.ms);
	srv_stop(&s);
}
