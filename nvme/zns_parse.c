// SPDX-License-Identifier: MIT
/*
 * Zoned namespaces, the pure part: the ZNS Identify data as struct rl_nvme_zns, and the walk over
 * a Report Zones buffer. It reads only the bytes it is given, so it is unit-tested and fuzzed
 * without a device (fuzz/zones.c).
 */
#include <endian.h>
#include <libnvme.h>
#include <stdio.h>
#include <string.h>

#include "nvme_private.h"

const char *rl_zone_state_str(unsigned state)
{
	switch (state) {
	case RL_ZONE_EMPTY:
		return "empty";
	case RL_ZONE_IMP_OPEN:
		return "implicitly-open";
	case RL_ZONE_EXP_OPEN:
		return "explicitly-open";
	case RL_ZONE_CLOSED:
		return "closed";
	case RL_ZONE_READ_ONLY:
		return "read-only";
	case RL_ZONE_FULL:
		return "full";
	case RL_ZONE_OFFLINE:
		return "offline";
	}
	return "reserved";
}

/* MAR and MOR are 0's based, all ones meaning no limit; ours are counts, 0 meaning none. */
static uint32_t resources(uint32_t v)
{
	return v == UINT32_MAX ? 0 : v + 1;
}

int rl__nvme_parse_zns(const struct nvme_zns_id_ns *ns, const struct nvme_zns_id_ctrl *ctrl,
		       const struct rl_nvme_info *in, struct rl_nvme_zns *z, char *why,
		       size_t why_len)
{
	uint64_t zsze = le64toh(ns->lbafe[in->lbaf & 63].zsze);

	memset(z, 0, sizeof(*z));
	if (zsze == 0 || zsze > in->nsze) {
		snprintf(why, why_len, "zone size %llu blocks (LBA format %u) for %llu blocks",
			 (unsigned long long)zsze, in->lbaf, (unsigned long long)in->nsze);
		return -EIO;
	}
	z->zone_size = zsze;
	z->nr_zones = in->nsze / zsze;
	z->max_open = resources(le32toh(ns->mor));
	z->max_active = resources(le32toh(ns->mar));
	z->zoc = le16toh(ns->zoc);
	z->ozcs = le16toh(ns->ozcs);
	/* ZASL is in minimum page sizes (4 KiB, CAP.MPSMIN) as a power of two; 0: MDTS. */
	if (ctrl->zasl)
		z->zasl_bytes = ctrl->zasl + 12 >= 32 ? UINT32_MAX : 1u << (ctrl->zasl + 12);
	z->max_append =
	    z->zasl_bytes && z->zasl_bytes < in->max_transfer ? z->zasl_bytes : in->max_transfer;
	return 0;
}

int64_t rl_nvme_zone_iter_init(struct rl_nvme_zone_iter *it, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t nr, fits;

	if (len < RL_ZONE_REPORT_HDR)
		return -EINVAL;
	memcpy(&nr, p, sizeof(nr));
	nr = le64toh(nr);
	fits = (len - RL_ZONE_REPORT_HDR) / RL_ZONE_DESC_SIZE;
	it->next = p + RL_ZONE_REPORT_HDR;
	it->left = nr < fits ? nr : fits;
	it->reported = nr;
	return (int64_t)it->left;
}

bool rl_nvme_zone_next(struct rl_nvme_zone_iter *it, struct rl_nvme_zone *z)
{
	struct nvme_zns_desc d;

	if (!it->left)
		return false;
	memcpy(&d, it->next, sizeof(d)); /* the buffer need not be 8-byte aligned */
	it->next += RL_ZONE_DESC_SIZE;
	it->left--;
	z->type = d.zt & 0xf;
	z->state = d.zs >> 4;
	z->attrs = d.za;
	z->zcap = le64toh(d.zcap);
	z->zslba = le64toh(d.zslba);
	z->wp = le64toh(d.wp);
	return true;
}

uint64_t rl_nvme_zone_reported(const struct rl_nvme_zone_iter *it)
{
	return it->reported;
}
