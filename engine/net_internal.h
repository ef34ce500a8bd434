/* SPDX-License-Identifier: MIT */
/*
 * Private: the socket layer's state and the calls between its files (engine/net*.c; see net.c
 * for the map). Not installed.
 */
#ifndef RINGLINE_NET_INTERNAL_H
#define RINGLINE_NET_INTERNAL_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core.h"
#include "error.h"
#include "ud.h"
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
/* Chunks one send covers (a sendmsg over their iovecs): up to some 256 KiB per system call. */
#define NET_SEND_IOV 16

/*
 * A connection's life cycle: one state, changed only by conn_set_state() in net_conn.c, along
 * the transition table written above it.
 */
enum conn_state {
	CONN_FREE,	 /* the slot is unused */
	CONN_OPEN,	 /* receiving, sending, offering input to the protocol */
	CONN_DRAINING,	 /* rl_conn_close(): the send queue drains, input is dropped */
	CONN_SHUT_SENT,	 /* drained, shutdown(SHUT_WR) sent: wait for the peer's end */
	CONN_CANCELLING, /* closing without waiting: what is in flight is cancelled */
	CONN_REFUSED,	 /* accepted past the limit: closed before a byte is read */
	CONN_CLOSING,	 /* the close is submitted: its CQE frees the slot */
	CONN_STATES,
};

/* One request that may be in flight: a connection's receive or send, a listener's accept. */
enum net_op {
	NET_OP_IDLE,	    /* not submitted, or its final CQE was seen */
	NET_OP_ACTIVE,	    /* submitted */
	NET_OP_CANCEL_SENT, /* submitted, and a cancel for it too */
};

struct rl_conn {
	struct rl__net *n;
	struct rl_listener *l;	       /* NULL for a refused connection */
	const struct rl_conn_ops *ops; /* NULL once on_close ran, or for a refused connection */
	void *arg;
	void *data;
	uint32_t index; /* in the connection table: fixed-file slot minus the region base */
	uint32_t gen;
	uint8_t state;	 /* enum conn_state */
	uint8_t recv_op; /* enum net_op: the receive (one buffer) */
	uint8_t send_op; /* enum net_op: the one send (net_sendq.c) */
	/* Facts beside the life cycle. */
	unsigned eof : 1;	  /* the peer finished sending */
	unsigned eof_told : 1;	  /* on_data ran after eof */
	unsigned resumed : 1;	  /* rl_conn_resume(): offer on_data even without input */
	unsigned resume_sent : 1; /* ... and the NOP that brings it back to the loop is queued */
	unsigned want_bufs : 1;	  /* receive ended with ENOBUFS: re-arm after a buffer comes back */
	unsigned want_room : 1;	  /* rl_conn_send() refused: offer input again once room frees */
	unsigned kick : 1;	  /* an SQE was not available: retry at the next sweep */
	unsigned in_pump : 1;	  /* on_data is running */
	unsigned again : 1;	  /* ... and the pump was asked for again meanwhile */
	unsigned idle : 1;	  /* rl_conn_set_idle(): on its listener's idle list */
	unsigned evicted : 1;	  /* closed to make room: its input buffer went to another */
	unsigned pending;	  /* operations in flight (their final CQE not seen) */
	int reason;		  /* for on_close */
	char *in;		  /* unconsumed input, l->max_request bytes */
	uint32_t inlen;
	uint32_t inslot;	      /* which of the listener's input buffers */
	int32_t held_head, held_tail; /* received buffers not yet copied into @in (buffer ids) */
	struct net_chunk *sq_head, *sq_tail;
	size_t queued;		/* bytes in the send queue, including the send in flight */
	struct msghdr send_msg; /* the send in flight: its chunks, */
	struct iovec send_iov[NET_SEND_IOV]; /* live until its CQE */
	uint64_t last_active;
	uint64_t in_since;	      /* the input became non-empty, or was last consumed from */
	int32_t idle_prev, idle_next; /* the listener's idle list (conn indices), oldest first */
};

/*
 * A listener's life cycle: FREE -> OPEN (rl_listen()) -> CLOSING (rl_listener_close(): its
 * connections close, its accept is cancelled) -> FREE (the accept ended and the last
 * connection closed: rl__listener_maybe_free()).
 */
enum listener_state {
	LISTENER_FREE,
	LISTENER_OPEN,
	LISTENER_CLOSING,
};

