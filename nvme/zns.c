// SPDX-License-Identifier: MIT
/*
 * Zoned namespaces on the ring: whether a namespace is zoned and its geometry (at open), Zone
 * Management Receive and Send, and Zone Append, whose assigned LBA the completion callback gets
 * as @result (the CQE's DW0-DW1 in the big CQE). The pure parts are in zns_parse.c.
 */
#include <endian.h>
#include <errno.h>
#include <libnvme.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_private.h"

/* The namespace's command set from its Identification Descriptor list; -1 when not reported. */
static int command_set(int fd, uint32_t nsid)
{
	unsigned char *buf = calloc(1, NVME_IDENTIFY_DATA_SIZE);
	int csi = -1;

	if (!buf)
		return -1;
	if (nvme_identify_ns_descs(fd, nsid, (struct nvme_ns_id_desc *)buf) == 0) {
		for (size_t off = 0; off + 4 <= NVME_IDENTIFY_DATA_SIZE;) {
			unsigned type = buf[off], nidl = buf[off + 1];

			if (type == 0 || off + 4 + nidl > NVME_IDENTIFY_DATA_SIZE)
				break;
			if (type == NVME_NIDT_CSI && nidl >= 1) {
				csi = buf[off + 4];
				break;
			}
			off += 4 + nidl;
		}
	}
	free(buf);
	return csi;
}

int rl__nvme_zns_identify(struct rl_engine *e, struct rl_nvme_dev *d, int fd)
{
	struct nvme_zns_id_ctrl *ctrl = NULL;
	struct nvme_zns_id_ns *ns = NULL;
	char why[128];
	int ret;

	if (command_set(fd, d->info.nsid) != NVME_CSI_ZNS)
		return 0;
	ns = calloc(1, sizeof(*ns));
	ctrl = calloc(1, sizeof(*ctrl));
	if (!ns || !ctrl) {
		ret = rl__error(e, -ENOMEM, "%s: out of memory", d->t.name);
		goto out;
	}
	ret = nvme_zns_identify_ns(fd, d->info.nsid, ns);
	if (!ret)
		ret = nvme_zns_identify_ctrl(fd, ctrl);
	if (ret < 0) {
		ret = rl__error(e, -errno, "%s: ZNS Identify: %s", d->t.name, strerror(errno));
		goto out;
	}
	if (ret > 0) {
		char st[96];

		ret = rl__error(e, -EIO, "%s: ZNS Identify failed: %s", d->t.name,
				rl_nvme_status_str(ret, st, sizeof(st)));
		goto out;
	}
	ret = rl__nvme_parse_zns(ns, ctrl, &d->info, &d->zns, why, sizeof(why));
	if (ret)
		ret = rl__error(e, ret, "%s: %s", d->t.name, why);
	else
		d->zoned = true;
out:
	free(ctrl);
	free(ns);
	return ret;
}

const struct rl_nvme_zns *rl_nvme_zns(const struct rl_nvme_dev *d)
{
	return d->zoned ? &d->zns : NULL;
}

static int not_zoned(struct rl_nvme_dev *d)
{
	return rl__error(d->t.e, -EOPNOTSUPP, "%s: not a zoned namespace (ZNS command set)",
			 d->t.name);
}

/* @zslba must be a zone's first block, inside the namespace. */
static __attribute__((cold, noinline)) int refuse_zslba(struct rl_nvme_dev *d, uint64_t zslba)
{
	if (zslba >= d->info.nsze)
		return rl__error(d->t.e, -EINVAL,
				 "%s: block %llu is past the end of the namespace (%llu blocks)",
				 d->t.name, (unsigned long long)zslba,
				 (unsigned long long)d->info.nsze);
	return rl__error(d->t.e, -EINVAL,
			 "%s: block %llu is not the start of a zone (zones are %llu blocks: "
			 "%llu or %llu would be)",
			 d->t.name, (unsigned long long)zslba, (unsigned long long)d->zns.zone_size,
			 (unsigned long long)(zslba - zslba % d->zns.zone_size),
			 (unsigned long long)(zslba - zslba % d->zns.zone_size + d->zns.zone_size));
}

static bool bad_zslba(const struct rl_nvme_dev *d, uint64_t zslba)
{
	return zslba >= d->info.nsze || zslba % d->zns.zone_size;
}

static void set_slba(struct nvme_uring_cmd *cmd, uint64_t slba)
{
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
}

