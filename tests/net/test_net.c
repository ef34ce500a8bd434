// SPDX-License-Identifier: MIT
/*
 * Sockets on the engine's ring: echo over TCP and Unix sockets, the connection limit, the idle
 * timeout, ENOBUFS and its re-arm, stale CQEs that carry a buffer, a bounded send queue for a
 * peer that never reads, close after drain, teardown with connections open, and storage I/O on
 * the same loop. Clients run in a thread with plain blocking sockets; traffic stays on loopback.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "helpers.h"
#include "engine/net_internal.h"

/* ---- a tiny protocol: echo everything, close when the peer is done --------------------- */

struct echo {
	int opens;
	int closes;
	int last_reason;
	int pause;	   /* consume nothing while set */
	size_t push_bytes; /* on open: queue this much to send */
	int close_after_push;
	int send_refused;
};

static int echo_open(void *arg, struct rl_conn *c)
{
	struct echo *st = arg;
	static char blob[65536];

	st->opens++;
	while (st->push_bytes) {
		size_t n = st->push_bytes < sizeof(blob) ? st->push_bytes : sizeof(blob);

		if (rl_conn_send(c, blob, n)) {
			st->send_refused++;
			break;
		}
		st->push_bytes -= n;
	}
	if (st->close_after_push)
		rl_conn_close(c);
	return 0;
}

static size_t echo_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct echo *st = arg;

	if (st->pause)
		return 0;
	if (len && rl_conn_send(c, data, len))
		return 0; /* no room: offered again after a send completes */
	if (rl_conn_eof(c))
		rl_conn_close(c);
	return len;
}

static void echo_close(void *arg, struct rl_conn *c, int reason)
{
	struct echo *st = arg;

	(void)c;
	st->closes++;
	st->last_reason = reason;
}

static const struct rl_conn_ops echo_ops = {echo_open, echo_data, echo_close};

/* ---- client side --------------------------------------------------------------------------- */

struct client {
	char addr[128];
	void (*fn)(struct client *);
	volatile int done;
	pthread_t th;
	/* results */
	size_t got;
	int eof;
	int err;
	char buf[1 << 16];
};

static int dial(const char *addr)
{
	int fd;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un un = {.sun_family = AF_UNIX};

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&un, sizeof(un)))
			return -1;
	} else {
		struct sockaddr_in in = {.sin_family = AF_INET};
		const char *colon = strrchr(addr, ':');

		in.sin_port = htons((uint16_t)atoi(colon + 1));
		inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&in, sizeof(in)))
			return -1;
	}
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Read until EOF, an error or @want bytes; returns bytes read, sets c->eof / c->err. */
static size_t read_all(struct client *c, int fd, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = recv(fd, c->buf + (got % sizeof(c->buf)),
				 sizeof(c->buf) - (got % sizeof(c->buf)), 0);

		if (r == 0) {
			c->eof = 1;
			break;
		}
		if (r < 0) {
			c->err = errno;
			break;
		}
		got += (size_t)r;
	}
	return got;
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	c->fn(c);
	c->done = 1;
	return NULL;
}

/* Run the engine until the client thread finished and then until @settle holds. */
static void serve_until(struct rl_engine *e, struct client *c, int (*settle)(struct rl_engine *))
{
	pthread_create(&c->th, NULL, client_main, c);
	for (int i = 0; i < 3000 && !(c->done && (!settle || settle(e))); i++)
		cr_assert_geq(rl_engine_poll(e, 1, 10), 0);
	pthread_join(c->th, NULL);
	cr_assert(c->done);
}

static int no_conns(struct rl_engine *e)
{
	struct rl_net_stats st;

	rl_net_stats(e, &st);
	return st.conns == 0;
}

static struct rl_listener *listen_on(struct rl_engine *e, const char *addr,
				     const struct rl_listen_opts *o, struct echo *st,
				     struct client *c)
{
	struct rl_listener *l;

	cr_assert_eq(rl_listen(e, addr, o, &echo_ops, st, &l), 0, "%s", rl_engine_last_error(e));
	rl_listener_address(l, c->addr, sizeof(c->addr));
	return l;
}

