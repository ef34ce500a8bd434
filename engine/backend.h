/* SPDX-License-Identifier: MIT */
/*
 * Private: what a backend (nvme/, directio/, later zoned or network targets) sees of the engine.
 * A backend embeds struct rl_target in its own object, fills a static const struct
 * rl__target_ops, and submits with rl__cmd_begin()/rl__cmd_commit() (submit.h). The engine calls
 * the backend only through that table and names no backend. rl_target_open() finds the backend
 * for a path through the descriptors listed in backends/registry.c.
 */
#ifndef RINGLINE_ENGINE_BACKEND_H
#define RINGLINE_ENGINE_BACKEND_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "core.h"
#include "error.h"
#include "regbuf.h"

/*
 * struct rl__target_ops - one backend's target operations. Offsets and lengths are bytes; each
 * operation checks its arguments (-EINVAL with a message naming what is wrong) before it takes a
 * slot, and returns 0 when submitted, -EBUSY when the slab or the SQ ring is full.
 * @kind, @engine_path: what rl_target_kind() and rl_target_engine_path() say.
 * @rw:         read (@write false) or write [@buf, @buf + @len) at @off with registered buffer
 *              @bi, or RL__BUF_FIND (regbuf.h).
 * @rwv:        vectored read or write; the iovecs live until the callback.
 * @write_fua:  as @rw for a write that completes once on stable media (rl_target_write_flags()
 *              with RL_IO_FUA); NULL where the backend has none (-EOPNOTSUPP).
 * @zeroes, @trim, @flush: write zeroes, deallocate, flush to stable media.
 * @close:      unregister, close and free the target; the engine has checked that nothing is
 *              in flight (or, in rl_engine_destroy(), reaped everything).
 * @size, @block_size, @mem_align: bytes; the granularity of offsets and lengths; the alignment
 *              of buffer addresses.
 */
struct rl__target_ops {
	enum rl_target_kind kind;
	const char *engine_path;
	int (*rw)(struct rl_target *t, bool write, void *buf, uint64_t len, uint64_t off, int bi,
		  rl_complete_fn cb, void *arg);
	int (*rwv)(struct rl_target *t, bool write, const struct iovec *iov, int iovcnt,
		   uint64_t off, rl_complete_fn cb, void *arg);
	int (*write_fua)(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int bi,
			 rl_complete_fn cb, void *arg);
	int (*zeroes)(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb,
		      void *arg);
	int (*trim)(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg);
	int (*flush)(struct rl_target *t, rl_complete_fn cb, void *arg);
	void (*close)(struct rl_target *t);
	uint64_t (*size)(const struct rl_target *t);
	uint32_t (*block_size)(const struct rl_target *t);
	uint32_t (*mem_align)(const struct rl_target *t);
};

/*
 * struct rl__backend - how rl_target_open() finds a backend for a path.
 * @claims: whether the backend takes @path (stat()ed in @st, or NULL when stat failed) opened
 *          with RL_TARGET_* @flags. The registry asks the backends in order; the last one
 *          claims everything.
 * @open:   open it. Return: as rl_target_open().
 */
struct rl__backend {
	const char *name;
	bool (*claims)(const char *path, const struct stat *st, unsigned flags);
	int (*open)(struct rl_engine *e, const char *path, unsigned flags, struct rl_target **out);
};

/* Failed completions by code (-errno, or an NVMe status); codes past the table count in other. */
struct rl__err_count {
	int32_t code;
	uint64_t count;
};

struct rl__op_stats {
	uint64_t ops;
	uint64_t bytes;
	uint64_t errors;
	struct rl_hist *lat;
	struct rl__err_count errs[RL_ERROR_KINDS];
	uint64_t errs_other;
};

/* Count a failed completion of @st under @code (-errno, or an NVMe status SCT << 8 | SC). */
void rl__count_error(struct rl__op_stats *st, int code);
/* After a failed completion on @t: note whether its device was removed (rl_target_removed()). */
void rl__target_check_removed(struct rl_target *t);

/*
 * Common head of every target: the first member of the backend's malloc()ed object, which its
 * @ops->close frees.
 */
struct rl_target {
	const struct rl__target_ops *ops;
	struct rl_engine *e;
	struct io_uring *ring; /* the engine's ring, or its IOPOLL ring */
	struct rl_target *next;
	enum rl_region region;
	char *name;
	int fd;
	uint64_t fhandle; /* fixed-file handle */
	uint32_t findex;  /* fixed-file table index */
	unsigned inflight;
	bool removed; /* rl_target_removed() */
	bool failed;  /* a command failed: rl_target_removed() asks /sys/dev again */
	struct rl__op_stats stats[RL_OP_COUNT];
};

/* Register @fd in @region (and in the polled ring when @polled) and link @t to the engine. */
int rl__target_init(struct rl_target *t, const struct rl__target_ops *ops, struct rl_engine *e,
		    const char *name, int fd, enum rl_region region, bool polled);
/* Unlink, unregister and close what rl__target_init() set up; @ops->close calls it. */
void rl__target_fini(struct rl_target *t);

#include "submit.h"

#endif
