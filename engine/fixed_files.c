// SPDX-License-Identifier: MIT
/* Fixed-file table: one sparse registered table, split in regions, with generation handles. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int rl__files_init(struct rl_engine *e, const unsigned *region_cap)
{
	struct rl__files *f = &e->files;
	uint32_t total = 0;
	int ret;

	for (int r = 0; r < RL_REGION_COUNT; r++) {
		f->base[r] = total;
		f->cap[r] = region_cap[r];
		total += region_cap[r];
	}
	f->total = total;
	if (total == 0)
		return 0;
	f->fds = malloc(total * sizeof(*f->fds));
	f->gen = calloc(total, sizeof(*f->gen));
	if (!f->fds || !f->gen) {
		ret = -ENOMEM;
		goto err;
	}
	for (uint32_t i = 0; i < total; i++)
		f->fds[i] = -1;
	ret = io_uring_register_files_sparse(&e->ring, total);
	if (ret < 0)
		goto err;
	return 0;
err:
	free(f->fds);
	free(f->gen);
	f->fds = NULL;
	f->gen = NULL;
	return ret;
}

void rl__files_fini(struct rl_engine *e)
{
	if (e->files.total)
		io_uring_unregister_files(&e->ring);
	free(e->files.fds);
	free(e->files.gen);
	e->files.fds = NULL;
	e->files.gen = NULL;
}

int64_t rl__files_add(struct rl_engine *e, enum rl_region region, int fd)
{
	struct rl__files *f = &e->files;
	uint32_t end = f->base[region] + f->cap[region];
	int ret;

	for (uint32_t i = f->base[region]; i < end; i++) {
		if (f->fds[i] != -1)
			continue;
		ret = io_uring_register_files_update(&e->ring, i, &fd, 1);
		if (ret < 0)
			return ret;
		f->fds[i] = fd;
		return (int64_t)f->gen[i] << 32 | i;
	}
	return -ENFILE;
}

int64_t rl__files_index(const struct rl_engine *e, uint64_t handle)
{
	uint32_t i = (uint32_t)handle;

	if (i >= e->files.total || e->files.fds[i] == -1 || e->files.gen[i] != handle >> 32)
		return -ESTALE;
	return i;
}

int rl__files_remove(struct rl_engine *e, uint64_t handle)
{
	int64_t i = rl__files_index(e, handle);
	int none = -1;

	if (i < 0)
		return (int)i;
	/* The kernel keeps its own reference while requests use the file; dropping ours is safe. */
	io_uring_register_files_update(&e->ring, (unsigned)i, &none, 1);
	e->files.fds[i] = -1;
	e->files.gen[i]++;
	return 0;
}