/* ---- echo ------------------------------------------------------------------------------- */

static void echo_client(struct client *c)
{
	int fd = dial(c->addr);
	char msg[3000];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	if (fd < 0) {
		c->err = errno;
		return;
	}
	send(fd, msg, sizeof(msg), 0);
	shutdown(fd, SHUT_WR);
	c->got = read_all(c, fd, sizeof(msg) + 1);
	if (c->got == sizeof(msg) && memcmp(c->buf, msg, sizeof(msg)))
		c->err = EBADMSG;
	close(fd);
}

TestSuite(net, .init = skip_unless_io_uring);

Test(net, tcp_echo_and_close_after_eof)
{
	struct rl_engine *e = engine_new(8);
	struct echo st = {0};
	struct client c = {.fn = echo_client};
	struct rl_net_stats ns;

	listen_on(e, "127.0.0.1:0", NULL, &st, &c);
	cr_assert(!strncmp(c.addr, "127.0.0.1:", 10), "%s", c.addr);
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.err, 0, "client: %s", strerror(c.err));
	cr_assert_eq(c.got, 3000);
	cr_assert(c.eof, "the server closed after the peer finished");
	cr_assert_eq(st.opens, 1);
	cr_assert_eq(st.closes, 1);
	cr_assert_eq(st.last_reason, 0);
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.bytes_in, 3000);
	cr_assert_eq(ns.bytes_out, 3000);
	cr_assert_eq(ns.accepted, 1);
	cr_assert_eq(ns.send_queued, 0);
	cr_assert_eq(ns.bufs_free, ns.bufs, "every receive buffer is back in the ring");
	rl_engine_destroy(e);
}

Test(net, loopback_unless_told_otherwise)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listener *l;
	struct echo st = {0};
	char a[128];

	cr_assert_eq(rl_listen(e, ":0", NULL, &echo_ops, &st, &l), 0);
	cr_assert(!strncmp(rl_listener_address(l, a, sizeof(a)), "127.0.0.1:", 10), "%s", a);
	rl_listener_close(l);
	cr_assert_eq(rl_listen(e, "0", NULL, &echo_ops, &st, &l), 0);
	cr_assert(!strncmp(rl_listener_address(l, a, sizeof(a)), "127.0.0.1:", 10), "%s", a);
	cr_assert_eq(rl_listen(e, "nohost:x", NULL, &echo_ops, &st, &l), -EINVAL);
	cr_assert(strstr(rl_engine_last_error(e), "HOST:PORT"), "%s", rl_engine_last_error(e));
	rl_engine_destroy(e);
}

Test(net, unix_echo_and_path_removed)
{
	struct rl_engine *e = engine_new(8);
	struct echo st = {0};
	struct client c = {.fn = echo_client};
	char path[64], addr[80];
	struct rl_listener *l;

	snprintf(path, sizeof(path), "/tmp/rl-net-%d.sock", getpid());
	snprintf(addr, sizeof(addr), "unix:%s", path);
	l = listen_on(e, addr, NULL, &st, &c);
	cr_assert_str_eq(c.addr, addr);
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.err, 0, "client: %s", strerror(c.err));
	cr_assert_eq(c.got, 3000);
	rl_listener_close(l);
	while (rl_engine_poll(e, 0, 0) > 0)
		;
	rl_engine_poll(e, 1, 100);
	cr_assert_neq(access(path, F_OK), 0, "the socket file is removed on close");
	rl_engine_destroy(e);
}

/* ---- limits ----------------------------------------------------------------------------- */

static void over_limit_client(struct client *c)
{
	int fds[3];
	char b;

	/* Two connections that the server keeps (proven by an echo), then one too many. */
	for (int i = 0; i < 2; i++) {
		fds[i] = dial(c->addr);
		send(fds[i], "x", 1, 0);
		if (recv(fds[i], &b, 1, 0) != 1)
			c->err = EPROTO;
	}
	fds[2] = dial(c->addr);
	send(fds[2], "y", 1, 0);
	/* Refused: closed before any byte is read, so EOF or a reset, never an echo. */
	if (recv(fds[2], &b, 1, 0) == 1)
		c->err = EEXIST;
	close(fds[2]);
	/* A kept connection still works. */
	send(fds[0], "z", 1, 0);
	if (recv(fds[0], &b, 1, 0) != 1 || b != 'z')
		c->err = EPROTO;
	close(fds[0]);
	close(fds[1]);
}

