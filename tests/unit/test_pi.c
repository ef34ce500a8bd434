// SPDX-License-Identifier: MIT
/*
 * Metadata and protection information without a device: the two guard CRCs against published
 * vectors, PI generated and checked in software for each layout, the command dwords of
 * rl_nvme_*_io(), and what is refused before submission.
 */
#include <stddef.h>

#include "helpers.h"
#include "internal_helpers.h"
#include "nvme/nvme_private.h"
#include "ringline/pi.h"

/* NVM Command Set Specification, "64b CRC Test Cases" (also the kernel's crc64 self-test). */
Test(pi_crc, crc64_matches_the_nvme_spec_vectors)
{
	static unsigned char buf[4096];

	memset(buf, 0, sizeof(buf));
	cr_assert_eq(rl_crc64_nvme(0, buf, sizeof(buf)), 0x6482D367EB22B64Eull, "all 00h");
	memset(buf, 0xff, sizeof(buf));
	cr_assert_eq(rl_crc64_nvme(0, buf, sizeof(buf)), 0xC0DDBA7302ECA3ACull, "all FFh");
	for (int i = 0; i < 4096; i++)
		buf[i] = (unsigned char)i;
	cr_assert_eq(rl_crc64_nvme(0, buf, sizeof(buf)), 0x3E729F5F6750449Cull, "incrementing");
	for (int i = 0; i < 4096; i++)
		buf[i] = (unsigned char)(0xff - (i & 0xff));
	cr_assert_eq(rl_crc64_nvme(0, buf, sizeof(buf)), 0x9A2DF64B8E9E517Eull, "decrementing");
	/* The CRC catalogue's check value of CRC-64/NVME, and a CRC continued in two pieces. */
	cr_assert_eq(rl_crc64_nvme(0, "123456789", 9), 0xae8b14860a799888ull);
	cr_assert_eq(rl_crc64_nvme(rl_crc64_nvme(0, buf, 1000), buf + 1000, 3096),
		     0x9A2DF64B8E9E517Eull);
}

/* CRC-16 T10-DIF from its definition, bit by bit, to hold ISA-L's to. */
static uint16_t crc16_by_bits(const unsigned char *p, size_t len)
{
	uint16_t crc = 0;

	while (len--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int k = 0; k < 8; k++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x8bb7) : (uint16_t)(crc << 1);
	}
	return crc;
}

Test(pi_crc, crc16_t10dif_matches_its_definition)
{
	unsigned char buf[4096];

	cr_assert_eq(rl_crc16_t10dif(0, "123456789", 9), 0xd0db, "the catalogue's check value");
	for (int i = 0; i < 4096; i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 8));
	cr_assert_eq(rl_crc16_t10dif(0, buf, sizeof(buf)), crc16_by_bits(buf, sizeof(buf)));
	cr_assert_eq(rl_crc16_t10dif(rl_crc16_t10dif(0, buf, 100), buf + 100, 3996),
		     crc16_by_bits(buf, sizeof(buf)), "continued");
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

Test(pi_soft, type1_16bit_guard_in_a_separate_buffer)
{
	struct rl_nvme_info in = {.lba_size = 512, .ms = 8, .pi_type = 1, .pi_size = 8};
	unsigned char data[8 * 512], md[8 * 8];
	struct rl_nvme_io io = {.size = sizeof(io), .apptag = 0x1234, .apptag_mask = 0xffff};
	uint64_t bad = 0;

	fill(data, sizeof(data), 1);
	cr_assert_eq(rl_pi_generate(&in, data, md, 1000, 8, &io), 0);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(be(md + 8 * i, 2), crc16_by_bits(data + 512 * i, 512), "guard %d", i);
		cr_assert_eq(be(md + 8 * i + 2, 2), 0x1234, "apptag");
		cr_assert_eq(be(md + 8 * i + 4, 4), 1000 + i, "type 1: the reftag is the LBA");
	}
	cr_assert_eq(rl_pi_verify(&in, data, md, 1000, 8, &io, &bad), 0);
	/* Read back at another LBA: the reference tag no longer matches. */
	cr_assert_eq(rl_pi_verify(&in, data, md, 1001, 8, &io, &bad), RL_NVME_STATUS_REFTAG_CHECK);
	cr_assert_eq(bad, 1001);
	io.apptag = 0x1235;
	cr_assert_eq(rl_pi_verify(&in, data, md, 1000, 8, &io, &bad), RL_NVME_STATUS_APPTAG_CHECK);
	io.apptag_mask = 0xff00; /* the differing bit is masked off */
	cr_assert_eq(rl_pi_verify(&in, data, md, 1000, 8, &io, &bad), 0);
	data[3 * 512 + 17] ^= 1;
	cr_assert_eq(rl_pi_verify(&in, data, md, 1000, 8, &io, &bad), RL_NVME_STATUS_GUARD_CHECK);
	cr_assert_eq(bad, 1003, "the failing block's LBA");
	/* The escape: an application tag of FFFFh turns the checks off for that block. */
	md[3 * 8 + 2] = md[3 * 8 + 3] = 0xff;
	cr_assert_eq(rl_pi_verify(&in, data, md, 1000, 8, NULL, &bad), 0);
}

