// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the NBD server (server/nbd/) from the bytes its clients send: the handshake
 * (client flags, options and their lengths, export names, info requests) and the transmission
 * phase (request headers, WRITE payloads in pieces, refused requests, DISC), with replies that
 * wait for send room, device commands that complete late, out of order, with errors or -EBUSY,
 * timers and the graceful stop, on fake_engine.c (connections, timers) and the fake device
 * below (no I/O: each command is checked when submitted and completed when the input says).
 *
 * Input: two bytes of configuration,
 *   byte 0: bit 0 --read-only; bit 1 the export is the file (4096-byte blocks), else the NVMe
 *           namespace (512-byte LBAs, MDTS 512 KiB); bits 3:2 requests per connection (1, 2,
 *           8, 64); bit 4 requests per server 4 (else 256); bit 5 a slab of 4 device commands
 *           (-EBUSY beyond, else 1024); bits 7:6 the send pool (4 MiB, 64 KiB, 8 KiB, 200 KiB)
 *   byte 1: bit 0 registered buffers run out after 8 (else 64); bits 2:1 a connection's send
 *           queue limit (2 MiB, 4 KiB, 16 KiB, 64 KiB)
 *   then events, each a byte: bits 2:0 what, bits 4:3 which peer, and what follows it:
 *     0 LEN DATA     the peer sends LEN (one byte) bytes, connecting first if it is not
 *     7 LEN2 DATA    the same with LEN2 in two bytes, little-endian
 *     1              the peer finishes sending (shutdown)
 *     2              every queued send completes
 *     3              every timer expires
 *     4 HOW          device commands complete: HOW bits 1:0 the result (success, -EIO,
 *                    -EOPNOTSUPP, an NVMe status or -ENOSPC), bit 2 only the newest one
 *     5              the peer resets the connection
 *     6              nbd_server_stop()
 * (at most 4096 events). Then every peer finishes and everything due completes until the stop
 * is done.
 *
 * What must hold: every device command lies within the export, aligned to its block size,
 * within one buffer chunk (reads and writes: at most the command size; a registered buffer's
 * index is that chunk's), none that writes on a read-only export; the server's books balance
 * every 16 events and every 64 steps of the stop (requests free or held, buffer chunks free or held
 * by a request, in-flight counts by connection); after the stop every request and chunk is free,
 * every command was completed once, every registered buffer unregistered; and ASan, UBSan and
 * LeakSanitizer stay quiet.
 */
#include <errno.h>
#include <string.h>

#include "fake_engine.h"
#include "fuzz.h"
#include "nbd_internal.h"

#define MAX_CMDS 1024
#define MAX_BUFS 64

struct cmd {
	rl_complete_fn cb;
	void *arg;
	uint32_t len;
};

static struct {
	struct nbd_server *s;
	struct rl_target *t;
	bool nvme, read_only;
	struct cmd cmds[MAX_CMDS];
	unsigned ncmds, slab;
	void *bufs[MAX_BUFS];
	unsigned bufs_max;
} g;

void fake_received(int k, const char *data, size_t len)
{
	(void)k, (void)data, (void)len;
}

void fake_sent(int k, const char *data, size_t len)
{
	(void)k, (void)data, (void)len;
}

void fake_closed(int k)
{
	(void)k;
}

/* nbd_engine_opts() (export.c) calls it; the fuzz target has no engine to create. */
void rl_engine_opts_init(struct rl_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/* ---- the device ----------------------------------------------------------------------------- */

enum rl_target_kind rl_target_kind(const struct rl_target *t)
{
	return rl_target_nvme((struct rl_target *)t) ? RL_TARGET_KIND_NVME : RL_TARGET_KIND_FILE;
}

int rl_engine_register_buffer(struct rl_engine *e, void *addr, size_t len)
{
	(void)e, (void)len;
	for (unsigned i = 0; i < g.bufs_max; i++)
		if (!g.bufs[i]) {
			g.bufs[i] = addr;
			return (int)i;
		}
	return -ENOSPC;
}

int rl_engine_unregister_buffer(struct rl_engine *e, int index)
{
	(void)e;
	FUZZ_CHECK(index >= 0 && index < MAX_BUFS && g.bufs[index], "unregister %d: not registered",
		   index);
	g.bufs[index] = NULL;
	return 0;
}

static int queue(uint32_t len, rl_complete_fn cb, void *arg)
{
	if (g.ncmds == g.slab)
		return -EBUSY;
	g.cmds[g.ncmds++] = (struct cmd){cb, arg, len};
	return 0;
}

/* A byte range of a command: within the export and aligned to its block size. */
static void check_range(const char *what, uint64_t off, uint64_t len)
{
	const struct nbd_server *s = g.s;

	FUZZ_CHECK(len && !((off | len) % s->min_block), "%s %llu+%llu: not aligned to %u", what,
		   (unsigned long long)off, (unsigned long long)len, s->min_block);
	FUZZ_CHECK(off <= s->size && len <= s->size - off, "%s %llu+%llu: past the end (%llu)",
		   what, (unsigned long long)off, (unsigned long long)len,
		   (unsigned long long)s->size);
	FUZZ_CHECK(strcmp(what, "read") == 0 || !g.read_only, "%s on a read-only export", what);
}

/* A read or write: within the command size and one chunk of the pool (or the zero buffer). */
static void check_rw(const char *what, const void *buf, uint64_t len, uint64_t off, int bi)
{
	const struct nbd_server *s = g.s;
	const char *p = buf, *pool = s->pool.mem;

	check_range(what, off, len);
	FUZZ_CHECK(len <= s->cmd_max, "%s of %llu bytes: above the command size %u", what,
		   (unsigned long long)len, s->cmd_max);
	if (p == s->zero_buf) {
		FUZZ_CHECK(len <= NBD_CHUNK && bi == s->zero_index, "write of the zero buffer");
		return;
	}
	FUZZ_CHECK(p >= pool && p < pool + (size_t)s->pool.nchunks * NBD_CHUNK,
		   "%s: buffer %p "
		   "outside the pool",
		   what, buf);
	FUZZ_CHECK((size_t)(p - pool) % NBD_CHUNK + len <= NBD_CHUNK, "%s: crosses a chunk", what);
	FUZZ_CHECK(bi == -1 || bi == s->pool.buf_index[(p - pool) / NBD_CHUNK],
		   "%s: buffer index %d is not its chunk's", what, bi);
}

int rl_target_read(struct rl_target *t, void *buf, uint64_t len, uint64_t off, rl_complete_fn cb,
		   void *arg)
{
	(void)t;
	check_rw("read", buf, len, off, -1);
	return queue((uint32_t)len, cb, arg);
}

int rl_target_read_fixed(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int bi,
			 rl_complete_fn cb, void *arg)
{
	(void)t;
	FUZZ_CHECK(bi >= 0, "read_fixed with index %d", bi);
	check_rw("read", buf, len, off, bi);
	return queue((uint32_t)len, cb, arg);
}

int rl_target_write(struct rl_target *t, const void *buf, uint64_t len, uint64_t off,
		    rl_complete_fn cb, void *arg)
{
	(void)t;
	check_rw("write", buf, len, off, -1);
	return queue((uint32_t)len, cb, arg);
}

int rl_target_write_fixed(struct rl_target *t, const void *buf, uint64_t len, uint64_t off, int bi,
			  rl_complete_fn cb, void *arg)
{
	(void)t;
	FUZZ_CHECK(bi >= 0, "write_fixed with index %d", bi);
	check_rw("write", buf, len, off, bi);
	return queue((uint32_t)len, cb, arg);
}

int rl_target_write_flags(struct rl_target *t, const void *buf, uint64_t len, uint64_t off, int bi,
			  unsigned flags, rl_complete_fn cb, void *arg)
{
	(void)t;
	FUZZ_CHECK(flags == RL_IO_FUA, "write flags 0x%x", flags);
	check_rw("write", buf, len, off, bi);
	return queue((uint32_t)len, cb, arg);
}

int rl_target_write_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb,
			   void *arg)
{
	(void)t;
	check_range("zeroes", off, len);
	FUZZ_CHECK(len <= g.s->zero_max, "zeroes above %llu", (unsigned long long)g.s->zero_max);
	return queue(0, cb, arg);
}

int rl_target_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	(void)t;
	check_range("trim", off, len);
	FUZZ_CHECK(len <= g.s->zero_max, "trim above %llu", (unsigned long long)g.s->zero_max);
	return queue(0, cb, arg);
}

