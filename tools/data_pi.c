// SPDX-License-Identifier: MIT
/*
 * ringline read / write with --md, --pi, --pract, --prchk: NVMe metadata and end-to-end
 * protection information, by LBA. stdin and stdout carry the data alone (lba_size bytes a
 * block) on every format; the metadata (ms bytes a block) is in the --md file, and ringline
 * interleaves the two on an extended-LBA format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringline.h"
#include "cli.h"

/* Most a --md/--pi write holds: stdin and the metadata file are read whole first. */
#define PI_IN_MAX (64u << 20)

struct pi_run {
	struct rl_engine *e;
	struct rl_nvme_dev *d;
	const struct rl_nvme_info *in;
	const char *path;
	const struct pi_opts *o;
	uint32_t bb;	/* bytes a block takes in the command's data buffer */
	uint32_t chunk; /* blocks a command */
	bool send_md;	/* a separate metadata buffer goes with each command */
	bool inter;	/* the data buffer interleaves metadata (extended LBAs) */
	struct rl_nvme_io io;
	unsigned char *buf; /* chunk * bb */
	unsigned char *md;  /* chunk * ms */
};

static void on_done(void *arg, int res, uint64_t result)
{
	(void)result;
	*(int *)arg = res;
}

/* The PRCHK bits that apply: guard, reference tag (not type 3), application tag (if given). */
static unsigned checks(const struct pi_run *r)
{
	return RL_NVME_IO_PRCHK_GUARD | (r->in->pi_type != 3 ? RL_NVME_IO_PRCHK_REFTAG : 0) |
	       (r->o->apptag_set ? RL_NVME_IO_PRCHK_APPTAG : 0);
}

static int setup(struct pi_run *r, struct rl_engine *e, struct rl_target *t, const char *path,
		 uint64_t off, const struct pi_opts *o, bool write)
{
	const struct rl_nvme_info *in;
	uint32_t max;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->path = path;
	r->o = o;
	r->d = rl_target_nvme(t);
	if (!r->d) {
		cli_err("%s: --md, --pi, --pract and --prchk apply to NVMe namespaces "
			"(/dev/ngXnY) only",
			path);
		return EXIT_USAGE;
	}
	in = r->in = rl_nvme_info(r->d);
	if ((o->pi || o->pract || o->prchk || o->apptag_set || o->reftag_set) && !in->pi_type) {
		cli_err("%s: --pi, --pract, --prchk, --apptag and --reftag need protection "
			"information, and LBA format %u (%u + %u bytes) has none: nothing %s",
			path, in->lbaf, in->lba_size, in->ms, write ? "written" : "read");
		return EXIT_USAGE;
	}
	if (o->md_path && !in->ms) {
		cli_err("%s: --md: LBA format %u has no metadata (%u-byte blocks): nothing %s",
			path, in->lbaf, in->lba_size, write ? "written" : "read");
		return EXIT_USAGE;
	}
	if (o->pi && in->pif != 0 && in->pif != 2) {
		cli_err("%s: --pi: PI format %u (32-bit guard) is not generated in software", path,
			in->pif);
		return EXIT_USAGE;
	}
	if (o->pi && o->pract && !write && in->ms == in->pi_size) {
		cli_err("%s: --pi with --pract on a read: the controller strips the PI, so there "
			"is none left to check in software; use --prchk",
			path);
		return EXIT_USAGE;
	}
	if (off % in->lba_size) {
		cli_err("%s: offset %llu is not a multiple of the LBA size %u", path,
			(unsigned long long)off, in->lba_size);
		return EXIT_USAGE;
	}
	if (o->md_path && o->pract && in->ms == in->pi_size) {
		cli_err("%s: --md with --pract: the metadata is only PI, which the controller "
			"inserts and strips, so none moves",
			path);
		return EXIT_USAGE;
	}
	/* The same case: extended LBAs then carry the data alone. */
	r->inter = in->extended && !(o->pract && in->ms == in->pi_size);
	r->bb = in->lba_size + (r->inter ? in->ms : 0);
	max = in->max_transfer < (1u << 20) ? in->max_transfer : 1u << 20;
	r->chunk = max / r->bb ? max / r->bb : 1;
	/* PRACT with metadata that is only PI: the controller inserts or strips it, none moves. */
	r->send_md = in->ms && !in->extended && !(o->pract && in->ms == in->pi_size);
	r->io = (struct rl_nvme_io){.size = sizeof(r->io),
				    .flags = o->pract ? RL_NVME_IO_PRACT : 0,
				    .apptag = o->apptag,
				    .apptag_mask = o->apptag_set ? o->apptag_mask : 0,
				    .reftag = o->reftag};
	if (o->prchk || (write && o->pi))
		r->io.flags |= checks(r);
	r->buf = rl_alloc_aligned(4096, (size_t)r->chunk * r->bb);
	r->md = rl_alloc_aligned(4096, (size_t)r->chunk * (in->ms ? in->ms : 1));
	if (!r->buf || !r->md) {
		cli_err("out of memory for %u blocks", r->chunk);
		return EXIT_IO;
	}
	memset(r->md, 0, (size_t)r->chunk * in->ms);
	return 0;
}

