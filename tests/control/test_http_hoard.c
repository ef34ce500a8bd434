// SPDX-License-Identifier: MIT
/*
 * Clients that hoard the server (issue 18, item 4), against the service with its default limits:
 * thousands of idle connections and slow-header connections do not lock others out (an idle
 * connection makes room for a new one, a request must arrive within the header timeout);
 * clients that pipeline requests and never read take a bounded share of the send pool, so
 * others are still answered within a second, and the server's memory stays bounded.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>

#include "http_helpers.h"

#define IDLE_CONNS 3000
#define SLOW_CONNS 64
#define GETS 5

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* The service with its defaults (connection limit, timeouts, rate limit). */
static void start_defaults(struct srv *s)
{
	struct ctl_http_opts o = {.max_rate = CTL_HTTP_RATE};

	srv_start(s, &o, 0);
}

/* This process's resident set in KiB, from /proc/self/status. */
static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* A GET /metrics on a new connection: its status, and its time in @ms. */
static int timed_metrics(const char *addr, long *ms)
{
	struct timespec t0;
	struct resp r;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	status = http_get(addr, "/metrics", NULL, &r) ? 0 : r.status;
	*ms = ms_since(&t0);
	resp_free(&r);
	return status;
}

/* The peer closed @fd (EOF or reset), without blocking. */
static bool peer_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* ---- 3000 idle connections and 64 slow-header ones ---------------------------------------- */

struct hoard {
	int idle_open;	  /* idle connections the kernel completed */
	int slow_redials; /* slow connections closed by the server and dialled again */
	int status[GETS];
	long ms[GETS];
};

static const char slow_req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";

static void hoard(struct srv *s, void *arg)
{
	struct hoard *x = arg;
	int *idle = malloc(IDLE_CONNS * sizeof(*idle)), slow[SLOW_CONNS], sent[SLOW_CONNS] = {0};
	struct timespec t0;

	for (int i = 0; i < IDLE_CONNS; i++) {
		idle[i] = dial(s->addr);
		x->idle_open += idle[i] >= 0;
	}
	for (int i = 0; i < SLOW_CONNS; i++) {
		slow[i] = dial(s->addr);
		send(slow[i], slow_req, 1, MSG_NOSIGNAL);
		sent[i] = 1;
	}
	/*
	 * 16 s: one byte every 5 s on each slow connection (the header timeout, 10 s, closes
	 * them, and they come back at once), a GET /metrics every 3 s.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int g = 0, tick = 0; g < GETS; tick++) {
		usleep(100000);
		if (tick % 50 == 49) {
			for (int i = 0; i < SLOW_CONNS; i++) {
				if (peer_closed(slow[i])) {
					close(slow[i]);
					slow[i] = dial(s->addr);
					sent[i] = 0;
					x->slow_redials++;
				}
				/* Never the whole request: the last byte is not sent. */
				if (sent[i] < (int)sizeof(slow_req) - 2)
					send(slow[i], slow_req + sent[i]++, 1, MSG_NOSIGNAL);
			}
		}
		if (tick % 30 == 29) {
			x->status[g] = timed_metrics(s->addr, &x->ms[g]);
			g++;
		}
	}
	for (int i = 0; i < SLOW_CONNS; i++)
		close(slow[i]);
	for (int i = 0; i < IDLE_CONNS; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	free(idle);
}

/* 3000 + 64 client descriptors and a few for the test itself. */
static void raise_nofile(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= 8192)
		return;
	rl.rlim_cur = 8192;
	if (rl.rlim_max < 8192)
		rl.rlim_max = 8192; /* root may raise the hard limit */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		cr_skip_test("cannot raise RLIMIT_NOFILE to 8192: %s", strerror(errno));
}

Test(http_hoard, idle_and_slow_header_connections_lock_no_one_out, .timeout = 60)
{
	struct srv s;
	struct hoard x = {0};
	struct rl_net_stats ns;

	skip_unless_io_uring();
	raise_nofile();
	start_defaults(&s);
	with_client(&s, hoard, &x);
	rl_net_stats(s.e, &ns);
	fprintf(stderr,
		"hoard: %d idle connections, %d slow ones, %d slow ones dialled again; GET "
		"/metrics in",
		x.idle_open, SLOW_CONNS, x.slow_redials);
	for (int g = 0; g < GETS; g++)
		fprintf(stderr, " %ld", x.ms[g]);
	fprintf(stderr, " ms; evicted %llu, header timeouts %llu, refused %llu\n",
		(unsigned long long)ns.evicted, (unsigned long long)ns.header_timeouts,
		(unsigned long long)ns.refused);
	cr_assert_eq(x.idle_open, IDLE_CONNS);
	for (int g = 0; g < GETS; g++) {
		cr_assert_eq(x.status[g], 200, "GET %d: status %d after %ld ms", g, x.status[g],
			     x.ms[g]);
		cr_assert_lt(x.ms[g], 1000, "GET %d answered after %ld ms", g, x.ms[g]);
	}
	/*
	 * Idle ones made room; the slow ones were closed by the header timeout. A few may be
	 * evicted instead: idle connections still in the accept queue when the slow ones dialled
	 * are accepted after them, and a slow one whose first byte the server has not read yet is
	 * as idle as any.
	 */
	cr_assert_geq(ns.evicted, IDLE_CONNS - CTL_HTTP_MAX_CONNS);
	cr_assert_geq(ns.header_timeouts, SLOW_CONNS - 8, "%llu header timeouts",
		      (unsigned long long)ns.header_timeouts);
	cr_assert_geq(x.slow_redials, SLOW_CONNS);
	srv_stop(&s);
}

