// SPDX-License-Identifier: MIT
/*
 * The socket layer's defences against clients that hoard (issue 18): at the connection limit an
 * idle connection (rl_conn_set_idle()) makes room for a new one, one that is not idle does not;
 * input left unconsumed past the header timeout closes its connection; chunks freed by dropping
 * a closing connection's queue wake a connection a refused send left waiting.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "helpers.h"
#include "engine/internal.h"

struct proto {
	int mark_idle; /* on open: rl_conn_set_idle(c, 1) */
	int consume;   /* on_data consumes (else holds the input) */
	int opens, closes, aborted, timedout;
	int refused_sends, offered_after; /* the send-room test */
	int want_send;			  /* bytes on_data tries to send, once */
};

static int p_open(void *arg, struct rl_conn *c)
{
	struct proto *p = arg;

	p->opens++;
	if (p->mark_idle)
		rl_conn_set_idle(c, 1);
	return 0;
}

static size_t p_data(void *arg, struct rl_conn *c, const char *data, size_t len)
{
	struct proto *p = arg;
	static char blob[1 << 16];

	(void)data;
	if (p->want_send) {
		if (p->refused_sends)
			p->offered_after++;
		if (rl_conn_send(c, blob, (size_t)p->want_send)) {
			p->refused_sends++;
			return 0;
		}
		p->want_send = 0;
		return len;
	}
	return p->consume ? len : 0;
}

static void p_close(void *arg, struct rl_conn *c, int reason)
{
	struct proto *p = arg;

	(void)c;
	p->closes++;
	p->aborted += reason == -ECONNABORTED;
	p->timedout += reason == -ETIMEDOUT;
}

static const struct rl_conn_ops ops = {p_open, p_data, p_close};

TestSuite(net_limits, .init = skip_unless_io_uring);

static int dial_tcp(const char *addr)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	in.sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	return fd;
}

/* Run the loop for @ms. */
static void spin(struct rl_engine *e, int ms)
{
	uint64_t end = rl__now_ns() + (uint64_t)ms * 1000000u;

	while (rl__now_ns() < end)
		cr_assert_geq(rl_engine_poll(e, 1, 5), 0);
}

/* The peer closed @fd (EOF or reset), waiting up to @ms. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
	char c;

	if (poll(&p, 1, ms) != 1)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

static struct rl_listener *start(struct rl_engine *e, struct rl_listen_opts *o, struct proto *p,
				 char *addr, size_t len)
{
	struct rl_listener *l;

	cr_assert_eq(rl_listen(e, "127.0.0.1:0", o, &ops, p, &l), 0, "%s", rl_engine_last_error(e));
	rl_listener_address(l, addr, len);
	return l;
}

static void finish(struct rl_engine *e, struct rl_listener *l, int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
	rl_listener_close(l);
	cr_assert_eq(rl_engine_run(e), 0);
	cr_assert_eq(rl_engine_files_in_use(e), 0);
	rl_engine_destroy(e);
}

Test(net_limits, an_idle_connection_makes_room_at_the_limit)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {.opts_size = sizeof(o), .max_conns = 2};
	struct proto p = {.mark_idle = 1, .consume = 1};
	struct rl_net_stats ns;
	char addr[128];
	struct rl_listener *l = start(e, &o, &p, addr, sizeof(addr));
	int fds[3];

	for (int i = 0; i < 3; i++) {
		fds[i] = dial_tcp(addr);
		spin(e, 50);
	}
	cr_assert_eq(p.opens, 3);
	cr_assert_eq(p.aborted, 1, "the oldest idle one gave way, its on_close at once");
	cr_assert(closed_within(fds[0], 1000), "the oldest was closed");
	cr_assert_not(closed_within(fds[1], 50));
	cr_assert_not(closed_within(fds[2], 50));
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.evicted, 1);
	cr_assert_eq(ns.refused, 0);
	cr_assert_eq(ns.conns, 2);
	finish(e, l, fds, 3);
}

Test(net_limits, without_idle_marks_the_limit_refuses)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {.opts_size = sizeof(o), .max_conns = 2};
	struct proto p = {.mark_idle = 1, .consume = 0};
	struct rl_net_stats ns;
	char addr[128];
	struct rl_listener *l = start(e, &o, &p, addr, sizeof(addr));
	int fds[3];

	/* Both hold input (a request begun): not idle, whatever the protocol said on open. */
	for (int i = 0; i < 2; i++) {
		fds[i] = dial_tcp(addr);
		send(fds[i], "GE", 2, 0);
		spin(e, 50);
	}
	fds[2] = dial_tcp(addr);
	spin(e, 50);
	cr_assert(closed_within(fds[2], 1000), "the third was refused");
	rl_net_stats(e, &ns);
	cr_assert_eq(ns.evicted, 0);
	cr_assert_eq(ns.refused, 1);
	cr_assert_eq(p.opens, 2);
	finish(e, l, fds, 3);
}

