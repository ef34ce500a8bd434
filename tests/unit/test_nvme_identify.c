// SPDX-License-Identifier: MIT
/*
 * Identify Controller and Namespace data as struct rl_nvme_info, without a device: what QEMU's
 * emulated controller reports, and the data ringline refuses (rl__nvme_parse_identify()).
 */
#include <endian.h>
#include <libnvme.h>

#include "helpers.h"
#include "nvme/nvme_private.h"

struct identify {
	struct nvme_id_ctrl ctrl;
	struct nvme_id_ns ns;
	struct rl_nvme_info in;
	char why[128];
};

static void pad(char *dst, size_t n, const char *s)
{
	memset(dst, ' ', n);
	memcpy(dst, s, strlen(s));
}

/*
 * What QEMU's emulated controller answers (tests/vm/nvme-vm: serial ringline0): MDTS 7 (512 KiB),
 * eight LBA formats (512 and 4096 bytes, each with 0, 8, 16 and 64 bytes of metadata), a 64 MiB
 * namespace formatted with @lbaf.
 */
static void qemu(struct identify *id, unsigned lbaf)
{
	static const uint8_t ds[8] = {9, 9, 9, 9, 12, 12, 12, 12};
	static const uint16_t ms[8] = {0, 8, 16, 64, 0, 8, 16, 64};
	uint64_t blocks = (64u << 20) >> ds[lbaf];

	memset(id, 0, sizeof(*id));
	pad(id->ctrl.mn, sizeof(id->ctrl.mn), "QEMU NVMe Ctrl");
	pad(id->ctrl.sn, sizeof(id->ctrl.sn), "ringline0");
	pad(id->ctrl.fr, sizeof(id->ctrl.fr), "7.2.15");
	id->ctrl.mdts = 7;
	id->ns.nsze = id->ns.ncap = htole64(blocks);
	id->ns.nuse = htole64(blocks / 4);
	id->ns.nlbaf = 7;
	id->ns.flbas = (uint8_t)lbaf;
	id->ns.dlfeat = 1;
	for (int i = 0; i < 8; i++) {
		id->ns.lbaf[i].ds = ds[i];
		id->ns.lbaf[i].ms = htole16(ms[i]);
	}
}

static int parse(struct identify *id)
{
	memset(&id->in, 0xa5, sizeof(id->in));
	id->why[0] = 0;
	return rl__nvme_parse_identify(&id->ctrl, &id->ns, &id->in, id->why, sizeof(id->why));
}

Test(nvme_identify, qemu_512_byte_namespace)
{
	struct identify id;

	qemu(&id, 0);
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.lbaf, 0);
	cr_assert_eq(id.in.lba_size, 512);
	cr_assert_eq(id.in.ms, 0);
	cr_assert_not(id.in.extended);
	cr_assert_eq(id.in.nsze, 131072);
	cr_assert_eq(id.in.ncap, 131072);
	cr_assert_eq(id.in.nuse, 32768);
	cr_assert_eq(id.in.capacity_bytes, 64u << 20);
	cr_assert_eq(id.in.mdts_bytes, 512 * 1024);
	cr_assert_eq(id.in.max_transfer, 512 * 1024, "MDTS; the kernel's limit is the caller's");
	cr_assert_eq(id.in.dlfeat, 1);
	cr_assert_str_eq(id.in.model, "QEMU NVMe Ctrl");
	cr_assert_str_eq(id.in.serial, "ringline0");
	cr_assert_str_eq(id.in.firmware, "7.2.15");
}

Test(nvme_identify, qemu_4096_byte_namespace_with_extended_metadata)
{
	struct identify id;

	qemu(&id, 5);
	id.ns.flbas |= 0x10; /* metadata interleaved with the data */
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.lbaf, 5);
	cr_assert_eq(id.in.lba_size, 4096);
	cr_assert_eq(id.in.ms, 8);
	cr_assert(id.in.extended);
	cr_assert_eq(id.in.nsze, 16384);
	cr_assert_eq(id.in.capacity_bytes, 64u << 20);
}

Test(nvme_identify, format_index_beyond_16_uses_flbas_bits_6_5)
{
	struct identify id;

	qemu(&id, 0);
	id.ns.nlbaf = 63;
	id.ns.lbaf[37].ds = 12;
	id.ns.flbas = 2 << 5 | 5; /* bits 6:5 = 2 and 3:0 = 5: format 2 << 4 | 5 = 37 */
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.lbaf, 37);
	cr_assert_eq(id.in.lba_size, 4096);
}

Test(nvme_identify, mdts_0_is_no_limit_and_a_huge_one_saturates)
{
	struct identify id;

	qemu(&id, 0);
	id.ctrl.mdts = 0;
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.mdts_bytes, 0);
	cr_assert_eq(id.in.max_transfer, UINT32_MAX);
	id.ctrl.mdts = 19;
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.mdts_bytes, 1u << 31);
	for (unsigned mdts = 20; mdts <= 255; mdts++) {
		id.ctrl.mdts = (uint8_t)mdts;
		cr_assert_eq(parse(&id), 0, "%s", id.why);
		cr_assert_eq(id.in.mdts_bytes, UINT32_MAX, "MDTS %u", mdts);
		cr_assert_eq(id.in.max_transfer, UINT32_MAX, "MDTS %u", mdts);
	}
}

Test(nvme_identify, a_format_past_the_reported_ones_is_refused)
{
	struct identify id;

	qemu(&id, 0);
	id.ns.flbas = 8;
	cr_assert_eq(parse(&id), -EIO);
	cr_assert_str_eq(id.why, "LBA format 8 in use but only 8 reported");
}

