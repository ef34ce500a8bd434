// SPDX-License-Identifier: MIT
/*
 * libringline's public API as control/'s HTTP service uses it, without a ring, for fuzz/http.c.
 * See fake_engine.h for the contract it keeps. The service's clock is this file's too: the
 * target compiles control/ with clock_gettime renamed to fake_clock_gettime, so time moves only
 * when a timer expires, and the rate limit's refills are as deterministic as the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_engine.h"
#include "fuzz.h"

struct rl_engine {
	int unused;
};

enum conn_state { C_FREE, C_OPEN, C_DRAINING };

struct rl_conn {
	int k;
	enum conn_state state;
	void *data;
	char *in; /* the input the protocol is offered: at most max_request bytes */
	size_t inlen;
	char *held; /* received beyond that, copied in as the protocol consumes */
	size_t heldlen, heldcap;
	char *q; /* queued for sending */
	size_t qlen, qcap;
	bool eof, eof_told, resumed, want_room, in_pump, again;
	bool aborted; /* closed from the loop (fake_run()) with reason @why */
	int why;
};

struct rl_listener {
	const struct rl_conn_ops *ops;
	void *arg;
	unsigned max_conns;
	unsigned max_request;
	bool open;
};

struct timer {
	bool used, cancelled;
	uint64_t deadline, id;
	rl_complete_fn cb;
	void *arg;
};

struct get_log {
	bool used;
	void *buf;
	size_t len;
	rl_complete_fn cb;
	void *arg;
};

struct rl_target {
	const char *name;
	const char *engine_path;
	uint64_t size;
	uint32_t block, align;
	struct rl_nvme_dev *nvme;
};

struct rl_nvme_dev {
	struct rl_target *t;
	struct rl_nvme_info info;
};