Test(net, connection_limit_refuses_cleanly)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {.opts_size = sizeof(o), .max_conns = 2};
	struct echo st = {0};
	struct client c = {.fn = over_limit_client};
	struct rl_net_stats ns;

	listen_on(e, "127.0.0.1:0", &o, &st, &c);
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.err, 0, "client: %s", strerror(c.err));
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.refused, 1);
	cr_assert_eq(ns.accepted, 3);
	cr_assert_eq(st.opens, 2, "on_open never ran for the refused connection");
	cr_assert_eq(st.closes, 2);
	cr_assert_eq(rl_engine_files_in_use(e), 1, "only the listener holds a slot");
	rl_engine_destroy(e);
}

static void idle_client(struct client *c)
{
	int fd = dial(c->addr);
	struct timespec a, b;
	char ch;

	clock_gettime(CLOCK_MONOTONIC, &a);
	send(fd, "half", 4, 0); /* and then nothing */
	if (recv(fd, &ch, 1, 0) != 0)
		c->err = EPROTO;
	clock_gettime(CLOCK_MONOTONIC, &b);
	c->got = (size_t)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	close(fd);
}

Test(net, idle_timeout_closes)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {.opts_size = sizeof(o), .idle_timeout_ms = 150};
	struct echo st = {.pause = 1};
	struct client c = {.fn = idle_client};
	struct rl_net_stats ns;

	listen_on(e, "127.0.0.1:0", &o, &st, &c);
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.err, 0);
	cr_assert_geq(c.got, 150, "closed after %zu ms", c.got);
	cr_assert_lt(c.got, 2000, "closed after %zu ms", c.got);
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.idle_closed, 1);
	cr_assert_eq(st.last_reason, -ETIMEDOUT);
	rl_engine_destroy(e);
}

/* ---- buffers ---------------------------------------------------------------------------- */

static void sink_client(struct client *c)
{
	int fd = dial(c->addr);
	static char msg[100000];

	memset(msg, 'q', sizeof(msg));
	send(fd, msg, sizeof(msg), 0);
	shutdown(fd, SHUT_WR);
	c->got = read_all(c, fd, sizeof(msg) + 1);
	close(fd);
}

Test(net, enobufs_rearms_after_buffers_come_back)
{
	struct rl_engine_opts eo;
	struct rl_engine *e;
	struct echo st = {0};
	struct client c = {.fn = sink_client};
	struct rl_net_stats ns;

	rl_engine_opts_init(&eo);
	eo.net_buffers = 2;
	eo.net_buffer_size = 64;
	cr_assert_eq(rl_engine_create(&eo, &e), 0);
	listen_on(e, "127.0.0.1:0", NULL, &st, &c);
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.got, 100000, "echoed %zu bytes", c.got);
	rl_net_stats(e, &ns);
	cr_assert_gt(ns.enobufs, 0, "two 64-byte buffers run dry on 100 kB");
	cr_assert_eq(ns.bufs_free, 2);
	rl_engine_destroy(e);
}

Test(net, stale_cqe_gives_its_buffer_back)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listener *l;
	struct echo st = {0};
	struct rl__net *n;
	uint16_t tail;
	struct rl_net_stats ns;

	cr_assert_eq(rl_listen(e, "127.0.0.1:0", NULL, &echo_ops, &st, &l), 0);
	n = e->net;
	tail = n->br->tail;
	/* Pretend the kernel filled buffer 5 for connection slot 3, which is not open. */
	rl__dispatch(e, rl__ud_encode(RL__TAG_NET_RECV, 3, 7), 100,
		     IORING_CQE_F_BUFFER | (5u << IORING_CQE_BUFFER_SHIFT), 0, rl__now_ns());
	cr_assert_eq((uint16_t)(n->br->tail - tail), 1, "the buffer went back to the ring");
	cr_assert_eq(n->br->bufs[tail & (n->nbufs - 1)].bid, 5);
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.stale, 1);
	cr_assert_eq(ns.bufs_free, ns.bufs);
	cr_assert_eq(rl_engine_stale_cqes(e), 1);
	rl_engine_destroy(e);
}

