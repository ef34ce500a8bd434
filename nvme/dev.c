// SPDX-License-Identifier: MIT
/* NVMe namespaces: find the generic char device, open it, identify it (libnvme). */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libnvme.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nvme_private.h"

/* Parse "ngXnY" or "nvmeXnY" (after @prefix); 0 on success. */
static int parse_ns_name(const char *name, const char *prefix, unsigned *ctrl, unsigned *ns)
{
	char tail;

	if (strncmp(name, prefix, strlen(prefix)))
		return -1;
	return sscanf(name + strlen(prefix), "%un%u%c", ctrl, ns, &tail) == 2 ? 0 : -1;
}

int rl_nvme_resolve(const char *path, char *out, size_t outlen)
{
	char tmp[256], sys[300];
	unsigned c, n;
	struct stat st;
	const char *base;

	if (stat(path, &st))
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s", path);
	base = basename(tmp);
	if (S_ISCHR(st.st_mode) && parse_ns_name(base, "ng", &c, &n) == 0) {
		snprintf(out, outlen, "%s", path);
		return 0;
	}
	/* /dev/nvmeXnY and its generic device /dev/ngXnY share the X and Y. */
	if (!S_ISBLK(st.st_mode) || parse_ns_name(base, "nvme", &c, &n))
		return -ENODEV;
	snprintf(sys, sizeof(sys), "/sys/class/nvme-generic/ng%un%u", c, n);
	if (access(sys, F_OK))
		return -ENODEV;
	snprintf(out, outlen, "/dev/ng%un%u", c, n);
	return access(out, F_OK) ? -ENODEV : 0;
}

/*
 * Open a character device without waiting: @path was a character device when it was looked at,
 * but may be a FIFO now, whose open would wait for a writer. O_NONBLOCK makes that open return,
 * fstat() says what was opened, and O_NONBLOCK is cleared again before any I/O.
 */
static int open_chr(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK), fl;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

/*
 * The controller char device /dev/nvmeX of /dev/ngXnY: admin uring_cmds are refused (ENOTTY) on
 * namespace devices. X is the controller instance, or the subsystem's for a multipath head,
 * which is the same number on single-controller subsystems.
 */
static int open_controller(const char *generic)
{
	char path[64];
	unsigned c, n;

	if (parse_ns_name(strrchr(generic, '/') + 1, "ng", &c, &n))
		return -ENODEV;
	snprintf(path, sizeof(path), "/dev/nvme%u", c);
	return open_chr(path);
}

/*
 * RL_NVME_EXCL: claim the namespace's block device /dev/nvmeXnY (O_EXCL) while the namespace is
 * open, so that writes through passthrough never go under a mounted file system (or a RAID,
 * device-mapper or swap user), and nothing mounts it meanwhile. A namespace without a block
 * device (an extended-LBA format has none) has nothing to claim. Return: an fd, -1, or -errno.
 */
static int claim_block_device(struct rl_engine *e, const char *path, const char *generic)
{
	char blk[64];
	unsigned c, n;
	struct stat st;
	int fd;

	if (parse_ns_name(strrchr(generic, '/') + 1, "ng", &c, &n))
		return -1;
	snprintf(blk, sizeof(blk), "/dev/nvme%un%u", c, n);
	if (stat(blk, &st) || !S_ISBLK(st.st_mode))
		return -1;
	fd = open(blk, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV))
		return -1;
	if (fd < 0 && errno == EBUSY)
		return rl__error(e, -EBUSY,
				 "%s: its block device %s is in use (a mounted file system, a RAID "
				 "or device-mapper member, swap, or another exclusive opener): not "
				 "opened for writing (RL_NVME_EXCL)",
				 path, blk);
	if (fd < 0)
		return rl__error(e, -errno, "%s: cannot claim its block device %s: %s", path, blk,
				 strerror(errno));
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
		close(fd);
		return rl__error(e, -ENODEV, "%s: %s is not a block device", path, blk);
	}
	return fd;
}

/* The kernel's per-request limit for the namespace, from its block queue (bytes; 0 unknown). */
static uint32_t kernel_max_transfer(const char *generic)
{
	char sys[128];
	unsigned c, n;
	unsigned long kb = 0;
	FILE *f;

	if (parse_ns_name(strrchr(generic, '/') + 1, "ng", &c, &n))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/block/nvme%un%u/queue/max_hw_sectors_kb", c, n);
	f = fopen(sys, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &kb) != 1)
		kb = 0;
	fclose(f);
	return kb > UINT32_MAX / 1024 ? UINT32_MAX : (uint32_t)(kb * 1024);
}