int rl_target_flush(struct rl_target *t, rl_complete_fn cb, void *arg)
{
	(void)t;
	return queue(0, cb, arg);
}

/* Complete every command (or only the newest) with @how's result. */
static void complete(uint8_t how)
{
	static const int file_res[] = {0, -EIO, -EOPNOTSUPP, -ENOSPC};
	static const int nvme_res[] = {0, -EIO, -EOPNOTSUPP, 0x1};
	unsigned from = how & 4 && g.ncmds ? g.ncmds - 1 : 0, n = g.ncmds;
	struct cmd done[MAX_CMDS];

	/* Taken off the list first: the callbacks submit more. */
	memcpy(done, g.cmds + from, (n - from) * sizeof(done[0]));
	g.ncmds = from;
	for (unsigned i = 0; i < n - from; i++) {
		int res = (g.nvme ? nvme_res : file_res)[how & 3];

		if (!res && !g.nvme)
			res = (int)done[i].len;
		done[i].cb(done[i].arg, res, 0);
	}
}

/* ---- the server's books ---------------------------------------------------------------------- */

static void check_books(void)
{
	const struct nbd_server *s = g.s;
	unsigned held = 0, chunks = 0, mine[2 * FAKE_CONNS] = {0};

	FUZZ_CHECK(s->nconns <= 2 * FAKE_CONNS, "%u connection slots", s->nconns);
	for (unsigned i = 0; i < s->o.requests; i++) {
		const struct nbd_req *r = &s->reqs[i];

		if (r->stage == REQ_FREE) {
			FUZZ_CHECK(!r->nchunks, "a free request holds %u chunks", r->nchunks);
			continue;
		}
		held++;
		chunks += r->nchunks;
		mine[r->nc - s->conns]++;
	}
	FUZZ_CHECK(held == s->o.requests - s->reqs_free, "%u requests held, %u free of %u", held,
		   s->reqs_free, s->o.requests);
	FUZZ_CHECK(s->st.inflight == held, "inflight %u, %u requests held", s->st.inflight, held);
	FUZZ_CHECK(chunks + s->pool.nfree == s->pool.nchunks, "%u chunks held, %u free of %u",
		   chunks, s->pool.nfree, s->pool.nchunks);
	for (unsigned i = 0; i < s->nconns; i++)
		FUZZ_CHECK(!s->conns[i].c || s->conns[i].inflight == mine[i],
			   "a connection counts %u requests, holds %u", s->conns[i].inflight,
			   mine[i]);
}

