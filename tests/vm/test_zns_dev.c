// SPDX-License-Identifier: MIT
/*
 * Zoned namespaces on a real kernel driver: run inside tests/vm/nvme-vm with a zoned namespace
 * (tests/vm/run-zns-tests.sh). Appends at queue depth, their assigned LBAs and the data there as
 * the kernel's block device reads it, the zone statuses the device answers, and partial and
 * filtered reports. Every test skips with a reason where no zoned namespace is present.
 */
#include "helpers.h"

static char ng[32], blk[32];

/* The first namespace the kernel calls host-managed zoned. */
static void need_zoned(void)
{
	for (int n = 1; n <= 8; n++) {
		char sys[64], model[32] = "";
		FILE *f;

		snprintf(sys, sizeof(sys), "/sys/block/nvme0n%d/queue/zoned", n);
		f = fopen(sys, "r");
		if (!f)
			continue;
		if (fscanf(f, "%31s", model) == 1 && !strcmp(model, "host-managed")) {
			snprintf(ng, sizeof(ng), "/dev/ng0n%d", n);
			snprintf(blk, sizeof(blk), "/dev/nvme0n%d", n);
		}
		fclose(f);
		if (ng[0])
			return;
	}
	cr_skip_test("no zoned namespace (run inside tests/vm/run-zns-tests.sh)");
}

struct zfix {
	struct rl_engine *e;
	struct rl_nvme_dev *d;
	const struct rl_nvme_zns *z;
	uint32_t lbs;
};

static void zopen(struct zfix *f)
{
	need_zoned();
	f->e = engine_new(128);
	cr_assert_eq(rl_nvme_open(f->e, ng, NULL, &f->d), 0, "%s", rl_engine_last_error(f->e));
	f->z = rl_nvme_zns(f->d);
	cr_assert_not_null(f->z, "%s is host-managed but not ZNS to ringline", ng);
	f->lbs = rl_nvme_info(f->d)->lba_size;
}

static int wait_one(struct zfix *f, int ret, struct done *d)
{
	cr_assert_eq(ret, 0, "refused: %s", rl_engine_last_error(f->e));
	drain(f->e);
	cr_assert_eq(d->calls, 1);
	d->calls = 0;
	return d->res;
}

static void reset_all(struct zfix *f)
{
	struct done d = {0};

	cr_assert_eq(wait_one(f, rl_nvme_zone_mgmt(f->d, RL_ZONE_RESET, 0, true, done_cb, &d), &d),
		     0);
}

/* The zone starting at @zslba, as a report of one zone says it. */
static struct rl_nvme_zone zone_at(struct zfix *f, uint64_t zslba)
{
	unsigned char *buf = rl_alloc_aligned(4096, 4096);
	struct rl_nvme_zone_iter it;
	struct rl_nvme_zone z;
	struct done d = {0};

	cr_assert_eq(wait_one(f,
			      rl_nvme_report_zones(f->d, zslba, RL_ZONE_LIST_ALL, true, buf, 128,
						   done_cb, &d),
			      &d),
		     0);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, 128), 1);
	cr_assert(rl_nvme_zone_next(&it, &z));
	cr_assert_eq(z.zslba, zslba);
	rl_free_aligned(buf);
	return z;
}

#define NAPPEND 96

struct append {
	int res;
	uint64_t lba;
	int calls;
};

static void on_append(void *arg, int res, uint64_t result)
{
	struct append *a = arg;

	a->res = res;
	a->lba = result;
	a->calls++;
}

Test(zns_dev, appends_in_flight_together_each_get_their_own_lba)
{
	struct zfix f;
	struct append a[NAPPEND] = {0};
	unsigned char *buf, *back;
	bool seen[NAPPEND] = {0};
	uint64_t zslba;
	int fd;

	zopen(&f);
	reset_all(&f);
	zslba = 3 * f.z->zone_size;
	buf = rl_alloc_aligned(4096, (size_t)NAPPEND * f.lbs);
	back = rl_alloc_aligned(4096, f.lbs);
	for (int i = 0; i < NAPPEND; i++)
		memset(buf + (size_t)i * f.lbs, 0x20 + i, f.lbs);
	/* All submitted before any is reaped: NAPPEND appends to one zone in flight at once. */
	for (int i = 0; i < NAPPEND; i++)
		cr_assert_eq(
		    rl_nvme_zone_append(f.d, buf + (size_t)i * f.lbs, zslba, 1, on_append, &a[i]),
		    0, "%s", rl_engine_last_error(f.e));
	cr_assert_eq(rl_engine_inflight(f.e), NAPPEND);
	drain(f.e);
	fd = open(blk, O_RDONLY | O_DIRECT);
	cr_assert_geq(fd, 0, "%s: %s", blk, strerror(errno));
	for (int i = 0; i < NAPPEND; i++) {
		cr_assert_eq(a[i].calls, 1);
		cr_assert_eq(a[i].res, 0, "append %d: status 0x%x", i, a[i].res);
		cr_assert(a[i].lba >= zslba && a[i].lba < zslba + NAPPEND,
			  "append %d went to %llu, outside %llu..%llu", i,
			  (unsigned long long)a[i].lba, (unsigned long long)zslba,
			  (unsigned long long)zslba + NAPPEND - 1);
		cr_assert_not(seen[a[i].lba - zslba], "LBA %llu assigned twice",
			      (unsigned long long)a[i].lba);
		seen[a[i].lba - zslba] = true;
		/* The kernel's block device reads this append's bytes where the device said. */
		cr_assert_eq(pread(fd, back, f.lbs, (off_t)(a[i].lba * f.lbs)), (ssize_t)f.lbs);
		cr_assert_eq(memcmp(back, buf + (size_t)i * f.lbs, f.lbs), 0,
			     "LBA %llu does not hold append %d", (unsigned long long)a[i].lba, i);
	}
	close(fd);
	cr_assert_eq(zone_at(&f, zslba).wp, zslba + NAPPEND);
	cr_assert_eq(zone_at(&f, zslba).state, RL_ZONE_IMP_OPEN);
	reset_all(&f);
	rl_free_aligned(back);
	rl_free_aligned(buf);
	rl_engine_destroy(f.e);
}