Test(net_limits, input_held_past_the_header_timeout_closes)
{
	struct rl_engine *e = engine_new(8);
	struct rl_listen_opts o = {
	    .opts_size = sizeof(o), .header_timeout_ms = 200, .idle_timeout_ms = 60000};
	struct proto p = {.consume = 0};
	struct rl_net_stats ns;
	char addr[128];
	struct rl_listener *l = start(e, &o, &p, addr, sizeof(addr));
	int fds[2];
	bool slow_closed = false, quiet_closed;

	fds[0] = dial_tcp(addr); /* sends a byte every 100 ms: never idle, never consumed */
	fds[1] = dial_tcp(addr); /* sends nothing: no input held, no header timeout */
	for (int i = 0; i < 20 && !slow_closed; i++) {
		send(fds[0], "G", 1, MSG_NOSIGNAL);
		spin(e, 100);
		slow_closed = p.timedout > 0;
	}
	quiet_closed = closed_within(fds[1], 10);
	rl_net_stats(e, &ns);
	cr_assert(slow_closed, "closed by the header timeout");
	cr_assert(closed_within(fds[0], 1000));
	cr_assert_not(quiet_closed);
	cr_assert_eq(ns.header_timeouts, 1);
	cr_assert_eq(ns.idle_closed, 0);
	finish(e, l, fds, 2);
}

/*
 * A small pool: a client that never reads fills it; another connection's send is refused and
 * waits. When the first is reset, its queue is dropped, and that alone must offer the waiting
 * one on_data again (no send of its own completes, no input arrives).
 */
Test(net_limits, a_dropped_queue_wakes_a_waiting_send)
{
	struct rl_engine_opts eo;
	struct rl_engine *e;
	struct rl_listen_opts o = {.opts_size = sizeof(o), .max_send_queue = 1 << 20};
	struct proto p = {.consume = 1};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	char addr[128];
	struct rl_listener *l;
	int fds[2], small = 4096;

	rl_engine_opts_init(&eo);
	eo.net_send_pool = 8 * 16384; /* 8 chunks */
	cr_assert_eq(rl_engine_create(&eo, &e), 0);
	l = start(e, &o, &p, addr, sizeof(addr));
	/* The hog: its replies fill the socket buffers, then the pool. */
	fds[0] = dial_tcp(addr);
	setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (int i = 0; i < 200; i++) {
		p.want_send = 60000;
		send(fds[0], "x", 1, MSG_NOSIGNAL);
		spin(e, 10);
		if (p.refused_sends)
			break;
	}
	cr_assert_gt(p.refused_sends, 0, "the hog filled the pool");
	/* The hog's own refusal waits too; a second connection asks for room as well. */
	p.refused_sends = 0;
	p.offered_after = 0;
	p.want_send = 60000;
	fds[1] = dial_tcp(addr);
	send(fds[1], "y", 1, MSG_NOSIGNAL);
	spin(e, 100);
	cr_assert_gt(p.refused_sends, 0, "the second one waits for room");
	p.offered_after = 0;
	/* Reset the hog: nothing completes for the second one, yet it is offered again. */
	setsockopt(fds[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fds[0]);
	fds[0] = -1;
	spin(e, 300);
	cr_assert_gt(p.offered_after, 0, "woken when the dropped queue freed the pool");
	cr_assert_eq(p.want_send, 0, "its send went through");
	close(fds[1]);
	rl_listener_close(l);
	cr_assert_eq(rl_engine_run(e), 0);
	rl_engine_destroy(e);
}
