/* SPDX-License-Identifier: MIT */
/*
 * Sockets on the engine's ring, so a storage server can answer on the ring that does its I/O.
 *
 * TCP and Unix-domain listeners accept connections straight into the fixed-file table (multishot
 * accept, the connection region); connections read with multishot receive into a provided-buffer
 * ring and write through a send queue with one send in flight; a close is submitted only after
 * that queue drained. Each listener bounds its connections, their idle time, the time input may
 * wait unconsumed, and the input and output a connection may hold. Every completion goes through
 * the same loop as storage commands (rl_engine_poll(), rl_engine_run()), which keeps waiting
 * while a listener or connection is active. Timers and fd watches are in ringline/timer.h
 * (included here for older callers).
 *
 * Everything belongs to the engine's thread. Memory (connection table, receive buffers, send
 * pool, input buffers) is allocated when the first listener is created, never per I/O.
 */
#ifndef RINGLINE_NET_H
#define RINGLINE_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "ringline/engine.h"
#include "ringline/timer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_listener;
struct rl_conn;

/**
 * struct rl_conn_ops - what a protocol does with the connections of a listener. The struct must
 * outlive the listener. Every callback gets the listener's @arg.
 * @on_open:  a connection was accepted. Return 0 to keep it, anything else to close it at once
 *            (on_close does not run for it then). Optional.
 * @on_data:  bytes received and not yet consumed, @data[0..@len). Return how many were consumed
 *            from the start. The rest stays and is offered again, with anything received since
 *            appended, after more data arrives, after a send of this connection completes, or
 *            after rl_conn_resume(). At most the listener's @max_request bytes are held: a
 *            protocol that consumes nothing from a full buffer must close the connection. Called
 *            with @len == 0 once the peer has finished sending (rl_conn_eof()), so the protocol
 *            can close when it has answered everything, and after rl_conn_resume() even when
 *            no input is left, so it can send what it waited for. Required.
 * @on_close: the connection is finished: closed by either side, idle too long, failed, its
 *            listener or engine closed, or evicted for a new connection. @reason is 0,
 *            -ETIMEDOUT (the idle or header timeout), -ECANCELED (listener or engine closed),
 *            -ECONNABORTED (evicted: see rl_conn_set_idle(); on_close runs at once then, before
 *            the new connection's on_open) or -errno from the socket. @c must not be used after
 *            it returns. Optional.
 */
struct rl_conn_ops {
	int (*on_open)(void *arg, struct rl_conn *c);
	size_t (*on_data)(void *arg, struct rl_conn *c, const char *data, size_t len);
	void (*on_close)(void *arg, struct rl_conn *c, int reason);
};

/**
 * struct rl_listen_opts - rl_listen() options; zero fields take the defaults.
 * @opts_size:       sizeof(struct rl_listen_opts).
 * @backlog:         listen(2) backlog (default 128).
 * @max_conns:       connections open at once (default 64). At the limit, a new connection takes
 *                   the place of the oldest idle one (rl_conn_set_idle()); when there is none it
 *                   is accepted and closed at once, before any byte is read. Also bounded by
 *                   the engine's connection region of the fixed-file table.
 * @idle_timeout_ms: close a connection that neither received nor sent a byte for this long
 *                   (default 60000).
 * @max_request:     input bytes a connection may hold unconsumed (default 8192).
 * @max_send_queue:  bytes queued for sending per connection, beyond which rl_conn_send() refuses
 *                   more; a connection with an empty queue may always queue one message as
 *                   large as the free send pool. Default: a share of the engine's send pool,
 *                   @net_send_pool / max(4, @max_conns), between 2 chunks (32 KiB) and 1 MiB,
 *                   so clients that never read cannot fill the pool for the others (it was
 *                   1 MiB whatever the pool before issue 18).
 * @flags:           RL_LISTEN_* bits (default 0).
 * @header_timeout_ms: close a connection whose input has waited unconsumed for this long (the
 *                   time starts when input arrives with none held, and again each time on_data
 *                   consumes some): a client that sends part of a request and stalls, or one
 *                   whose requests wait behind replies it does not read. on_close gets
 *                   -ETIMEDOUT. Default 0: none (only the idle timeout).
 */
struct rl_listen_opts {
	size_t opts_size;
	unsigned backlog;
	unsigned max_conns;
	unsigned idle_timeout_ms;
	unsigned max_request;
	size_t max_send_queue;
	unsigned flags;
	unsigned header_timeout_ms;
};

/*
 * RL_LISTEN_REUSEPORT: set SO_REUSEPORT before binding (TCP only), so listeners of several
 * engines, one per thread, bind the same address and the kernel spreads connections over them.
 */
#define RL_LISTEN_REUSEPORT (1u << 0)

/**
 * rl_listen() - bind, listen and start accepting on the engine's ring.
 * @addr: "HOST:PORT" ("127.0.0.1:9100", "[::1]:9100", "0.0.0.0:9100" for every address),
 *        ":PORT" or "PORT" for the loopback address, or "unix:PATH" for a Unix-domain socket
 *        (created; removed again when the listener closes). Port 0 picks a free port:
 *        rl_listener_address() tells which. An IPv4 address is a.b.c.d (no other form
 *        inet_aton() takes: "010.0.0.1" would be 8.0.0.1), an IPv6 address is in brackets.
 * @opts: options, or NULL for the defaults.
 * @ops, @arg: the protocol; see struct rl_conn_ops.
 * @out:  the listener, written only on success.
 *
 * Return: 0; -EINVAL (bad address or options); -EADDRINUSE, -EACCES, ... from socket(2),
 * bind(2) or listen(2); -ENFILE when the listener region of the fixed-file table is full or
 * the connection region is empty; -ENOMEM; -errno from registering the buffer ring.
 * rl_engine_last_error() names the problem.
 */