/* ---- sending ---------------------------------------------------------------------------- */

static void never_reads_client(struct client *c)
{
	int fd = dial(c->addr);
	int small = 4096;
	char ch;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	/* Never read; wait for the server to give up on us. */
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	poll(&p, 1, 5000);
	while (recv(fd, &ch, 1, MSG_DONTWAIT) > 0)
		c->got++;
	close(fd);
}

Test(net, send_queue_is_bounded_for_a_peer_that_never_reads)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {
	    .opts_size = sizeof(o), .idle_timeout_ms = 200, .max_send_queue = 256 << 10};
	struct echo st = {.push_bytes = 64u << 20};
	struct client c = {.fn = never_reads_client};
	struct rl_net_stats ns;
	size_t peak = 0;

	listen_on(e, "127.0.0.1:0", &o, &st, &c);
	pthread_create(&c.th, NULL, client_main, &c);
	for (int i = 0; i < 3000 && !(c.done && no_conns(e)); i++) {
		cr_assert_geq(rl_engine_poll(e, 1, 10), 0);
		rl_net_stats(e, &ns);
		if (ns.send_queued > peak)
			peak = ns.send_queued;
	}
	pthread_join(c.th, NULL);
	cr_assert_eq(st.send_refused, 1, "rl_conn_send() refused past the queue limit");
	cr_assert_leq(peak, (256 << 10) + 65536, "queued at most the limit plus one message");
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.idle_closed, 1, "no progress: closed at the idle timeout");
	cr_assert_eq(ns.send_queued, 0);
	cr_assert_eq(e->net->chunks_free, e->net->nchunks, "every send chunk is back");
	rl_engine_destroy(e);
}

static void drain_client(struct client *c)
{
	int fd = dial(c->addr);

	c->got = read_all(c, fd, SIZE_MAX);
	close(fd);
}

Test(net, close_waits_for_the_queue_to_drain)
{
	struct rl_engine *e = engine_new(8);
	struct echo st = {.push_bytes = 3u << 20, .close_after_push = 1};
	struct rl_listen_opts o = {.opts_size = sizeof(o), .max_send_queue = 4u << 20};
	struct client c = {.fn = drain_client};

	listen_on(e, "127.0.0.1:0", &o, &st, &c);
	serve_until(e, &c, no_conns);
	cr_assert_eq(st.send_refused, 0);
	cr_assert_eq(c.got, 3u << 20, "got %zu bytes before EOF", c.got);
	cr_assert(c.eof);
	cr_assert_eq(c.err, 0);
	rl_engine_destroy(e);
}

/* ---- timers, watches, teardown, storage on the same loop ------------------------------ */

Test(net, timers_and_watches)
{
	struct rl_engine *e = engine_new(8);
	struct done t1 = {0}, t2 = {0}, w = {0};
	uint64_t id2, start = rl__now_ns();
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t one = 1;

	cr_assert_eq(rl_timer_start(e, 20000000, done_cb, &t1, NULL), 0);
	cr_assert_eq(rl_timer_start(e, 5000000000ull, done_cb, &t2, &id2), 0);
	cr_assert_eq(rl_engine_watch_fd(e, efd, done_cb, &w, NULL), 0);
	cr_assert_eq(write(efd, &one, sizeof(one)), 8);
	while (!t1.calls || !w.calls)
		cr_assert_geq(rl_engine_poll(e, 1, 1000), 0);
	cr_assert_geq(rl__now_ns() - start, 20000000);
	cr_assert_eq(t1.res, 0);
	cr_assert(w.res & POLLIN);
	cr_assert_eq(rl_timer_cancel(e, id2), 0);
	cr_assert_eq(rl_engine_run(e), 0, "returns once nothing is pending");
	cr_assert_eq(t2.calls, 1);
	cr_assert_eq(t2.res, -ECANCELED);
	cr_assert_eq(rl_timer_cancel(e, id2), -ENOENT);
	cr_assert_lt(rl__now_ns() - start, 2000000000ull);
	close(efd);
	rl_engine_destroy(e);
}