Test(pi_soft, type1_64bit_guard_matches_the_spec_vector)
{
	struct rl_nvme_info in = {
	    .lba_size = 4096, .ms = 16, .pi_type = 1, .pif = 2, .pi_size = 16};
	static unsigned char data[2 * 4096];
	unsigned char md[2 * 16];
	uint64_t bad;

	memset(data, 0, sizeof(data));
	cr_assert_eq(rl_pi_generate(&in, data, md, 0x123456789abcull, 2, NULL), 0);
	cr_assert_eq(be(md, 8), 0x6482D367EB22B64Eull, "the guard of 4 KiB of zeroes");
	cr_assert_eq(be(md + 8, 2), 0);
	cr_assert_eq(be(md + 10, 6), 0x123456789abcull, "a 48-bit reference tag");
	cr_assert_eq(be(md + 16 + 10, 6), 0x123456789abdull);
	cr_assert_eq(rl_pi_verify(&in, data, md, 0x123456789abcull, 2, NULL, &bad), 0);
	data[4096] = 1;
	cr_assert_eq(rl_pi_verify(&in, data, md, 0x123456789abcull, 2, NULL, &bad),
		     RL_NVME_STATUS_GUARD_CHECK);
	cr_assert_eq(bad, 0x123456789abdull);
}

Test(pi_soft, type3_extended_lba_interleaves_pi)
{
	struct rl_nvme_info in = {
	    .lba_size = 4096, .ms = 8, .extended = true, .pi_type = 3, .pi_size = 8};
	static unsigned char data[3 * (4096 + 8)];
	struct rl_nvme_io io = {.size = sizeof(io), .apptag = 0xbeef, .reftag = 77};
	uint64_t bad;

	fill(data, sizeof(data), 5);
	cr_assert_eq(rl_pi_generate(&in, data, NULL, 50, 3, &io), 0);
	for (int i = 0; i < 3; i++) {
		unsigned char *pi = data + (size_t)i * 4104 + 4096;

		cr_assert_eq(be(pi, 2), crc16_by_bits(data + (size_t)i * 4104, 4096));
		cr_assert_eq(be(pi + 4, 4), 77, "type 3: the same reftag on every block");
	}
	/* Type 3 has no reference tag to check: another LBA still passes. */
	cr_assert_eq(rl_pi_verify(&in, data, NULL, 999, 3, NULL, &bad), 0);
	data[2 * 4104 + 4095] ^= 0x80;
	cr_assert_eq(rl_pi_verify(&in, data, NULL, 50, 3, NULL, &bad), RL_NVME_STATUS_GUARD_CHECK);
	cr_assert_eq(bad, 52);
	cr_assert_eq(rl_pi_generate(&in, data, data, 50, 3, NULL), -EINVAL, "md on extended LBAs");
}