/* ---- the run ----------------------------------------------------------------------------------
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pools[] = {4u << 20, 64u << 10, 8u << 10, 200u << 10};
	static const size_t queues[] = {2u << 20, 4u << 10, 16u << 10, 64u << 10};
	static const unsigned conn_reqs[] = {1, 2, 8, 64};
	struct fake_config cfg;
	struct nbd_opts o = {0};
	struct rl_engine *e;
	size_t i = 2;
	unsigned events = 0;

	if (size < 2)
		return 0;
	cfg = (struct fake_config){pools[data[0] >> 6], queues[(data[1] >> 1) & 3], false};
	e = fake_engine_start(&cfg);
	memset(&g, 0, sizeof(g));
	g.read_only = data[0] & 1;
	g.t = rl_engine_next_target(e, NULL); /* /dev/ng0n1 */
	if (data[0] & 2)
		g.t = rl_engine_next_target(e, g.t); /* the file */
	g.nvme = rl_target_nvme(g.t) != NULL;
	g.slab = data[0] & 32 ? 4 : MAX_CMDS;
	g.bufs_max = data[1] & 1 ? 8 : MAX_BUFS;
	o.read_only = g.read_only;
	o.conn_requests = conn_reqs[(data[0] >> 2) & 3];
	o.requests = data[0] & 16 ? 4 : 256;
	o.max_conns = FAKE_CONNS;
	o.handshake_ms = 5000;
	o.pool_bytes = NBD_MAX_PAYLOAD; /* the least */
	FUZZ_CHECK(nbd_server_start(e, g.t, &o, 0, &g.s) == 0, "nbd_server_start failed");

	while (i < size && events < 4096) {
		uint8_t ev = data[i++], what = ev & 7;
		int k = (ev >> 3) & 3;
		size_t len;

		switch (what) {
		case 0:
		case 7:
			if (i + (what == 7 ? 2 : 1) > size)
				break;
			len = what == 7 ? (size_t)data[i] | (size_t)data[i + 1] << 8 : data[i];
			i += what == 7 ? 2 : 1;
			if (len > size - i)
				len = size - i;
			fake_deliver(k, (const char *)data + i, len);
			i += len;
			break;
		case 1:
			fake_eof(k);
			break;
		case 2:
			fake_complete_sends();
			break;
		case 3:
			fake_fire_timers();
			break;
		case 4:
			if (i < size)
				complete(data[i++]);
			break;
		case 5:
			fake_reset(k);
			break;
		case 6:
			nbd_server_stop(g.s);
			break;
		}
		fake_run();
		if (!(++events % 16))
			check_books(); /* not after every event: that would take most of the time */
	}
	check_books();

	/* The end: peers finish, the server stops, everything due completes. */
	for (int k = 0; k < FAKE_CONNS; k++)
		fake_eof(k);
	nbd_server_stop(g.s);
	int round_ = 0;

	for (; !nbd_server_done(g.s) || g.ncmds || fake_pending(); round_++) {
		FUZZ_CHECK(round_ < 100000, "the stop never finished: done %d, %u commands",
			   nbd_server_done(g.s), g.ncmds);
		complete(0);
		fake_complete_sends();
		fake_run();
		if (!nbd_server_done(g.s) || fake_pending())
			fake_fire_timers();
		fake_run();
		if (!(round_ % 64))
			check_books();
	}
	check_books();
	FUZZ_CHECK(g.s->reqs_free == g.s->o.requests, "%u of %u requests still held after the stop",
		   g.s->o.requests - g.s->reqs_free, g.s->o.requests);
	FUZZ_CHECK(g.s->pool.nfree == g.s->pool.nchunks, "chunks still held after the stop");
	nbd_server_free(g.s);
	for (unsigned b = 0; b < MAX_BUFS; b++)
		FUZZ_CHECK(!g.bufs[b], "registered buffer %u left registered", b);
	fake_engine_destroy();
	return 0;
}