static void hold_client(struct client *c)
{
	int fd = dial(c->addr);
	char b;

	send(fd, "x", 1, 0);
	recv(fd, &b, 1, 0);
	c->got = (size_t)fd; /* stays open: the engine is destroyed under it */
}

Test(net, destroy_with_connections_open)
{
	int before = count_fds();
	struct rl_engine *e = engine_new(8);
	struct echo st = {0};
	struct client c = {.fn = hold_client};
	struct done t = {0};

	listen_on(e, "127.0.0.1:0", NULL, &st, &c);
	cr_assert_eq(rl_timer_start(e, 60000000000ull, done_cb, &t, NULL), 0);
	serve_until(e, &c, NULL);
	cr_assert_eq(st.opens, 1);
	rl_engine_destroy(e);
	cr_assert_eq(st.closes, 1);
	cr_assert_eq(st.last_reason, -ECANCELED);
	cr_assert_eq(t.calls, 1);
	cr_assert_eq(t.res, -ECANCELED);
	close((int)c.got);
	cr_assert_eq(count_fds(), before, "no descriptor left behind");
}

struct reader {
	struct rl_file *f;
	void *buf;
	unsigned done;
	unsigned left;
};

static void read_again(void *arg, int res, uint64_t result)
{
	struct reader *r = arg;

	(void)result;
	cr_assert_eq(res, 4096);
	r->done++;
	if (--r->left)
		cr_assert_eq(rl_file_read(r->f, r->buf, 4096, 0, read_again, r), 0);
}

Test(net, storage_and_sockets_share_the_loop)
{
	struct rl_engine *e = engine_new(8);
	struct echo st = {0};
	struct client c = {.fn = echo_client};
	char *path = make_file("/var/tmp", 8192, 'r');
	struct reader r = {.buf = rl_alloc_aligned(4096, 4096), .left = 2000};

	cr_assert_eq(rl_file_open(e, path, NULL, &r.f), 0);
	listen_on(e, "127.0.0.1:0", NULL, &st, &c);
	cr_assert_eq(rl_file_read(r.f, r.buf, 4096, 0, read_again, &r), 0);
	serve_until(e, &c, no_conns);
	while (r.left)
		cr_assert_geq(rl_engine_poll(e, 1, 1000), 0);
	cr_assert_eq(c.got, 3000);
	cr_assert_eq(r.done, 2000);
	rl_engine_destroy(e);
	rl_free_aligned(r.buf);
	unlink(path);
	free(path);
}

/* ---- rl_conn_resume(): answer after something else completed ------------------------------ */

struct later {
	struct rl_engine *e;
	struct rl_conn *c;
	char answer[64];
	size_t answer_len;
	int waiting;
	int empty_offers; /* on_data calls with no input */
};

static void later_ready(void *arg, int res, uint64_t result)
{
	struct later *st = arg;

	(void)result;
	cr_assert_eq(res, 0);
	st->answer_len = (size_t)snprintf(st->answer, sizeof(st->answer), "pong\n");
	rl_conn_resume(st->c);
}

static size_t later_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct later *st = arg;

	(void)data;
	st->empty_offers += !len;
	if (st->waiting) {
		if (!st->answer_len)
			return 0; /* still waiting: keep what came behind the request */
		rl_conn_send(c, st->answer, st->answer_len);
		st->waiting = 0;
		rl_conn_close(c);
		return len;
	}
	if (len < 5)
		return 0;
	/* "ping\n": answer once a 20 ms timer (standing in for a device command) fires. */
	st->c = c;
	st->waiting = 1;
	cr_assert_eq(rl_timer_start(st->e, 20000000, later_ready, st, NULL), 0);
	return 5;
}

