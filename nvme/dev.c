// SPDX-License-Identifier: MIT
/* NVMe namespaces: find the generic char device, open it, identify it (libnvme). */
#include <ctype.h>
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

#include "nvme.h"

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
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Copy a space-padded Identify string, trimmed. */
static void copy_trimmed(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
	for (size_t i = n; i > 0 && (dst[i - 1] == ' ' || dst[i - 1] == 0); i--)
		dst[i - 1] = 0;
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

	/* FLBAS bits 3:0 and 6:5 give the format index (formats beyond 16 use the high bits). */
	in->lbaf = (ns.flbas & 0xf) | ((ns.flbas >> 5) & 0x3) << 4;
	if (in->lbaf > ns.nlbaf) {
		return rl__error(e, -EIO, "%s: LBA format %u in use but only %u reported", d->t.name,
				 in->lbaf, ns.nlbaf + 1);
	}
	in->lba_size = 1u << ns.lbaf[in->lbaf].ds;
	in->ms = le16toh(ns.lbaf[in->lbaf].ms);
	in->extended = !!(ns.flbas & 0x10);
	in->nsze = le64toh(ns.nsze);
	in->ncap = le64toh(ns.ncap);
	in->nuse = le64toh(ns.nuse);
	in->capacity_bytes = in->nsze * in->lba_size;
	in->dlfeat = ns.dlfeat;
	/* MDTS is in units of the minimum page size; 4 KiB is CAP.MPSMIN on every controller seen. */
	in->mdts_bytes = ctrl.mdts ? (ctrl.mdts + 12 >= 32 ? UINT32_MAX : 1u << (ctrl.mdts + 12))
				   : 0;
	in->max_transfer = in->mdts_bytes ? in->mdts_bytes : UINT32_MAX;
	kmax = kernel_max_transfer(in->generic_path);
	if (kmax && kmax < in->max_transfer)
		in->max_transfer = kmax;
	copy_trimmed(in->model, ctrl.mn, sizeof(ctrl.mn));
	copy_trimmed(in->serial, ctrl.sn, sizeof(ctrl.sn));
	copy_trimmed(in->firmware, ctrl.fr, sizeof(ctrl.fr));
	if (in->lba_size < 512 || in->lba_size > (1u << 16))
		return rl__error(e, -EIO, "%s: unusable LBA size %u", d->t.name, in->lba_size);
	rl__nvme_set_limits(d);
	return 0;
}

int rl_nvme_open(struct rl_engine *e, const char *path, const struct rl_nvme_opts *uo,
		 struct rl_nvme_dev **out)
{
	struct rl_nvme_opts o = {.opts_size = sizeof(o)};
	struct rl_nvme_dev *d;
	bool polled;
	int fd, ctrl_fd, ret;

	if (uo)
		memcpy(&o, uo, uo->opts_size < sizeof(o) ? uo->opts_size : sizeof(o));
	polled = o.flags & RL_NVME_POLLED;
	if (!(e->features & RL_FEAT_SQE128) || !(e->features & RL_FEAT_CQE32))
		return rl__error(e, -EOPNOTSUPP,
				 "%s: NVMe passthrough needs 128-byte SQEs and 32-byte CQEs: %s",
				 path, rl_engine_feature_note(e, RL_FEAT_SQE128));
	if (polled && !(e->features & RL_FEAT_IOPOLL))
		return rl__error(e, -EOPNOTSUPP, "%s: polled I/O needs an engine created with iopoll",
				 path);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = rl_nvme_resolve(path, d->info.generic_path, sizeof(d->info.generic_path));
	if (ret) {
		rl__error(e, ret, "%s: %s", path,
			  ret == -ENODEV ? "not an NVMe namespace with a generic device (/dev/ngXnY)"
					 : strerror(-ret));
		goto err_free;
	}
	fd = open(d->info.generic_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = rl__error(e, -errno, "%s: %s", d->info.generic_path, strerror(errno));
		goto err_free;
	}
	d->t.name = (char *)path; /* for messages until rl__target_init() copies it */
	ret = identify(e, d, fd);
	if (ret)
		goto err_close;
	ret = rl__target_init(&d->t, e, path, fd, RL_REGION_NVME, polled);
	if (ret)
		goto err_close;
	d->t.kind = RL__KIND_NVME;
	/* Without its controller the namespace still does I/O; admin commands then fail. */
	ctrl_fd = open_controller(d->info.generic_path);
	if (ctrl_fd >= 0 && rl__target_add_admin(&d->t, ctrl_fd))
		close(ctrl_fd);
	d->raw = o.flags & RL_NVME_RAW;
	*out = d;
	return 0;

err_close:
	close(fd);
err_free:
	free(d);
	return ret;
}

int rl_nvme_close(struct rl_nvme_dev *d)
{
	int ret;

	if (!d)
		return 0;
	ret = rl__target_fini(&d->t);
	if (ret)
		return ret;
	free(d);
	return 0;
}

const struct rl_nvme_info *rl_nvme_info(const struct rl_nvme_dev *d)
{
	return &d->info;
}

struct rl_target *rl_nvme_target(struct rl_nvme_dev *d)
{
	return &d->t;
}
