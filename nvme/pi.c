// SPDX-License-Identifier: MIT
/*
 * Metadata and end-to-end protection information: the checks and command dwords of reads,
 * writes, Verify and Write Zeroes with a struct rl_nvme_io, and PI generated and checked in
 * software. The 16-bit guard is ISA-L's CRC-16 T10-DIF; ISA-L 2.30 has no CRC-64 of the NVMe
 * spec, so it is here (reflected, slice-by-8 tables).
 */
#include <endian.h>
#include <errno.h>
#include <isa-l/crc.h>
#include <pthread.h>
#include <string.h>

#include "nvme_private.h"
#include "ringline/pi.h"

#define PRINFO (RL_NVME_IO_PRACT | RL_NVME_IO_PRCHK_ALL)

uint16_t rl_crc16_t10dif(uint16_t crc, const void *buf, size_t len)
{
	return crc16_t10dif(crc, buf, len);
}

/* Slice-by-8 tables: crc64_table[0] is the byte-at-a-time table, [k] a byte followed by k zeroes.
 */
static uint64_t crc64_table[8][256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint64_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? c >> 1 ^ 0x9a6c9329ac4bc9b5ull : c >> 1;
		crc64_table[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc64_table[k][i] = crc64_table[k - 1][i] >> 8 ^
					    crc64_table[0][crc64_table[k - 1][i] & 0xff];
}

uint64_t rl_crc64_nvme(uint64_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	const uint64_t(*t)[256] = crc64_table;

	pthread_once(&crc64_once, crc64_init);
	crc = ~crc;
	/* Eight bytes a step (the CRC is reflected, so they are taken little-endian). */
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		crc ^= le64toh(v);
		crc = t[7][crc & 0xff] ^ t[6][crc >> 8 & 0xff] ^ t[5][crc >> 16 & 0xff] ^
		      t[4][crc >> 24 & 0xff] ^ t[3][crc >> 32 & 0xff] ^ t[2][crc >> 40 & 0xff] ^
		      t[1][crc >> 48 & 0xff] ^ t[0][crc >> 56];
	}
	while (len--)
		crc = t[0][(crc ^ *p++) & 0xff] ^ crc >> 8;
	return ~crc;
}

/* PI fields are big-endian. */
static void put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Where each block's data and metadata are, and the PI tuple's shape. */
struct pi_layout {
	uint32_t data_stride, md_stride;
	uint32_t pi_off; /* the PI's offset in a block's metadata */
	int guard_len;	 /* 2 or 8 bytes; the apptag follows, then a 4- or 6-byte reftag */
	uint64_t ref_mask;
};

static int layout(const struct rl_nvme_info *in, const void *md, struct pi_layout *l)
{
	if (!in->pi_type || !in->pi_size || in->ms < in->pi_size)
		return -EINVAL;
	if (in->pif != 0 && in->pif != 2)
		return -EOPNOTSUPP;
	if (in->extended ? md != NULL : md == NULL)
		return -EINVAL;
	l->data_stride = in->lba_size + (in->extended ? in->ms : 0);
	l->md_stride = in->extended ? l->data_stride : in->ms;
	l->pi_off = in->pi_first ? 0 : in->ms - in->pi_size;
	l->guard_len = in->pif ? 8 : 2;
	l->ref_mask = in->pif ? 0xffffffffffffull : 0xffffffffull;
	return 0;
}

/* Block @i's metadata: after its data on extended LBAs, else in the separate buffer. */
static const unsigned char *md_of(const struct rl_nvme_info *in, const struct pi_layout *l,
				  const void *data, const void *md, uint32_t i)
{
	if (in->extended)
		return (const unsigned char *)data + (size_t)i * l->data_stride + in->lba_size;
	return (const unsigned char *)md + (size_t)i * l->md_stride;
}

/* The guard over a block's data, then the metadata before the PI when the PI is last. */
static uint64_t guard(const struct rl_nvme_info *in, const struct pi_layout *l,
		      const unsigned char *blk, const unsigned char *m)
{
	if (in->pif) {
		uint64_t g = rl_crc64_nvme(0, blk, in->lba_size);

		return l->pi_off ? rl_crc64_nvme(g, m, l->pi_off) : g;
	}
	uint16_t g = rl_crc16_t10dif(0, blk, in->lba_size);

	return l->pi_off ? rl_crc16_t10dif(g, m, l->pi_off) : g;
}

