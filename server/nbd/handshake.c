// SPDX-License-Identifier: MIT
/*
 * The fixed newstyle handshake: the greeting, the client's flags, and option haggling up to
 * NBD_OPT_GO or NBD_OPT_EXPORT_NAME. Simple replies only: NBD_OPT_STRUCTURED_REPLY and every
 * other option this server does not know get NBD_REP_ERR_UNSUP, which the protocol allows.
 *
 * An option is handled only once the whole of it is in the input and the send queue has room
 * for every reply it gets, so its replies are never cut short: otherwise nothing is consumed
 * and on_data offers it again when more arrives or room frees.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "nbd_internal.h"

/* Option data this server reads; a longer option is dropped and answered NBD_REP_ERR_TOO_BIG. */
#define OPT_MAX 8192
/* Send room an option's replies need at most: the info replies with a name and description. */
#define OPT_REPLY_ROOM (8 * NBD_OPT_REPLY_SIZE + 32 + 2 * 256 + OPT_MAX)

int nbd__greet(struct nbd_conn *nc)
{
	char g[18], *p = g;

	p = nbd_put64(p, NBD_MAGIC);
	p = nbd_put64(p, NBD_IHAVEOPT);
	nbd_put16(p, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	return rl_conn_send(nc->c, g, sizeof(g));
}

static void opt_reply(struct nbd_conn *nc, uint32_t opt, uint32_t type, const void *data,
		      size_t len)
{
	char h[NBD_OPT_REPLY_SIZE], *p = h;
	struct iovec iov[2] = {{h, sizeof(h)}, {(void *)data, len}};

	p = nbd_put64(p, NBD_REP_MAGIC);
	p = nbd_put32(p, opt);
	p = nbd_put32(p, type);
	nbd_put32(p, (uint32_t)len);
	/* Room was checked before the option was taken (OPT_REPLY_ROOM). */
	rl_conn_sendv(nc->c, iov, len ? 2 : 1);
}

static void opt_error(struct nbd_conn *nc, uint32_t opt, uint32_t type, const char *msg)
{
	opt_reply(nc, opt, type, msg, strlen(msg));
}

/* Whether @name (not NUL-terminated) names the export: its name, or "" for the default. */
static bool export_named(const struct nbd_server *s, const char *name, uint32_t len)
{
	return len == 0 || (len == strlen(s->name) && !memcmp(name, s->name, len));
}

static void info_reply(struct nbd_conn *nc, uint32_t opt, const char *info, size_t len)
{
	opt_reply(nc, opt, NBD_REP_INFO, info, len);
}

static void send_infos(struct nbd_conn *nc, uint32_t opt)
{
	const struct nbd_server *s = nc->s;
	char b[2 + 256], *p;

	p = nbd_put16(b, NBD_INFO_EXPORT);
	p = nbd_put64(p, s->size);
	p = nbd_put16(p, s->tflags);
	info_reply(nc, opt, b, (size_t)(p - b));
	p = nbd_put16(b, NBD_INFO_NAME);
	memcpy(p, s->name, strlen(s->name));
	info_reply(nc, opt, b, 2 + strlen(s->name));
	p = nbd_put16(b, NBD_INFO_DESCRIPTION);
	memcpy(p, s->description, strlen(s->description));
	info_reply(nc, opt, b, 2 + strlen(s->description));
	/* Sent whether asked or not: requests outside it get NBD_EINVAL, as the protocol allows. */
	p = nbd_put16(b, NBD_INFO_BLOCK_SIZE);
	p = nbd_put32(p, s->min_block);
	p = nbd_put32(p, s->min_block > 4096 ? s->min_block : 4096);
	p = nbd_put32(p, NBD_MAX_PAYLOAD);
	info_reply(nc, opt, b, (size_t)(p - b));
}

/* NBD_OPT_INFO and NBD_OPT_GO. Return: true when the connection goes to transmission. */
static bool info_or_go(struct nbd_conn *nc, uint32_t opt, const char *d, uint32_t len)
{
	uint32_t nlen;
	uint16_t nreq;

	if (len < 6 || (nlen = nbd_get32(d)) > len - 6 ||
	    (nreq = nbd_get16(d + 4 + nlen), len != 6 + nlen + 2u * nreq)) {
		opt_error(nc, opt, NBD_REP_ERR_INVALID, "malformed NBD_OPT_INFO or NBD_OPT_GO");
		return false;
	}
	if (!export_named(nc->s, d + 4, nlen)) {
		opt_error(nc, opt, NBD_REP_ERR_UNKNOWN, "no export of that name");
		return false;
	}
	send_infos(nc, opt);
	opt_reply(nc, opt, NBD_REP_ACK, NULL, 0);
	return opt == NBD_OPT_GO;
}

static void list(struct nbd_conn *nc, uint32_t len)
{
	const struct nbd_server *s = nc->s;
	size_t nlen = strlen(s->name), dlen = strlen(s->description);
	char b[4 + 2 * 256];

	if (len) {
		opt_error(nc, NBD_OPT_LIST, NBD_REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
		return;
	}
	nbd_put32(b, (uint32_t)nlen);
	memcpy(b + 4, s->name, nlen);
	memcpy(b + 4 + nlen, s->description, dlen);
	opt_reply(nc, NBD_OPT_LIST, NBD_REP_SERVER, b, 4 + nlen + dlen);
	opt_reply(nc, NBD_OPT_LIST, NBD_REP_ACK, NULL, 0);
}

/* NBD_OPT_EXPORT_NAME: no option reply; the export's size and flags, or a hard disconnect. */
static bool export_name(struct nbd_conn *nc, const char *d, uint32_t len)
{
	const struct nbd_server *s = nc->s;
	char b[10 + 124] = {0}, *p;

	if (!export_named(s, d, len)) {
		rl_conn_close(nc->c);
		nc->closing = 1;
		return false;
	}
	p = nbd_put64(b, s->size);
	nbd_put16(p, s->tflags);
	rl_conn_send(nc->c, b, nc->no_zeroes ? 10 : sizeof(b));
	return true;
}

static void enter_transmission(struct nbd_conn *nc)
{
	nc->phase = PHASE_TRANSMIT;
	nc->s->st.handshakes++;
	rl_conn_set_idle(nc->c, 1); /* no request yet: the first to go at the connection limit */
}

/* One option whose header and data (@len bytes at @d) are in the input. */
static void option(struct nbd_conn *nc, uint32_t opt, const char *d, uint32_t len)
{
	switch (opt) {
	case NBD_OPT_EXPORT_NAME:
		if (export_name(nc, d, len))
			enter_transmission(nc);
		break;
	case NBD_OPT_ABORT:
		opt_reply(nc, opt, NBD_REP_ACK, NULL, 0);
		rl_conn_close(nc->c);
		nc->closing = 1;
		break;
	case NBD_OPT_LIST:
		list(nc, len);
		break;
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
		if (info_or_go(nc, opt, d, len))
			enter_transmission(nc);
		break;
	default: /* NBD_OPT_STRUCTURED_REPLY, NBD_OPT_STARTTLS, ... */
		opt_error(nc, opt, NBD_REP_ERR_UNSUP, "not supported by ringline nbd");
		break;
	}
}

size_t nbd__handshake(struct nbd_conn *nc, const char *data, size_t len)
{
	size_t used = 0;

	while (nc->phase != PHASE_TRANSMIT && !nc->closing) {
		uint32_t opt, olen;

		if (nc->skip) {
			size_t take = len - used < nc->skip ? len - used : nc->skip;

			used += take;
			nc->skip -= take;
			if (nc->skip)
				break;
			continue;
		}
		if (nc->phase == PHASE_FLAGS) {
			uint32_t f;

			if (len - used < 4)
				break;
			f = nbd_get32(data + used);
			used += 4;
			if (f & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
				rl_conn_abort(
				    nc->c); /* unknown client flags: the protocol says close */
				return len;
			}
			nc->no_zeroes = !!(f & NBD_FLAG_C_NO_ZEROES);
			nc->phase = PHASE_OPTIONS;
			continue;
		}
		if (len - used < NBD_OPT_HEADER_SIZE || rl_conn_send_room(nc->c) < OPT_REPLY_ROOM)
			break;
		if (nbd_get64(data + used) != NBD_IHAVEOPT) {
			nc->s->st.bad_magic++;
			rl_conn_abort(nc->c);
			return len;
		}
		opt = nbd_get32(data + used + 8);
		olen = nbd_get32(data + used + 12);
		if (olen > OPT_MAX) {
			if (opt == NBD_OPT_EXPORT_NAME) { /* no error reply exists for it */
				rl_conn_abort(nc->c);
				return len;
			}
			used += NBD_OPT_HEADER_SIZE;
			nc->skip = olen;
			opt_error(nc, opt, NBD_REP_ERR_TOO_BIG, "option too long");
			continue;
		}
		if (len - used < NBD_OPT_HEADER_SIZE + (size_t)olen)
			break;
		option(nc, opt, data + used + NBD_OPT_HEADER_SIZE, olen);
		used += NBD_OPT_HEADER_SIZE + (size_t)olen;
	}
	return used;
}
