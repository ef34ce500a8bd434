/* SPDX-License-Identifier: MIT */
/*
 * The NBD server, on libringline's public API: the folder's API for tools/ and the tests.
 *
 * One struct nbd_server per engine: it exports one target over one listener on that engine's
 * ring. nbd_run() is the `ringline nbd` daemon: N engines on N threads, each with its own
 * SO_REUSEPORT listener and its own open of DEV.
 */
#ifndef NBD_SERVER_NBD_H
#define NBD_SERVER_NBD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <ringline.h>

#define NBD_DEFAULT_PORT "10809"

/**
 * struct nbd_opts - what to export and the bounds; zero fields take the defaults.
 * @listen:        address as rl_listen() takes it (default "127.0.0.1:10809").
 * @name:          export name (default: DEV's base name); "" always names it too.
 * @description:   NBD_INFO_DESCRIPTION (default: "ringline nbd DEV").
 * @read_only:     advertise READ_ONLY; writes, trims and zeroes get NBD_EPERM.
 * @max_conns:     connections per engine (default 64).
 * @conn_requests: requests in flight per connection (default 64).
 * @requests:      requests in flight per engine (default 256).
 * @pool_bytes:    data buffers per engine (default 64 MiB, at least the 32 MiB maximum payload).
 * @handshake_ms:  a connection still negotiating after this long is closed (default 10000).
 * @shared:        where the server publishes its counters and its target's for other
 *                 threads, or NULL.
 * @request_ms:    a connection whose input waits unconsumed this long is closed (default
 *                 30000): part of a request header or payload and then silence, or requests
 *                 held back because the client does not read its replies (the socket layer's
 *                 header timeout).
 */
struct nbd_opts {
	const char *listen;
	const char *name;
	const char *description;
	bool read_only;
	unsigned max_conns;
	unsigned conn_requests;
	unsigned requests;
	size_t pool_bytes;
	unsigned handshake_ms;
	unsigned request_ms;
	struct nbd_shared *shared;
};

/* Largest READ or WRITE payload accepted: NBD_INFO_BLOCK_SIZE's maximum. */
#define NBD_MAX_PAYLOAD (32u << 20)
/* Data buffer unit; one registered buffer each. */
#define NBD_CHUNK (128u << 10)

enum nbd_stat_cmd {
	NBD_STAT_READ,
	NBD_STAT_WRITE,
	NBD_STAT_FLUSH,
	NBD_STAT_TRIM,
	NBD_STAT_ZEROES,
	NBD_STAT_OTHER,
	NBD_STAT_CMDS
};

/* NBD errors counted apart in nbd_stats.nbd_errors (the last entry counts any other). */
enum nbd_stat_err {
	NBD_STAT_EPERM,
	NBD_STAT_EIO,
	NBD_STAT_ENOMEM,
	NBD_STAT_EINVAL,
	NBD_STAT_ENOSPC,
	NBD_STAT_EOTHER,
	NBD_STAT_ERRS
};

/**
 * struct nbd_stats - counters of one server.
 * @conns, @handshakes: connections open now; handshakes completed.
 * @ops, @bytes, @errors: requests replied, payload bytes, error replies, by command.
 * @inflight:  requests admitted and not yet replied.
 * @bad_magic: connections closed for a bad magic; @timeouts: for a handshake timeout;
 * @request_timeouts: for a WRITE payload (or a dropped one) stalled past request_ms.
 * @stalls:    times a connection waited for a request slot or buffers.
 * @fua_cmds:  device writes submitted with RL_IO_FUA (NBD_CMD_FLAG_FUA writes).
 * @nbd_errors: error replies by NBD error (enum nbd_stat_err).
 * @dev_errors: failed device commands by code as rl_target_errors() reports them (-errno, or
 *             an NVMe status), the first @ndev_errors entries; code 0 counts codes beyond
 *             RL_ERROR_KINDS distinct ones.
 */
struct nbd_stats {
	unsigned conns;
	uint64_t handshakes;
	uint64_t ops[NBD_STAT_CMDS];
	uint64_t bytes[NBD_STAT_CMDS];
	uint64_t errors[NBD_STAT_CMDS];
	unsigned inflight;
	uint64_t bad_magic;
	uint64_t timeouts;
	uint64_t request_timeouts;
	uint64_t stalls;
	uint64_t fua_cmds;
	uint64_t nbd_errors[NBD_STAT_ERRS];
	struct rl_error_count dev_errors[RL_ERROR_KINDS + 1];
	unsigned ndev_errors;
};

