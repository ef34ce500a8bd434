/* SPDX-License-Identifier: MIT */
/*
 * Zoned namespaces (NVMe ZNS command set, CSI 0x02) on the ring: report zones (Zone Management
 * Receive), open, close, finish and reset zones (Zone Management Send), and Zone Append, whose
 * completion callback gets the LBA the device wrote to in @result (from the big CQE). Completion
 * callbacks follow ringline/nvme.h: res 0 success, res < 0 -errno, res > 0 an NVMe status, for
 * zones one of RL_NVME_STATUS_ZONE_* below, named by rl_nvme_status_str().
 */
#ifndef RINGLINE_ZNS_H
#define RINGLINE_ZNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ringline/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_nvme_dev;

/**
 * struct rl_nvme_zns - what the ZNS Identify Namespace (CNS 0x05, CSI 0x02) and Identify
 * Controller (CNS 0x06, CSI 0x02) data say, read by rl_nvme_open() for a zoned namespace.
 * @zone_size:   logical blocks per zone (ZSZE of the LBA format in use); zones start at
 *               multiples of it. The writable part of each zone, its capacity, is per zone
 *               (struct rl_nvme_zone.zcap).
 * @nr_zones:    zones in the namespace (NSZE / @zone_size).
 * @zasl_bytes:  the controller's Zone Append Size Limit in bytes; 0: MDTS applies.
 * @max_append:  the largest append ringline submits: ZASL, or the largest transfer if lower.
 * @max_open:    Maximum Open Resources (zones open at once); 0: no limit.
 * @max_active:  Maximum Active Resources (open or closed zones); 0: no limit.
 * @zoc, @ozcs:  Zone Operation Characteristics, Optional Zoned Command Support, as reported.
 */
struct rl_nvme_zns {
	uint64_t zone_size;
	uint64_t nr_zones;
	uint32_t zasl_bytes;
	uint32_t max_append;
	uint32_t max_open;
	uint32_t max_active;
	uint16_t zoc;
	uint16_t ozcs;
};

/**
 * rl_nvme_zns() - the zoned geometry of @d.
 * Return: NULL when the namespace is not zoned (its command set is not ZNS).
 */
RL_EXPORT const struct rl_nvme_zns *rl_nvme_zns(const struct rl_nvme_dev *d);

/* Zone states, as the Zone Descriptor's ZS field (bits 7:4) says them. */
enum rl_zone_state {
	RL_ZONE_EMPTY = 0x1,
	RL_ZONE_IMP_OPEN = 0x2,
	RL_ZONE_EXP_OPEN = 0x3,
	RL_ZONE_CLOSED = 0x4,
	RL_ZONE_READ_ONLY = 0xd,
	RL_ZONE_FULL = 0xe,
	RL_ZONE_OFFLINE = 0xf,
};

/*
 * rl_zone_state_str() - "empty", "implicitly-open", "explicitly-open", "closed", "read-only",
 * "full", "offline", or "reserved" for a value the specification does not define.
 */
RL_EXPORT const char *rl_zone_state_str(unsigned state);

/**
 * struct rl_nvme_zone - one Zone Descriptor, decoded.
 * @zslba:  the zone's first logical block.
 * @zcap:   its capacity: blocks writable from @zslba on.
 * @wp:     its write pointer (meaningful in the empty, open and closed states).
 * @type:   zone type (2: sequential write required).
 * @state:  enum rl_zone_state.
 * @attrs:  Zone Attributes (bit 0 finish recommended, 1 reset recommended, 7 ZDEV valid).
 */
struct rl_nvme_zone {
	uint64_t zslba;
	uint64_t zcap;
	uint64_t wp;
	uint8_t type;
	uint8_t state;
	uint8_t attrs;
};

/* Which zones a report lists (Zone Receive Action Specific Field). */
enum rl_zone_filter {
	RL_ZONE_LIST_ALL = 0,
	RL_ZONE_LIST_EMPTY = 1,
	RL_ZONE_LIST_IMP_OPEN = 2,
	RL_ZONE_LIST_EXP_OPEN = 3,
	RL_ZONE_LIST_CLOSED = 4,
	RL_ZONE_LIST_FULL = 5,
	RL_ZONE_LIST_READ_ONLY = 6,
	RL_ZONE_LIST_OFFLINE = 7,
};

/* Bytes of a report's header and of each zone descriptor in it. */
#define RL_ZONE_REPORT_HDR 64
#define RL_ZONE_DESC_SIZE 64

/**
 * rl_nvme_report_zones() - Zone Management Receive (Report Zones) into @buf.
 * @slba:    report zones from the zone holding this block on.
 * @filter:  enum rl_zone_filter.
 * @partial: Partial Report: the header's count is that of the descriptors in @buf, not of
 *           every zone that matches.
 * @buf:     @len bytes, a multiple of 64 and at least 128 (a header and one descriptor),
 *           within the largest transfer; alive until the callback. Read it with
 *           rl_nvme_zone_iter_init().
 *
 * Return: 0; -EOPNOTSUPP when @d is not zoned; -EINVAL (with a message) for @slba past the
 * namespace, a bad @filter or @len, a misaligned @buf; -EBUSY: the slab is full, reap and retry.
 * Counted under RL_OP_ADMIN in the target's statistics (zone management, not data).
 */