static int identify(struct rl_engine *e, struct rl_nvme_dev *d, int fd)
{
	struct rl_nvme_info *in = &d->info;
	struct nvme_id_ctrl ctrl;
	struct nvme_id_ns ns;
	uint32_t kmax;
	char why[128];
	int ret;

	ret = nvme_get_nsid(fd, &in->nsid);
	if (ret)
		return rl__error(e, -errno, "%s: NVME_IOCTL_ID: %s", d->t.name, strerror(errno));
	ret = nvme_identify_ctrl(fd, &ctrl);
	if (!ret)
		ret = nvme_identify_ns(fd, in->nsid, &ns);
	if (ret < 0)
		return rl__error(e, -errno, "%s: Identify: %s", d->t.name, strerror(errno));
	if (ret > 0) {
		char st[96];

		return rl__error(e, -EIO, "%s: Identify failed: %s", d->t.name,
				 rl_nvme_status_str(ret, st, sizeof(st)));
	}

	ret = rl__nvme_parse_identify(&ctrl, &ns, in, why, sizeof(why));
	if (ret)
		return rl__error(e, ret, "%s: %s", d->t.name, why);
	if (in->pi_type && (le32toh(ctrl.ctratt) & NVME_CTRL_CTRATT_ELBAS)) {
		struct nvme_nvm_id_ns nvm;

		ret = nvme_identify_ns_csi(fd, in->nsid, 0, NVME_CSI_NVM, &nvm);
		if (ret)
			return rl__error(e, ret < 0 ? -errno : -EIO,
					 "%s: Identify Namespace (NVM command set) failed",
					 d->t.name);
		rl__nvme_parse_pif(&nvm, in);
	}
	kmax = kernel_max_transfer(in->generic_path);
	if (kmax && kmax < in->max_transfer)
		in->max_transfer = kmax;
	rl__nvme_set_limits(d);
	return rl__nvme_zns_identify(e, d, fd);
}

static void nvme_close(struct rl_target *t)
{
	struct rl_nvme_dev *d = rl__nvme_of(t);

	rl__nvme_detach(d);
	free(d);
}

static uint64_t nvme_size(const struct rl_target *t)
{
	return rl__nvme_of((struct rl_target *)t)->info.capacity_bytes;
}

static uint32_t nvme_block_size(const struct rl_target *t)
{
	return rl__nvme_of((struct rl_target *)t)->info.lba_size;
}

/* The kernel maps a passthrough buffer for DMA at any 4-byte-aligned address. */
static uint32_t nvme_mem_align(const struct rl_target *t)
{
	(void)t;
	return 4;
}

static const struct rl__target_ops nvme_ops = {
    .kind = RL_TARGET_KIND_NVME,
    .engine_path = "passthrough",
    .rw = rl__nvme_rw,
    .rwv = rl__nvme_rwv,
    .write_fua = rl__nvme_write_fua,
    .zeroes = rl__nvme_zeroes,
    .trim = rl__nvme_trim,
    .flush = rl__nvme_flush_op,
    .close = nvme_close,
    .size = nvme_size,
    .block_size = nvme_block_size,
    .mem_align = nvme_mem_align,
};

int rl__nvme_attach(struct rl_nvme_dev *d, struct rl_engine *e, const char *name, int fd,
		    bool polled)
{
	d->admin_fd = -1;
	d->excl_fd = -1;
	return rl__target_init(&d->t, &nvme_ops, e, name, fd, RL_REGION_NVME, polled);
}

int rl__nvme_add_admin(struct rl_nvme_dev *d, int fd)
{
	int64_t h = rl__files_add(d->t.e, d->t.region, fd);

	if (h < 0)
		return rl__error(
		    d->t.e, (int)h, "%s: cannot register its controller: %s", d->t.name,
		    h == -ENFILE ? "the fixed-file region is full" : strerror((int)-h));
	d->admin_fd = fd;
	d->admin_fhandle = (uint64_t)h;
	d->admin_findex = (uint32_t)h;
	return 0;
}

void rl__nvme_detach(struct rl_nvme_dev *d)
{
	if (d->admin_fd >= 0) {
		rl__files_remove(d->t.e, d->admin_fhandle);
		close(d->admin_fd);
		d->admin_fd = -1;
	}
	if (d->excl_fd >= 0) {
		close(d->excl_fd);
		d->excl_fd = -1;
	}
	rl__target_fini(&d->t);
}