/* ---- clients that pipeline requests and never read ---------------------------------------- */

#define NONREADERS 6
#define PUSH_TOTAL (1ull << 30)

struct flood {
	uint64_t pushed;  /* request bytes the server took in */
	int rounds;	  /* rounds of NONREADERS connections, each pushed until it blocked */
	int status[GETS]; /* GETs of a normal client while the non-readers hold */
	long ms[GETS];
	long rss_kib[2];   /* the process (server) before and after */
	size_t queued_max; /* the engine's send queues at their fullest, seen by the client */
};

/* A request padded to 4 KiB, so the bytes pushed are mostly requests, not the replies. */
static char pad_req[4096];

static void make_pad_req(void)
{
	int n = snprintf(pad_req, sizeof(pad_req), "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Pad: ");

	memset(pad_req + n, 'p', sizeof(pad_req) - (size_t)n - 4);
	memcpy(pad_req + sizeof(pad_req) - 4, "\r\n\r\n", 4);
}

/* Send padded requests on @fd until the server stops taking them for 300 ms. */
static uint64_t push_until_blocked(int fd, uint64_t limit)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	uint64_t pushed = 0;
	size_t off = 0;
	ssize_t n;

	while (pushed < limit && poll(&p, 1, 300) == 1 && !(p.revents & (POLLERR | POLLHUP))) {
		n = send(fd, pad_req + off, sizeof(pad_req) - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			break;
		pushed += (uint64_t)n;
		off = (off + (size_t)n) % sizeof(pad_req);
	}
	return pushed;
}

static void flood(struct srv *s, void *arg)
{
	struct flood *x = arg;
	struct timespec t0;
	int fds[NONREADERS], small = 4096, g = 0;

	make_pad_req();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Until 1 GiB went in, or 25 s: the server's reading is what bounds the pace. */
	while (x->pushed < PUSH_TOTAL && ms_since(&t0) < 25000) {
		for (int i = 0; i < NONREADERS; i++) {
			fds[i] = dial(s->addr);
			setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		}
		for (int i = 0; i < NONREADERS; i++)
			x->pushed += push_until_blocked(fds[i], PUSH_TOTAL - x->pushed);
		/* All six hold their queues now: a normal client is answered all the same. */
		if (g < GETS) {
			x->status[g] = timed_metrics(s->addr, &x->ms[g]);
			g++;
		}
		for (int i = 0; i < NONREADERS; i++)
			close(fds[i]);
		x->rounds++;
	}
}

static void warm_up(struct srv *s, void *arg)
{
	long ms;

	(void)arg;
	for (int i = 0; i < 3; i++)
		timed_metrics(s->addr, &ms);
}

Test(http_hoard, non_readers_neither_starve_others_nor_grow_memory, .timeout = 90)
{
	struct ctl_http_opts o = {0}; /* defaults, but no rate limit: the server works flat out */
	struct flood x = {0};
	struct rl_net_stats ns;
	struct job j = {flood, NULL, &x, 0};
	struct srv s;
	pthread_t th;
	size_t share;

	srv_start(&s, &o, 0);
	j.s = &s;
	/* Warm up: the first answers allocate the reply buffers once. */
	with_client(&s, warm_up, NULL);
	x.rss_kib[0] = rss_kib();
	pthread_create(&th, NULL, job_main, &j);
	for (int i = 0; i < 200000 && !j.done; i++) {
		cr_assert_geq(rl_engine_poll(s.e, 1, 5), 0);
		rl_net_stats(s.e, &ns);
		x.queued_max = ns.send_queued > x.queued_max ? ns.send_queued : x.queued_max;
	}
	pthread_join(th, NULL);
	cr_assert(j.done);
	x.rss_kib[1] = rss_kib();
	rl_net_stats(s.e, &ns);
	share = ns.send_pool / CTL_HTTP_MAX_CONNS;
	fprintf(stderr,
		"non-readers: %.1f MiB of requests in %d rounds of %d; RSS %ld -> %ld KiB; send "
		"queues at most %zu bytes (pool %zu); GET /metrics in",
		(double)x.pushed / (1 << 20), x.rounds, NONREADERS, x.rss_kib[0], x.rss_kib[1],
		x.queued_max, ns.send_pool);
	for (int g = 0; g < GETS; g++)
		fprintf(stderr, " %ld", x.ms[g]);
	fprintf(stderr, " ms\n");
	for (int g = 0; g < GETS; g++) {
		cr_assert_eq(x.status[g], 200, "GET %d: status %d after %ld ms", g, x.status[g],
			     x.ms[g]);
		cr_assert_lt(x.ms[g], 1000, "GET %d answered after %ld ms", g, x.ms[g]);
	}
	/* Each non-reader holds its share and one reply at most. */
	cr_assert_leq(x.queued_max, NONREADERS * (share + (64u << 10)),
		      "send queues held %zu bytes", x.queued_max);
	cr_assert_lt(x.rss_kib[1] - x.rss_kib[0], 16 << 10, "RSS grew from %ld to %ld KiB",
		     x.rss_kib[0], x.rss_kib[1]);
	cr_assert_gt(x.pushed, 64u << 20, "only %llu bytes pushed", (unsigned long long)x.pushed);
	srv_stop(&s);
}
