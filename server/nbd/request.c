// SPDX-License-Identifier: MIT
/*
 * A request's device commands: split into commands the target accepts (at most cmd_max bytes
 * for reads and writes, within one buffer chunk; zero_max for trims and write zeroes), a few in
 * flight at once, and the reply queued once the last completes. A FUA write's commands carry
 * RL_IO_FUA (the NVMe FUA bit, RWF_DSYNC for files); a FUA trim or write zeroes, which have no
 * such flag, is followed by a flush before its reply, as is a FUA write on a target without
 * FUA writes (-EOPNOTSUPP).
 *
 * When the command slab is full (-EBUSY) the request waits on the server's busy list and is
 * retried after the next completion.
 */
#include <errno.h>

#include "nbd_internal.h"

/* Device commands one request keeps in flight. */
#define REQ_PIPELINE 16

int nbd__errno_to_nbd(int res)
{
	switch (res) {
	case -EPERM:
	case -EACCES:
	case -EROFS:
		return NBD_EPERM;
	case -ENOSPC:
	case -EDQUOT:
	case -EFBIG:
		return NBD_ENOSPC;
	case -EINVAL:
		return NBD_EINVAL;
	case -ENOMEM:
		return NBD_ENOMEM;
	default:
		return NBD_EIO; /* other errno values and NVMe statuses */
	}
}

static void busy_add(struct nbd_server *s, struct nbd_req *r)
{
	if (r->busy)
		return;
	r->busy = 1;
	r->next = NULL;
	if (s->busy_tail)
		s->busy_tail->next = r;
	else
		s->busy_head = r;
	s->busy_tail = r;
}

/* Whether a failed write zeroes means the target has none: then it is done with writes. */
static bool zeroes_unsupported(const struct nbd_server *s, int res)
{
	return res == -EOPNOTSUPP || res == -ENOTTY ||
	       (rl_target_kind(s->t) == RL_TARGET_KIND_NVME && res == 0x1); /* Invalid Opcode */
}

static void pump(struct nbd_req *r);

static void on_done(void *arg, int res, uint64_t result)
{
	struct nbd_req *r = arg;
	struct nbd_server *s = r->s;
	bool failed = res < 0 || (res > 0 && rl_target_kind(s->t) == RL_TARGET_KIND_NVME);

	(void)result;
	r->outstanding--;
	if (failed)
		nbd__count_dev_error(&s->st, res);
	if (failed && r->type == NBD_CMD_WRITE_ZEROES && !r->by_write && zeroes_unsupported(s, res))
		s->zeroes_by_write = true; /* redone as writes below, from its start */
	else if (failed && r->type == NBD_CMD_TRIM && res == -EOPNOTSUPP)
		; /* a trim is advisory */
	else if (failed && !r->err)
		r->err = res < 0 ? nbd__errno_to_nbd(res) : NBD_EIO;
	else if (!failed && r->type != NBD_CMD_READ && r->type != NBD_CMD_FLUSH)
		s->dirty = true;
	pump(r);
	nbd__retry_busy(s);
}

/* Submit the device command for the next piece of @r. Return: 0 or -errno. */
static int submit_piece(struct nbd_req *r)
{
	struct nbd_server *s = r->s;
	uint32_t left = r->len - r->issued, n;
	uint64_t off = r->off + r->issued;
	int ret, bi;
	char *buf;

	switch (r->type) {
	case NBD_CMD_FLUSH:
		s->dirty = false; /* it covers every write completed before it */
		ret = rl_target_flush(s->t, on_done, r);
		n = 1;
		break;
	case NBD_CMD_TRIM:
		n = left < s->zero_max ? left : (uint32_t)s->zero_max;
		ret = rl_target_trim(s->t, off, n, on_done, r);
		break;
	case NBD_CMD_WRITE_ZEROES:
		if (r->by_write) {
			n = left < s->cmd_max ? left : s->cmd_max;
			ret = s->zero_index >= 0
				  ? rl_target_write_fixed(s->t, s->zero_buf, n, off, s->zero_index,
							  on_done, r)
				  : rl_target_write(s->t, s->zero_buf, n, off, on_done, r);
			break;
		}
		n = left < s->zero_max ? left : (uint32_t)s->zero_max;
		ret = rl_target_write_zeroes(s->t, off, n, on_done, r);
		break;
	default: /* READ, WRITE: one command within one chunk */
		n = left < s->cmd_max ? left : s->cmd_max;
		buf = nbd__chunk(s, r, r->issued);
		bi = s->pool.buf_index[r->chunks[r->issued / NBD_CHUNK]];
		if (r->type == NBD_CMD_READ) {
			ret = bi >= 0 ? rl_target_read_fixed(s->t, buf, n, off, bi, on_done, r)
				      : rl_target_read(s->t, buf, n, off, on_done, r);
			break;
		}
		if ((r->flags & NBD_CMD_FLAG_FUA) && !r->flush_after) {
			ret = rl_target_write_flags(s->t, buf, n, off, bi, RL_IO_FUA, on_done, r);
			if (!ret)
				s->st.fua_cmds++;
			if (ret != -EOPNOTSUPP)
				break;
			s->fua_by_flush = true; /* this request and the next: a flush after */
			r->flush_after = 1;
		}
		ret = bi >= 0 ? rl_target_write_fixed(s->t, buf, n, off, bi, on_done, r)
			      : rl_target_write(s->t, buf, n, off, on_done, r);
		break;
	}
	if (ret)
		return ret;
	r->issued += n;
	r->outstanding++;
	return 0;
}

/* Submit what @r may have in flight; queue its reply when nothing is left to do. */
static void pump(struct nbd_req *r)
{
	struct nbd_server *s = r->s;
	uint32_t total = r->type == NBD_CMD_FLUSH ? 1 : r->len;
	int ret;

	if (s->zeroes_by_write && r->type == NBD_CMD_WRITE_ZEROES && !r->by_write) {
		if (r->outstanding)
			return; /* restart from the start once its write zeroes are back */
		r->by_write = 1;
		r->issued = 0;
	}
	while (!r->err && r->issued < total && r->outstanding < REQ_PIPELINE) {
		ret = submit_piece(r);
		if (ret == -EBUSY) {
			busy_add(s, r);
			return;
		}
		if (ret && r->type == NBD_CMD_WRITE_ZEROES && !r->by_write &&
		    zeroes_unsupported(s, ret)) {
			s->zeroes_by_write = true;
			pump(r);
			return;
		}
		if (ret)
			r->err = nbd__errno_to_nbd(ret);
	}
	if (r->outstanding)
		return;
	if (!r->err && r->issued >= total && r->flush_after == 1) {
		s->dirty = false;
		ret = rl_target_flush(s->t, on_done, r);
		if (ret == -EBUSY) {
			busy_add(s, r);
			return;
		}
		if (!ret) {
			r->flush_after = 2;
			r->outstanding++;
			return;
		}
		r->err = nbd__errno_to_nbd(ret);
	}
	if (r->err || r->issued >= total)
		nbd__reply_queue(r);
}

void nbd__retry_busy(struct nbd_server *s)
{
	struct nbd_req *r = s->busy_head;

	s->busy_head = s->busy_tail = NULL;
	while (r) {
		struct nbd_req *next = r->next;

		r->busy = 0;
		pump(r);
		r = next;
	}
}

void nbd__req_start(struct nbd_req *r)
{
	r->stage = REQ_IO;
	if (r->err) {
		nbd__reply_queue(r);
		return;
	}
	pump(r);
}