/* The reference tag block @i of a command from @slba carries. */
static uint64_t ref_of(const struct rl_nvme_info *in, const struct rl_nvme_io *io, uint64_t slba,
		       uint32_t i)
{
	uint64_t ref = io ? io->reftag : 0;

	if (in->pi_type == 1)
		ref = slba + i;
	else if (in->pi_type == 2)
		ref += i;
	return ref;
}

int rl_pi_generate(const struct rl_nvme_info *in, void *data, void *md, uint64_t slba, uint32_t nlb,
		   const struct rl_nvme_io *io)
{
	struct pi_layout l;
	int ret = layout(in, md, &l);

	if (ret)
		return ret;
	for (uint32_t i = 0; i < nlb; i++) {
		const unsigned char *blk = (const unsigned char *)data + (size_t)i * l.data_stride;
		unsigned char *m = (unsigned char *)md_of(in, &l, data, md, i);
		unsigned char *pi = m + l.pi_off;

		put_be(pi, guard(in, &l, blk, m), l.guard_len);
		put_be(pi + l.guard_len, io ? io->apptag : 0, 2);
		put_be(pi + l.guard_len + 2, ref_of(in, io, slba, i) & l.ref_mask, in->pif ? 6 : 4);
	}
	return 0;
}

int rl_pi_verify(const struct rl_nvme_info *in, const void *data, const void *md, uint64_t slba,
		 uint32_t nlb, const struct rl_nvme_io *io, uint64_t *bad_lba)
{
	unsigned chk = io ? io->flags & RL_NVME_IO_PRCHK_ALL : 0;
	uint16_t mask = io ? io->apptag_mask : 0;
	struct pi_layout l;
	int ret = layout(in, md, &l);

	if (ret)
		return ret;
	if (!chk)
		chk = RL_NVME_IO_PRCHK_GUARD | RL_NVME_IO_PRCHK_REFTAG |
		      (mask ? RL_NVME_IO_PRCHK_APPTAG : 0);
	if (in->pi_type == 3)
		chk &= ~RL_NVME_IO_PRCHK_REFTAG; /* type 3 defines no reference tag to check */
	for (uint32_t i = 0; i < nlb; i++) {
		const unsigned char *blk = (const unsigned char *)data + (size_t)i * l.data_stride;
		const unsigned char *m = md_of(in, &l, data, md, i), *pi = m + l.pi_off;
		uint16_t at = (uint16_t)get_be(pi + l.guard_len, 2);
		uint64_t rt = get_be(pi + l.guard_len + 2, in->pif ? 6 : 4);
		int st = 0;

		/* The escape values: such a block's PI is not checked (never written, say). */
		if (at == 0xffff && (in->pi_type != 3 || rt == l.ref_mask))
			continue;
		if ((chk & RL_NVME_IO_PRCHK_GUARD) &&
		    get_be(pi, l.guard_len) != guard(in, &l, blk, m))
			st = RL_NVME_STATUS_GUARD_CHECK;
		else if ((chk & RL_NVME_IO_PRCHK_APPTAG) && ((at ^ io->apptag) & mask))
			st = RL_NVME_STATUS_APPTAG_CHECK;
		else if ((chk & RL_NVME_IO_PRCHK_REFTAG) &&
			 rt != (ref_of(in, io, slba, i) & l.ref_mask))
			st = RL_NVME_STATUS_REFTAG_CHECK;
		if (st) {
			if (bad_lba)
				*bad_lba = slba + i;
			return st;
		}
	}
	return 0;
}

/*
 * Check @io against the namespace and the command (@allowed flags, whether a metadata buffer
 * applies) and turn it into command dwords. Every refusal says what was wrong.
 */