Test(pi_soft, pi_last_guards_the_metadata_before_it)
{
	struct rl_nvme_info last = {.lba_size = 512, .ms = 16, .pi_type = 2, .pi_size = 8};
	struct rl_nvme_info first = last;
	unsigned char data[512], md[16], buf[520];
	struct rl_nvme_io io = {.size = sizeof(io), .reftag = 9};
	uint64_t bad;

	first.pi_first = true;
	fill(data, sizeof(data), 3);
	fill(md, sizeof(md), 9);
	cr_assert_eq(rl_pi_generate(&last, data, md, 0, 1, &io), 0);
	memcpy(buf, data, 512);
	memcpy(buf + 512, md, 8);
	cr_assert_eq(be(md + 8, 2), crc16_by_bits(buf, 520), "data and the 8 bytes before PI");
	cr_assert_eq(be(md + 12, 4), 9, "type 2: the initial reftag");
	md[0] ^= 1;
	cr_assert_eq(rl_pi_verify(&last, data, md, 0, 1, &io, &bad), RL_NVME_STATUS_GUARD_CHECK);
	cr_assert_eq(rl_pi_generate(&first, data, md, 0, 1, &io), 0);
	cr_assert_eq(be(md, 2), crc16_by_bits(data, 512), "PI first: the data alone");
	md[15] ^= 1; /* after the PI, outside the guard */
	cr_assert_eq(rl_pi_verify(&first, data, md, 0, 1, &io, &bad), 0);
}

Test(pi_soft, formats_without_usable_pi_are_refused)
{
	struct rl_nvme_info none = {.lba_size = 512, .ms = 8};
	struct rl_nvme_info g32 = {
	    .lba_size = 512, .ms = 16, .pi_type = 1, .pif = 1, .pi_size = 16};
	unsigned char data[512], md[16];

	cr_assert_eq(rl_pi_generate(&none, data, md, 0, 1, NULL), -EINVAL);
	cr_assert_eq(rl_pi_verify(&none, data, md, 0, 1, NULL, NULL), -EINVAL);
	cr_assert_eq(rl_pi_generate(&g32, data, md, 0, 1, NULL), -EOPNOTSUPP);
	none.pi_type = 1;
	none.pi_size = 8;
	cr_assert_eq(rl_pi_generate(&none, data, NULL, 0, 1, NULL), -EINVAL, "no md buffer");
}

/* A namespace that is not there, as in test_nvme_cmd.c: commands are inspected in the SQ. */
struct fake {
	struct rl_engine *e;
	struct rl_nvme_dev d;
	int fd;
};

static void fake_open(struct fake *f, const struct rl_nvme_info *in)
{
	f->e = engine_new(64);
	cr_assert(rl_engine_features(f->e) & RL_FEAT_SQE128, "no SQE128 on this kernel");
	memset(&f->d, 0, sizeof(f->d));
	f->fd = open("/dev/zero", O_RDWR);
	cr_assert_eq(rl__nvme_attach(&f->d, f->e, "/dev/ng9n1", f->fd, false), 0);
	f->d.info = *in;
	f->d.info.nsid = 3;
	f->d.info.nsze = 1ull << 40;
	f->d.info.capacity_bytes = (uint64_t)in->lba_size << 40;
	f->d.info.max_transfer = 1 << 20;
	rl__nvme_set_limits(&f->d);
}

static void fake_close(struct fake *f)
{
	drain(f->e);
	rl__nvme_detach(&f->d);
	rl_engine_destroy(f->e);
}

static const struct nvme_uring_cmd *last_cmd(struct fake *f)
{
	return (const struct nvme_uring_cmd *)last_sqe(f->e)->cmd;
}

