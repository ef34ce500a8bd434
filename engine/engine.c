// SPDX-License-Identifier: MIT
/* Engine creation with ring feature probe, teardown, and the engine's queries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const feat_names[RL_FEAT_COUNT] = {
    "SQE128", "CQE32", "COOP_TASKRUN", "SINGLE_ISSUER", "DEFER_TASKRUN", "SQPOLL", "IOPOLL",
};

static const unsigned feat_setup_flag[RL_FEAT_COUNT] = {
    IORING_SETUP_SQE128,
    IORING_SETUP_CQE32,
    IORING_SETUP_COOP_TASKRUN,
    IORING_SETUP_SINGLE_ISSUER,
    IORING_SETUP_DEFER_TASKRUN,
    IORING_SETUP_SQPOLL,
    0, /* IOPOLL is a second ring, not a flag of the first */
};

void rl_engine_opts_init(struct rl_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->opts_size = sizeof(*o);
	o->sq_entries = 256;
	o->max_inflight = 1024;
	o->region_files[RL_REGION_CONN] = 256;
	o->region_files[RL_REGION_LISTEN] = 8;
	o->region_files[RL_REGION_NVME] = 64;
	o->region_files[RL_REGION_FILE] = 64;
	o->reg_buffers = 64;
	o->sqpoll_idle_ms = 1000;
	o->net_buffers = 256;
	o->net_buffer_size = 4096;
	o->net_send_pool = 4u << 20;
}

const char *rl_feature_name(unsigned feat)
{
	for (int i = 0; i < RL_FEAT_COUNT; i++)
		if (feat == 1u << i)
			return feat_names[i];
	return NULL;
}

static unsigned setup_flags(unsigned feats)
{
	unsigned flags = 0;

	for (int i = 0; i < RL_FEAT_COUNT; i++)
		if (feats & 1u << i)
			flags |= feat_setup_flag[i];
	return flags;
}

/*
 * Ask for every feature, and while the kernel answers EINVAL drop the newest one first:
 * DEFER_TASKRUN (6.1), SINGLE_ISSUER (6.0), COOP_TASKRUN (5.19), then SQE128/CQE32 (5.19).
 */
static int ring_setup(struct rl_engine *e, const struct rl_engine_opts *o)
{
	static const unsigned drop_order[] = {
	    RL_FEAT_DEFER_TASKRUN,
	    RL_FEAT_SINGLE_ISSUER,
	    RL_FEAT_COOP_TASKRUN,
	    RL_FEAT_SQE128 | RL_FEAT_CQE32,
	};
	unsigned want = RL_FEAT_SQE128 | RL_FEAT_CQE32 | RL_FEAT_COOP_TASKRUN |
			RL_FEAT_SINGLE_ISSUER | RL_FEAT_DEFER_TASKRUN;
	struct io_uring_params p;
	unsigned i = 0;
	int ret;

	if (o->sqpoll) {
		/* The kernel refuses task-run flags with SQPOLL: its thread runs the task work. */
		want &= ~(RL_FEAT_COOP_TASKRUN | RL_FEAT_DEFER_TASKRUN);
		want |= RL_FEAT_SQPOLL;
		e->feature_note[__builtin_ctz(RL_FEAT_COOP_TASKRUN)] = "not used with SQPOLL";
		e->feature_note[__builtin_ctz(RL_FEAT_DEFER_TASKRUN)] = "not used with SQPOLL";
	} else {
		e->feature_note[__builtin_ctz(RL_FEAT_SQPOLL)] = "not requested";
	}
	e->feature_note[__builtin_ctz(RL_FEAT_IOPOLL)] = "not requested";
	for (;;) {
		memset(&p, 0, sizeof(p));
		/* Room for a completion of every slot, so the CQ ring cannot overflow. */
		p.flags = setup_flags(want) | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
		p.cq_entries =
		    o->max_inflight > 2 * o->sq_entries ? o->max_inflight : 2 * o->sq_entries;
		p.sq_thread_idle = o->sqpoll_idle_ms;
		ret = io_uring_queue_init_params(o->sq_entries, &e->ring, &p);
		if (ret != -EINVAL || i == sizeof(drop_order) / sizeof(drop_order[0]))
			break;
		for (unsigned f = drop_order[i]; f; f &= f - 1)
			e->feature_note[__builtin_ctz(f)] = "refused by the kernel (EINVAL)";
		want &= ~drop_order[i++];
	}
	if (ret < 0)
		return ret;
	e->features = want;
	/*
	 * The ring is entered by this thread only: registering its fd saves a file lookup per
	 * system call (as t/io_uring -X1). Optional: without it the fd is used.
	 */
	io_uring_register_ring_fd(&e->ring);
	return 0;
}