static struct rl_nvme_dev ng0n1 = {
    .info = {.nsid = 1,
	     .lba_size = 512,
	     .lbaf = 0,
	     .nsze = 131072,
	     .ncap = 131072,
	     .nuse = 32768,
	     .capacity_bytes = 64u << 20,
	     .mdts_bytes = 512 * 1024,
	     .max_transfer = 512 * 1024,
	     .dlfeat = 1,
	     .model = "QEMU NVMe Ctrl",
	     .serial = "ringline0",
	     .firmware = "7.2.15",
	     .generic_path = "/dev/ng0n1"},
};
static struct rl_target targets[] = {
    {"/dev/ng0n1", "passthrough", 64u << 20, 512, 4, &ng0n1},
    {"/var/tmp/ringline.img", "direct", 1u << 30, 4096, 4096, NULL},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static struct {
	struct rl_engine e;
	struct fake_config cfg;
	struct rl_listener l;
	struct rl_conn conns[FAKE_CONNS];
	struct timer timers[RL_TIMERS];
	uint64_t timer_ids;
	struct get_log logs[8];
	uint64_t now;
	size_t queued; /* by every connection */
	struct rl_net_stats st;
	char err[160];
} f;

static struct rl_hist *lat, *empty;

int fake_clock_gettime(clockid_t clk, struct timespec *ts);

int fake_clock_gettime(clockid_t clk, struct timespec *ts)
{
	FUZZ_CHECK(clk == CLOCK_MONOTONIC, "control/ asked for clock %d", (int)clk);
	ts->tv_sec = (time_t)(f.now / 1000000000u);
	ts->tv_nsec = (long)(f.now % 1000000000u);
	return 0;
}

static void grow(char **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*cap = need > 2 * *cap ? need : 2 * *cap;
	*p = realloc(*p, *cap);
	FUZZ_CHECK(*p, "out of memory");
}

struct rl_engine *fake_engine_start(const struct fake_config *cfg)
{
	if (!lat) {
		FUZZ_CHECK(!rl_hist_create(&lat) && !rl_hist_create(&empty), "rl_hist_create");
		for (uint64_t v = 1000; v < 20000000000ull; v = v * 3 / 2)
			rl_hist_record(lat, v);
	}
	for (int k = 0; k < FAKE_CONNS; k++) {
		free(f.conns[k].in);
		free(f.conns[k].held);
		free(f.conns[k].q);
	}
	memset(&f, 0, sizeof(f));
	f.cfg = *cfg;
	f.now = 1000000000u;
	ng0n1.t = &targets[0];
	for (int k = 0; k < FAKE_CONNS; k++)
		f.conns[k].k = k;
	return &f.e;
}

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free(struct rl_conn *c, int reason)
{
	bool opened = c->state != C_FREE;

	f.queued -= c->qlen;
	c->qlen = c->inlen = c->heldlen = 0;
	c->state = C_FREE;
	if (opened) {
		f.st.conns--;
		if (f.l.ops->on_close)
			f.l.ops->on_close(f.l.arg, c, reason);
	}
	c->data = NULL;
	fake_closed(c->k);
}

static void fill_input(struct rl_conn *c)
{
	size_t n = f.l.max_request - c->inlen;

	if (n > c->heldlen)
		n = c->heldlen;
	memcpy(c->in + c->inlen, c->held, n);
	memmove(c->held, c->held + n, c->heldlen - n);
	c->inlen += n;
	c->heldlen -= n;
}

/* Offer the input to the protocol until it consumes no more (engine/net_conn.c's pump). */
static void pump(struct rl_conn *c)
{
	bool tell_eof, resumed;
	size_t used;

	if (c->state != C_OPEN)
		return;
	if (c->in_pump) {
		c->again = true;
		return;
	}
	c->in_pump = true;
	do {
		c->again = false;
		for (;;) {
			fill_input(c);
			tell_eof = c->eof && !c->heldlen && !c->eof_told;
			resumed = c->resumed;
			if (!c->inlen && !tell_eof && !resumed)
				break;
			c->eof_told |= tell_eof;
			c->resumed = false;
			used = f.l.ops->on_data(f.l.arg, c, c->in, c->inlen);
			if (c->state != C_OPEN)
				break;
			FUZZ_CHECK(used <= c->inlen, "on_data consumed %zu of %zu bytes", used,
				   c->inlen);
			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= used;
			if (!used && !tell_eof && !resumed && !c->heldlen)
				break;
			if (!used && c->inlen == f.l.max_request)
				break; /* full and stuck: the protocol has to close */
		}
	} while (c->again && c->state == C_OPEN);
	c->in_pump = false;
}

void fake_deliver(int k, const char *data, size_t len)
{
	struct rl_conn *c = &f.conns[k];

	if (!f.l.open || !len)
		return;
	if (c->state == C_FREE) {
		f.st.accepted++;
		if (f.st.conns >= f.l.max_conns) {
			f.st.refused++;
			fake_closed(k); /* closed before any byte is read */
			return;
		}
		*c = (struct rl_conn){.k = k,
				      .in = c->in,
				      .held = c->held,
				      .heldcap = c->heldcap,
				      .q = c->q,
				      .qcap = c->qcap};
		grow(&c->in, &(size_t){0}, f.l.max_request);
		c->state = C_OPEN;
		f.st.conns++;
		if (f.l.ops->on_open && f.l.ops->on_open(f.l.arg, c)) {
			c->state = C_FREE; /* refused by the protocol: on_close does not run */
			f.st.conns--;
			fake_closed(k);
			return;
		}
	}
	if (c->state != C_OPEN || c->eof)
		return; /* closing: read only to see the peer's end */
	f.st.bytes_in += len;
	fake_received(k, data, len);
	grow(&c->held, &c->heldcap, c->heldlen + len);
	memcpy(c->held + c->heldlen, data, len);
	c->heldlen += len;
	pump(c);
}

void fake_eof(int k)
{
	struct rl_conn *c = &f.conns[k];

	if (c->state == C_FREE || c->eof)
		return;
	c->eof = true;
	if (c->state == C_DRAINING && !c->qlen)
		conn_free(c, 0);
	else
		pump(c);
}

void fake_reset(int k)
{
	struct rl_conn *c = &f.conns[k];

	if (c->state != C_FREE)
		conn_free(c, -ECONNRESET);
}

bool fake_open(int k)
{
	return f.conns[k].state == C_OPEN;
}

void rl_conn_close(struct rl_conn *c)
{
	if (c->state != C_OPEN)
		return;
	c->state = C_DRAINING;
	c->inlen = c->heldlen = 0;
	if (c->eof && !c->qlen) { /* nothing to send, the peer is done: closed from the loop */
		c->aborted = true;
		c->why = 0;
	}
}

void rl_conn_abort(struct rl_conn *c)
{
	if (c->state == C_FREE)
		return;
	c->state = C_DRAINING;
	c->inlen = c->heldlen = 0;
	c->aborted = true;
	c->why = -ECONNABORTED;
}

void rl_conn_resume(struct rl_conn *c)
{
	if (c->state == C_OPEN)
		c->resumed = true; /* pumped from the loop: fake_run() */
}

/* The fake has no connection limit, so no connection is ever evicted: the mark has no effect. */
void rl_conn_set_idle(struct rl_conn *c, int idle)
{
	(void)c, (void)idle;
}

int rl_conn_eof(const struct rl_conn *c)
{
	return c->eof;
}

void rl_conn_set_data(struct rl_conn *c, void *data)
{
	c->data = data;
}

void *rl_conn_data(const struct rl_conn *c)
{
	return c->data;
}

size_t rl_conn_send_room(const struct rl_conn *c)
{
	size_t room;

	if (c->state != C_OPEN)
		return 0;
	room = f.cfg.send_pool - f.queued;
	if (c->qlen && c->qlen + room > f.cfg.max_send_queue)
		room = c->qlen < f.cfg.max_send_queue ? f.cfg.max_send_queue - c->qlen : 0;
	return room;
}

int rl_conn_sendv(struct rl_conn *c, const struct iovec *iov, int iovcnt)
{
	size_t len = 0;

	if (c->state != C_OPEN)
		return -EPIPE;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > rl_conn_send_room(c)) {
		c->want_room = true;
		return -ENOBUFS;
	}
	grow(&c->q, &c->qcap, c->qlen + len);
	for (int i = 0; i < iovcnt; i++) {
		memcpy(c->q + c->qlen, iov[i].iov_base, iov[i].iov_len);
		c->qlen += iov[i].iov_len;
	}
	f.queued += len;
	f.st.send_queued = f.queued;
	return 0;
}

