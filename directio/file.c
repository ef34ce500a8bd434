// SPDX-License-Identifier: MIT
/* O_DIRECT regular files and block devices: open, alignment, read/write/fsync. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/backend.h"

struct rl_file {
	struct rl_target t; /* first: see struct rl_target */
	uint64_t size;
	uint32_t mem_align;
	uint32_t off_align;
	const char *align_source;
	int blkdev;
};

static const struct rl__target_ops file_ops;

static struct rl_file *file_of(struct rl_target *t)
{
	return (struct rl_file *)t; /* the target is the first member */
}

/*
 * statx(STATX_DIOALIGN) first; block devices fall back to BLKSSZGET, files (tmpfs) to 512.
 * The alignments are powers of two (check_io() relies on it), as the kernel reports them.
 */
static void discover_alignment(struct rl_file *f, int fd)
{
	struct statx stx;
	int ssz;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && rl__is_pow2(stx.stx_dio_offset_align) &&
	    rl__is_pow2(stx.stx_dio_mem_align)) {
		f->mem_align = stx.stx_dio_mem_align;
		f->off_align = stx.stx_dio_offset_align;
		f->align_source = "statx";
	} else if (f->blkdev && ioctl(fd, BLKSSZGET, &ssz) == 0 && rl__is_pow2((uint32_t)ssz)) {
		f->mem_align = f->off_align = (uint32_t)ssz;
		f->align_source = "BLKSSZGET";
	} else {
		f->mem_align = f->off_align = 512;
		f->align_source = "default";
	}
}

/*
 * Only regular files and block devices take O_DIRECT I/O. Anything else is refused before it is
 * opened, as stat() sees it (opening a FIFO for reading waits for a writer; opening some
 * character devices acts: a watchdog arms, a tape rewinds), and again after the open, as fstat()
 * sees it, in case @path changed in between (opened with O_NONBLOCK, that open did not wait).
 */
static int refuse_kind(struct rl_engine *e, const char *path, mode_t mode)
{
	const char *what = S_ISDIR(mode)    ? "a directory"
			   : S_ISFIFO(mode) ? "a FIFO (named pipe)"
			   : S_ISSOCK(mode) ? "a socket"
			   : S_ISCHR(mode)
			       ? "a character device (NVMe passthrough takes /dev/ngXnY)"
			       : "of an unknown type";

	if (S_ISREG(mode) || S_ISBLK(mode))
		return 0;
	return rl__error(e, S_ISDIR(mode) ? -EISDIR : -EINVAL,
			 "%s: is %s, not a regular file or block device", path, what);
}

int rl_file_open(struct rl_engine *e, const char *path, const struct rl_file_opts *uo,
		 struct rl_file **out)
{
	struct rl_file_opts o = {.opts_size = sizeof(o)};
	struct rl_file *f;
	struct stat st;
	bool excl;
	int fd, ret, oflags = O_DIRECT | O_CLOEXEC | O_NONBLOCK;

	if (uo)
		memcpy(&o, uo, uo->opts_size < sizeof(o) ? uo->opts_size : sizeof(o));
	if ((o.flags & RL_FILE_POLLED) && !(e->features & RL_FEAT_IOPOLL))
		return rl__error(e, -EOPNOTSUPP,
				 "%s: polled I/O needs an engine created with iopoll", path);
	oflags |= o.flags & RL_FILE_RDONLY ? O_RDONLY : O_RDWR;
	excl = (o.flags & RL_FILE_EXCL) && !(o.flags & RL_FILE_RDONLY);
	if (stat(path, &st) == 0) {
		ret = refuse_kind(e, path, st.st_mode);
		if (ret)
			return ret;
	} else if (errno == ENOENT && (o.flags & RL_FILE_CREATE)) {
		oflags |= O_CREAT;
	}
	/*
	 * Without O_CREAT, O_EXCL claims a block device (EBUSY while it is in use) and does nothing
	 * else; with it, it means "create, never open", and what is created is a regular file.
	 */
	if (excl && !(oflags & O_CREAT))
		oflags |= O_EXCL;