RL_EXPORT int rl_listen(struct rl_engine *e, const char *addr, const struct rl_listen_opts *opts,
			const struct rl_conn_ops *ops, void *arg, struct rl_listener **out);

/**
 * rl_listener_close() - stop accepting and close every connection of the listener: their
 * on_close runs (reason -ECANCELED) before this returns, and no callback of this listener runs
 * after. The kernel side (cancellations, closes) completes in the loop.
 * Context: not from a callback of this listener's connections.
 */
RL_EXPORT void rl_listener_close(struct rl_listener *l);

/**
 * rl_listener_address() - the bound address as rl_listen() takes it ("127.0.0.1:41234",
 * "unix:/run/x.sock"), with the port the kernel picked. Return: @buf.
 */
RL_EXPORT char *rl_listener_address(const struct rl_listener *l, char *buf, size_t len);

/**
 * rl_conn_send() - queue @len bytes (copied into the engine's send pool) for sending.
 * Return: 0; -ENOBUFS when the connection's queue is over its limit or the pool lacks room
 * (nothing is queued: see rl_conn_send_room(); on_data is offered again once a send completes);
 * -EPIPE when the connection is closing.
 */
RL_EXPORT int rl_conn_send(struct rl_conn *c, const void *data, size_t len);

/**
 * rl_conn_sendv() - queue the @iovcnt pieces of @iov as one message: all or nothing, and sent
 * together (a reply's header and body leave in one segment).
 * Return: as rl_conn_send().
 */
RL_EXPORT int rl_conn_sendv(struct rl_conn *c, const struct iovec *iov, int iovcnt);

/* rl_conn_send_room() - bytes rl_conn_send() accepts now (0 while closing). */
RL_EXPORT size_t rl_conn_send_room(const struct rl_conn *c);

/**
 * rl_conn_close() - stop reading and close once everything queued has been sent (the socket is
 * shut down for writing, then closed when the peer finishes or after the idle timeout).
 * on_close runs later, from the loop.
 */
RL_EXPORT void rl_conn_close(struct rl_conn *c);

/* rl_conn_abort() - close now, dropping what is queued; on_close runs later, from the loop. */
RL_EXPORT void rl_conn_abort(struct rl_conn *c);

/**
 * rl_conn_resume() - call on_data again with the unconsumed input, possibly none (from the
 * loop, not from within this call): for a protocol that paused while it waited for something
 * else, such as a storage command whose result it has to send.
 */
RL_EXPORT void rl_conn_resume(struct rl_conn *c);

/**
 * rl_conn_set_idle() - whether @c is between requests (@idle non-zero) or has one in progress.
 * At its listener's connection limit, a new connection takes the place of the oldest idle
 * connection that also holds no unconsumed input and has nothing queued to send (as a web
 * server reuses idle keep-alive connections): that one is closed at once, its on_close running
 * with -ECONNABORTED. A protocol that never calls this keeps the old rule: at the limit, new
 * connections are refused. "Oldest" is the time it became idle: marking an idle connection idle
 * again keeps its place. A connection leaving the OPEN state is no longer idle.
 * Context: the engine's thread, from a callback or not; O(1).
 */
RL_EXPORT void rl_conn_set_idle(struct rl_conn *c, int idle);

/* rl_conn_eof() - the peer finished sending (it may still read). */
RL_EXPORT int rl_conn_eof(const struct rl_conn *c);

/* The protocol's pointer for this connection (NULL until set). */
RL_EXPORT void rl_conn_set_data(struct rl_conn *c, void *data);
RL_EXPORT void *rl_conn_data(const struct rl_conn *c);

/* rl_conn_listener() - the listener that accepted @c. */
RL_EXPORT struct rl_listener *rl_conn_listener(const struct rl_conn *c);

/**
 * struct rl_net_stats - socket counters of an engine (all zero before the first listener).
 * @listeners, @conns:   open now.
 * @accepted:    connections accepted (including refused ones).
 * @refused:     connections closed at once because their listener was at @max_conns and had
 *               no idle connection to evict.
 * @idle_closed: connections closed by the idle timeout.
 * @bytes_in, @bytes_out: bytes received and sent.
 * @send_queued: bytes waiting in send queues now; @send_pool: the pool's size in bytes.
 * @bufs_free:   receive buffers the kernel can fill now, of @bufs in the ring.
 * @enobufs:     multishot receives that ended because the buffer ring was empty (each is
 *               re-armed once buffers have been given back).
 * @stale:       socket completions whose connection had been closed and reused.
 * @evicted:     idle connections closed to make room for a new one (rl_conn_set_idle()).
 * @header_timeouts: connections closed because input waited unconsumed past the header timeout.
 */
struct rl_net_stats {
	unsigned listeners;
	unsigned conns;
	uint64_t accepted;
	uint64_t refused;
	uint64_t idle_closed;
	uint64_t bytes_in;
	uint64_t bytes_out;
	size_t send_queued;
	size_t send_pool;
	unsigned bufs_free;
	unsigned bufs;
	uint64_t enobufs;
	uint64_t stale;
	uint64_t evicted;
	uint64_t header_timeouts;
};

/* rl_net_stats() - fill @st. */
RL_EXPORT void rl_net_stats(const struct rl_engine *e, struct rl_net_stats *st);

/**
 * rl_engine_files_in_use() - slots of the fixed-file table in use now (targets, their
 * controllers, listeners and connections), for leak checks.
 */
RL_EXPORT unsigned rl_engine_files_in_use(const struct rl_engine *e);

#ifdef __cplusplus
}
#endif
#endif