struct rl_listener {
	struct rl__net *n;
	uint32_t index;
	uint32_t gen;
	uint8_t state;	   /* enum listener_state */
	uint8_t accept_op; /* enum net_op: the multishot accept */
	int fd;
	uint64_t fhandle;
	uint32_t findex;
	const struct rl_conn_ops *ops;
	void *arg;
	unsigned max_conns;
	unsigned nconns;
	uint32_t max_request;
	uint64_t idle_ns;
	uint64_t header_ns; /* 0: no header timeout */
	size_t max_send_queue;
	unsigned nevicting;	      /* evicted connections not yet freed (in @nconns) */
	int32_t idle_head, idle_tail; /* rl_conn_set_idle() connections, oldest first */
	char *inbufs;		      /* max_conns input buffers of max_request bytes */
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

	/* Connections (net_conn.c) and listeners (net_listen.c). */
	struct rl_conn *conns; /* one per slot of the connection region */
	unsigned conn_cap;
	uint32_t conn_base;
	unsigned nconns; /* not FREE */
	struct rl_listener *listeners;
	unsigned listener_cap;
	unsigned nlisteners;

	/* The provided-buffer ring (net_bufring.c). */
	struct io_uring_buf_ring *br;
	size_t br_size;
	char *bufmem;
	struct net_buf *bufs;
	unsigned nbufs;
	unsigned buf_size;
	unsigned bufs_free;
	unsigned want_bufs; /* connections waiting for a buffer to come back */

	/* The send pool (net_sendq.c). */
	char *pool;
	struct net_chunk *free_chunks;
	unsigned nchunks;
	unsigned chunks_free;
	unsigned want_room; /* connections waiting for send pool room */

	/* The idle sweep (net_listen.c). */
	struct __kernel_timespec sweep_ts;
	int sweep_armed;
	int sweep_due; /* the timer fired: sweep once the current batch of CQEs is handled */

	struct rl_net_stats st;
};

/* ---- net.c: the socket state and its dispatcher ---------------------------------------- */

/* The engine's socket state, created with the first listener. Return: 0, -ENOMEM, -ENFILE. */
int rl__net_get(struct rl_engine *e, struct rl__net **out);
/* A submission queue entry on the main ring (rl__sqe()); sockets never use the IOPOLL ring. */
static inline struct io_uring_sqe *rl__net_sqe(struct rl_engine *e)
{
	return rl__sqe(e, &e->ring);
}
/* Cancel the request with user_data @ud. Return: 0, or -EBUSY without an SQE. */
int rl__net_cancel(struct rl_engine *e, uint64_t ud);

/* ---- net_bufring.c: receive buffers ------------------------------------------------------- */

/* Allocate, register and fill the buffer ring; rl__bufring_fini() undoes it. */
int rl__bufring_init(struct rl_engine *e, struct rl__net *n);
void rl__bufring_fini(struct rl_engine *e, struct rl__net *n);
/* Prepare a receive of one buffer from the ring on fixed file @fd. */
void rl__buf_prep_recv(struct io_uring_sqe *sqe, int fd);
/* A receive CQE's buffer, which the kernel took from the ring. Return: its id, or -1 for none. */
int32_t rl__buf_taken(struct rl__net *n, uint32_t cqe_flags);
/* Back to the ring; receives waiting for a buffer (rl__buf_wait()) are re-armed. */
void rl__buf_give_back(struct rl__net *n, int32_t bid);
/* A receive ended with ENOBUFS: re-arm it once a buffer is back, unless one already is. */
void rl__buf_wait(struct rl__net *n, struct rl_conn *c);
/* Keep @len received bytes of buffer @bid for @c, behind what it holds already. */
void rl__buf_hold(struct rl__net *n, struct rl_conn *c, int32_t bid, uint32_t len);
/* Copy held bytes into @dst, at most @room; emptied buffers go back. Return: bytes copied. */
uint32_t rl__buf_copy_held(struct rl__net *n, struct rl_conn *c, char *dst, uint32_t room);
/* Give back every buffer @c holds. */
void rl__buf_drop_held(struct rl__net *n, struct rl_conn *c);

/* ---- net_sendq.c: the send pool and each connection's send queue -------------------------- */

