// SPDX-License-Identifier: MIT
/*
 * The NOP backend: every operation is an IORING_OP_NOP that goes through everything a real
 * command does (slab, user_data, submission, the completion loop, statistics, the callback) and
 * touches no data. It measures the engine's own cost (`ringline bench --nop`, bench/nop.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/backend.h"

#define NOP_PREFIX "nop:"
#define NOP_DEFAULT_SIZE (1ull << 30)
#define NOP_BLOCK 512

struct nop_target {
	struct rl_target t; /* first: see struct rl_target */
	uint64_t size;
};

static int nop_submit(struct rl_target *t, enum rl_op op, uint32_t len, rl_complete_fn cb,
		      void *arg)
{
	struct io_uring_sqe *sqe;
	struct rl__cmd *c = rl__cmd_begin(t, op, len, cb, arg, &sqe);

	if (!c)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	rl__cmd_commit(c, sqe);
	return 0;
}

/* Offsets and lengths are checked as a device's would be, so a NOP run exercises the checks. */
static __attribute__((cold, noinline)) int refuse(struct rl_target *t, uint64_t len, uint64_t off)
{
	uint64_t size = ((struct nop_target *)t)->size;

	if (rl__mod_pow2(off | len, NOP_BLOCK) || !len)
		return rl__error(t->e, -EINVAL,
				 "%s: offset %llu and length %llu must be non-zero multiples of %u",
				 t->name, (unsigned long long)off, (unsigned long long)len,
				 NOP_BLOCK);
	if (len > UINT32_MAX)
		return rl__error(t->e, -EINVAL, "%s: length %llu is above 4 GiB", t->name,
				 (unsigned long long)len);
	return rl__error(t->e, -EINVAL, "%s: range %llu+%llu is past the end (%llu bytes)", t->name,
			 (unsigned long long)off, (unsigned long long)len,
			 (unsigned long long)size);
}

static inline int nop_range(struct rl_target *t, enum rl_op op, uint64_t off, uint64_t len,
			    rl_complete_fn cb, void *arg)
{
	uint64_t size = ((struct nop_target *)t)->size;

	if (__builtin_expect(rl__mod_pow2(off | len, NOP_BLOCK) || !len || len > UINT32_MAX ||
				 off > size || len > size - off,
			     0))
		return refuse(t, len, off);
	return nop_submit(t, op, (uint32_t)len, cb, arg);
}

static int nop_rw(struct rl_target *t, bool write, void *buf, uint64_t len, uint64_t off, int bi,
		  rl_complete_fn cb, void *arg)
{
	(void)buf, (void)bi;
	return nop_range(t, write ? RL_OP_WRITE : RL_OP_READ, off, len, cb, arg);
}

/* A FUA write is a write: nothing is cached. */
static int nop_write_fua(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int bi,
			 rl_complete_fn cb, void *arg)
{
	return nop_rw(t, true, buf, len, off, bi, cb, arg);
}

static int nop_rwv(struct rl_target *t, bool write, const struct iovec *iov, int iovcnt,
		   uint64_t off, rl_complete_fn cb, void *arg)
{
	uint64_t len = 0;

	if (iovcnt <= 0 || iovcnt > 1024)
		return rl__error(t->e, -EINVAL, "%s: %d iovecs: expected 1 to 1024", t->name,
				 iovcnt);
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	return nop_range(t, write ? RL_OP_WRITE : RL_OP_READ, off, len, cb, arg);
}

static int nop_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return nop_range(t, RL_OP_ZEROES, off, len, cb, arg);
}

static int nop_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return nop_range(t, RL_OP_TRIM, off, len, cb, arg);
}

static int nop_flush(struct rl_target *t, rl_complete_fn cb, void *arg)
{
	return nop_submit(t, RL_OP_FLUSH, 0, cb, arg);
}

static void nop_close(struct rl_target *t)
{
	rl__target_fini(t);
	free(t);
}

static uint64_t nop_size(const struct rl_target *t)
{
	return ((const struct nop_target *)t)->size;
}

static uint32_t nop_block_size(const struct rl_target *t)
{
	(void)t;
	return NOP_BLOCK;
}

static uint32_t nop_mem_align(const struct rl_target *t)
{
	(void)t;
	return 1;
}

static const struct rl__target_ops nop_ops = {
    .kind = RL_TARGET_KIND_NOP,
    .engine_path = "nop",
    .rw = nop_rw,
    .rwv = nop_rwv,
    .write_fua = nop_write_fua,
    .zeroes = nop_zeroes,
    .trim = nop_trim,
    .flush = nop_flush,
    .close = nop_close,
    .size = nop_size,
    .block_size = nop_block_size,
    .mem_align = nop_mem_align,
};

static bool nop_claims(const char *path, const struct stat *st, unsigned flags)
{
	(void)st, (void)flags;
	return !strncmp(path, NOP_PREFIX, strlen(NOP_PREFIX));
}

/* "nop:" or "nop:SIZE" (bytes, a multiple of 512; k, m, g, t suffixes, 1024-based). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s) {
		*out = NOP_DEFAULT_SIZE;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k':
		shift = 10, end++;
		break;
	case 'm':
		shift = 20, end++;
		break;
	case 'g':
		shift = 30, end++;
		break;
	case 't':
		shift = 40, end++;
		break;
	}
	if (errno || *end || !v || v > (UINT64_MAX >> shift) || rl__mod_pow2(v << shift, NOP_BLOCK))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int nop_open(struct rl_engine *e, const char *path, unsigned flags, struct rl_target **out)
{
	struct nop_target *n;
	uint64_t size;
	int fd, ret;

	(void)flags;
	if (parse_size(path + strlen(NOP_PREFIX), &size))
		return rl__error(e, -EINVAL,
				 "%s: expected nop: or nop:SIZE, SIZE a non-zero multiple of %u "
				 "bytes (k, m, g, t suffixes)",
				 path, NOP_BLOCK);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	/* A slot in the fixed-file table like any target; a NOP never uses it. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = rl__error(e, -errno, "%s: /dev/null: %s", path, strerror(errno));
		goto err_free;
	}
	n->size = size;
	ret = rl__target_init(&n->t, &nop_ops, e, path, fd, RL_REGION_FILE, false);
	if (ret)
		goto err_close;
	*out = &n->t;
	return 0;

err_close:
	close(fd);
err_free:
	free(n);
	return ret;
}

const struct rl__backend rl__nop_backend = {
    .name = "nop",
    .claims = nop_claims,
    .open = nop_open,
};