int rl_conn_send(struct rl_conn *c, const void *data, size_t len)
{
	struct iovec iov = {(void *)data, len};

	return rl_conn_sendv(c, &iov, 1);
}

void fake_complete_sends(void)
{
	bool sent[FAKE_CONNS] = {false};

	for (int k = 0; k < FAKE_CONNS; k++) {
		struct rl_conn *c = &f.conns[k];

		if (!c->qlen)
			continue;
		fake_sent(k, c->q, c->qlen);
		f.st.bytes_out += c->qlen;
		f.queued -= c->qlen;
		c->qlen = 0;
		sent[k] = true;
		if (c->state == C_DRAINING && c->eof)
			conn_free(c, 0);
	}
	f.st.send_queued = f.queued;
	/* Each connection whose send completed is offered its input, then those refused room. */
	for (int k = 0; k < FAKE_CONNS; k++)
		if (sent[k])
			pump(&f.conns[k]);
	for (int k = 0; k < FAKE_CONNS; k++) {
		if (f.conns[k].want_room) {
			f.conns[k].want_room = false;
			pump(&f.conns[k]);
		}
	}
}

/* ---- timers ------------------------------------------------------------------------------ */

int rl_timer_start(struct rl_engine *e, uint64_t ns, rl_complete_fn cb, void *arg, uint64_t *id)
{
	FUZZ_CHECK(e == &f.e, "rl_timer_start() on another engine");
	for (int i = 0; i < RL_TIMERS; i++) {
		struct timer *t = &f.timers[i];

		if (t->used)
			continue;
		*t = (struct timer){.used = true,
				    .deadline = f.now + ns,
				    .id = ++f.timer_ids,
				    .cb = cb,
				    .arg = arg};
		if (id)
			*id = t->id;
		return 0;
	}
	return -EBUSY;
}