Test(nvme_identify, an_lba_size_outside_512_to_64k_is_refused)
{
	struct identify id;

	qemu(&id, 0);
	id.ns.lbaf[0].ds = 8;
	cr_assert_eq(parse(&id), -EIO);
	cr_assert_str_eq(id.why,
			 "unusable LBA size 2^8 bytes (format 0): ringline needs 2^9 to 2^16");
	id.ns.lbaf[0].ds = 17;
	cr_assert_eq(parse(&id), -EIO);
	cr_assert_str_eq(id.why,
			 "unusable LBA size 2^17 bytes (format 0): ringline needs 2^9 to 2^16");
	id.ns.lbaf[0].ds = 16;
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.lba_size, 65536);
}

/* Found by fuzz/identify.c (corpus/identify/regress-lbads-105): 1u << 105 is undefined. */
Test(nvme_identify, an_lbads_of_32_and_more_is_refused_before_the_shift)
{
	struct identify id;

	qemu(&id, 1);
	for (unsigned ds = 31; ds <= 255; ds++) {
		id.ns.lbaf[1].ds = (uint8_t)ds;
		cr_assert_eq(parse(&id), -EIO, "LBADS %u", ds);
		cr_assert(strstr(id.why, "unusable LBA size 2^"), "%s", id.why);
	}
}

Test(nvme_identify, strings_are_trimmed_of_spaces_and_nuls)
{
	struct identify id;

	qemu(&id, 0);
	memset(id.ctrl.sn, 0, sizeof(id.ctrl.sn));
	memcpy(id.ctrl.sn, "S1  ", 4);
	memset(id.ctrl.mn, 'M', sizeof(id.ctrl.mn)); /* all 40 bytes used: no terminator */
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_str_eq(id.in.serial, "S1");
	cr_assert_eq(strlen(id.in.model), 40);
}

/*
 * Found by fuzz/identify.c (corpus/identify/regress-model-not-ascii): the strings went into JSON
 * (json-c passes bytes above 0x7f through, so not UTF-8) and onto terminals as they came.
 */
Test(nvme_identify, strings_keep_printable_ascii_only)
{
	struct identify id;

	qemu(&id, 0);
	pad(id.ctrl.mn, sizeof(id.ctrl.mn), "QEMU \x1b[2J\xa0NVMe");
	memcpy(id.ctrl.sn, "AB\0\0CD", 6); /* a NUL inside no longer cuts the string short */
	pad(id.ctrl.fr, sizeof(id.ctrl.fr), "\xc3\xa9t\xc3\xa9");
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_str_eq(id.in.model, "QEMU ?[2J?NVMe");
	cr_assert_str_eq(id.in.serial, "AB??CDne0");
	cr_assert_str_eq(id.in.firmware, "??t??");
}

/*
 * Found by fuzz/identify.c (corpus/identify/regress-capacity-past-2-to-the-64): nsze times the
 * LBA size wrapped, and a namespace of 2^64 - 2^48 blocks of 4 KiB said it held 15 EiB.
 */
Test(nvme_identify, a_namespace_past_2_to_the_64_bytes_is_refused)
{
	struct identify id;

	qemu(&id, 4);
	id.ns.nsze = htole64(UINT64_MAX >> 12);
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.capacity_bytes, UINT64_MAX >> 12 << 12);
	id.ns.nsze = htole64((UINT64_MAX >> 12) + 1);
	cr_assert_eq(parse(&id), -EIO);
	cr_assert_str_eq(id.why, "4503599627370496 blocks of 4096 bytes are past 2^64 bytes");
}

Test(nvme_identify, protection_information_from_dps_and_elbaf)
{
	struct identify id;
	struct nvme_nvm_id_ns nvm;

	qemu(&id, 5); /* 4096 + 8 */
	id.ns.dps = 0x1;
	cr_assert_eq(parse(&id), 0, "%s", id.why);
	cr_assert_eq(id.in.pi_type, 1);
	cr_assert_not(id.in.pi_first);
	cr_assert_eq(id.in.pi_size, 8, "the 16-bit guard until ELBAF says otherwise");
	id.ns.dps = 0x3 | 0x8; /* type 3, PI first */
	cr_assert_eq(parse(&id), 0);
	cr_assert_eq(id.in.pi_type, 3);
	cr_assert(id.in.pi_first);

	qemu(&id, 6); /* 4096 + 16 */
	id.ns.dps = 0x1;
	cr_assert_eq(parse(&id), 0);
	memset(&nvm, 0, sizeof(nvm));
	nvm.elbaf[6] = htole32(2u << 7); /* PIF 2: the 64-bit guard */
	rl__nvme_parse_pif(&nvm, &id.in);
	cr_assert_eq(id.in.pif, 2);
	cr_assert_eq(id.in.pi_size, 16);

	qemu(&id, 1); /* 512 + 8 cannot hold 16 bytes of PI */
	id.ns.dps = 0x1;
	cr_assert_eq(parse(&id), 0);
	nvm.elbaf[1] = htole32(2u << 7);
	rl__nvme_parse_pif(&nvm, &id.in);
	cr_assert_eq(id.in.pi_size, 0, "a PI format that does not fit the metadata is unusable");

	qemu(&id, 0); /* no metadata, yet PI claimed */
	id.ns.dps = 0x1;
	cr_assert_eq(parse(&id), -EIO);
	cr_assert(strstr(id.why, "PI type 1 with 0 bytes of metadata"), "%s", id.why);
}
