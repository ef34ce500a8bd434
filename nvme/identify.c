// SPDX-License-Identifier: MIT
/*
 * What Identify Controller and Identify Namespace say, as struct rl_nvme_info: the LBA format in
 * use, sizes, MDTS and the strings. Pure: it reads the two 4 KiB structures the device returned
 * and nothing else, so it is unit-tested and fuzzed without a device (fuzz/identify.c).
 */
#include <endian.h>
#include <libnvme.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nvme_private.h"

/*
 * Copy a space-padded Identify string, trimmed. The specification says ASCII, but what a device
 * puts there goes into JSON and onto terminals: a byte outside printable ASCII (a control
 * character, an escape sequence, UTF-8 that may not be, a NUL inside) becomes '?'.
 */
static void copy_trimmed(char *dst, const char *src, size_t n)
{
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == 0))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = 0;
}

int rl__nvme_parse_identify(const struct nvme_id_ctrl *ctrl, const struct nvme_id_ns *ns,
			    struct rl_nvme_info *in, char *why, size_t why_len)
{
	unsigned ds;

	/* FLBAS bits 3:0 and 6:5 give the format index (formats beyond 16 use the high bits). */
	in->lbaf = (ns->flbas & 0xf) | ((ns->flbas >> 5) & 0x3) << 4;
	if (in->lbaf > ns->nlbaf) {
		snprintf(why, why_len, "LBA format %u in use but only %u reported", in->lbaf,
			 ns->nlbaf + 1);
		return -EIO;
	}
	/* LBADS is an exponent the device may set to anything: 1u << 32 and up is undefined. */
	ds = ns->lbaf[in->lbaf].ds;
	if (ds < 9 || ds > 16) {
		snprintf(why, why_len,
			 "unusable LBA size 2^%u bytes (format %u): ringline needs 2^9 to 2^16", ds,
			 in->lbaf);
		return -EIO;
	}
	in->lba_size = 1u << ds;
	in->ms = le16toh(ns->lbaf[in->lbaf].ms);
	in->extended = !!(ns->flbas & 0x10);
	in->nsze = le64toh(ns->nsze);
	in->ncap = le64toh(ns->ncap);
	in->nuse = le64toh(ns->nuse);
	/* Sizes in bytes are 64 bits everywhere (rl_target_size(), offsets): more does not wrap. */
	if (__builtin_mul_overflow(in->nsze, (uint64_t)in->lba_size, &in->capacity_bytes)) {
		snprintf(why, why_len, "%llu blocks of %u bytes are past 2^64 bytes",
			 (unsigned long long)in->nsze, in->lba_size);
		return -EIO;
	}
	in->dlfeat = ns->dlfeat;
	/* DPS: PI type in bits 2:0, PI first in the metadata in bit 3; 8-byte PI until ELBAF. */
	in->pi_type = ns->dps & 0x7;
	in->pi_first = !!(ns->dps & 0x8);
	in->pif = 0;
	in->pi_size = in->pi_type && in->ms >= 8 ? 8 : 0;
	if (in->pi_type > 3 || (in->pi_type && !in->ms)) {
		snprintf(why, why_len, "PI type %u with %u bytes of metadata", in->pi_type, in->ms);
		return -EIO;
	}
	/* MDTS is in minimum page sizes: 4 KiB (CAP.MPSMIN) on every controller seen. */
	in->mdts_bytes =
	    ctrl->mdts ? (ctrl->mdts + 12 >= 32 ? UINT32_MAX : 1u << (ctrl->mdts + 12)) : 0;
	in->max_transfer = in->mdts_bytes ? in->mdts_bytes : UINT32_MAX;
	copy_trimmed(in->model, ctrl->mn, sizeof(ctrl->mn));
	copy_trimmed(in->serial, ctrl->sn, sizeof(ctrl->sn));
	copy_trimmed(in->firmware, ctrl->fr, sizeof(ctrl->fr));
	return 0;
}

void rl__nvme_parse_pif(const struct nvme_nvm_id_ns *nvm, struct rl_nvme_info *in)
{
	/* ELBAF bits 8:7: the PI format of each LBA format (16-, 32- or 64-bit guard). */
	in->pif = (le32toh(nvm->elbaf[in->lbaf]) >> 7) & 0x3;
	in->pi_size = !in->pi_type ? 0 : in->pif ? 16 : 8;
	if (in->ms < in->pi_size)
		in->pi_size = 0; /* not a usable PI format: rl_pi_*() refuse it */
}
