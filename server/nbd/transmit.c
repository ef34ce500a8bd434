// SPDX-License-Identifier: MIT
/*
 * The transmission phase's input: request headers, checked and admitted into a request slot
 * with its buffers, and WRITE payloads copied from the connection's input into those buffers
 * as they arrive. A payload may be larger than the listener's input buffer (up to 32 MiB), so
 * it is consumed piece by piece, never held whole in the input.
 *
 * Backpressure: a header is consumed only when a request slot (per connection and per server)
 * and its buffers are free; otherwise nothing more is consumed, the input fills, the engine
 * stops receiving from that socket, and the connection is resumed when a request is released.
 */
#include <errno.h>
#include <string.h>

#include "nbd_internal.h"

/* Flags each command may carry. */
static const uint16_t cmd_flags[NBD_CMD_TYPES] = {
    [NBD_CMD_READ] = 0,
    [NBD_CMD_WRITE] = NBD_CMD_FLAG_FUA,
    [NBD_CMD_DISC] = 0,
    [NBD_CMD_FLUSH] = 0,
    [NBD_CMD_TRIM] = NBD_CMD_FLAG_FUA,
    [NBD_CMD_WRITE_ZEROES] = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE,
};

/* The NBD error for a request, before any I/O: 0 when it may go to the device. */
static int check(const struct nbd_server *s, uint16_t type, uint16_t flags, uint64_t off,
		 uint32_t len)
{
	bool writes = type == NBD_CMD_WRITE || type == NBD_CMD_TRIM || type == NBD_CMD_WRITE_ZEROES;

	if (type >= NBD_CMD_TYPES || type == 5 || (flags & ~cmd_flags[type]))
		return NBD_EINVAL; /* unknown command (5 is CACHE, not advertised) or flag */
	if (type == NBD_CMD_FLUSH)
		return 0;
	if (writes && s->o.read_only)
		return NBD_EPERM;
	if ((type == NBD_CMD_READ || type == NBD_CMD_WRITE) && len > NBD_MAX_PAYLOAD)
		return NBD_EINVAL;
	if ((off | len) & (s->min_block - 1))
		return NBD_EINVAL;
	if (off > s->size || len > s->size - off)
		return type == NBD_CMD_WRITE || type == NBD_CMD_WRITE_ZEROES ? NBD_ENOSPC
									     : NBD_EINVAL;
	return 0;
}

static void stall(struct nbd_conn *nc)
{
	if (!nc->stalled) {
		nc->stalled = 1;
		nc->s->nstalled++;
		nc->s->st.stalls++;
	}
}

/* Copy payload bytes into the receiving WRITE; submit it once whole. Return: bytes taken. */
static size_t payload(struct nbd_conn *nc, const char *data, size_t len)
{
	struct nbd_req *r = nc->rx_req;
	size_t used = 0;

	while (used < len && r->rx < r->len) {
		uint32_t in_chunk = NBD_CHUNK - r->rx % NBD_CHUNK;
		size_t take = len - used;

		if (take > r->len - r->rx)
			take = r->len - r->rx;
		if (take > in_chunk)
			take = in_chunk;
		memcpy(nbd__chunk(nc->s, r, r->rx), data + used, take);
		r->rx += (uint32_t)take;
		used += take;
	}
	if (r->rx == r->len) {
		nc->rx_req = NULL;
		nbd__req_start(r);
	}
	return used;
}

/* Admit the request whose header is at @h. Return: false to stop (no slot or buffers). */
static bool admit(struct nbd_conn *nc, const char *h)
{
	struct nbd_server *s = nc->s;
	uint16_t flags = nbd_get16(h + 4), type = nbd_get16(h + 6);
	uint64_t off = nbd_get64(h + 16);
	uint32_t len = nbd_get32(h + 24);
	int err = check(s, type, flags, off, len);
	bool data = !err && (type == NBD_CMD_READ || type == NBD_CMD_WRITE);
	struct nbd_req *r;

	if (type == NBD_CMD_DISC) {
		nc->disc = 1; /* no reply; the connection closes once the others are answered */
		return true;
	}
	if (nc->inflight >= s->o.conn_requests || !s->free_reqs) {
		stall(nc);
		return false;
	}
	r = s->free_reqs;
	/* No connection holds more than its share of the buffers, beyond one request. */
	if (data && nc->inflight && nc->bytes + len > s->conn_bytes) {
		stall(nc);
		return false;
	}
	if (data && !nbd__pool_get(s, r, len)) {
		stall(nc);
		return false;
	}
	s->free_reqs = r->next;
	s->reqs_free--;
	s->st.inflight++;
	if (!nc->inflight++)
		rl_conn_set_idle(nc->c, 0);
	nc->bytes += data ? len : 0;
	r->next = NULL;
	r->nc = nc;
	r->cookie = nbd_get64(h + 8);
	r->type = type;
	r->flags = flags;
	r->off = off;
	r->len = len;
	r->err = err;
	r->rx = r->issued = 0;
	r->outstanding = 0;
	r->busy = r->by_write = 0;
	/* FUA: the write's own commands carry it; anything else is followed by a flush. */
	r->flush_after =
	    !err && (flags & NBD_CMD_FLAG_FUA) && (type != NBD_CMD_WRITE || s->fua_by_flush);
	r->t0 = nbd__now();
	if (type == NBD_CMD_WRITE) {
		/* Refused writes still carry their payload: drop it, then reply the error. */
		if (err && len) {
			nc->skip = len;
			nc->skip_req = r;
		} else if (!err) {
			nc->rx_req = r;
		}
		r->stage = REQ_PAYLOAD;
		if (err && !len)
			nbd__req_start(r);
		return true;
	}
	nbd__req_start(r);
	return true;
}

size_t nbd__transmit(struct nbd_conn *nc, const char *data, size_t len)
{
	struct nbd_server *s = nc->s;
	size_t used = 0;

	if (len)
		nc->rx_at = nbd__now(); /* a payload in progress is timed from its last bytes */

	while (!nc->closing) {
		if (nc->skip) {
			size_t take = len - used < nc->skip ? len - used : nc->skip;

			used += take;
			nc->skip -= take;
			if (nc->skip)
				break;
			if (nc->skip_req) { /* the refused write's payload is gone: its reply */
				struct nbd_req *r = nc->skip_req;

				nc->skip_req = NULL;
				nbd__req_start(r);
			}
			continue;
		}
		if (nc->rx_req) {
			used += payload(nc, data + used, len - used);
			if (nc->rx_req)
				break;
			continue;
		}
		if (nc->disc || s->stopping || len - used < NBD_REQUEST_SIZE)
			break;
		if (nbd_get32(data + used) != NBD_REQUEST_MAGIC) {
			s->st.bad_magic++;
			rl_conn_abort(nc->c); /* the stream is lost: this connection only */
			nc->closing = 1;
			return len;
		}
		if (!admit(nc, data + used))
			break;
		used += NBD_REQUEST_SIZE;
	}
	return used;
}