int rl_nvme_report_zones(struct rl_nvme_dev *d, uint64_t slba, unsigned filter, bool partial,
			 void *buf, uint32_t len, rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret;

	if (!d->zoned)
		return not_zoned(d);
	if (slba >= d->info.nsze && !d->raw)
		return rl__error(d->t.e, -EINVAL,
				 "%s: block %llu is past the end of the namespace (%llu blocks)",
				 d->t.name, (unsigned long long)slba,
				 (unsigned long long)d->info.nsze);
	if (filter > RL_ZONE_LIST_OFFLINE)
		return rl__error(d->t.e, -EINVAL,
				 "%s: zone filter %u: expected 0 (all) to 7 (offline)", d->t.name,
				 filter);
	if (len < RL_ZONE_REPORT_HDR + RL_ZONE_DESC_SIZE || len % RL_ZONE_DESC_SIZE)
		return rl__error(d->t.e, -EINVAL,
				 "%s: report length %u is not a multiple of 64 of at least 128 "
				 "(a header and one zone)",
				 d->t.name, len);
	ret = rl__nvme_check_data(d, buf, len);
	if (ret)
		return ret;
	c = rl__nvme_begin(d, d->t.ring, RL_OP_ADMIN, len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd = rl__nvme_prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_ZONE_MGMT_RECV);
	set_slba(cmd, slba);
	cmd->cdw12 = len / 4 - 1; /* NUMD, 0's based */
	/* ZRA 0 (Report Zones), ZRASF the filter, bit 16 Partial Report. */
	cmd->cdw13 = filter << 8 | (partial ? 1u << 16 : 0);
	rl__nvme_set_data(d, sqe, buf, len, RL__BUF_FIND);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_nvme_zone_mgmt(struct rl_nvme_dev *d, enum rl_zone_action action, uint64_t zslba, bool all,
		      rl_complete_fn cb, void *arg)
{
	struct nvme_uring_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;

	if (!d->zoned)
		return not_zoned(d);
	if (action < RL_ZONE_CLOSE || action > RL_ZONE_RESET)
		return rl__error(d->t.e, -EINVAL,
				 "%s: zone action %d: expected close (1), finish (2), open (3) or "
				 "reset (4)",
				 d->t.name, (int)action);
	if (all)
		zslba = 0;
	else if (!d->raw && bad_zslba(d, zslba))
		return refuse_zslba(d, zslba);
	c = rl__nvme_begin(d, d->t.ring, RL_OP_ADMIN, 0, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd = rl__nvme_prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_ZONE_MGMT_SEND);
	set_slba(cmd, zslba);
	cmd->cdw13 = (uint32_t)action | (all ? 1u << 8 : 0); /* ZSA, bit 8 Select All */
	rl__cmd_commit(c, sqe);
	return 0;
}

static __attribute__((cold, noinline)) int refuse_append(struct rl_nvme_dev *d, const void *buf,
							 uint64_t zslba, uint32_t nlb)
{
	uint64_t len = (uint64_t)nlb * d->block_bytes;

	if (!d->zoned)
		return not_zoned(d);
	if (!d->raw && bad_zslba(d, zslba))
		return refuse_zslba(d, zslba);
	if (nlb == 0 || nlb > d->zns.zone_size)
		return rl__error(d->t.e, -EINVAL,
				 "%s: append of %u blocks: a zone append covers 1 to %llu blocks "
				 "(the zone size)",
				 d->t.name, nlb, (unsigned long long)d->zns.zone_size);
	if (len > d->zns.max_append)
		return rl__error(d->t.e, -EINVAL,
				 "%s: append of %llu bytes exceeds the zone append size limit of "
				 "%u bytes (%s)",
				 d->t.name, (unsigned long long)len, d->zns.max_append,
				 d->zns.zasl_bytes && d->zns.zasl_bytes <= d->info.max_transfer
				     ? "ZASL"
				     : "the largest transfer");
	return rl__nvme_check_data(d, buf, len);
}

int rl_nvme_zone_append(struct rl_nvme_dev *d, const void *buf, uint64_t zslba, uint32_t nlb,
			rl_complete_fn cb, void *arg)
{
	uint32_t len = nlb * d->block_bytes;
	struct nvme_uring_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;

	/* Every limit in one test; the cold path says which failed. */
	if (__builtin_expect(!d->zoned || nlb == 0 || nlb > d->zns.zone_size ||
				 (uint64_t)nlb * d->block_bytes > d->zns.max_append ||
				 (uintptr_t)buf % 4 || (!d->raw && bad_zslba(d, zslba)),
			     0)) {
		int ret = refuse_append(d, buf, zslba, nlb);

		if (ret)
			return ret;
	}
	c = rl__nvme_begin(d, d->t.ring, RL_OP_WRITE, len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	cmd = rl__nvme_prep(d, sqe, NVME_URING_CMD_IO, RL__NVME_ZONE_APPEND);
	set_slba(cmd, zslba);
	cmd->cdw12 = nlb - 1; /* 0's based */
	rl__nvme_set_data(d, sqe, buf, len, RL__BUF_FIND);
	rl__cmd_commit(c, sqe);
	return 0;
}