int rl__sendq_init(struct rl__net *n, size_t pool_bytes);
void rl__sendq_fini(struct rl__net *n);
/* Submit the one send of @c, from the head of its queue. */
void rl__sendq_start(struct rl__net *n, struct rl_conn *c);
/* Free what @c has queued, except the chunk a send in flight reads from. */
void rl__sendq_drop(struct rl__net *n, struct rl_conn *c);
/* The send's CQE. */
void rl__sendq_complete(struct rl__net *n, struct rl_conn *c, int res, uint64_t now);

/* ---- net_conn.c: a connection's life cycle ------------------------------------------------ */

static inline uint64_t rl__conn_ud(unsigned tag, const struct rl_conn *c)
{
	return rl__ud_encode(tag, c->index, c->gen);
}
/* The protocol may be offered input and may send. */
static inline bool rl__conn_usable(const struct rl_conn *c)
{
	return c->state == CONN_OPEN && c->ops;
}
/* Not yet closing without waiting: OPEN, DRAINING or SHUT_SENT. */
static inline bool rl__conn_live(const struct rl_conn *c)
{
	return c->state == CONN_OPEN || c->state == CONN_DRAINING || c->state == CONN_SHUT_SENT;
}
/* An SQE for an operation of @c, counted as in flight; NULL (and a retry at the sweep) if none. */
struct io_uring_sqe *rl__conn_sqe(struct rl__net *n, struct rl_conn *c, unsigned tag);
/*
 * Accepted into free slot @c for @l: FREE -> OPEN, and on_open runs. @inslot: the input buffer
 * of a connection evicted for it, or -1 to take one from the listener's free list.
 */
void rl__conn_open(struct rl__net *n, struct rl_conn *c, struct rl_listener *l, int64_t inslot,
		   uint64_t now);
/* Accepted into free slot @c past the limit: FREE -> REFUSED, closed before a byte is read. */
void rl__conn_refuse(struct rl__net *n, struct rl_conn *c, uint64_t now);
/* Submit what the connection's state needs now; idempotent. */
void rl__conn_progress(struct rl__net *n, struct rl_conn *c);
/* Offer the input to the protocol until it stops consuming. */
void rl__conn_pump(struct rl__net *n, struct rl_conn *c);
/*
 * Close without waiting for the send queue (a live connection -> CANCELLING): input and queued
 * bytes are dropped, what is in flight is cancelled, then the close is submitted. @reason is
 * for on_close. Nothing happens to a connection that is not live.
 */
void rl__conn_close_now(struct rl__net *n, struct rl_conn *c, int reason);
/* A CQE of a live connection (receive, send, shutdown, resume, close). */
void rl__conn_complete(struct rl__net *n, struct rl_conn *c, unsigned tag, int res, uint32_t flags,
		       uint64_t now);

/* ---- net_listen.c: listeners, accept, the idle sweep -------------------------------------- */

/* An accept CQE. */
void rl__listener_accepted(struct rl__net *n, uint32_t slot, uint32_t gen, int res, uint32_t flags,
			   uint64_t now);
/* Re-arm every open listener's accept that ended (a full region, no SQE at the time). */
void rl__listeners_rearm(struct rl__net *n);
/* Free a closing listener once its accept ended and its last connection closed. */
void rl__listener_maybe_free(struct rl__net *n, struct rl_listener *l);
/* Arm the sweep timer, unless it is armed or there is nothing to watch. */
void rl__sweep_arm(struct rl__net *n);
/* Nothing left to watch: cancel the sweep so the loop can end without waiting for it. */
void rl__sweep_maybe_cancel(struct rl__net *n);
/* The sweep timer's CQE. */
void rl__sweep_fired(struct rl__net *n);
/* Take @c off its listener's idle list, if it is on it. */
void rl__idle_unlink(struct rl__net *n, struct rl_conn *c);
/* Close idle connections, retry what found no SQE, re-arm accepts. */
void rl__sweep(struct rl__net *n, uint64_t now);

/* ---- net_addr.c: addresses ---------------------------------------------------------------- */

/* Parse rl_listen()'s address forms into @ss; a Unix path is copied to @unix_path too. */
int rl__net_parse_addr(struct rl_engine *e, const char *addr, struct sockaddr_storage *ss,
		       socklen_t *len, char *unix_path, size_t unix_len);
/* The bound address of @fd as rl_listen() takes it, with the port the kernel picked. */
void rl__net_format_addr(int fd, const char *unix_path, char *buf, size_t len);

#endif