int rl_nvme_open(struct rl_engine *e, const char *path, const struct rl_nvme_opts *uo,
		 struct rl_nvme_dev **out)
{
	struct rl_nvme_opts o = {.opts_size = sizeof(o)};
	struct rl_nvme_dev *d;
	bool polled;
	int fd, ctrl_fd, excl_fd = -1, ret;

	if (uo)
		memcpy(&o, uo, uo->opts_size < sizeof(o) ? uo->opts_size : sizeof(o));
	polled = o.flags & RL_NVME_POLLED;
	if (!(e->features & RL_FEAT_SQE128) || !(e->features & RL_FEAT_CQE32))
		return rl__error(e, -EOPNOTSUPP,
				 "%s: NVMe passthrough needs 128-byte SQEs and 32-byte CQEs: %s",
				 path, rl_engine_feature_note(e, RL_FEAT_SQE128));
	if (polled && !(e->features & RL_FEAT_IOPOLL))
		return rl__error(e, -EOPNOTSUPP,
				 "%s: polled I/O needs an engine created with iopoll", path);
	d = calloc(1, sizeof(*d));
	if (!d)
		return rl__error(e, -ENOMEM, "%s: out of memory", path);
	ret = rl_nvme_resolve(path, d->info.generic_path, sizeof(d->info.generic_path));
	if (ret) {
		rl__error(e, ret, "%s: %s", path,
			  ret == -ENODEV
			      ? "not an NVMe namespace with a generic device (/dev/ngXnY)"
			      : strerror(-ret));
		goto err_free;
	}
	fd = open_chr(d->info.generic_path);
	if (fd < 0) {
		ret = rl__error(e, fd, "%s: %s", d->info.generic_path,
				fd == -ENODEV ? "not a character device" : strerror(-fd));
		goto err_free;
	}
	if (o.flags & RL_NVME_EXCL) {
		excl_fd = claim_block_device(e, path, d->info.generic_path);
		if (excl_fd < -1) {
			ret = excl_fd;
			goto err_close;
		}
	}
	d->t.name = (char *)path; /* for messages until rl__target_init() copies it */
	ret = identify(e, d, fd);
	if (ret)
		goto err_unclaim;
	ret = rl__nvme_attach(d, e, path, fd, polled);
	if (ret)
		goto err_unclaim;
	d->excl_fd = excl_fd;
	/* Without its controller the namespace still does I/O; admin commands then fail. */
	ctrl_fd = open_controller(d->info.generic_path);
	if (ctrl_fd >= 0 && rl__nvme_add_admin(d, ctrl_fd))
		close(ctrl_fd);
	d->raw = o.flags & RL_NVME_RAW;
	*out = d;
	return 0;

err_unclaim:
	if (excl_fd >= 0)
		close(excl_fd);
err_close:
	close(fd);
err_free:
	free(d);
	return ret;
}

int rl_nvme_close(struct rl_nvme_dev *d)
{
	return d ? rl_target_close(&d->t) : 0;
}

const struct rl_nvme_info *rl_nvme_info(const struct rl_nvme_dev *d)
{
	return &d->info;
}

struct rl_target *rl_nvme_target(struct rl_nvme_dev *d)
{
	return &d->t;
}

struct rl_nvme_dev *rl_target_nvme(struct rl_target *t)
{
	return t->ops == &nvme_ops ? rl__nvme_of(t) : NULL;
}

/* rl_target_open(): character devices, and block devices with RL_TARGET_PASSTHROUGH. */
static bool nvme_claims(const char *path, const struct stat *st, unsigned flags)
{
	(void)path;
	return st && (S_ISCHR(st->st_mode) || (flags & RL_TARGET_PASSTHROUGH));
}

static int nvme_target_open(struct rl_engine *e, const char *path, unsigned flags,
			    struct rl_target **out)
{
	struct rl_nvme_opts o = {.opts_size = sizeof(o)};
	struct rl_nvme_dev *d;
	int ret;

	o.flags = (flags & RL_TARGET_POLLED ? RL_NVME_POLLED : 0) |
		  (flags & RL_TARGET_RAW ? RL_NVME_RAW : 0) |
		  (flags & RL_TARGET_EXCL ? RL_NVME_EXCL : 0);
	ret = rl_nvme_open(e, path, &o, &d);
	if (!ret)
		*out = &d->t;
	return ret;
}

const struct rl__backend rl__nvme_backend = {
    .name = "nvme",
    .claims = nvme_claims,
    .open = nvme_target_open,
};
