/* SPDX-License-Identifier: MIT */
/*
 * Private to server/nbd: the server, connection and request structs, and the calls between
 * handshake.c, transmit.c, request.c, reply.c, pool.c and server.c.
 */
#ifndef NBD_INTERNAL_H
#define NBD_INTERNAL_H

#include "nbd.h"
#include "proto.h"

enum nbd_phase {
	PHASE_FLAGS,   /* waiting for the client's 32-bit flags */
	PHASE_OPTIONS, /* option haggling */
	PHASE_TRANSMIT,
};

/* A request's stage: from its header to its reply's last byte queued. */
enum nbd_req_stage {
	REQ_FREE,
	REQ_PAYLOAD, /* a WRITE receiving its payload into its buffers */
	REQ_IO,	     /* device commands in flight or waiting for a slot */
	REQ_READY,   /* on the connection's reply queue */
};

struct nbd_conn;

struct nbd_req {
	struct nbd_server *s;
	struct nbd_conn *nc;
	struct nbd_req *next; /* free list, reply queue, or the busy list */
	uint64_t cookie;
	uint64_t off;
	uint32_t len;
	uint16_t type, flags;
	uint8_t stage;
	uint8_t busy;	      /* on the server's busy list (command slab full) */
	uint8_t flush_after;  /* FUA without RL_IO_FUA: a flush after, before the reply */
	uint8_t by_write;     /* WRITE_ZEROES done as writes of the zero buffer */
	int err;	      /* NBD error of the reply, 0 for success */
	uint32_t rx;	      /* payload bytes received */
	uint32_t issued;      /* bytes whose device command was submitted */
	unsigned outstanding; /* device commands in flight */
	unsigned nchunks;
	uint32_t *chunks; /* indexes into the pool, room for NBD_MAX_PAYLOAD */
	uint64_t t0;	  /* admission time, ns */
	char hdr[NBD_REPLY_SIZE];
};

struct nbd_conn {
	struct nbd_server *s;
	struct rl_conn *c; /* NULL once closed */
	struct nbd_conn *next_free;
	uint8_t phase;
	uint8_t no_zeroes;
	uint8_t disc;		  /* NBD_CMD_DISC seen: reply to what is in flight, then close */
	uint8_t stalled;	  /* waiting for a request slot or buffers */
	uint8_t closing;	  /* rl_conn_close() called */
	uint64_t opened;	  /* ns, for the handshake timeout */
	uint64_t skip;		  /* input bytes to drop (an option or a refused payload) */
	uint64_t rx_at;		  /* ns: a payload (or skip) last made progress */
	struct nbd_req *rx_req;	  /* the WRITE whose payload is arriving */
	struct nbd_req *skip_req; /* the refused WRITE whose payload is being dropped */
	uint8_t hdr_sent;	  /* the head reply's header is queued */
	unsigned inflight;	  /* requests of this connection not yet released */
	uint64_t bytes;		  /* their buffers' payload bytes */
	struct nbd_req *ready_head, *ready_tail;
	uint32_t sent; /* bytes of the head reply's payload queued so far */
};

struct nbd_pool {
	char *mem;
	unsigned nchunks;
	unsigned nfree;
	uint32_t *free;
	int *buf_index; /* registered buffer index of each chunk, or -1 */
};

struct nbd_server {
	struct rl_engine *e;
	struct rl_target *t;
	struct rl_listener *l;
	struct nbd_opts o;
	char name[256];
	char description[256];
	char addr[128];
	/* the export */
	uint64_t size;
	uint32_t min_block;
	uint32_t cmd_max;    /* bytes per read or write command */
	uint64_t conn_bytes; /* payload one connection may hold in buffers */
	uint64_t zero_max;   /* bytes per trim or write zeroes command */
	uint16_t tflags;
	/* preallocated */
	struct nbd_conn *conns;
	unsigned nconns;
	struct nbd_conn *free_conns;
	struct nbd_req *reqs;
	struct nbd_req *free_reqs;
	unsigned reqs_free;
	uint32_t *chunk_lists;
	struct nbd_pool pool;
	char *zero_buf; /* NBD_CHUNK zero bytes, for WRITE_ZEROES where the target has none */
	int zero_index;
	struct nbd_req *busy_head, *busy_tail;
	unsigned nstalled;
	/* state */
	bool zeroes_by_write;
	bool fua_by_flush; /* the target refused RL_IO_FUA: FUA writes get a flush */
	bool dirty;	   /* writes completed since the last flush was submitted */
	bool stopping, final_flush, closed, done;
	uint64_t stop_started;
	uint64_t tick_id;
	bool tick_armed;
	struct nbd_stats st;
	struct rl_hist *lat[NBD_STAT_CMDS]; /* request latency, ns, by command */
};

uint64_t nbd__now(void);

/* pool.c */
int nbd__pool_init(struct nbd_server *s, size_t bytes);
void nbd__pool_fini(struct nbd_server *s);
bool nbd__pool_get(struct nbd_server *s, struct nbd_req *r, uint32_t len);
void nbd__pool_put(struct nbd_server *s, struct nbd_req *r);
char *nbd__chunk(const struct nbd_server *s, const struct nbd_req *r, uint32_t pos);

/* handshake.c */
size_t nbd__handshake(struct nbd_conn *nc, const char *data, size_t len);
int nbd__greet(struct nbd_conn *nc);

/* transmit.c */
size_t nbd__transmit(struct nbd_conn *nc, const char *data, size_t len);

/* request.c */
void nbd__req_start(struct nbd_req *r);
void nbd__retry_busy(struct nbd_server *s);
int nbd__errno_to_nbd(int res);

/* reply.c */
void nbd__reply_queue(struct nbd_req *r);
void nbd__reply_flush(struct nbd_conn *nc);
void nbd__req_release(struct nbd_req *r);
void nbd__conn_maybe_close(struct nbd_conn *nc);
void nbd__wake_stalled(struct nbd_server *s);

/* server.c */
const struct rl_conn_ops *nbd__ops(void);
void nbd__tick_arm(struct nbd_server *s);
void nbd__conn_put(struct nbd_conn *nc);
enum nbd_stat_cmd nbd__stat_cmd(uint16_t type);

/* metrics.c */
void nbd__count_dev_error(struct nbd_stats *st, int code);

#endif