int rl_timer_cancel(struct rl_engine *e, uint64_t id)
{
	FUZZ_CHECK(e == &f.e, "rl_timer_cancel() on another engine");
	for (int i = 0; i < RL_TIMERS; i++) {
		if (f.timers[i].used && f.timers[i].id == id) {
			f.timers[i].cancelled = true; /* the callback runs from the loop */
			return 0;
		}
	}
	return -ENOENT;
}

/* Run timers: the cancelled ones (@expire false), or all of them, the clock moved on. */
static bool run_timers(bool expire)
{
	bool ran = false;

	for (int i = 0; i < RL_TIMERS; i++) {
		struct timer t = f.timers[i];

		if (!t.used || (!t.cancelled && !expire))
			continue;
		f.timers[i].used = false;
		if (!t.cancelled && t.deadline > f.now)
			f.now = t.deadline;
		t.cb(t.arg, t.cancelled ? -ECANCELED : 0, 0);
		ran = true;
	}
	return ran;
}

void fake_fire_timers(void)
{
	run_timers(true);
}

/* ---- Get Log Page ------------------------------------------------------------------------ */

int rl_nvme_get_log(struct rl_nvme_dev *d, uint8_t lid, uint32_t nsid, void *buf, uint32_t len,
		    rl_complete_fn cb, void *arg)
{
	(void)lid;
	(void)nsid;
	FUZZ_CHECK(d == &ng0n1, "rl_nvme_get_log() on a device that is not open");
	if (f.cfg.get_log_busy) {
		snprintf(f.err, sizeof(f.err), "ringline: %s: no free command slot", d->t->name);
		return -EBUSY;
	}
	for (size_t i = 0; i < sizeof(f.logs) / sizeof(f.logs[0]); i++) {
		if (!f.logs[i].used) {
			f.logs[i] = (struct get_log){true, buf, len, cb, arg};
			return 0;
		}
	}
	snprintf(f.err, sizeof(f.err), "ringline: %s: no free command slot", d->t->name);
	return -EBUSY;
}

void fake_complete_logs(int res)
{
	/* A SMART log as QEMU's controller fills it. */
	static const uint8_t smart[32 + 16 * 10] = {
	    [1] = 0x43,	  [2] = 0x01,  /* temperature 323 K */
	    [3] = 100,	  [4] = 10,    /* available spare 100%, threshold 10% */
	    [32] = 0x2a,  [48] = 0x07, /* data units read 42, written 7 */
	    [64] = 0x10,  [65] = 0x27, /* host read commands 10000 */
	    [80] = 0xe8,  [81] = 0x03, /* host write commands 1000 */
	    [112] = 0x01,	       /* power cycles */
	    [128] = 0x05,	       /* power-on hours */
	};

	for (size_t i = 0; i < sizeof(f.logs) / sizeof(f.logs[0]); i++) {
		struct get_log g = f.logs[i];

		if (!g.used)
			continue;
		f.logs[i].used = false;
		if (!res) {
			memset(g.buf, 0, g.len);
			memcpy(g.buf, smart, g.len < sizeof(smart) ? g.len : sizeof(smart));
		}
		g.cb(g.arg, res, 0);
	}
}

/* ---- the loop ----------------------------------------------------------------------------- */