static const struct rl_conn_ops later_ops = {NULL, later_data, NULL};

static void ping_client(struct client *c)
{
	int fd = dial(c->addr);

	send(fd, "ping\n", 5, 0);
	c->got = read_all(c, fd, 6);
	close(fd);
}

Test(net, resume_offers_data_even_without_input)
{
	struct rl_engine *e = engine_new(8);
	struct later st = {.e = e};
	struct client c = {.fn = ping_client};
	struct rl_listener *l;

	cr_assert_eq(rl_listen(e, "127.0.0.1:0", NULL, &later_ops, &st, &l), 0);
	rl_listener_address(l, c.addr, sizeof(c.addr));
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.got, 5);
	cr_assert(!memcmp(c.buf, "pong\n", 5));
	cr_assert_geq(st.empty_offers, 1, "on_data ran after rl_conn_resume() with no input");
	rl_engine_destroy(e);
}

/* ---- SO_REUSEPORT; a refused send offered again --------------------------------------- */

Test(net, reuseport_lets_two_engines_share_an_address)
{
	struct rl_engine *a = engine_new(8), *b = engine_new(8), *c = engine_new(8);
	struct rl_listen_opts o = {.opts_size = sizeof(o), .flags = RL_LISTEN_REUSEPORT};
	struct rl_listen_opts plain = {.opts_size = sizeof(o)};
	struct rl_listen_opts bad = {.opts_size = sizeof(o), .flags = 1u << 7};
	struct echo st = {0};
	struct rl_listener *la, *lb, *lc;
	char addr[128];

	cr_assert_eq(rl_listen(a, "127.0.0.1:0", &o, &echo_ops, &st, &la), 0);
	rl_listener_address(la, addr, sizeof(addr));
	cr_assert_eq(rl_listen(b, addr, &o, &echo_ops, &st, &lb), 0, "%s", rl_engine_last_error(b));
	cr_assert_eq(rl_listen(c, addr, &plain, &echo_ops, &st, &lc), -EADDRINUSE);
	cr_assert_eq(rl_listen(c, "127.0.0.1:0", &bad, &echo_ops, &st, &lc), -EINVAL);
	rl_engine_destroy(a);
	rl_engine_destroy(b);
	rl_engine_destroy(c);
}

/* Sends 8 MiB in 64 KiB messages as fast as the queue takes them, from on_data alone. */
struct pusher {
	size_t sent;
	int started;
	int refused;
	int empty_offers;
	char piece[65536];
};

static size_t push_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct pusher *p = arg;

	(void)data;
	p->empty_offers += !len && p->started;
	p->started |= len > 0;
	while (p->started && p->sent < (8u << 20)) {
		if (rl_conn_send(c, p->piece, sizeof(p->piece))) {
			p->refused++;
			break;
		}
		p->sent += sizeof(p->piece);
	}
	if (p->sent == 8u << 20)
		rl_conn_close(c);
	return len;
}

static const struct rl_conn_ops push_ops = {NULL, push_data, NULL};

static void go_client(struct client *c)
{
	int fd = dial(c->addr);

	send(fd, "go", 2, 0);
	c->got = read_all(c, fd, SIZE_MAX);
	close(fd);
}

Test(net, a_refused_send_is_offered_again_without_input)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {.opts_size = sizeof(o), .max_send_queue = 256 << 10};
	struct pusher p = {0};
	struct client c = {.fn = go_client};
	struct rl_listener *l;

	cr_assert_eq(rl_listen(e, "127.0.0.1:0", &o, &push_ops, &p, &l), 0);
	rl_listener_address(l, c.addr, sizeof(c.addr));
	serve_until(e, &c, no_conns);
	cr_assert_eq(c.got, 8u << 20, "got %zu bytes", c.got);
	cr_assert_gt(p.refused, 0, "the queue limit refused some sends");
	cr_assert_geq(p.empty_offers, p.refused, "each refusal was followed by an empty offer");
	rl_engine_destroy(e);
}
