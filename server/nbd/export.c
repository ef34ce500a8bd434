// SPDX-License-Identifier: MIT
/*
 * Starting and freeing a server: the export's geometry from the target, the engine options it
 * needs, and every allocation it will ever make (connections, requests, buffers), up front.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbd_internal.h"

#define DEFAULT_POOL (64u << 20)

static void defaults(struct nbd_opts *o)
{
	o->listen = o->listen ? o->listen : "127.0.0.1:" NBD_DEFAULT_PORT;
	o->max_conns = o->max_conns ? o->max_conns : 64;
	o->conn_requests = o->conn_requests ? o->conn_requests : 64;
	o->requests = o->requests ? o->requests : 256;
	o->pool_bytes = o->pool_bytes ? o->pool_bytes : DEFAULT_POOL;
	if (o->pool_bytes < NBD_MAX_PAYLOAD)
		o->pool_bytes = NBD_MAX_PAYLOAD;
	o->handshake_ms = o->handshake_ms ? o->handshake_ms : 10000;
	o->request_ms = o->request_ms ? o->request_ms : 30000;
}

void nbd_engine_opts(const struct nbd_opts *uo, struct rl_engine_opts *eo)
{
	struct nbd_opts o = *uo;

	defaults(&o);
	rl_engine_opts_init(eo);
	/* One registered buffer per chunk, the zero buffer, and a few for the embedder. */
	eo->reg_buffers = (unsigned)(o.pool_bytes / NBD_CHUNK) + 16;
	eo->max_inflight = 2048;
	eo->sq_entries = 512;
	eo->net_buffers = 512;
	eo->net_buffer_size = 16384;
	eo->net_send_pool = 16u << 20;
}

static uint32_t pow2_floor(uint32_t v)
{
	return v ? 1u << (31 - __builtin_clz(v)) : 0;
}

/* The export's size, block size and command limits, from the target. */
static int geometry(struct nbd_server *s)
{
	struct rl_nvme_dev *d = rl_target_nvme(s->t);

	s->min_block = rl_target_block_size(s->t);
	if (s->min_block & (s->min_block - 1) || s->min_block > 65536 ||
	    rl_target_mem_align(s->t) > 4096) {
		fprintf(stderr, "ringline: nbd: %s: block size %u cannot be exported over NBD\n",
			rl_target_name(s->t), s->min_block);
		return -EINVAL;
	}
	if (s->min_block < 512)
		s->min_block = 512; /* the smallest size NBD clients generally use */
	s->size = rl_target_size(s->t) / s->min_block * s->min_block;
	s->cmd_max = NBD_CHUNK;
	s->zero_max = 1u << 30;
	if (d) {
		uint32_t mt = pow2_floor(rl_nvme_info(d)->max_transfer);

		if (mt && mt < s->cmd_max)
			s->cmd_max = mt;
		s->zero_max = (uint64_t)rl_target_block_size(s->t) << 16; /* 16-bit NLB */
	}
	if (s->cmd_max < s->min_block)
		s->cmd_max = s->min_block;
	s->tflags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_CAN_MULTI_CONN;
	if (s->o.read_only)
		s->tflags |= NBD_FLAG_READ_ONLY;
	else
		s->tflags |= NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES;
	return 0;
}

static int prealloc(struct nbd_server *s)
{
	size_t per_req = NBD_MAX_PAYLOAD / NBD_CHUNK;
	int ret;

	s->nconns = s->o.max_conns * 2; /* closed ones wait for their device commands */
	s->conns = calloc(s->nconns, sizeof(*s->conns));
	s->reqs = calloc(s->o.requests, sizeof(*s->reqs));
	s->chunk_lists = calloc(s->o.requests * per_req, sizeof(*s->chunk_lists));
	s->zero_buf = rl_alloc_aligned(4096, NBD_CHUNK);
	if (!s->conns || !s->reqs || !s->chunk_lists || !s->zero_buf)
		return -ENOMEM;
	for (int k = 0; k < NBD_STAT_CMDS; k++)
		if (rl_hist_create(&s->lat[k]))
			return -ENOMEM;
	memset(s->zero_buf, 0, NBD_CHUNK);
	s->zero_index = rl_engine_register_buffer(s->e, s->zero_buf, NBD_CHUNK);
	for (unsigned i = s->nconns; i-- > 0;) {
		s->conns[i].s = s;
		nbd__conn_put(&s->conns[i]);
	}
	for (unsigned i = s->o.requests; i-- > 0;) {
		struct nbd_req *r = &s->reqs[i];

		r->s = s;
		r->chunks = s->chunk_lists + i * per_req;
		r->next = s->free_reqs;
		s->free_reqs = r;
	}
	s->reqs_free = s->o.requests;
	s->conn_bytes = s->o.pool_bytes / 2; /* two stuck clients to starve a third */
	ret = nbd__pool_init(s, s->o.pool_bytes);
	return ret;
}

int nbd_server_start(struct rl_engine *e, struct rl_target *t, const struct nbd_opts *o,
		     unsigned listen_flags, struct nbd_server **out)
{
	struct rl_listen_opts lo = {.opts_size = sizeof(lo)};
	struct nbd_server *s = calloc(1, sizeof(*s));
	const char *base;
	int ret;

	if (!s)
		return -ENOMEM;
	s->e = e;
	s->t = t;
	s->o = *o;
	s->zero_index = -1;
	defaults(&s->o);
	base = strrchr(rl_target_name(t), '/');
	base = base ? base + 1 : rl_target_name(t);
	snprintf(s->name, sizeof(s->name), "%s", s->o.name ? s->o.name : base);
	if (s->o.description)
		snprintf(s->description, sizeof(s->description), "%s", s->o.description);
	else
		snprintf(s->description, sizeof(s->description), "ringline nbd %.200s",
			 rl_target_name(t));
	ret = geometry(s);
	if (!ret)
		ret = prealloc(s);
	if (ret)
		goto err;
	lo.max_conns = s->o.max_conns;
	lo.idle_timeout_ms = UINT_MAX; /* an NBD client may rightly stay idle for days */
	lo.max_request = 128u << 10;
	lo.max_send_queue = 2u << 20;
	lo.flags = listen_flags;
	lo.header_timeout_ms = s->o.request_ms;
	ret = rl_listen(e, s->o.listen, &lo, nbd__ops(), s, &s->l);
	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(e));
		goto err;
	}
	rl_listener_address(s->l, s->addr, sizeof(s->addr));
	nbd__tick_arm(s);
	*out = s;
	return 0;
err:
	nbd_server_free(s);
	return ret;
}

const char *nbd_server_address(const struct nbd_server *s)
{
	return s->addr;
}

bool nbd_server_done(const struct nbd_server *s)
{
	return s->done;
}

void nbd_server_free(struct nbd_server *s)
{
	if (!s)
		return;
	if (s->l)
		rl_listener_close(s->l);
	if (s->tick_armed)
		rl_timer_cancel(s->e, s->tick_id);
	nbd__pool_fini(s);
	if (s->zero_index >= 0)
		rl_engine_unregister_buffer(s->e, s->zero_index);
	rl_free_aligned(s->zero_buf);
	free(s->conns);
	free(s->reqs);
	free(s->chunk_lists);
	for (int k = 0; k < NBD_STAT_CMDS; k++)
		rl_hist_destroy(s->lat[k]);
	free(s);
}

void nbd_server_stats(const struct nbd_server *s, struct nbd_stats *st)
{
	*st = s->st;
}
