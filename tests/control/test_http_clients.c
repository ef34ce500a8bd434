// SPDX-License-Identifier: MIT
/*
 * Bad clients leave the server serving and the data plane running: garbage bytes, a header over
 * the limit, unsupported methods, half a request then silence, a client that never reads, more
 * connections than the limit, and 10,000 requests pipelined on one connection. After each, a
 * normal request still gets 200 and the probe's read counter still advances.
 */
#include <fcntl.h>
#include <poll.h>

#include "http_helpers.h"

#define IDLE_MS 300
#define PROBE_RATE 500

struct scene {
	struct resp r;
	int got;      /* responses read */
	int closed;   /* the server closed (EOF or reset) */
	long elapsed; /* ms */
	int serving;  /* still_serving() */
	int err;
};

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static int server_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);

	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* One GET /v1/status on @fd: counted in @x->got when answered 200. */
static void ask_ok(int fd, struct scene *x)
{
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";

	send_all(fd, req, sizeof(req) - 1);
	if (!read_resp(fd, &x->r) && x->r.status == 200)
		x->got++;
	resp_free(&x->r);
}

static void start_idle(struct srv *s, unsigned max_conns, unsigned max_request, unsigned idle_ms)
{
	struct ctl_http_opts o = {
	    .idle_timeout_ms = idle_ms, .max_conns = max_conns, .max_request = max_request};

	srv_start(s, &o, PROBE_RATE);
}

static void start(struct srv *s, unsigned max_conns, unsigned max_request)
{
	start_idle(s, max_conns, max_request, IDLE_MS);
}

static void finish(struct srv *s, struct scene *x)
{
	cr_assert_eq(x->serving, 0, "after the bad client: still_serving step %d failed",
		     -x->serving);
	resp_free(&x->r);
	srv_stop(s);
}

/* ---- garbage -------------------------------------------------------------------------------- */

static void garbage(struct srv *s, void *arg)
{
	struct scene *x = arg;
	static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n";
	int fd = dial(s->addr);

	send_all(fd, junk, sizeof(junk) - 1);
	x->got = !read_resp(fd, &x->r);
	x->closed = server_closed(fd);
	close(fd);
	x->serving = still_serving(s->addr);
}

Test(http_clients, garbage_bytes)
{
	struct srv s;
	struct scene x = {0};

	start(&s, 0, 0);
	with_client(&s, garbage, &x);
	cr_assert(x.got);
	cr_assert_eq(x.r.status, 400);
	cr_assert(x.r.closes);
	cr_assert(x.closed);
	finish(&s, &x);
}

/* ---- a header over the limit ---------------------------------------------------------------- */

static void big_header(struct srv *s, void *arg)
{
	struct scene *x = arg;
	size_t n = 64 << 10;
	char *req = malloc(n + 64);
	int fd = dial(s->addr);

	strcpy(req, "GET /metrics HTTP/1.1\r\nX-Big: ");
	memset(req + strlen(req), 'a', n);
	strcpy(req + 30 + n, "\r\n\r\n");
	/* The server answers after 4 KiB and reads the rest away before it closes. */
	x->err = send_all(fd, req, strlen(req));
	x->got = !read_resp(fd, &x->r);
	x->closed = server_closed(fd);
	close(fd);
	free(req);
	x->serving = still_serving(s->addr);
}

Test(http_clients, header_over_the_limit)
{
	struct srv s;
	struct scene x = {0};

	start(&s, 0, 4096);
	with_client(&s, big_header, &x);
	cr_assert_eq(x.err, 0, "the whole request could be sent");
	cr_assert(x.got);
	cr_assert_eq(x.r.status, 431);
	cr_assert(x.closed);
	cr_assert_eq(srv_requests(&s, 431), 1);
	finish(&s, &x);
}

/* ---- unsupported methods -------------------------------------------------------------------- */

static void methods(struct srv *s, void *arg)
{
	struct scene *x = arg;
	struct resp r;
	int fd = dial(s->addr);
	static const char req[] = "PUT /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi"
				  "PATCH /v1/status HTTP/1.1\r\nHost: t\r\n\r\n"
				  "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n";

	send_all(fd, req, sizeof(req) - 1);
	for (int i = 0; i < 3 && !read_resp(fd, &r); i++) {
		/* 405, 405, then 400: http-parser knows no method BREW */
		x->got = x->got * 1000 + r.status;
		resp_free(&r);
	}
	x->closed = server_closed(fd);
	close(fd);
	x->serving = still_serving(s->addr);
}

