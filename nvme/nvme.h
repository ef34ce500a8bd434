/* SPDX-License-Identifier: MIT */
/* NVMe internals shared by nvme/ files. Not installed. */
#ifndef RINGLINE_NVME_INTERNAL_H
#define RINGLINE_NVME_INTERNAL_H

#include <linux/nvme_ioctl.h>

#include "../engine/internal.h"
#include "ringline/nvme.h"

struct rl_nvme_dev {
	struct rl_target t; /* first: see struct rl_target */
	struct rl_nvme_info info;
	bool raw; /* RL_NVME_RAW: the device checks LBA ranges */
	/* Derived from info by rl__nvme_set_limits(), for the checks on every command: */
	uint32_t block_bytes; /* bytes per LBA in the data buffer (lba_size, + ms if extended) */
	uint8_t lba_shift;    /* log2(lba_size) */
	uint64_t byte_io_max; /* largest byte-offset I/O, 0 on an extended-LBA format */
};

/* Set the derived fields of @d from d->info (after Identify). */
void rl__nvme_set_limits(struct rl_nvme_dev *d);

/* NVMe opcodes (NVM command set and admin). */
enum {
	RL__NVME_FLUSH = 0x00,
	RL__NVME_WRITE = 0x01,
	RL__NVME_READ = 0x02,
	RL__NVME_COMPARE = 0x05,
	RL__NVME_WRITE_ZEROES = 0x08,
	RL__NVME_DSM = 0x09,
	RL__NVME_ADMIN_GET_LOG = 0x02,
	RL__NVME_ADMIN_IDENTIFY = 0x06,
};

#endif