static int to_ext(struct rl_nvme_dev *d, const struct rl_nvme_io *io, uint64_t slba, uint32_t nlb,
		  unsigned allowed, bool md_ok, struct rl__nvme_ext *x)
{
	const struct rl_nvme_info *in = &d->info;
	struct rl_engine *e = d->t.e;
	uint64_t ref;

	memset(x, 0, sizeof(*x));
	x->block_bytes = d->block_bytes;
	if (!io)
		return 0;
	if (io->size < sizeof(*io))
		return rl__error(e, -EINVAL, "%s: struct rl_nvme_io of %zu bytes: expected %zu",
				 d->t.name, io->size, sizeof(*io));
	if (io->flags & ~allowed)
		return rl__error(e, -EINVAL, "%s: flags 0x%x do not apply to this command",
				 d->t.name, io->flags & ~allowed);
	if ((io->flags & PRINFO) && !in->pi_type)
		return rl__error(e, -EINVAL,
				 "%s: protection information flags on a namespace without PI "
				 "(LBA format %u: %u bytes of metadata, no PI type)",
				 d->t.name, in->lbaf, in->ms);
	/* Controllers answer Invalid Protection Information: type 3 has no reference tag to check.
	 */
	if ((io->flags & RL_NVME_IO_PRCHK_REFTAG) && in->pi_type == 3)
		return rl__error(e, -EINVAL,
				 "%s: a reference tag check (PRCHK) on PI type 3, which defines no "
				 "reference tag to check",
				 d->t.name);
	if (io->md) {
		if (!md_ok)
			return rl__error(e, -EINVAL,
					 "%s: a metadata buffer does not apply to this command",
					 d->t.name);
		if (!in->ms || in->extended)
			return rl__error(
			    e, -EINVAL, "%s: a separate metadata buffer, but the namespace has %s",
			    d->t.name,
			    in->ms ? "extended LBAs (metadata in the data buffer)" : "no metadata");
		if (io->md_len != (uint64_t)nlb * in->ms)
			return rl__error(e, -EINVAL,
					 "%s: metadata buffer of %u bytes: %u blocks need %llu (%u "
					 "bytes each)",
					 d->t.name, io->md_len, nlb,
					 (unsigned long long)nlb * in->ms, in->ms);
		if ((uintptr_t)io->md % 4)
			return rl__error(e, -EINVAL,
					 "%s: metadata buffer address %p is not 4-byte aligned",
					 d->t.name, io->md);
	} else if (io->md_len) {
		return rl__error(e, -EINVAL, "%s: metadata length %u without a metadata buffer",
				 d->t.name, io->md_len);
	}
	/* Type 1 ties the initial reference tag to the LBA: the controller checks they match. */
	ref = in->pi_type == 1 ? slba : io->reftag;
	x->cdw12 = io->flags;
	x->cdw14 = (uint32_t)ref;
	x->cdw3 = in->pif == 2 ? (uint32_t)(ref >> 32) & 0xffff : 0;
	x->cdw15 = (uint32_t)io->apptag_mask << 16 | io->apptag;
	x->md = io->md;
	x->md_len = io->md_len;
	/* PRACT with metadata that is only PI: the controller inserts or strips it, so on an
	 * extended format the host's buffer holds the data alone. */
	if ((io->flags & RL_NVME_IO_PRACT) && in->ms == in->pi_size)
		x->block_bytes = in->lba_size;
	return 0;
}

static int io_cmd(struct rl_nvme_dev *d, uint8_t opcode, enum rl_op op, const void *buf,
		  uint64_t slba, uint32_t nlb, const struct rl_nvme_io *io, unsigned allowed,
		  rl_complete_fn cb, void *arg)
{
	struct rl__nvme_ext x;
	int ret = rl__nvme_check(d, buf, slba, nlb);

	if (!ret)
		ret = to_ext(d, io, slba, nlb, allowed, buf != NULL, &x);
	return ret ? ret : rl__nvme_submit_ext(d, opcode, op, buf, slba, nlb, &x, cb, arg);
}

int rl_nvme_read_io(struct rl_nvme_dev *d, void *buf, uint64_t slba, uint32_t nlb,
		    const struct rl_nvme_io *io, rl_complete_fn cb, void *arg)
{
	return io_cmd(d, RL__NVME_READ, RL_OP_READ, buf, slba, nlb, io, RL_NVME_IO_FUA | PRINFO, cb,
		      arg);
}

int rl_nvme_write_io(struct rl_nvme_dev *d, const void *buf, uint64_t slba, uint32_t nlb,
		     const struct rl_nvme_io *io, rl_complete_fn cb, void *arg)
{
	return io_cmd(d, RL__NVME_WRITE, RL_OP_WRITE, buf, slba, nlb, io, RL_NVME_IO_FUA | PRINFO,
		      cb, arg);
}

int rl_nvme_verify(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb, const struct rl_nvme_io *io,
		   rl_complete_fn cb, void *arg)
{
	return io_cmd(d, RL__NVME_VERIFY, RL_OP_COMPARE, NULL, slba, nlb, io,
		      RL_NVME_IO_FUA | PRINFO, cb, arg);
}

int rl_nvme_write_zeroes_io(struct rl_nvme_dev *d, uint64_t slba, uint32_t nlb,
			    const struct rl_nvme_io *io, rl_complete_fn cb, void *arg)
{
	return io_cmd(d, RL__NVME_WRITE_ZEROES, RL_OP_ZEROES, NULL, slba, nlb, io,
		      RL_NVME_IO_FUA | RL_NVME_IO_DEAC | PRINFO, cb, arg);
}
