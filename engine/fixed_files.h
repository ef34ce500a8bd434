/* SPDX-License-Identifier: MIT */
/* Private: the fixed-file table, one sparse registered table split in regions. */
#ifndef RINGLINE_ENGINE_FIXED_FILES_H
#define RINGLINE_ENGINE_FIXED_FILES_H

#include <stdint.h>

#include "ringline.h"

/*
 * A handle is generation << 32 | table index, so a handle kept after its slot was freed is
 * refused.
 */
struct rl__files {
	uint32_t base[RL_REGION_COUNT];
	uint32_t cap[RL_REGION_COUNT];
	uint32_t total;
	int *fds; /* -1 when free */
	uint32_t *gen;
};

int rl__files_init(struct rl_engine *e, const unsigned *region_cap);
void rl__files_fini(struct rl_engine *e);
/* Register @fd in @region. Return: the handle, or -ENFILE when the region is full, or -errno. */
int64_t rl__files_add(struct rl_engine *e, enum rl_region region, int fd);
/* Unregister a handle. Return: 0 or -ESTALE. */
int rl__files_remove(struct rl_engine *e, uint64_t handle);
/* Table index of a live handle, or -ESTALE. */
int64_t rl__files_index(const struct rl_engine *e, uint64_t handle);

#endif