Test(pi_cmd, write_with_pi_fields)
{
	struct rl_nvme_info in = {.lba_size = 512, .ms = 8, .pi_type = 1, .pi_size = 8};
	unsigned char *buf = rl_alloc_aligned(4096, 4096), *md = rl_alloc_aligned(64, 64);
	struct rl_nvme_io io = {.size = sizeof(io),
				.flags = RL_NVME_IO_FUA | RL_NVME_IO_PRCHK_GUARD |
					 RL_NVME_IO_PRCHK_REFTAG,
				.md = md,
				.md_len = 64,
				.apptag = 0x1234,
				.apptag_mask = 0xff00,
				.reftag = 555};
	struct done d = {0};
	struct fake f;
	const struct nvme_uring_cmd *c;

	fake_open(&f, &in);
	cr_assert_eq(rl_nvme_write_io(&f.d, buf, 0x100000007ull, 8, &io, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	c = last_cmd(&f);
	cr_assert_eq(c->opcode, 0x01);
	cr_assert_eq(c->cdw12, 7u | 1u << 30 | 1u << 28 | 1u << 26, "NLB, FUA, PRCHK guard+ref");
	cr_assert_eq(c->cdw14, 7, "type 1: ILBRT is the SLBA's low 32 bits, not io.reftag");
	cr_assert_eq(c->cdw15, 0xff001234u, "LBATM << 16 | LBAT");
	cr_assert_eq(c->metadata, (uintptr_t)md);
	cr_assert_eq(c->metadata_len, 64);
	cr_assert_eq(c->data_len, 4096);
	io.flags = RL_NVME_IO_PRACT;
	io.md = NULL;
	io.md_len = 0;
	cr_assert_eq(rl_nvme_read_io(&f.d, buf, 0, 8, &io, done_cb, &d), 0);
	c = last_cmd(&f);
	cr_assert_eq(c->opcode, 0x02);
	cr_assert_eq(c->cdw12, 7u | 1u << 29, "PRACT");
	cr_assert_eq(c->metadata, 0);
	fake_close(&f);
	rl_free_aligned(buf);
	rl_free_aligned(md);
}

Test(pi_cmd, type2_64bit_guard_reftag_spans_cdw14_and_cdw3)
{
	struct rl_nvme_info in = {
	    .lba_size = 4096, .ms = 16, .pi_type = 2, .pif = 2, .pi_size = 16};
	unsigned char *buf = rl_alloc_aligned(4096, 4096);
	struct rl_nvme_io io = {
	    .size = sizeof(io), .flags = RL_NVME_IO_PRCHK_REFTAG, .reftag = 0xabcd12345678ull};
	struct done d = {0};
	struct fake f;

	fake_open(&f, &in);
	cr_assert_eq(rl_nvme_read_io(&f.d, buf, 5, 1, &io, done_cb, &d), 0);
	cr_assert_eq(last_cmd(&f)->cdw14, 0x12345678u);
	cr_assert_eq(last_cmd(&f)->cdw3, 0xabcdu);
	fake_close(&f);
	rl_free_aligned(buf);
}

Test(pi_cmd, verify_and_write_zeroes_deallocate)
{
	struct rl_nvme_info in = {.lba_size = 4096};
	struct rl_nvme_io io = {.size = sizeof(io), .flags = RL_NVME_IO_DEAC | RL_NVME_IO_FUA};
	struct done d = {0};
	struct fake f;
	const struct nvme_uring_cmd *c;

	fake_open(&f, &in);
	cr_assert_eq(rl_nvme_verify(&f.d, 100, 16, NULL, done_cb, &d), 0);
	c = last_cmd(&f);
	cr_assert_eq(c->opcode, 0x0c, "Verify");
	cr_assert_eq(c->cdw10, 100);
	cr_assert_eq(c->cdw12, 15);
	cr_assert_eq(c->addr, 0);
	cr_assert_eq(c->data_len, 0, "Verify moves no data");
	cr_assert_eq(rl_nvme_write_zeroes_io(&f.d, 8, 2, &io, done_cb, &d), 0);
	c = last_cmd(&f);
	cr_assert_eq(c->opcode, 0x08);
	cr_assert_eq(c->cdw12, 1u | 1u << 25 | 1u << 30, "NLB, DEAC, FUA");
	fake_close(&f);
}

static void expect_refused(struct fake *f, int ret, const char *what)
{
	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(rl_engine_last_error(f->e), what), "message lacks '%s': %s", what,
		  rl_engine_last_error(f->e));
	cr_assert_eq(rl_engine_inflight(f->e), 0, "a refused command was queued");
}

Test(pi_cmd, bad_metadata_and_pi_options_are_refused_before_submission)
{
	struct rl_nvme_info pi = {.lba_size = 512, .ms = 8, .pi_type = 1, .pi_size = 8};
	struct rl_nvme_info plain = {.lba_size = 512};
	struct rl_nvme_info ext = {.lba_size = 512, .ms = 8, .extended = true};
	unsigned char *buf = rl_alloc_aligned(4096, 8192), *md = rl_alloc_aligned(64, 128);
	struct rl_nvme_io io = {.size = sizeof(io), .md = md, .md_len = 60};
	struct done d = {0};
	struct fake f;

	fake_open(&f, &pi);
	expect_refused(&f, rl_nvme_write_io(&f.d, buf, 0, 8, &io, done_cb, &d),
		       "metadata buffer of 60 bytes: 8 blocks need 64");
	io.md_len = 64;
	io.md = md + 2;
	expect_refused(&f, rl_nvme_write_io(&f.d, buf, 0, 8, &io, done_cb, &d), "not 4-byte");
	io.md = md;
	io.flags = RL_NVME_IO_DEAC;
	expect_refused(&f, rl_nvme_write_io(&f.d, buf, 0, 8, &io, done_cb, &d), "do not apply");
	io.flags = 0;
	expect_refused(&f, rl_nvme_verify(&f.d, 0, 8, &io, done_cb, &d),
		       "metadata buffer does not apply");
	io.size = 8;
	expect_refused(&f, rl_nvme_read_io(&f.d, buf, 0, 8, &io, done_cb, &d), "rl_nvme_io of 8");
	fake_close(&f);

	io = (struct rl_nvme_io){.size = sizeof(io), .flags = RL_NVME_IO_PRCHK_GUARD};
	fake_open(&f, &plain);
	expect_refused(&f, rl_nvme_read_io(&f.d, buf, 0, 8, &io, done_cb, &d), "without PI");
	io = (struct rl_nvme_io){.size = sizeof(io), .md = md, .md_len = 64};
	expect_refused(&f, rl_nvme_write_io(&f.d, buf, 0, 8, &io, done_cb, &d), "no metadata");
	fake_close(&f);

	fake_open(&f, &ext);
	expect_refused(&f, rl_nvme_write_io(&f.d, buf, 0, 8, &io, done_cb, &d), "extended LBAs");
	fake_close(&f);

	ext.pi_type = 3;
	ext.pi_size = 8;
	io = (struct rl_nvme_io){.size = sizeof(io), .flags = RL_NVME_IO_PRCHK_REFTAG};
	fake_open(&f, &ext);
	expect_refused(&f, rl_nvme_read_io(&f.d, buf, 0, 8, &io, done_cb, &d), "PI type 3");
	fake_close(&f);
	rl_free_aligned(buf);
	rl_free_aligned(md);
}

Test(pi_status, end_to_end_errors_are_named)
{
	char s[96];

	cr_assert(strstr(rl_nvme_status_str(RL_NVME_STATUS_GUARD_CHECK, s, sizeof(s)),
			 "Guard Check Error"),
		  "%s", s);
	cr_assert(strstr(rl_nvme_status_str(RL_NVME_STATUS_APPTAG_CHECK, s, sizeof(s)),
			 "Application Tag Check Error"),
		  "%s", s);
	cr_assert(strstr(rl_nvme_status_str(RL_NVME_STATUS_REFTAG_CHECK, s, sizeof(s)),
			 "Reference Tag Check Error"),
		  "%s", s);
}

Test(pi_cmd, pract_on_extended_lbas_moves_the_data_alone)
{
	struct rl_nvme_info in = {
	    .lba_size = 4096, .ms = 8, .extended = true, .pi_type = 3, .pi_size = 8};
	unsigned char *buf = rl_alloc_aligned(4096, 4 * 4104);
	struct rl_nvme_io io = {.size = sizeof(io), .flags = RL_NVME_IO_PRACT};
	struct done d = {0};
	struct fake f;

	fake_open(&f, &in);
	cr_assert_eq(rl_nvme_write_io(&f.d, buf, 0, 4, &io, done_cb, &d), 0);
	cr_assert_eq(last_cmd(&f)->data_len, 4 * 4096, "the controller inserts the 8 PI bytes");
	io.flags = 0;
	cr_assert_eq(rl_nvme_write_io(&f.d, buf, 0, 4, &io, done_cb, &d), 0);
	cr_assert_eq(last_cmd(&f)->data_len, 4 * 4104, "data and metadata interleaved");
	fake_close(&f);
	rl_free_aligned(buf);
}