Test(http_clients, unsupported_methods)
{
	struct srv s;
	struct scene x = {0};

	start(&s, 0, 0);
	with_client(&s, methods, &x);
	cr_assert_eq(x.got, 405405400, "statuses %d", x.got);
	cr_assert(x.closed);
	finish(&s, &x);
}

/* ---- half a request, then silence ---------------------------------------------------------- */

static void half_request(struct srv *s, void *arg)
{
	struct scene *x = arg;
	struct timespec t0;
	int fd = dial(s->addr);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHo", 25);
	x->closed = server_closed(fd);
	x->elapsed = ms_since(&t0);
	close(fd);
	x->serving = still_serving(s->addr);
}

Test(http_clients, half_request_closed_at_idle_timeout)
{
	struct srv s;
	struct scene x = {0};
	struct rl_net_stats ns;

	start(&s, 0, 0);
	with_client(&s, half_request, &x);
	cr_assert(x.closed);
	cr_assert_geq(x.elapsed, IDLE_MS, "closed after %ld ms", x.elapsed);
	cr_assert_lt(x.elapsed, 5 * IDLE_MS, "closed after %ld ms", x.elapsed);
	rl_net_stats(s.e, &ns);
	cr_assert_eq(ns.idle_closed, 1);
	finish(&s, &x);
}

/* ---- a client that sends requests and never reads ------------------------------------------ */

static void never_reads(struct srv *s, void *arg)
{
	struct scene *x = arg;
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	int fd = dial(s->addr), small = 4096, sent = 0;
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	/* Push requests until the server stops taking them (bounded). */
	while (sent < 20000 && poll(&p, 1, 200) == 1)
		if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0)
			sent++;
	x->got = sent;
	/* Meanwhile, others are served and the probe goes on. */
	x->serving = still_serving(s->addr);
	/* The stuck connection makes no progress: closed at the idle timeout. */
	fcntl(fd, F_SETFL, 0);
	p.events = POLLRDHUP;
	poll(&p, 1, 20 * IDLE_MS);
	x->closed = (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
	close(fd);
}

Test(http_clients, client_that_never_reads)
{
	struct srv s;
	struct scene x = {0};
	struct rl_net_stats ns;
	struct job j = {never_reads, &s, &x, 0};
	size_t peak = 0;
	pthread_t th;

	start(&s, 0, 0);
	pthread_create(&th, NULL, job_main, &j);
	for (int i = 0; i < 60000 && !j.done; i++) {
		cr_assert_geq(rl_engine_poll(s.e, 1, 5), 0);
		rl_net_stats(s.e, &ns);
		peak = ns.send_queued > peak ? ns.send_queued : peak;
	}
	pthread_join(th, NULL);
	cr_assert(j.done);
	cr_assert_gt(x.got, 10, "sent %d requests", x.got);
	/*
	 * Its queue filled up to its share of the pool (pool / max_conns by default) and no
	 * further; the figure is the engine's total, so the other connection's small replies may
	 * add a little.
	 */
	cr_assert_geq(peak, ns.send_pool / CTL_HTTP_MAX_CONNS / 2, "send queues peaked at %zu",
		      peak);
	cr_assert_leq(peak, ns.send_pool / CTL_HTTP_MAX_CONNS + (64u << 10),
		      "send queues peaked at %zu bytes", peak);
	cr_assert(x.closed, "the stuck connection was closed");
	rl_net_stats(s.e, &ns);
	cr_assert_geq(ns.idle_closed, 1);
	finish(&s, &x);
}

/* ---- more connections than the limit ------------------------------------------------------- */

/*
 * Four connections with a request in progress (half a request each) fill the limit: a fifth is
 * closed without an answer, since none of them is between requests.
 */