/*
 * The polled ring carries only NVMe passthrough (an IOPOLL ring cannot carry sockets). It gets
 * its own file and buffer tables, mirrored from the main ring's.
 */
static int pring_setup(struct rl_engine *e, const struct rl_engine_opts *o)
{
	struct io_uring_params p;
	int ret;

	if (!(e->features & RL_FEAT_SQE128)) {
		e->feature_note[__builtin_ctz(RL_FEAT_IOPOLL)] = "needs SQE128/CQE32";
		return 0;
	}
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_IOPOLL | IORING_SETUP_SQE128 | IORING_SETUP_CQE32 |
		  IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
	if (e->features & RL_FEAT_SINGLE_ISSUER)
		p.flags |= IORING_SETUP_SINGLE_ISSUER;
	p.cq_entries = o->max_inflight > 2 * o->sq_entries ? o->max_inflight : 2 * o->sq_entries;
	ret = io_uring_queue_init_params(o->sq_entries, &e->pring, &p);
	if (ret < 0) {
		e->feature_note[__builtin_ctz(RL_FEAT_IOPOLL)] = "refused by the kernel";
		return ret;
	}
	if (e->files.total)
		ret = io_uring_register_files_sparse(&e->pring, e->files.total);
	if (!ret && e->nbufs)
		ret = io_uring_register_buffers_sparse(&e->pring, e->nbufs);
	if (ret < 0) {
		io_uring_queue_exit(&e->pring);
		return ret;
	}
	io_uring_register_ring_fd(&e->pring);
	e->features |= RL_FEAT_IOPOLL;
	return 0;
}

int rl_engine_create(const struct rl_engine_opts *uo, struct rl_engine **out)
{
	struct rl_engine_opts o;
	struct rl_engine *e;
	int ret;

	rl_engine_opts_init(&o);
	if (uo) {
		if (uo->opts_size < sizeof(size_t))
			return -EINVAL;
		memcpy(&o, uo, uo->opts_size < sizeof(o) ? uo->opts_size : sizeof(o));
	}
	if (!o.sq_entries || !o.max_inflight || o.max_inflight > (1u << 24))
		return -EINVAL;
	/* The kernel's limit on registered buffers (IORING_MAX_REG_BUFFERS). */
	if (o.reg_buffers > (1u << 14))
		return -EINVAL;
	/* The kernel wants a power-of-two buffer ring; buffer ids are 16 bits. */
	if (!rl__is_pow2(o.net_buffers) || o.net_buffers > 32768 || !o.net_buffer_size ||
	    !o.net_send_pool)
		return -EINVAL;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	rl__timers_init(&e->timers);
	e->net_bufs = o.net_buffers;
	e->net_buf_size = o.net_buffer_size;
	e->net_send_pool = o.net_send_pool;
	ret = rl__slab_init(&e->slab, o.max_inflight);
	if (ret)
		goto err_free;
	e->nbufs = o.reg_buffers;
	e->no_latency = o.no_latency;
	e->bufs = calloc(o.reg_buffers ? o.reg_buffers : 1, sizeof(*e->bufs));
	e->buf_order = calloc(o.reg_buffers ? o.reg_buffers : 1, sizeof(*e->buf_order));
	e->unstamped = calloc(o.max_inflight, sizeof(*e->unstamped));
	if (!e->bufs || !e->buf_order || !e->unstamped) {
		ret = -ENOMEM;
		goto err_bufs;
	}
	ret = ring_setup(e, &o);
	if (ret)
		goto err_bufs;
	ret = rl__files_init(e, o.region_files);
	if (ret)
		goto err_ring;
	if (o.reg_buffers) {
		ret = io_uring_register_buffers_sparse(&e->ring, o.reg_buffers);
		if (ret)
			goto err_files;
	}
	if (o.iopoll) {
		ret = pring_setup(e, &o);
		if (ret)
			goto err_files;
	}
	*out = e;
	return 0;

err_files:
	rl__files_fini(e);
err_ring:
	io_uring_queue_exit(&e->ring);
err_bufs:
	free(e->bufs);
	free(e->buf_order);
	free(e->unstamped);
	rl__slab_fini(&e->slab);
err_free:
	free(e);
	return ret;
}