static void teardown(struct pi_run *r)
{
	rl_free_aligned(r->buf);
	rl_free_aligned(r->md);
}

/* Submit (ret is the submission's return), wait, and name a failure with its LBA range. */
static int wait_cmd(struct pi_run *r, int ret, int *res, const char *what, uint64_t slba,
		    uint32_t n)
{
	char why[128];

	ret = cli_wait_submitted(r->e, ret, r->path);
	if (ret)
		return ret;
	if (*res) {
		if (*res > 0)
			rl_nvme_status_str(*res, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror(-*res));
		cli_err("%s: %s of LBAs %llu..%llu: %s", r->path, what, (unsigned long long)slba,
			(unsigned long long)(slba + n - 1), why);
		return EXIT_IO;
	}
	return 0;
}

/* Read all of @fd, at most @limit bytes (@limit + 1 read means more). Return: bytes, -errno. */
static int64_t read_all(int fd, unsigned char **out, uint64_t limit)
{
	uint64_t cap = 1 << 20, len = 0;
	unsigned char *p = malloc(cap), *q;
	ssize_t n;

	for (; p; len += (uint64_t)n) {
		if (len == cap) {
			cap *= 2;
			if (!(q = realloc(p, cap)))
				break;
			p = q;
		}
		n = read(fd, p + len, cap - len);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0) {
			free(p);
			return -errno;
		}
		if (n == 0 || len + (uint64_t)n > limit) {
			len += (uint64_t)n;
			*out = p;
			return (int64_t)len;
		}
	}
	free(p);
	return -ENOMEM;
}