static void too_many(struct srv *s, void *arg)
{
	struct scene *x = arg;
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";
	int fds[5];

	for (int i = 0; i < 4; i++) {
		fds[i] = dial(s->addr);
		ask_ok(fds[i], x);
		send_all(fds[i], req, 10); /* the next request, begun */
	}
	usleep(50000);
	fds[4] = dial(s->addr);
	send_all(fds[4], req, sizeof(req) - 1);
	x->closed = server_closed(fds[4]);
	close(fds[4]);
	send_all(fds[0], req + 10, sizeof(req) - 11); /* the rest of fds[0]'s request */
	if (!read_resp(fds[0], &x->r) && x->r.status == 200)
		x->got++;
	resp_free(&x->r);
	/* The kept ones still work, and a slot freed is a slot usable. */
	ask_ok(fds[0], x);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	usleep(50000);
	x->serving = still_serving(s->addr);
}

Test(http_clients, more_connections_than_the_limit)
{
	struct srv s;
	struct scene x = {0};
	struct rl_net_stats ns;

	start(&s, 4, 0);
	with_client(&s, too_many, &x);
	cr_assert_eq(x.got, 6);
	cr_assert(x.closed, "the fifth connection was closed without an answer");
	rl_net_stats(s.e, &ns);
	cr_assert_geq(ns.refused, 1);
	finish(&s, &x);
}

/*
 * Four keep-alive connections between requests fill the limit: a fifth takes the place of the
 * oldest of them (as a web server reuses idle keep-alive connections) and is answered.
 */
static void idle_gives_way(struct srv *s, void *arg)
{
	struct scene *x = arg;
	int fds[5];

	for (int i = 0; i < 4; i++) {
		fds[i] = dial(s->addr);
		ask_ok(fds[i], x);
		usleep(10000); /* fds[0] is the oldest idle one */
	}
	fds[4] = dial(s->addr);
	ask_ok(fds[4], x);
	x->closed = server_closed(fds[0]);
	/* The three others were kept. */
	for (int i = 1; i < 4; i++)
		ask_ok(fds[i], x);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	usleep(50000);
	x->serving = still_serving(s->addr);
}

Test(http_clients, an_idle_connection_makes_room_at_the_limit)
{
	struct srv s;
	struct scene x = {0};
	struct rl_net_stats ns;

	start(&s, 4, 0);
	with_client(&s, idle_gives_way, &x);
	cr_assert_eq(x.got, 8, "%d answers of 200", x.got);
	cr_assert(x.closed, "the oldest idle connection was closed for the fifth");
	rl_net_stats(s.e, &ns);
	cr_assert_geq(ns.evicted, 1);
	cr_assert_eq(ns.refused, 0);
	finish(&s, &x);
}

/* ---- 10,000 requests pipelined on one connection ------------------------------------------- */

#define PIPELINED 10000

struct pipe_writer {
	int fd;
	int err;
};

static void *write_requests(void *arg)
{
	struct pipe_writer *w = arg;
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n";
	static char batch[100 * (sizeof(req) - 1)];

	for (int i = 0; i < 100; i++)
		memcpy(batch + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	for (int i = 0; i < PIPELINED / 100 && !w->err; i++)
		w->err = send_all(w->fd, batch, sizeof(batch));
	return NULL;
}

static void pipelined(struct srv *s, void *arg)
{
	struct scene *x = arg;
	struct pipe_writer w = {.fd = dial(s->addr)};
	pthread_t th;
	struct resp r;

	pthread_create(&th, NULL, write_requests, &w);
	for (x->elapsed = 0; x->elapsed < PIPELINED && !read_resp(w.fd, &r); x->elapsed++) {
		x->got += r.status == 200;
		if (r.status != 200)
			x->closed = r.status;
		resp_free(&r);
	}
	pthread_join(th, NULL);
	x->err = w.err;
	close(w.fd);
	x->serving = still_serving(s->addr);
}

Test(http_clients, ten_thousand_pipelined_requests)
{
	struct srv s;
	struct scene x = {0};

	/*
	 * Not an idle test: on a loaded machine the client may not run for longer than IDLE_MS
	 * while its replies wait to be read, which the server rightly takes as idleness.
	 */
	start_idle(&s, 0, 0, 10000);
	with_client(&s, pipelined, &x);
	cr_assert_eq(x.err, 0);
	cr_assert_eq(x.got, PIPELINED, "%d answers of 200, %ld responses, other status %d", x.got,
		     x.elapsed, x.closed);
	cr_assert_geq(srv_requests(&s, 200), PIPELINED);
	finish(&s, &x);
}
