// SPDX-License-Identifier: MIT
/*
 * Zoned namespaces without a device: the ZNS Identify data as struct rl_nvme_zns, the walk over
 * a Report Zones buffer, the fields of Zone Management Receive, Send and Zone Append in the SQE,
 * and what is refused before submission.
 */
#include <endian.h>
#include <libnvme.h>

#include "helpers.h"
#include "internal_helpers.h"
#include "nvme/nvme_private.h"

/* What QEMU answers for tests/vm/nvme-vm's zoned namespace: 16 MiB zones of 4 KiB blocks. */
static void qemu_zns(struct nvme_zns_id_ns *ns, struct nvme_zns_id_ctrl *ctrl,
		     struct rl_nvme_info *in)
{
	memset(ns, 0, sizeof(*ns));
	memset(ctrl, 0, sizeof(*ctrl));
	*in = (struct rl_nvme_info){
	    .lba_size = 4096, .lbaf = 4, .nsze = 65536, .max_transfer = 512 << 10};
	ns->lbafe[4].zsze = htole64(4096);
	ns->mor = htole32(7); /* 0's based: 8 open */
	ns->mar = htole32(9); /* 10 active */
	ctrl->zasl = 5;	      /* 2^5 4 KiB pages */
}

Test(nvme_zns, qemu_geometry)
{
	struct nvme_zns_id_ns ns;
	struct nvme_zns_id_ctrl ctrl;
	struct rl_nvme_info in;
	struct rl_nvme_zns z;
	char why[128] = "";

	qemu_zns(&ns, &ctrl, &in);
	cr_assert_eq(rl__nvme_parse_zns(&ns, &ctrl, &in, &z, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(z.zone_size, 4096);
	cr_assert_eq(z.nr_zones, 16);
	cr_assert_eq(z.zasl_bytes, 128 << 10);
	cr_assert_eq(z.max_append, 128 << 10);
	cr_assert_eq(z.max_open, 8);
	cr_assert_eq(z.max_active, 10);
}

Test(nvme_zns, no_limits_and_zasl_above_the_transfer_limit)
{
	struct nvme_zns_id_ns ns;
	struct nvme_zns_id_ctrl ctrl;
	struct rl_nvme_info in;
	struct rl_nvme_zns z;
	char why[128] = "";

	qemu_zns(&ns, &ctrl, &in);
	ns.mor = ns.mar = htole32(UINT32_MAX);
	ctrl.zasl = 9; /* 2 MiB, above MDTS */
	cr_assert_eq(rl__nvme_parse_zns(&ns, &ctrl, &in, &z, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(z.max_open, 0);
	cr_assert_eq(z.max_active, 0);
	cr_assert_eq(z.zasl_bytes, 2 << 20);
	cr_assert_eq(z.max_append, 512 << 10);
	ctrl.zasl = 0; /* MDTS applies */
	cr_assert_eq(rl__nvme_parse_zns(&ns, &ctrl, &in, &z, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(z.zasl_bytes, 0);
	cr_assert_eq(z.max_append, 512 << 10);
}

Test(nvme_zns, unusable_zone_size_is_refused_with_a_reason)
{
	struct nvme_zns_id_ns ns;
	struct nvme_zns_id_ctrl ctrl;
	struct rl_nvme_info in;
	struct rl_nvme_zns z;
	char why[128] = "";

	qemu_zns(&ns, &ctrl, &in);
	ns.lbafe[4].zsze = 0;
	cr_assert_eq(rl__nvme_parse_zns(&ns, &ctrl, &in, &z, why, sizeof(why)), -EIO);
	cr_assert(strstr(why, "zone size 0 blocks"), "%s", why);
	ns.lbafe[4].zsze = htole64(65537);
	cr_assert_eq(rl__nvme_parse_zns(&ns, &ctrl, &in, &z, why, sizeof(why)), -EIO);
	cr_assert(strstr(why, "65537"), "%s", why);
}

/* A report of @n descriptors in @buf whose header says @nr zones. */
static void report(unsigned char *buf, uint64_t nr, unsigned n)
{
	uint64_t le = htole64(nr);

	memset(buf, 0, RL_ZONE_REPORT_HDR + n * RL_ZONE_DESC_SIZE);
	memcpy(buf, &le, 8);
	for (unsigned i = 0; i < n; i++) {
		struct nvme_zns_desc d = {
		    .zt = 2,
		    .zs = (uint8_t)((i % 2 ? RL_ZONE_FULL : RL_ZONE_IMP_OPEN) << 4),
		    .za = (uint8_t)i,
		    .zcap = htole64(3072),
		    .zslba = htole64(4096ull * i),
		    .wp = htole64(4096ull * i + 5 + i)};

		memcpy(buf + RL_ZONE_REPORT_HDR + i * RL_ZONE_DESC_SIZE, &d, sizeof(d));
	}
}

Test(nvme_zns, iterator_walks_the_descriptors)
{
	unsigned char buf[64 + 3 * 64 + 1];
	struct rl_nvme_zone_iter it;
	struct rl_nvme_zone z;
	unsigned i = 0;

	cr_assert_eq(sizeof(struct nvme_zns_desc), RL_ZONE_DESC_SIZE);
	/* Misaligned on purpose: descriptors are copied out, never dereferenced in place. */
	report(buf + 1, 3, 3);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf + 1, 64 + 3 * 64), 3);
	while (rl_nvme_zone_next(&it, &z)) {
		cr_assert_eq(z.zslba, 4096ull * i);
		cr_assert_eq(z.wp, 4096ull * i + 5 + i);
		cr_assert_eq(z.zcap, 3072);
		cr_assert_eq(z.type, 2);
		cr_assert_eq(z.attrs, i);
		cr_assert_eq(z.state, i % 2 ? RL_ZONE_FULL : RL_ZONE_IMP_OPEN);
		i++;
	}
	cr_assert_eq(i, 3);
	cr_assert_str_eq(rl_zone_state_str(RL_ZONE_FULL), "full");
	cr_assert_str_eq(rl_zone_state_str(RL_ZONE_IMP_OPEN), "implicitly-open");
	cr_assert_str_eq(rl_zone_state_str(0x7), "reserved");
}

Test(nvme_zns, iterator_stops_at_the_buffer_end_and_keeps_the_count)
{
	unsigned char buf[64 + 4 * 64];
	struct rl_nvme_zone_iter it;
	struct rl_nvme_zone z;
	unsigned n = 0;

	/* Without Partial Report the count is every matching zone: more than the buffer holds. */
	report(buf, 1000, 4);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, sizeof(buf) - 1), 3);
	cr_assert_eq(rl_nvme_zone_reported(&it), 1000);
	while (rl_nvme_zone_next(&it, &z))
		n++;
	cr_assert_eq(n, 3);
	/* A count below what fits ends the walk there. */
	report(buf, 1, 4);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, sizeof(buf)), 1);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, 63), -EINVAL);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, 64), 0);
	cr_assert_not(rl_nvme_zone_next(&it, &z));
}