Test(zns_dev, zone_statuses_come_back_named)
{
	struct zfix f;
	struct done d = {0};
	unsigned char *buf;
	char why[128];
	int res;

	zopen(&f);
	reset_all(&f);
	buf = rl_alloc_aligned(4096, f.lbs);
	memset(buf, 0x5a, f.lbs);
	/* A finished zone is full: an append there is Zone Is Full. */
	cr_assert_eq(
	    wait_one(&f, rl_nvme_zone_mgmt(f.d, RL_ZONE_FINISH, f.z->zone_size, false, done_cb, &d),
		     &d),
	    0);
	res = wait_one(&f, rl_nvme_zone_append(f.d, buf, f.z->zone_size, 1, done_cb, &d), &d);
	cr_assert_eq(res & 0x7ff, RL_NVME_STATUS_ZONE_FULL, "%s",
		     rl_nvme_status_str(res, why, sizeof(why)));
	cr_assert(strstr(rl_nvme_status_str(res, why, sizeof(why)), "Zone Is Full"), "%s", why);
	/* An empty zone cannot be closed. */
	res = wait_one(&f, rl_nvme_zone_mgmt(f.d, RL_ZONE_CLOSE, 0, false, done_cb, &d), &d);
	cr_assert_eq(res & 0x7ff, RL_NVME_STATUS_ZONE_TRANSITION, "%s",
		     rl_nvme_status_str(res, why, sizeof(why)));
	/* A write past the write pointer is Zone Invalid Write, and the pointer stays. */
	res = wait_one(&f, rl_nvme_write(f.d, buf, 2 * f.z->zone_size + 1, 1, done_cb, &d), &d);
	cr_assert_eq(res & 0x7ff, RL_NVME_STATUS_ZONE_INVALID_WRITE, "%s",
		     rl_nvme_status_str(res, why, sizeof(why)));
	cr_assert_eq(zone_at(&f, 2 * f.z->zone_size).wp, 2 * f.z->zone_size);
	cr_assert_eq(zone_at(&f, 2 * f.z->zone_size).state, RL_ZONE_EMPTY);
	reset_all(&f);
	rl_free_aligned(buf);
	rl_engine_destroy(f.e);
}

Test(zns_dev, partial_and_filtered_reports)
{
	struct zfix f;
	struct done d = {0};
	unsigned char *buf;
	struct rl_nvme_zone_iter it;
	struct rl_nvme_zone z;
	uint32_t len = 64 + 4 * 64;
	int n = 0;

	zopen(&f);
	reset_all(&f);
	buf = rl_alloc_aligned(4096, 4096);
	for (uint64_t k = 1; k <= 5; k += 2)
		cr_assert_eq(wait_one(&f,
				      rl_nvme_zone_mgmt(f.d, RL_ZONE_FINISH, k * f.z->zone_size,
							false, done_cb, &d),
				      &d),
			     0);
	/* Full zones only: 1, 3 and 5. */
	cr_assert_eq(
	    wait_one(&f,
		     rl_nvme_report_zones(f.d, 0, RL_ZONE_LIST_FULL, false, buf, len, done_cb, &d),
		     &d),
	    0);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, len), 3);
	while (rl_nvme_zone_next(&it, &z)) {
		cr_assert_eq(z.zslba, (uint64_t)(2 * n + 1) * f.z->zone_size);
		cr_assert_eq(z.state, RL_ZONE_FULL);
		n++;
	}
	cr_assert_eq(n, 3);
	/* Every zone, four fit: without Partial Report the header counts them all. */
	cr_assert_eq(
	    wait_one(&f,
		     rl_nvme_report_zones(f.d, 0, RL_ZONE_LIST_ALL, false, buf, len, done_cb, &d),
		     &d),
	    0);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, len), 4);
	cr_assert_eq(rl_nvme_zone_reported(&it), f.z->nr_zones);
	cr_assert_eq(
	    wait_one(&f,
		     rl_nvme_report_zones(f.d, 0, RL_ZONE_LIST_ALL, true, buf, len, done_cb, &d),
		     &d),
	    0);
	cr_assert_eq(rl_nvme_zone_iter_init(&it, buf, len), 4);
	cr_assert_eq(rl_nvme_zone_reported(&it), 4);
	reset_all(&f);
	rl_free_aligned(buf);
	rl_engine_destroy(f.e);
}