RL_EXPORT int rl_nvme_report_zones(struct rl_nvme_dev *d, uint64_t slba, unsigned filter,
				   bool partial, void *buf, uint32_t len, rl_complete_fn cb,
				   void *arg);

/**
 * struct rl_nvme_zone_iter - walks the descriptors of a report; fields are private.
 */
struct rl_nvme_zone_iter {
	const unsigned char *next;
	uint64_t left;
	uint64_t reported;
};

/**
 * rl_nvme_zone_iter_init() - start walking the report in @buf (@len bytes as the device
 * returned them, little-endian).
 * Return: how many descriptors the walk yields: the header's count (Number of Zones), but no
 * more than @len holds; -EINVAL when @len is below the 64-byte header. rl_nvme_zone_reported()
 * then gives the header's count itself (without Partial Report, every zone that matched, which
 * may exceed what @buf holds: ask again from the zone after the last one walked).
 * Context: pure, no device access; any bytes are safe.
 */
RL_EXPORT int64_t rl_nvme_zone_iter_init(struct rl_nvme_zone_iter *it, const void *buf, size_t len);
/* rl_nvme_zone_next() - the next descriptor into @z. Return: false after the last. */
RL_EXPORT bool rl_nvme_zone_next(struct rl_nvme_zone_iter *it, struct rl_nvme_zone *z);
/* rl_nvme_zone_reported() - the header's Number of Zones of the report being walked. */
RL_EXPORT uint64_t rl_nvme_zone_reported(const struct rl_nvme_zone_iter *it);

/* Zone Send Actions. */
enum rl_zone_action {
	RL_ZONE_CLOSE = 0x1,
	RL_ZONE_FINISH = 0x2,
	RL_ZONE_OPEN = 0x3,
	RL_ZONE_RESET = 0x4,
};

/**
 * rl_nvme_zone_mgmt() - Zone Management Send: @action on the zone starting at @zslba, or with
 * @all on every zone the action applies to (Select All; @zslba is then ignored).
 *
 * Return: 0; -EOPNOTSUPP when @d is not zoned; -EINVAL (with a message) for an unknown
 * @action or a @zslba that is not the first block of a zone inside the namespace; -EBUSY.
 * A state the action cannot leave completes with the NVMe status
 * RL_NVME_STATUS_ZONE_TRANSITION. Counted under RL_OP_ADMIN.
 */
RL_EXPORT int rl_nvme_zone_mgmt(struct rl_nvme_dev *d, enum rl_zone_action action, uint64_t zslba,
				bool all, rl_complete_fn cb, void *arg);

/**
 * rl_nvme_zone_append() - Zone Append of @nlb blocks from @buf to the zone starting at @zslba;
 * the device picks where (the zone's write pointer) and the callback gets that first LBA in
 * @result. Any number may be in flight to one zone: each gets its own LBA.
 * @buf: @nlb blocks (with metadata on extended-LBA formats), 4-byte aligned, alive until the
 *       callback; inside a registered buffer it goes as IORING_URING_CMD_FIXED.
 *
 * Return: 0; -EOPNOTSUPP when @d is not zoned; -EINVAL (with a message) when @zslba is not the
 * first block of a zone inside the namespace, @nlb is 0 or above the zone size, or the data is
 * larger than @max_append (ZASL); -EBUSY: the slab is full, reap and retry. With RL_NVME_RAW
 * the zone start and range are left to the device. A zone without room completes with
 * RL_NVME_STATUS_ZONE_FULL or RL_NVME_STATUS_ZONE_BOUNDARY. Counted under RL_OP_WRITE.
 */
RL_EXPORT int rl_nvme_zone_append(struct rl_nvme_dev *d, const void *buf, uint64_t zslba,
				  uint32_t nlb, rl_complete_fn cb, void *arg);

/* Zoned command set statuses (SCT 1, command specific), as callbacks receive them. */
#define RL_NVME_STATUS_ZONE_BOUNDARY 0x1b8	/* Zone Boundary Error */
#define RL_NVME_STATUS_ZONE_FULL 0x1b9		/* Zone Is Full */
#define RL_NVME_STATUS_ZONE_READ_ONLY 0x1ba	/* Zone Is Read Only */
#define RL_NVME_STATUS_ZONE_OFFLINE 0x1bb	/* Zone Is Offline */
#define RL_NVME_STATUS_ZONE_INVALID_WRITE 0x1bc /* Zone Invalid Write: not at the write pointer */
#define RL_NVME_STATUS_ZONE_TOO_MANY_ACTIVE 0x1bd
#define RL_NVME_STATUS_ZONE_TOO_MANY_OPEN 0x1be
#define RL_NVME_STATUS_ZONE_TRANSITION 0x1bf /* Invalid Zone State Transition */

#ifdef __cplusplus
}
#endif
#endif