/* A zoned namespace that is not there, as in test_nvme_cmd.c: commands stop in the SQ. */
struct fake {
	struct rl_engine *e;
	struct rl_nvme_dev d;
	int fd;
};

static void fake_open(struct fake *f, bool zoned)
{
	f->e = engine_new(64);
	cr_assert(rl_engine_features(f->e) & RL_FEAT_SQE128, "no SQE128 on this kernel");
	memset(&f->d, 0, sizeof(f->d));
	f->fd = open("/dev/zero", O_RDWR);
	cr_assert_eq(rl__nvme_attach(&f->d, f->e, "/dev/ng9n1", f->fd, false), 0);
	f->d.info = (struct rl_nvme_info){.nsid = 3,
					  .lba_size = 4096,
					  .nsze = 65536,
					  .capacity_bytes = 65536ull * 4096,
					  .max_transfer = 512 << 10};
	rl__nvme_set_limits(&f->d);
	f->d.zoned = zoned;
	f->d.zns = (struct rl_nvme_zns){
	    .zone_size = 4096, .nr_zones = 16, .zasl_bytes = 128 << 10, .max_append = 128 << 10};
}

static void fake_close(struct fake *f)
{
	drain(f->e);
	cr_assert_eq(rl_target_inflight(&f->d.t), 0);
	rl__nvme_detach(&f->d);
	rl_engine_destroy(f->e);
}

static const struct nvme_uring_cmd *cmd_of(struct io_uring_sqe *sqe)
{
	return (const struct nvme_uring_cmd *)sqe->cmd;
}