/**
 * struct nbd_shared - one server's counters and request latency histograms (ns, admission to
 * the reply's last byte queued), published for a thread other than the server's: the server
 * copies them in under @lock four times a second and when it stops (see nbd_opts.shared).
 */
struct nbd_shared {
	pthread_mutex_t lock;
	struct nbd_stats st;
	struct rl_hist *lat[NBD_STAT_CMDS];
	struct rl_op_stats dev[RL_OP_COUNT]; /* the target's counters (@lat NULL) */
};

/* nbd_shared_init() - an empty one. Return: 0 or -ENOMEM. nbd_shared_fini() frees it. */
int nbd_shared_init(struct nbd_shared *sh);
void nbd_shared_fini(struct nbd_shared *sh);

/**
 * struct nbd_group - the servers of several engines as one, for /metrics.
 * @n, @sh: their published counters.
 * @sum:    the last sums (nbd_shared_init() makes its histograms).
 * @again:  the last call had too little room: the next renders the same sums.
 */
struct nbd_group {
	unsigned n;
	struct nbd_shared *sh;
	struct nbd_shared sum;
	bool again;
};

/*
 * nbd_group_metrics() - the sum of the group's published counters (@arg: a struct nbd_group)
 * as Prometheus text, as nbd_server_metrics(); from any thread.
 */
size_t nbd_group_metrics(void *arg, char *buf, size_t len);

/*
 * nbd_group_status() - the group's published counters summed, as the "server" object of
 * /v1/status (struct ctl_http_opts' status; @arg a struct nbd_group): engines, connections,
 * in-flight requests, requests by command, error replies by NBD error, device commands by op.
 */
struct json_object *nbd_group_status(void *arg);

struct nbd_server;

/* nbd_engine_opts() - engine options that fit a server with @o: buffers, slab, send pool. */
void nbd_engine_opts(const struct nbd_opts *o, struct rl_engine_opts *eo);

/**
 * nbd_server_start() - export @t (opened on @e) on @o->listen.
 * @listen_flags: RL_LISTEN_* for the listener (RL_LISTEN_REUSEPORT with several engines).
 * Return: 0 or -errno (rl_engine_last_error() or stderr says why).
 */
int nbd_server_start(struct rl_engine *e, struct rl_target *t, const struct nbd_opts *o,
		     unsigned listen_flags, struct nbd_server **out);

/* The bound address ("127.0.0.1:10809"). */
const char *nbd_server_address(const struct nbd_server *s);

/**
 * nbd_server_stop() - stop accepting, finish the requests in flight and send their replies,
 * flush when writes happened since the last flush, close every connection; the engine's loop
 * returns once that is done. Idempotent.
 */
void nbd_server_stop(struct nbd_server *s);

/* nbd_server_done() - the stop finished; nbd_server_free() may run. */
bool nbd_server_done(const struct nbd_server *s);

/* nbd_server_free() - free @s after its engine's loop returned from a stop. */
void nbd_server_free(struct nbd_server *s);

void nbd_server_stats(const struct nbd_server *s, struct nbd_stats *st);

/* nbd_server_publish() - copy @s's counters and histograms into @sh, under its lock. */
void nbd_server_publish(const struct nbd_server *s, struct nbd_shared *sh);

/*
 * nbd_server_metrics() - the counters of @arg (a struct nbd_server) as Prometheus text, the
 * shape of struct ctl_http_opts' metrics: at most @len bytes written, the whole length returned.
 */
size_t nbd_server_metrics(void *arg, char *buf, size_t len);

/**
 * struct nbd_run_opts - the `ringline nbd` daemon.
 * @dev:     the file, block device or /dev/ngXnY to export.
 * @threads: engines, one per thread (default 1).
 * @http:    serve /metrics and /v1/status there, or NULL: the NBD counters, latency histograms
 *           and device commands of every engine summed ("server" in /v1/status); the rest
 *           (the device's latency, ring, sockets) is engine 0's.
 * @out:     where "listening on ADDR" goes.
 * @force:   a writable export opens a block device (or an NVMe namespace's) without
 *           RL_TARGET_EXCL, even while it is mounted or held by another program.
 */
struct nbd_run_opts {
	struct nbd_opts nbd;
	const char *dev;
	unsigned threads;
	const char *http;
	FILE *out;
	bool force;
};

/* nbd_run() - serve until SIGTERM or SIGINT. Return: exit status (0, or 1 on an error). */
int nbd_run(const struct nbd_run_opts *o);

#endif
