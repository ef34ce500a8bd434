/* SPDX-License-Identifier: MIT */
/* Socket state shared by the engine/net*.c files. Not installed. */
#ifndef RINGLINE_NET_INTERNAL_H
#define RINGLINE_NET_INTERNAL_H

#include "internal.h"
#include "ringline/net.h"

/* Send pool chunk: header and data in NET_CHUNK bytes. */
#define NET_CHUNK 16384u

struct net_chunk {
	struct net_chunk *next;
	uint32_t len; /* bytes filled */
	uint32_t off; /* bytes sent */
	char data[];
};

#define NET_CHUNK_DATA (NET_CHUNK - (uint32_t)sizeof(struct net_chunk))

enum { CONN_FREE, CONN_OPEN, CONN_REFUSED };

struct rl_conn {
	struct rl__net *n;
	struct rl_listener *l;
	const struct rl_conn_ops *ops; /* NULL once on_close ran, or for a refused connection */
	void *arg;
	void *data;
	uint32_t index; /* in the connection table: fixed-file slot minus the region base */
	uint32_t gen;
	uint8_t state;
	unsigned closing : 1;	  /* rl_conn_close(): drain, shut down, close */
	unsigned aborting : 1;	  /* cancel what is in flight, then close */
	unsigned eof : 1;	  /* the peer finished sending */
	unsigned eof_told : 1;	  /* on_data ran after eof */
	unsigned recv_armed : 1;  /* a multishot receive is active */
	unsigned recv_cancel : 1; /* ... and a cancel for it was submitted */
	unsigned sending : 1;
	unsigned send_cancel : 1;
	unsigned shut_sent : 1;
	unsigned close_sent : 1;
	unsigned resume_sent : 1;
	unsigned resumed : 1; /* rl_conn_resume(): offer on_data even without input */
	unsigned want_bufs : 1; /* receive ended with ENOBUFS: re-arm after a buffer comes back */
	unsigned want_room : 1; /* rl_conn_send() was refused: offer input again when room frees */
	unsigned kick : 1;	/* an SQE was not available: retry at the next sweep */
	unsigned in_pump : 1;
	unsigned again : 1; /* pump() was asked for while it ran */
	unsigned pending;   /* operations in flight (their final CQE not seen) */
	int reason;	    /* for on_close */
	char *in;	    /* unconsumed input, l->max_request bytes */
	uint32_t inlen;
	uint32_t inslot;	      /* which of the listener's input buffers */
	int32_t held_head, held_tail; /* received buffers not yet copied into @in (buffer ids) */
	struct net_chunk *sq_head, *sq_tail;
	size_t queued; /* bytes in the send queue, including the send in flight */
	uint64_t last_active;
};

struct rl_listener {
	struct rl__net *n;
	uint32_t index;
	uint32_t gen;
	uint8_t in_use;
	uint8_t closing;
	uint8_t accept_armed;
	uint8_t accept_cancel;
	int fd;
	uint64_t fhandle;
	uint32_t findex;
	const struct rl_conn_ops *ops;
	void *arg;
	unsigned max_conns;
	unsigned nconns;
	uint32_t max_request;
	uint64_t idle_ns;
	size_t max_send_queue;
	char *inbufs; /* max_conns input buffers of max_request bytes */
	uint32_t *free_in;
	unsigned nfree_in;
	char addr[136];
	char unix_path[108]; /* removed on close; "" for TCP */
};

/* A received buffer: bytes the kernel put in it, bytes copied out, next in a held list. */
struct net_buf {
	uint32_t len;
	uint32_t off;
	int32_t next;
};

struct rl__net {
	struct rl_engine *e;

	/* Sockets: allocated with the first listener. */
	int sockets;
	struct rl_conn *conns; /* one per slot of the connection region */
	unsigned conn_cap;
	uint32_t conn_base;
	unsigned nconns; /* not FREE */
	struct rl_listener *listeners;
	unsigned listener_cap;
	unsigned nlisteners;

	struct io_uring_buf_ring *br;
	size_t br_size;
	char *bufmem;
	struct net_buf *bufs;
	unsigned nbufs;
	unsigned buf_size;
	unsigned bufs_free;
	unsigned want_bufs; /* connections waiting for a buffer to come back */

	char *pool;
	struct net_chunk *free_chunks;
	unsigned nchunks;
	unsigned chunks_free;
	unsigned want_room; /* connections waiting for send pool room */

	struct __kernel_timespec sweep_ts;
	int sweep_armed;
	int sweep_due; /* the timer fired: sweep once the current batch of CQEs is handled */

	struct rl_net_stats st;
};

/* The engine's socket state, created on first use. Return: 0 or -ENOMEM. */
int rl__net_get(struct rl_engine *e, struct rl__net **out);
/* A submission queue entry on the main ring (rl__sqe()); sockets never use the IOPOLL ring. */
static inline struct io_uring_sqe *rl__net_sqe(struct rl_engine *e)
{
	return rl__sqe(e, &e->ring);
}

#endif