	fd = open(path, oflags, o.mode ? o.mode : 0644);
	if (fd < 0) {
		ret = -errno;
		/* Directories refuse O_DIRECT with EINVAL (or EISDIR when opened for writing). */
		if ((ret == -EINVAL || ret == -EISDIR) && stat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			return rl__error(e, -EISDIR,
					 "%s: is a directory, not a file or block device", path);
		if (ret == -EINVAL)
			return rl__error(e, ret, "%s: O_DIRECT is not supported there", path);
		if (ret == -EBUSY && excl)
			return rl__error(e, ret,
					 "%s: the block device is in use (a mounted file system, a "
					 "RAID or device-mapper member, swap, or another exclusive "
					 "opener): not opened for writing (RL_FILE_EXCL)",
					 path);
		return rl__error(e, ret, "%s: %s", path, strerror(-ret));
	}
	if (fstat(fd, &st)) {
		ret = rl__error(e, -errno, "%s: %s", path, strerror(errno));
		goto err_close;
	}
	ret = refuse_kind(e, path, st.st_mode);
	if (ret)
		goto err_close;
	if (excl && S_ISBLK(st.st_mode) && !(oflags & O_EXCL)) {
		/* Created as a file a moment ago, a block device now: not claimed, so not used. */
		ret = rl__error(e, -EBUSY, "%s: became a block device while being opened", path);
		goto err_close;
	}
	/* I/O on a file opened O_NONBLOCK fails with EAGAIN where it would wait: clear it. */
	ret = fcntl(fd, F_GETFL);
	if (ret < 0 || fcntl(fd, F_SETFL, ret & ~O_NONBLOCK)) {
		ret = rl__error(e, -errno, "%s: F_SETFL: %s", path, strerror(errno));
		goto err_close;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = rl__error(e, -ENOMEM, "%s: out of memory", path);
		goto err_close;
	}
	f->blkdev = S_ISBLK(st.st_mode);
	f->size = (uint64_t)st.st_size;
	if (f->blkdev && ioctl(fd, BLKGETSIZE64, &f->size)) {
		ret = rl__error(e, -errno, "%s: BLKGETSIZE64: %s", path, strerror(errno));
		goto err_free;
	}
	if (!f->blkdev && (o.flags & RL_FILE_CREATE) && o.size > f->size) {
		if (ftruncate(fd, (off_t)o.size)) {
			ret = rl__error(e, -errno, "%s: extending to %llu bytes: %s", path,
					(unsigned long long)o.size, strerror(errno));
			goto err_free;
		}
		f->size = o.size;
	}
	discover_alignment(f, fd);
	ret = rl__target_init(&f->t, &file_ops, e, path, fd, RL_REGION_FILE,
			      o.flags & RL_FILE_POLLED);
	if (ret)
		goto err_free;
	*out = f;
	return 0;

err_free:
	free(f);
err_close:
	close(fd);
	return ret;
}

int rl_file_close(struct rl_file *f)
{
	return f ? rl_target_close(&f->t) : 0;
}

struct rl_target *rl_file_target(struct rl_file *f)
{
	return &f->t;
}

uint64_t rl_file_size(const struct rl_file *f)
{
	return f->size;
}

uint32_t rl_file_mem_align(const struct rl_file *f)
{
	return f->mem_align;
}

uint32_t rl_file_offset_align(const struct rl_file *f)
{
	return f->off_align;
}

const char *rl_file_align_source(const struct rl_file *f)
{
	return f->align_source;
}

int rl_file_is_blockdev(const struct rl_file *f)
{
	return f->blkdev;
}

/* Why check_io() refused: the first check that fails, in a message. Off the I/O path. */
static int __attribute__((noinline, cold))
refuse_io(struct rl_file *f, const void *buf, uint64_t len, uint64_t off)
{
	struct rl_engine *e = f->t.e;

	if (rl__mod_pow2((uintptr_t)buf, f->mem_align))
		return rl__error(e, -EINVAL,
				 "%s: buffer address %p is not aligned to the memory alignment %u",
				 f->t.name, buf, f->mem_align);
	if (rl__mod_pow2(off, f->off_align))
		return rl__error(e, -EINVAL,
				 "%s: offset %llu is not a multiple of the offset alignment %u",
				 f->t.name, (unsigned long long)off, f->off_align);
	if (len == 0 || rl__mod_pow2(len, f->off_align))
		return rl__error(e, -EINVAL,
				 "%s: length %llu is not a non-zero multiple of the alignment %u",
				 f->t.name, (unsigned long long)len, f->off_align);
	return rl__error(
	    e, -EINVAL, "%s: range %llu+%llu is past the end of the device (%llu bytes)", f->t.name,
	    (unsigned long long)off, (unsigned long long)len, (unsigned long long)f->size);
}

/* Buffer (NULL: none), offset and length alignment, and a block device's end: one test. */
static inline int check_io(struct rl_file *f, const void *buf, uint64_t len, uint64_t off)
{
	bool bad = rl__mod_pow2((uintptr_t)buf, f->mem_align) ||
		   rl__mod_pow2(off | len, f->off_align) || !len ||
		   (f->blkdev && (off > f->size || len > f->size - off));

	return __builtin_expect(bad, 0) ? refuse_io(f, buf, len, off) : 0;
}

/* A read or write; @rwf: RWF_* flags for the SQE's rw_flags (RWF_DSYNC for a FUA write). */
static inline int file_rw_flags(struct rl_target *t, bool write, void *buf, uint64_t len,
				uint64_t off, int bi, int rwf, rl_complete_fn cb, void *arg)
{
	struct rl_file *f = file_of(t);
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret;

	ret = check_io(f, buf, len, off);
	if (ret)
		return ret;
	if (__builtin_expect(len > UINT32_MAX, 0))
		return rl__error(f->t.e, -EINVAL, "%s: length %llu is above 4 GiB", f->t.name,
				 (unsigned long long)len);
	c = rl__cmd_begin(&f->t, write ? RL_OP_WRITE : RL_OP_READ, (uint32_t)len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	if (bi == RL__BUF_FIND)
		bi = rl__buf_index(f->t.e, buf, len);
	if (bi >= 0) {
		if (write)
			io_uring_prep_write_fixed(sqe, (int)f->t.findex, buf, (unsigned)len, off,
						  bi);
		else
			io_uring_prep_read_fixed(sqe, (int)f->t.findex, buf, (unsigned)len, off,
						 bi);
	} else if (write) {
		io_uring_prep_write(sqe, (int)f->t.findex, buf, (unsigned)len, off);
	} else {
		io_uring_prep_read(sqe, (int)f->t.findex, buf, (unsigned)len, off);
	}
	if (rwf)
		sqe->rw_flags = rwf;
	rl__cmd_commit(c, sqe);
	return 0;
}

static int file_rw(struct rl_target *t, bool write, void *buf, uint64_t len, uint64_t off, int bi,
		   rl_complete_fn cb, void *arg)
{
	return file_rw_flags(t, write, buf, len, off, bi, 0, cb, arg);
}

/* FUA: RWF_DSYNC, which O_DIRECT turns into a FUA write (or a write and a cache flush). */
static int file_write_fua(struct rl_target *t, void *buf, uint64_t len, uint64_t off, int bi,
			  rl_complete_fn cb, void *arg)
{
	return file_rw_flags(t, true, buf, len, off, bi, RWF_DSYNC, cb, arg);
}

int rl_file_read(struct rl_file *f, void *buf, size_t len, uint64_t off, rl_complete_fn cb,
		 void *arg)
{
	return file_rw(&f->t, false, buf, len, off, RL__BUF_FIND, cb, arg);
}

int rl_file_write(struct rl_file *f, const void *buf, size_t len, uint64_t off, rl_complete_fn cb,
		  void *arg)
{
	return file_rw(&f->t, true, (void *)buf, len, off, RL__BUF_FIND, cb, arg);
}

/*
 * O_DIRECT needs every segment aligned, not only the total: the kernel checks each segment's
 * address against the DMA alignment and its length against the logical block size.
 */
static int file_rwv(struct rl_target *t, bool write, const struct iovec *iov, int iovcnt,
		    uint64_t off, rl_complete_fn cb, void *arg)
{
	struct rl_file *f = file_of(t);
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	uint64_t len = 0;
	int ret;

	if (iovcnt <= 0 || iovcnt > IOV_MAX)
		return rl__error(f->t.e, -EINVAL, "%s: %d iovecs: expected 1 to %d", f->t.name,
				 iovcnt, IOV_MAX);
	for (int i = 0; i < iovcnt; i++) {
		if (rl__mod_pow2((uintptr_t)iov[i].iov_base, f->mem_align))
			return rl__error(f->t.e, -EINVAL,
					 "%s: iovec %d: buffer address %p is not aligned to the "
					 "memory alignment %u",
					 f->t.name, i, iov[i].iov_base, f->mem_align);
		if (rl__mod_pow2(iov[i].iov_len, f->off_align))
			return rl__error(f->t.e, -EINVAL,
					 "%s: iovec %d: length %zu is not a multiple of the "
					 "alignment %u",
					 f->t.name, i, iov[i].iov_len, f->off_align);
		len += iov[i].iov_len;
	}
	ret = check_io(f, NULL, len, off);
	if (ret)
		return ret;
	if (len > UINT32_MAX)
		return rl__error(f->t.e, -EINVAL, "%s: length %llu is above 4 GiB", f->t.name,
				 (unsigned long long)len);
	c = rl__cmd_begin(&f->t, write ? RL_OP_WRITE : RL_OP_READ, (uint32_t)len, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	if (write)
		io_uring_prep_writev(sqe, (int)f->t.findex, iov, (unsigned)iovcnt, off);
	else
		io_uring_prep_readv(sqe, (int)f->t.findex, iov, (unsigned)iovcnt, off);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_file_readv(struct rl_file *f, const struct iovec *iov, int iovcnt, uint64_t off,
		  rl_complete_fn cb, void *arg)
{
	return file_rwv(&f->t, false, iov, iovcnt, off, cb, arg);
}

int rl_file_writev(struct rl_file *f, const struct iovec *iov, int iovcnt, uint64_t off,
		   rl_complete_fn cb, void *arg)
{
	return file_rwv(&f->t, true, iov, iovcnt, off, cb, arg);
}

int rl_file_fsync(struct rl_file *f, int datasync, rl_complete_fn cb, void *arg)
{
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;

	/* An IOPOLL ring carries only reads and writes: a polled file syncs on the other ring. */
	c = rl__cmd_begin_on(&f->t, &f->t.e->ring, RL_OP_FLUSH, 0, cb, arg, &sqe);
	if (!c)
		return -EBUSY;
	io_uring_prep_fsync(sqe, (int)f->t.findex, datasync ? IORING_FSYNC_DATASYNC : 0);
	rl__cmd_commit(c, sqe);
	return 0;
}

static int submit_fallocate(struct rl_file *f, enum rl_op op, int mode, uint64_t off, uint64_t len,
			    rl_complete_fn cb, void *arg)
{
	struct io_uring_sqe *sqe;
	struct rl__cmd *c;
	int ret = check_io(f, NULL, len, off);

	if (ret)
		return ret;
	c = rl__cmd_begin_on(&f->t, &f->t.e->ring, op, 0, cb, arg, &sqe); /* as in fsync */
	if (!c)
		return -EBUSY;
	io_uring_prep_fallocate(sqe, (int)f->t.findex, mode, off, len);
	rl__cmd_commit(c, sqe);
	return 0;
}

int rl_file_write_zeroes(struct rl_file *f, uint64_t off, uint64_t len, rl_complete_fn cb,
			 void *arg)
{
	return submit_fallocate(f, RL_OP_ZEROES, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off,
				len, cb, arg);
}

int rl_file_trim(struct rl_file *f, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return submit_fallocate(f, RL_OP_TRIM, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len,
				cb, arg);
}

static int file_zeroes(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb,
		       void *arg)
{
	return rl_file_write_zeroes(file_of(t), off, len, cb, arg);
}

static int file_trim(struct rl_target *t, uint64_t off, uint64_t len, rl_complete_fn cb, void *arg)
{
	return rl_file_trim(file_of(t), off, len, cb, arg);
}

static int file_flush(struct rl_target *t, rl_complete_fn cb, void *arg)
{
	return rl_file_fsync(file_of(t), 1, cb, arg);
}

static void file_close(struct rl_target *t)
{
	rl__target_fini(t);
	free(file_of(t));
}

static uint64_t file_size(const struct rl_target *t)
{
	return ((const struct rl_file *)t)->size;
}

static uint32_t file_block_size(const struct rl_target *t)
{
	return ((const struct rl_file *)t)->off_align;
}

static uint32_t file_mem_align(const struct rl_target *t)
{
	return ((const struct rl_file *)t)->mem_align;
}

static const struct rl__target_ops file_ops = {
    .kind = RL_TARGET_KIND_FILE,
    .engine_path = "direct",
    .rw = file_rw,
    .rwv = file_rwv,
    .write_fua = file_write_fua,
    .zeroes = file_zeroes,
    .trim = file_trim,
    .flush = file_flush,
    .close = file_close,
    .size = file_size,
    .block_size = file_block_size,
    .mem_align = file_mem_align,
};

struct rl_file *rl_target_file(struct rl_target *t)
{
	return t->ops == &file_ops ? file_of(t) : NULL;
}

/* rl_target_open(): whatever no other backend claimed, through O_DIRECT. */
static bool file_claims(const char *path, const struct stat *st, unsigned flags)
{
	(void)path, (void)st, (void)flags;
	return true;
}

static int file_target_open(struct rl_engine *e, const char *path, unsigned flags,
			    struct rl_target **out)
{
	struct rl_file_opts o = {.opts_size = sizeof(o)};
	struct rl_file *f;
	int ret;

	o.flags = (flags & RL_TARGET_RDONLY ? RL_FILE_RDONLY : 0) |
		  (flags & RL_TARGET_POLLED ? RL_FILE_POLLED : 0) |
		  (flags & RL_TARGET_EXCL ? RL_FILE_EXCL : 0);
	ret = rl_file_open(e, path, &o, &f);
	if (!ret)
		*out = &f->t;
	return ret;
}

const struct rl__backend rl__file_backend = {
    .name = "file",
    .claims = file_claims,
    .open = file_target_open,
};