/*
 * Teardown order matters: the kernel may still write into buffers that in-flight commands point
 * to, and (seen on 6.1) tearing down a polled ring with passthrough commands in flight crashes it.
 * So: cancel, reap every outstanding CQE, then unregister and free.
 */
void rl_engine_destroy(struct rl_engine *e)
{
	struct io_uring_sqe *sqe;

	if (!e)
		return;
	e->stop = 1;
	e->dying = true; /* no new timer, listener or connection from the callbacks below */
	/* Listeners close first: no new connections, every connection's on_close runs. */
	rl__net_shutdown(e);
	if (rl__engine_busy(e)) {
		sqe = rl__sqe(e, &e->ring);
		if (sqe) {
			io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
			io_uring_sqe_set_data64(sqe, rl__ud_encode(RL__TAG_IGNORE, 0, 0));
		}
		while (rl__engine_busy(e))
			if (rl_engine_poll(e, 1, 1000) < 0)
				break;
	}
	rl__net_fini(e);
	while (e->targets) {
		struct rl_target *t = e->targets;

		t->inflight = 0; /* every CQE has been reaped above, or the ring is broken */
		t->ops->close(t);
	}
	if (e->features & RL_FEAT_IOPOLL)
		io_uring_queue_exit(&e->pring); /* drops its file and buffer tables too */
	if (e->nbufs)
		io_uring_unregister_buffers(&e->ring);
	rl__files_fini(e);
	io_uring_queue_exit(&e->ring);
	free(e->bufs);
	free(e->buf_order);
	free(e->unstamped);
	rl__slab_fini(&e->slab);
	free(e);
}

unsigned rl_engine_features(const struct rl_engine *e)
{
	return e->features;
}

const char *rl_engine_feature_note(const struct rl_engine *e, unsigned feat)
{
	if (!rl_feature_name(feat) || e->features & feat)
		return NULL;
	return e->feature_note[__builtin_ctz(feat)] ? e->feature_note[__builtin_ctz(feat)]
						    : "not available";
}

unsigned rl_engine_inflight(const struct rl_engine *e)
{
	return e->slab.cap - e->slab.nfree;
}

unsigned rl_engine_capacity(const struct rl_engine *e)
{
	return e->slab.cap;
}

uint64_t rl_engine_cmd_latency(const struct rl_engine *e)
{
	return e->cb_latency;
}

uint64_t rl_engine_stale_cqes(const struct rl_engine *e)
{
	return e->stale_cqes;
}

void *rl_alloc_aligned(size_t align, size_t size)
{
	void *p;
	int ret;

	if (align < sizeof(void *) || !rl__is_pow2(align) || size == 0) {
		errno = EINVAL;
		return NULL;
	}
	ret = posix_memalign(&p, align, size);
	if (ret) {
		errno = ret;
		return NULL;
	}
	return p;
}

void rl_free_aligned(void *p)
{
	free(p);
}