void fake_run(void)
{
	bool again = true;

	while (again) {
		again = run_timers(false);
		for (int k = 0; k < FAKE_CONNS; k++) {
			if (f.conns[k].aborted && f.conns[k].state != C_FREE) {
				f.conns[k].aborted = false;
				conn_free(&f.conns[k], f.conns[k].why);
				again = true;
				continue;
			}
			if (f.conns[k].resumed && f.conns[k].state == C_OPEN) {
				pump(&f.conns[k]);
				again = true;
			}
		}
	}
}

bool fake_pending(void)
{
	for (int i = 0; i < RL_TIMERS; i++)
		if (f.timers[i].used)
			return true;
	for (size_t i = 0; i < sizeof(f.logs) / sizeof(f.logs[0]); i++)
		if (f.logs[i].used)
			return true;
	for (int k = 0; k < FAKE_CONNS; k++)
		if (f.conns[k].aborted && f.conns[k].state != C_FREE)
			return true;
	return f.queued != 0;
}

void fake_engine_destroy(void)
{
	FUZZ_CHECK(!f.l.open, "the engine destroyed with its listener open");
	fake_complete_logs(-ECANCELED);
	for (int i = 0; i < RL_TIMERS; i++)
		f.timers[i].cancelled = true;
	run_timers(false);
	FUZZ_CHECK(!fake_pending(), "a callback was due after the engine was destroyed");
}

/* ---- listeners ---------------------------------------------------------------------------- */

int rl_listen(struct rl_engine *e, const char *addr, const struct rl_listen_opts *o,
	      const struct rl_conn_ops *ops, void *arg, struct rl_listener **out)
{
	(void)addr;
	FUZZ_CHECK(e == &f.e && !f.l.open, "rl_listen() twice");
	f.l = (struct rl_listener){ops, arg, o->max_conns ? o->max_conns : 64,
				   o->max_request ? o->max_request : 8192, true};
	f.st.listeners = 1;
	*out = &f.l;
	return 0;
}

void rl_listener_close(struct rl_listener *l)
{
	FUZZ_CHECK(l == &f.l && l->open, "rl_listener_close() of no listener");
	for (int k = 0; k < FAKE_CONNS; k++)
		if (f.conns[k].state != C_FREE)
			conn_free(&f.conns[k], -ECANCELED);
	l->open = false;
	f.st.listeners = 0;
}

char *rl_listener_address(const struct rl_listener *l, char *buf, size_t len)
{
	(void)l;
	snprintf(buf, len, "127.0.0.1:9100");
	return buf;
}

void rl_net_stats(const struct rl_engine *e, struct rl_net_stats *st)
{
	(void)e;
	*st = f.st;
	st->send_pool = f.cfg.send_pool;
	st->bufs = st->bufs_free = 256;
}

/* ---- the engine and its targets ------------------------------------------------------------ */

unsigned rl_engine_features(const struct rl_engine *e)
{
	(void)e;
	return RL_FEAT_SQE128 | RL_FEAT_CQE32 | RL_FEAT_COOP_TASKRUN | RL_FEAT_SINGLE_ISSUER;
}

const char *rl_feature_name(unsigned feat)
{
	static const char *const names[RL_FEAT_COUNT] = {
	    "SQE128", "CQE32", "COOP_TASKRUN", "SINGLE_ISSUER", "DEFER_TASKRUN", "SQPOLL", "IOPOLL",
	};

	for (int i = 0; i < RL_FEAT_COUNT; i++)
		if (feat == 1u << i)
			return names[i];
	return NULL;
}

const char *rl_engine_feature_note(const struct rl_engine *e, unsigned feat)
{
	(void)e;
	return feat == RL_FEAT_DEFER_TASKRUN ? "io_uring_setup: Invalid argument" : "not requested";
}

unsigned rl_engine_capacity(const struct rl_engine *e)
{
	(void)e;
	return 1024;
}

unsigned rl_engine_inflight(const struct rl_engine *e)
{
	(void)e;
	return 1;
}