int data_pi_write(struct rl_engine *e, struct rl_target *t, const char *path, uint64_t off,
		  const struct pi_opts *o)
{
	unsigned char *data = NULL, *mdin = NULL;
	uint64_t slba, nlb, space;
	struct pi_run r;
	int64_t len, mdlen = 0;
	int res = 0, ret = setup(&r, e, t, path, off, o, true);
	FILE *f;

	if (ret)
		goto out;
	slba = off / r.in->lba_size;
	space = slba < r.in->nsze ? (r.in->nsze - slba) * r.in->lba_size : 0;
	len = read_all(0, &data, space < PI_IN_MAX ? space : PI_IN_MAX);
	if (len < 0) {
		cli_err("reading stdin: %s", strerror((int)-len));
		ret = EXIT_IO;
		goto out;
	}
	if (len == 0 || (uint64_t)len % r.in->lba_size || (uint64_t)len > space ||
	    len > PI_IN_MAX) {
		cli_err("%s: stdin holds %s%lld bytes: with --md/--pi it must be a whole number of "
			"%u-byte blocks, at most %llu (to the end of the namespace, and %u MiB): "
			"nothing written",
			path, (uint64_t)len > space || len > PI_IN_MAX ? "over " : "",
			(long long)len, r.in->lba_size,
			(unsigned long long)(space < PI_IN_MAX ? space : PI_IN_MAX),
			PI_IN_MAX >> 20);
		ret = EXIT_USAGE;
		goto out;
	}
	nlb = (uint64_t)len / r.in->lba_size;
	if (o->md_path) {
		f = fopen(o->md_path, "rb");
		mdlen = f ? read_all(fileno(f), &mdin, nlb * r.in->ms) : -errno;
		if (f)
			fclose(f);
		if (mdlen < 0) {
			cli_err("--md %s: %s", o->md_path, strerror((int)-mdlen));
			ret = EXIT_USAGE;
			goto out;
		}
		if ((uint64_t)mdlen != nlb * r.in->ms) {
			cli_err(
			    "%s: --md %s holds %s%lld bytes, but %llu blocks need %llu (%u bytes "
			    "each): nothing written",
			    path, o->md_path, (uint64_t)mdlen > nlb * r.in->ms ? "over " : "",
			    (long long)mdlen, (unsigned long long)nlb,
			    (unsigned long long)(nlb * r.in->ms), r.in->ms);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	for (uint64_t done = 0; done < nlb && !ret; done += r.chunk) {
		uint32_t n = nlb - done < r.chunk ? (uint32_t)(nlb - done) : r.chunk;
		const unsigned char *src = data + done * r.in->lba_size;
		const unsigned char *msrc = mdin ? mdin + done * r.in->ms : NULL;

		for (uint32_t i = 0; i < n; i++) {
			unsigned char *m = r.inter ? r.buf + (size_t)i * r.bb + r.in->lba_size
						   : r.md + (size_t)i * r.in->ms;

			memcpy(r.buf + (size_t)i * r.bb, src + (size_t)i * r.in->lba_size,
			       r.in->lba_size);
			if (msrc)
				memcpy(m, msrc + (size_t)i * r.in->ms, r.in->ms);
			else if (r.inter)
				memset(m, 0, r.in->ms);
		}
		if (o->pi && (ret = rl_pi_generate(r.in, r.buf, r.in->extended ? NULL : r.md,
						   slba + done, n, &r.io))) {
			cli_err("%s: generating PI: %s", path, strerror(-ret));
			ret = EXIT_IO;
			break;
		}
		r.io.md = r.send_md ? r.md : NULL;
		r.io.md_len = r.send_md ? n * r.in->ms : 0;
		ret =
		    wait_cmd(&r, rl_nvme_write_io(r.d, r.buf, slba + done, n, &r.io, on_done, &res),
			     &res, "write", slba + done, n);
	}
out:
	free(data);
	free(mdin);
	teardown(&r);
	return ret;
}

int data_pi_read(struct rl_engine *e, struct rl_target *t, const char *path, uint64_t off,
		 uint64_t len, const struct pi_opts *o)
{
	struct rl_nvme_io vio;
	struct pi_run r;
	uint64_t slba, nlb, bad;
	int res = 0, st, ret = setup(&r, e, t, path, off, o, false);
	FILE *mdf = NULL;
	char why[128];

	if (ret)
		goto out;
	if (len % r.in->lba_size) {
		cli_err("%s: length %llu is not a multiple of the LBA size %u", path,
			(unsigned long long)len, r.in->lba_size);
		ret = EXIT_USAGE;
		goto out;
	}
	slba = off / r.in->lba_size;
	nlb = len / r.in->lba_size;
	if (o->md_path && !(mdf = fopen(o->md_path, "wb"))) {
		cli_err("--md %s: %s", o->md_path, strerror(errno));
		ret = EXIT_USAGE;
		goto out;
	}
	vio = r.io;
	vio.flags = checks(&r);
	for (uint64_t done = 0; done < nlb && !ret; done += r.chunk) {
		uint32_t n = nlb - done < r.chunk ? (uint32_t)(nlb - done) : r.chunk;

		r.io.md = r.send_md ? r.md : NULL;
		r.io.md_len = r.send_md ? n * r.in->ms : 0;
		ret =
		    wait_cmd(&r, rl_nvme_read_io(r.d, r.buf, slba + done, n, &r.io, on_done, &res),
			     &res, "read", slba + done, n);
		if (ret)
			break;
		st = o->pi ? rl_pi_verify(r.in, r.buf, r.in->extended ? NULL : r.md, slba + done, n,
					  &vio, &bad)
			   : 0;
		if (st) {
			cli_err("%s: LBA %llu: %s, found by ringline's PI check in software", path,
				(unsigned long long)bad,
				st > 0 ? rl_nvme_status_str(st, why, sizeof(why)) : strerror(-st));
			ret = EXIT_IO;
			break;
		}
		for (uint32_t i = 0; i < n && !ret; i++) {
			const unsigned char *blk = r.buf + (size_t)i * r.bb;
			const unsigned char *m =
			    r.inter ? blk + r.in->lba_size : r.md + (size_t)i * r.in->ms;

			if (cli_write_out(blk, r.in->lba_size))
				ret = EXIT_IO;
			else if (mdf && fwrite(m, 1, r.in->ms, mdf) != r.in->ms) {
				cli_err("--md %s: %s", o->md_path, strerror(errno));
				ret = EXIT_IO;
			}
		}
	}
out:
	if (mdf && fclose(mdf) && !ret) {
		cli_err("--md %s: %s", o->md_path, strerror(errno));
		ret = EXIT_IO;
	}
	teardown(&r);
	return ret;
}
