// SPDX-License-Identifier: MIT
/*
 * The one list of backends: rl_target_open() asks each, in order, whether it takes a path.
 * A new backend adds its descriptor here and an ops table in its own folder; the engine does
 * not change.
 */
#include <errno.h>
#include <sys/stat.h>

#include "../engine/backend.h"

extern const struct rl__backend rl__nop_backend;  /* nop/nop.c: "nop:" and "nop:SIZE" */
extern const struct rl__backend rl__nvme_backend; /* nvme/dev.c */
extern const struct rl__backend rl__file_backend; /* directio/file.c: claims anything */

static const struct rl__backend *const backends[] = {
    &rl__nop_backend,
    &rl__nvme_backend,
    &rl__file_backend,
};

int rl_target_open(struct rl_engine *e, const char *path, unsigned flags, struct rl_target **out)
{
	struct stat st;
	const struct stat *stp = stat(path, &st) == 0 ? &st : NULL;

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->claims(path, stp, flags))
			return backends[i]->open(e, path, flags, out);
	return rl__error(e, -ENODEV, "%s: no backend takes it", path);
}