unsigned rl_engine_files_in_use(const struct rl_engine *e)
{
	(void)e;
	return 3 + f.st.conns;
}

uint64_t rl_engine_stale_cqes(const struct rl_engine *e)
{
	(void)e;
	return 0;
}

const char *rl_engine_last_error(const struct rl_engine *e)
{
	(void)e;
	return f.err;
}

/*
 * One large block (the NBD server's 32 MiB of buffers) is kept from one run for the next: the
 * allocation, its page faults and ASan's poisoning would take most of each run otherwise.
 */
#define BIG_BLOCK (1u << 20)
static struct {
	void *out, *kept; /* the block handed out, or kept for the next run */
	size_t size;
} big;

void *rl_alloc_aligned(size_t align, size_t size)
{
	void *p;

	if (size >= BIG_BLOCK && align <= 4096 && big.kept && big.size == size && !big.out) {
		big.out = big.kept;
		big.kept = NULL;
		return big.out;
	}
	if (posix_memalign(&p, align < 4096 && size >= BIG_BLOCK ? 4096 : align, size))
		return NULL;
	if (size >= BIG_BLOCK && !big.out) {
		free(big.kept);
		big.kept = NULL;
		big.out = p;
		big.size = size;
	}
	return p;
}

void rl_free_aligned(void *p)
{
	if (p && p == big.out) {
		big.kept = p;
		big.out = NULL;
		return;
	}
	free(p);
}

struct rl_target *rl_engine_next_target(struct rl_engine *e, struct rl_target *prev)
{
	(void)e;
	if (!prev)
		return &targets[0];
	return prev + 1 < targets + NTARGETS ? prev + 1 : NULL;
}

const char *rl_op_name(enum rl_op op)
{
	static const char *const names[RL_OP_COUNT] = {"read",	 "write",   "flush", "trim",
						       "zeroes", "compare", "admin"};

	return (unsigned)op < RL_OP_COUNT ? names[op] : NULL;
}

const char *rl_target_name(const struct rl_target *t)
{
	return t->name;
}

const char *rl_target_engine_path(const struct rl_target *t)
{
	return t->engine_path;
}

unsigned rl_target_inflight(const struct rl_target *t)
{
	return t->nvme ? 1 : 0;
}

/* The NVMe fake has gone away: /v1/devices and /metrics render both states. */
bool rl_target_removed(const struct rl_target *t)
{
	return t->nvme != NULL;
}

int rl_target_stats(const struct rl_target *t, enum rl_op op, struct rl_op_stats *out)
{
	if ((unsigned)op >= RL_OP_COUNT)
		return -EINVAL;
	*out = (struct rl_op_stats){.lat = empty};
	if (t->nvme && op == RL_OP_READ)
		*out = (struct rl_op_stats){rl_hist_count(lat), rl_hist_count(lat) * 512, 3, lat};
	return 0;
}

int rl_target_errors(const struct rl_target *t, enum rl_op op, struct rl_error_count *out,
		     unsigned max)
{
	static const struct rl_error_count errs[] = {{-EIO, 1}, {0x4080, 1}, {0, 1}};
	unsigned n = 0;

	if (t->nvme && op == RL_OP_READ)
		for (; n < max && n < 3; n++)
			out[n] = errs[n];
	return (int)n;
}

uint64_t rl_target_size(const struct rl_target *t)
{
	return t->size;
}

uint32_t rl_target_block_size(const struct rl_target *t)
{
	return t->block;
}

uint32_t rl_target_mem_align(const struct rl_target *t)
{
	return t->align;
}

struct rl_nvme_dev *rl_target_nvme(struct rl_target *t)
{
	return t->nvme;
}

const struct rl_nvme_info *rl_nvme_info(const struct rl_nvme_dev *d)
{
	return &d->info;
}

/* The stand-in's namespaces are never zoned. */
const struct rl_nvme_zns *rl_nvme_zns(const struct rl_nvme_dev *d)
{
	(void)d;
	return NULL;
}