Test(nvme_zns, command_fields)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 128 << 10);
	const struct nvme_uring_cmd *c;

	fake_open(&f, true);
	cr_assert_eq(rl_nvme_zone_append(&f.d, buf, 0x3000, 32, done_cb, &d), 0, "%s",
		     rl_engine_last_error(f.e));
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(last_sqe(f.e)->cmd_op, NVME_URING_CMD_IO);
	cr_assert_eq(c->opcode, 0x7d);
	cr_assert_eq(c->nsid, 3);
	cr_assert_eq(c->cdw10, 0x3000);
	cr_assert_eq(c->cdw11, 0);
	cr_assert_eq(c->cdw12, 31);
	cr_assert_eq(c->addr, (uintptr_t)buf);
	cr_assert_eq(c->data_len, 128 << 10);

	cr_assert_eq(
	    rl_nvme_report_zones(&f.d, 0x2000, RL_ZONE_LIST_FULL, true, buf, 4096, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x7a);
	cr_assert_eq(c->cdw10, 0x2000);
	cr_assert_eq(c->cdw12, 4096 / 4 - 1);
	cr_assert_eq(c->cdw13, 5u << 8 | 1u << 16);
	cr_assert_eq(c->data_len, 4096);

	cr_assert_eq(rl_nvme_zone_mgmt(&f.d, RL_ZONE_FINISH, 0x1000, false, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->opcode, 0x79);
	cr_assert_eq(c->cdw10, 0x1000);
	cr_assert_eq(c->cdw13, 2);
	cr_assert_eq(rl_nvme_zone_mgmt(&f.d, RL_ZONE_RESET, 12345, true, done_cb, &d), 0);
	c = cmd_of(last_sqe(f.e));
	cr_assert_eq(c->cdw10, 0);
	cr_assert_eq(c->cdw13, 4 | 1u << 8);
	fake_close(&f);
	rl_free_aligned(buf);
}

/* @ret is -@err and the message holds @what; nothing was queued. */
static void refused(struct fake *f, int ret, int err, const char *what)
{
	cr_assert_eq(ret, -err, "returned %d", ret);
	cr_assert(strstr(rl_engine_last_error(f->e), what), "%s", rl_engine_last_error(f->e));
	cr_assert_eq(rl_target_inflight(&f->d.t), 0);
}

Test(nvme_zns, bad_input_is_refused_before_submission)
{
	struct fake f;
	struct done d = {0};
	unsigned char *buf = rl_alloc_aligned(4096, 256 << 10);

	fake_open(&f, true);
	refused(&f, rl_nvme_zone_append(&f.d, buf, 0x1001, 1, done_cb, &d), EINVAL,
		"block 4097 is not the start of a zone (zones are 4096 blocks: 4096 or 8192");
	refused(&f, rl_nvme_zone_append(&f.d, buf, 0x1000, 33, done_cb, &d), EINVAL,
		"append of 135168 bytes exceeds the zone append size limit of 131072 bytes (ZASL)");
	refused(&f, rl_nvme_zone_append(&f.d, buf, 0x1000, 0, done_cb, &d), EINVAL,
		"append of 0 blocks");
	refused(&f, rl_nvme_zone_append(&f.d, buf, 65536, 1, done_cb, &d), EINVAL,
		"past the end of the namespace");
	refused(&f, rl_nvme_zone_append(&f.d, buf + 1, 0, 1, done_cb, &d), EINVAL,
		"not 4-byte aligned");
	refused(&f, rl_nvme_zone_mgmt(&f.d, RL_ZONE_OPEN, 5, false, done_cb, &d), EINVAL,
		"block 5 is not the start of a zone");
	refused(&f, rl_nvme_zone_mgmt(&f.d, (enum rl_zone_action)5, 0, false, done_cb, &d), EINVAL,
		"zone action 5");
	refused(&f, rl_nvme_report_zones(&f.d, 0, 8, false, buf, 4096, done_cb, &d), EINVAL,
		"zone filter 8");
	refused(&f, rl_nvme_report_zones(&f.d, 0, 0, false, buf, 64, done_cb, &d), EINVAL,
		"report length 64");
	refused(&f, rl_nvme_report_zones(&f.d, 65536, 0, false, buf, 4096, done_cb, &d), EINVAL,
		"past the end");
	fake_close(&f);

	fake_open(&f, false);
	cr_assert_null(rl_nvme_zns(&f.d));
	refused(&f, rl_nvme_zone_append(&f.d, buf, 0, 1, done_cb, &d), EOPNOTSUPP,
		"not a zoned namespace");
	refused(&f, rl_nvme_zone_mgmt(&f.d, RL_ZONE_RESET, 0, true, done_cb, &d), EOPNOTSUPP,
		"not a zoned namespace");
	refused(&f, rl_nvme_report_zones(&f.d, 0, 0, false, buf, 4096, done_cb, &d), EOPNOTSUPP,
		"not a zoned namespace");
	fake_close(&f);
	rl_free_aligned(buf);
}

Test(nvme_zns, zone_statuses_are_named)
{
	static const struct {
		int status;
		const char *name;
	} want[] = {
	    {RL_NVME_STATUS_ZONE_BOUNDARY, "Zoned Boundary Error"},
	    {RL_NVME_STATUS_ZONE_FULL, "Zone Is Full"},
	    {RL_NVME_STATUS_ZONE_READ_ONLY, "Zone Is Read Only"},
	    {RL_NVME_STATUS_ZONE_OFFLINE, "Zone Is Offline"},
	    {RL_NVME_STATUS_ZONE_INVALID_WRITE, "Zone Invalid Write"},
	    {RL_NVME_STATUS_ZONE_TOO_MANY_ACTIVE, "Too Many Active Zones"},
	    {RL_NVME_STATUS_ZONE_TOO_MANY_OPEN, "Too Many Open Zones"},
	    {RL_NVME_STATUS_ZONE_TRANSITION, "Invalid Zone State Transition"},
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(
		    strstr(rl_nvme_status_str(want[i].status, buf, sizeof(buf)), want[i].name),
		    "0x%x: %s", want[i].status, buf);
}
