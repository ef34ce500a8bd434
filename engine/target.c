// SPDX-License-Identifier: MIT
/* Targets: a registered fd with per-operation counters and latency histograms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

static const char *const op_names[RL_OP_COUNT] = {
    "read", "write", "flush", "trim", "zeroes", "compare", "admin",
};

const char *rl_op_name(enum rl_op op)
{
	return (unsigned)op < RL_OP_COUNT ? op_names[op] : NULL;
}

int rl__target_init(struct rl_target *t, const struct rl__target_ops *ops, struct rl_engine *e,
		    const char *name, int fd, enum rl_region region, bool polled)
{
	int64_t h;
	int ret = -ENOMEM;
	int i;

	t->ops = ops;
	t->e = e;
	t->ring = polled ? &e->pring : &e->ring;
	t->fd = fd;
	t->name = strdup(name);
	if (!t->name)
		return rl__error(e, -ENOMEM, "%s: out of memory", name);
	for (i = 0; i < RL_OP_COUNT; i++)
		if (rl_hist_create(&t->stats[i].lat)) {
			rl__error(e, ret, "%s: out of memory", name);
			goto err;
		}
	h = rl__files_add(e, region, fd);
	if (h < 0) {
		ret = (int)h;
		rl__error(e, ret, "%s: cannot register in the fixed-file table: %s", name,
			  ret == -ENFILE ? "the region is full" : strerror(-ret));
		goto err;
	}
	t->fhandle = (uint64_t)h;
	t->findex = (uint32_t)h;
	t->region = region;
	/* The polled ring has its own file table; the slot index is the same in both. */
	if (polled) {
		ret = io_uring_register_files_update(&e->pring, t->findex, &fd, 1);
		if (ret < 0) {
			rl__files_remove(e, t->fhandle);
			rl__error(e, ret, "%s: cannot register in the polled ring: %s", name,
				  strerror(-ret));
			goto err;
		}
	}
	t->next = e->targets;
	e->targets = t;
	return 0;
err:
	while (i-- > 0)
		rl_hist_destroy(t->stats[i].lat);
	free(t->name);
	return ret;
}

void rl__target_fini(struct rl_target *t)
{
	struct rl_engine *e = t->e;
	struct rl_target **pp;

	for (pp = &e->targets; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	if (t->ring == &e->pring) {
		int none = -1;

		io_uring_register_files_update(&e->pring, t->findex, &none, 1);
	}
	rl__files_remove(e, t->fhandle);
	close(t->fd);
	for (int i = 0; i < RL_OP_COUNT; i++)
		rl_hist_destroy(t->stats[i].lat);
	free(t->name);
}

const char *rl_target_name(const struct rl_target *t)
{
	return t->name;
}

unsigned rl_target_inflight(const struct rl_target *t)
{
	return t->inflight;
}

/*
 * A removed device fails commands in several ways (ENODEV from a dying queue, EIO from a dead
 * disk, an aborted status or EINTR for what was in flight), none of which says "gone" alone.
 * Its node's entry under /sys/dev is what the kernel deletes with the device (del_gendisk(),
 * the namespace's char device): ask there, once per failure until it is gone. Cold: only
 * failed commands come here.
 */
__attribute__((cold, noinline)) void rl__target_check_removed(struct rl_target *t)
{
	char path[64];
	struct stat st;

	if (t->fd < 0 || fstat(t->fd, &st) || !(S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)))
		return;
	snprintf(path, sizeof(path), "/sys/dev/%s/%u:%u", S_ISBLK(st.st_mode) ? "block" : "char",
		 major(st.st_rdev), minor(st.st_rdev));
	if (access(path, F_OK) && errno == ENOENT)
		t->removed = true;
}

bool rl_target_removed(const struct rl_target *t)
{
	/*
	 * Asked again when a command has failed: the kernel may fail commands (6.12: ENOSPC once a
	 * dying disk's capacity is 0) a moment before it deletes the node.
	 */
	if (!t->removed && t->failed)
		rl__target_check_removed((struct rl_target *)t); /* a cache of the kernel's state */
	return t->removed;
}

int rl_target_stats(const struct rl_target *t, enum rl_op op, struct rl_op_stats *out)
{
	if ((unsigned)op >= RL_OP_COUNT)
		return -EINVAL;
	out->ops = t->stats[op].ops;
	out->bytes = t->stats[op].bytes;
	out->errors = t->stats[op].errors;
	out->lat = t->stats[op].lat;
	return 0;
}

void rl_target_reset_stats(struct rl_target *t)
{
	for (int i = 0; i < RL_OP_COUNT; i++) {
		t->stats[i].ops = t->stats[i].bytes = t->stats[i].errors = 0;
		memset(t->stats[i].errs, 0, sizeof(t->stats[i].errs));
		t->stats[i].errs_other = 0;
		rl_hist_reset(t->stats[i].lat);
	}
}

struct rl_target *rl_engine_next_target(struct rl_engine *e, struct rl_target *prev)
{
	return prev ? prev->next : e->targets;
}
