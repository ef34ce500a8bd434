// SPDX-License-Identifier: MIT
/*
 * fio ioengine "ringline": fio's I/O units on libringline targets. /dev/ngXnY goes through NVMe
 * passthrough, regular files and block devices through O_DIRECT, all on one ringline engine per
 * fio thread.
 *
 * Loaded by the stock fio binary (dlopen() of a file named "ringline", or external:PATH), so it
 * is compiled against the configured fio source tree of exactly the installed fio's version:
 * fio checks FIO_IOOPS_VERSION and shares its structs (thread_data, io_u, fio_file) with us.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fio.h"
#include "optgroup.h"
#include "zbd_types.h"
#include "oslib/blkzoned.h"

#include <ringline.h>

enum { WRITE_MODE_WRITE, WRITE_MODE_ZEROES };

struct rl_fio_options {
	void *td; /* fio stores the thread here, and no option may sit at offset 0 */
	unsigned int fixedbufs;
	unsigned int registerfiles;
	unsigned int sqthread_poll;
	unsigned int hipri;
	int nonvectored;
	unsigned int write_mode;
	unsigned long long namespace_size;
	/* Metadata and protection information, named as fio's io_uring_cmd engine names them. */
	unsigned long long md_per_io_size;
	unsigned int pi_act;
	char *pi_chk;
	unsigned int apptag;
	unsigned int apptag_mask;
	unsigned int zone_append;
};

/* Per io_u state, preallocated at init and found by io_u->index: nothing is allocated per I/O. */
struct rl_fio_io {
	struct rl_fio_data *ld;
	struct io_u *io_u;
	struct iovec iov; /* nonvectored=0: the one segment, alive until the callback */
	int buf_index;	  /* the io_u's registered buffer (fixedbufs), or -1 */
	int nvme_status;  /* > 0: the NVMe status the command completed with */
	bool moves_data;  /* a read or write whose O_DIRECT result is a byte count */
	void *md;	  /* md_per_io_size bytes of metadata for this io_u, or NULL */
	uint64_t slba;	  /* a read whose PI is checked in software: its blocks */
	uint32_t nlb;
	bool pi_verify;
	uint64_t bad_lba; /* nvme_status came from ringline's software check at this LBA */
	bool pi_soft;
	bool append; /* a Zone Append: the callback's result is the LBA written */
};

struct rl_fio_data {
	struct rl_engine *e;
	struct rl_fio_io *ios; /* iodepth entries, by io_u->index */
	unsigned int cap;      /* iodepth */
	/*
	 * Completed io_us in arrival order, a ring of at least iodepth entries: a poll may reap
	 * more than getevents() may return, so the rest wait here for the next call. Its size is
	 * a power of two, so an index wraps with a mask, not a division.
	 */
	struct io_u **done;
	unsigned int done_mask;
	unsigned int done_head;
	unsigned int ndone;
	unsigned int handed; /* returned by the last getevents(), taken by event() */
	/* Queued since the last commit: their issue time is stamped when they are submitted. */
	struct io_u **queued;
	unsigned int nqueued;
	bool closing; /* engine teardown: io_us and files may be gone, callbacks touch nothing */
	unsigned char *md;  /* iodepth buffers of md_per_io_size bytes */
	unsigned int prchk; /* pi_chk as RL_NVME_IO_PRCHK_* bits */
	uint16_t apptag, apptag_mask;
};

struct rl_fio_file {
	struct rl_fio_data *ld;
	struct rl_target *t;
	bool passthru; /* success is res == 0 and res > 0 is an NVMe status */
	/* A namespace with metadata: reads and writes go by LBA with a struct rl_nvme_io. */
	const struct rl_nvme_info *in;
	bool md_path;
	bool inter;	    /* fio's buffer interleaves the metadata (extended LBAs) */
	bool send_md;	    /* the io_u's metadata buffer goes with each command */
	bool soft_pi;	    /* pi_act=0 on a PI format: ringline generates and checks the PI */
	uint32_t bb;	    /* bytes a block takes in fio's buffer */
	unsigned int flags; /* RL_NVME_IO_* for every read and write */
	/* A zoned namespace (else NULL), its zone size in blocks and its LBA size's log2. */
	struct rl_nvme_dev *zdev;
	uint64_t zone_blocks;
	unsigned int lba_shift;
};

/* One designated initializer per line, as fio's engines lay them out. */
/* clang-format off */
static struct fio_option options[] = {
	{
		.name = "fixedbufs",
		.lname = "Fixed (registered) I/O buffers",
		.type = FIO_OPT_STR_SET,
		.off1 = offsetof(struct rl_fio_options, fixedbufs),
		.help = "Register fio's I/O buffers with the ring: reads and writes use READ_FIXED/"
			"WRITE_FIXED, NVMe commands IORING_URING_CMD_FIXED "
			"(not with nonvectored=0)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "registerfiles",
		.lname = "Registered files",
		.type = FIO_OPT_STR_SET,
		.off1 = offsetof(struct rl_fio_options, registerfiles),
		.def = "1",
		.no_warn_def = 1, /* on by default, and =0 is refused at init */
		.help = "Always on: ringline registers every file and device in its fixed-file "
			"table; accepted for io_uring job files, registerfiles=0 is refused",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "sqthread_poll",
		.lname = "Kernel SQ thread polling",
		.type = FIO_OPT_STR_SET,
		.off1 = offsetof(struct rl_fio_options, sqthread_poll),
		.help = "A kernel thread polls the submission queue (IORING_SETUP_SQPOLL)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "hipri",
		.lname = "Polled NVMe completions",
		.type = FIO_OPT_STR_SET,
		.off1 = offsetof(struct rl_fio_options, hipri),
		.help = "Polled completions for NVMe passthrough (/dev/ngXnY) on a second, IOPOLL "
			"ring; needs nvme poll_queues. Files and block devices keep interrupts",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "nonvectored",
		.lname = "Non-vectored commands",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct rl_fio_options, nonvectored),
		.def = "1",
		.minval = -1,
		.maxval = 1,
		.help = "1 (default; -1 means the same): plain read/write commands. 0: vectored "
			"commands with one segment (READV/WRITEV, NVMe IO_VEC), "
			"never fixed buffers",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "write_mode",
		.lname = "Write mode",
		.type = FIO_OPT_STR,
		.off1 = offsetof(struct rl_fio_options, write_mode),
		.def = "write",
		.help = "write (default): write fio's data; zeroes: zero the range instead, "
			"moving no data (NVMe Write Zeroes, fallocate ZERO_RANGE on files)",
		.posval = {
			{
				.ival = "write",
				.oval = WRITE_MODE_WRITE,
				.help = "Write fio's data",
			},
			{
				.ival = "zeroes",
				.oval = WRITE_MODE_ZEROES,
				.help = "Zero the range, moving no data: NVMe Write Zeroes, "
					"fallocate(ZERO_RANGE) on files and block devices",
			},
		},
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "namespace_size",
		.lname = "NVMe namespace size seen by fio",
		.type = FIO_OPT_STR_VAL,
		.off1 = offsetof(struct rl_fio_options, namespace_size),
		.help = "Size fio uses for NVMe namespaces instead of their capacity (default). A "
			"larger size makes fio send commands past the end, which the device must "
			"refuse (LBA Out of Range): for testing devices",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "md_per_io_size",
		.lname = "Separate metadata buffer size per I/O",
		.type = FIO_OPT_STR_VAL,
		.off1 = offsetof(struct rl_fio_options, md_per_io_size),
		.def = "0",
		.help = "Size of the separate metadata buffer of each I/O, for namespaces with "
			"metadata that is not extended (at least bs / LBA size x metadata size)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "pi_act",
		.lname = "Protection information action",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct rl_fio_options, pi_act),
		.def = "1",
		.minval = 0,
		.maxval = 1,
		.help = "1 (default): PRACT, the controller inserts and strips the PI; 0: ringline "
			"generates the PI on writes and checks it on reads in software",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "pi_chk",
		.lname = "Protection information check",
		.type = FIO_OPT_STR_STORE,
		.off1 = offsetof(struct rl_fio_options, pi_chk),
		.def = NULL,
		.help = "PI fields the controller checks (PRCHK), and ringline too with pi_act=0: "
			"GUARD, REFTAG, APPTAG, comma-separated",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "apptag",
		.lname = "Application tag",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct rl_fio_options, apptag),
		.def = "0x1234",
		.minval = 0,
		.maxval = 0xffff,
		.help = "Application tag written and checked with pi_chk=APPTAG (default 0x1234)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "apptag_mask",
		.lname = "Application tag mask",
		.type = FIO_OPT_INT,
		.off1 = offsetof(struct rl_fio_options, apptag_mask),
		.def = "0xffff",
		.minval = 0,
		.maxval = 0xffff,
		.help = "Bits of the application tag checked (default 0xffff)",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = "zone_append",
		.lname = "Zone Append for writes",
		.type = FIO_OPT_BOOL,
		.off1 = offsetof(struct rl_fio_options, zone_append),
		.def = "0",
		.help = "On a zoned NVMe namespace, write by Zone Append to the zone of fio's "
			"offset: the device picks the LBA, and fio's verify log records that LBA",
		.category = FIO_OPT_C_ENGINE,
		.group = FIO_OPT_G_IOURING,
	},
	{
		.name = NULL,
	},
};
/* clang-format on */

/*
 * A Zone Append landed at @off, the device's choice. fio predicted its zone's write pointer
 * (io_u->offset); where the device chose otherwise, the verify log entry moves to where the data
 * is, so verify reads it there (its header keeps the predicted offset, which verify then
 * reports as a bad header offset: what was written is not where fio meant it to be).
 */
static void zone_appended(struct io_u *io_u, unsigned long long off)
{
	struct io_piece *ipo = io_u->ipo;

	if (off == io_u->offset)
		return;
	if (ipo && !(ipo->flags & IP_F_ONRB))
		ipo->offset = off;
	io_u->offset = off;
}

/*
 * Runs from rl_engine_poll(): record the outcome in the io_u and queue it for event().
 * An O_DIRECT read or write returns a byte count (short at end of file); a passthrough command
 * returns 0 or an NVMe status, which fio sees as EIO and errdetails() names.
 */
static void rl_fio_complete(void *arg, int res, uint64_t result)
{
	struct rl_fio_io *io = arg;
	struct rl_fio_data *ld = io->ld;
	struct io_u *io_u = io->io_u;
	struct rl_fio_file *rf;

	(void)result;
	if (ld->closing)
		return;
	rf = FILE_ENG_DATA(io_u->file);
	if (io->append && res == 0)
		zone_appended(io_u, result << rf->lba_shift);
	if (res < 0) {
		io_u->error = -res;
	} else if (rf->passthru && res > 0) {
		io->nvme_status = res;
		io_u->error = EIO;
	} else if (io->pi_verify) {
		int st = rl_pi_verify(rf->in, io_u->xfer_buf, rf->inter ? NULL : io->md, io->slba,
				      io->nlb,
				      &(struct rl_nvme_io){.size = sizeof(struct rl_nvme_io),
							   .flags = ld->prchk,
							   .apptag = ld->apptag,
							   .apptag_mask = ld->apptag_mask},
				      &io->bad_lba);

		if (st) {
			io->nvme_status = st > 0 ? st : 0;
			io->pi_soft = true;
			io_u->error = st > 0 ? EIO : -st;
		}
	} else if (!rf->passthru && io->moves_data && (unsigned long long)res < io_u->xfer_buflen) {
		io_u->resid = io_u->xfer_buflen - res;
	}
	ld->done[(ld->done_head + ld->ndone++) & ld->done_mask] = io_u;
}

static int submit_rw(struct rl_fio_options *o, struct rl_fio_io *io, struct rl_target *t,
		     struct io_u *io_u)
{
	bool write = io_u->ddir == DDIR_WRITE;

	io->moves_data = true;
	if (o->nonvectored && io->buf_index >= 0) {
		/* fixedbufs: the io_u's own registered buffer, by index. */
		if (write)
			return rl_target_write_fixed(t, io_u->xfer_buf, io_u->xfer_buflen,
						     io_u->offset, io->buf_index, rl_fio_complete,
						     io);
		return rl_target_read_fixed(t, io_u->xfer_buf, io_u->xfer_buflen, io_u->offset,
					    io->buf_index, rl_fio_complete, io);
	}
	if (o->nonvectored) {
		if (write)
			return rl_target_write(t, io_u->xfer_buf, io_u->xfer_buflen, io_u->offset,
					       rl_fio_complete, io);
		return rl_target_read(t, io_u->xfer_buf, io_u->xfer_buflen, io_u->offset,
				      rl_fio_complete, io);
	}
	io->iov.iov_base = io_u->xfer_buf;
	io->iov.iov_len = io_u->xfer_buflen;
	if (write)
		return rl_target_writev(t, &io->iov, 1, io_u->offset, rl_fio_complete, io);
	return rl_target_readv(t, &io->iov, 1, io_u->offset, rl_fio_complete, io);
}

/* A read or write on a namespace with metadata: by LBA, with the io_u's metadata and PI. */
static int submit_md(struct rl_fio_data *ld, struct rl_fio_file *rf, struct rl_fio_io *io,
		     struct io_u *io_u)
{
	bool write = io_u->ddir == DDIR_WRITE;
	struct rl_nvme_dev *d = rl_target_nvme(rf->t);
	struct rl_nvme_io x = {.size = sizeof(x),
			       .flags = rf->flags,
			       .apptag = ld->apptag,
			       .apptag_mask = ld->apptag_mask};
	uint64_t slba = io_u->offset / rf->bb;
	uint32_t nlb = (uint32_t)(io_u->xfer_buflen / rf->bb);
	int ret;

	if (io_u->offset % rf->bb || io_u->xfer_buflen % rf->bb) {
		log_err("ringline: %s: offset %llu and length %llu are not multiples of the %u "
			"bytes a block takes here\n",
			io_u->file->file_name, io_u->offset, io_u->xfer_buflen, rf->bb);
		return -EINVAL;
	}
	if (rf->send_md) {
		x.md = io->md;
		x.md_len = nlb * rf->in->ms;
	}
	if (write && rf->soft_pi) {
		ret = rl_pi_generate(rf->in, io_u->xfer_buf, rf->inter ? NULL : io->md, slba, nlb,
				     &x);
		if (ret)
			return ret;
	}
	io->slba = slba;
	io->nlb = nlb;
	io->pi_verify = !write && rf->soft_pi && ld->prchk;
	io->moves_data = true;
	if (write)
		return rl_nvme_write_io(d, io_u->xfer_buf, slba, nlb, &x, rl_fio_complete, io);
	return rl_nvme_read_io(d, io_u->xfer_buf, slba, nlb, &x, rl_fio_complete, io);
}

static enum fio_q_status rl_fio_queue(struct thread_data *td, struct io_u *io_u)
{
	struct rl_fio_data *ld = td->io_ops_data;
	struct rl_fio_options *o = td->eo;
	struct rl_fio_io *io = &ld->ios[io_u->index];
	struct rl_fio_file *rf = FILE_ENG_DATA(io_u->file);
	struct rl_target *t = rf->t;
	int ret;

	fio_ro_check(td, io_u);
	io->nvme_status = 0;
	io->moves_data = false;
	io->pi_verify = false;
	io->pi_soft = false;
	io->append = false;
	switch (io_u->ddir) {
	case DDIR_READ:
		ret = rf->md_path ? submit_md(ld, rf, io, io_u) : submit_rw(o, io, t, io_u);
		break;
	case DDIR_WRITE:
		if (o->zone_append && rf->zdev) {
			uint64_t slba = io_u->offset >> rf->lba_shift;

			io->append = true;
			ret = rl_nvme_zone_append(
			    rf->zdev, io_u->xfer_buf, slba - slba % rf->zone_blocks,
			    (uint32_t)(io_u->xfer_buflen >> rf->lba_shift), rl_fio_complete, io);
		} else if (o->write_mode == WRITE_MODE_ZEROES)
			ret = rl_target_write_zeroes(t, io_u->offset, io_u->xfer_buflen,
						     rl_fio_complete, io);
		else
			ret = rf->md_path ? submit_md(ld, rf, io, io_u) : submit_rw(o, io, t, io_u);
		break;
	case DDIR_TRIM:
		ret = rl_target_trim(t, io_u->offset, io_u->xfer_buflen, rl_fio_complete, io);
		break;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		/* NVMe Flush on passthrough, fdatasync on files and block devices. */
		ret = rl_target_flush(t, rl_fio_complete, io);
		break;
	default:
		/* sync_file_range is refused at init; nothing else reaches an engine. */
		log_err("ringline: %s: unsupported I/O direction %d\n", io_u->file->file_name,
			io_u->ddir);
		io_u->error = EOPNOTSUPP;
		return FIO_Q_COMPLETED;
	}
	if (ret == -EBUSY)
		return FIO_Q_BUSY;
	if (ret) {
		/* Refused before submission (alignment, range, size): say why. */
		log_err("%s\n", rl_engine_last_error(ld->e));
		io_u->error = -ret;
		return FIO_Q_COMPLETED;
	}
	ld->queued[ld->nqueued++] = io_u;
	return FIO_Q_QUEUED;
}

/*
 * Submit what is queued, stamping its issue time as fio's io_uring engine does. With
 * DEFER_TASKRUN completions are posted only when the ring is entered to get events, so the
 * submission takes the ready completions in the same entry, as fio's engine does too;
 * submitting alone would leave getevents() to enter again, about once per batch. Not with
 * hipri: polled commands complete only when getevents() polls for them, and getting events
 * would enter the interrupt ring too, a system call per batch for nothing.
 */
static int rl_fio_commit(struct thread_data *td)
{
	struct rl_fio_data *ld = td->io_ops_data;
	struct rl_fio_options *o = td->eo;
	struct timespec now;
	int ret;

	if (!ld->nqueued)
		return 0;
	if (fio_fill_issue_time(td)) {
		fio_gettime(&now, NULL);
		for (unsigned int i = 0; i < ld->nqueued; i++) {
			ld->queued[i]->issue_time = now;
			io_u_queued(td, ld->queued[i]);
		}
	}
	io_u_mark_submit(td, ld->nqueued);
	ld->nqueued = 0;
	if (!o->hipri && (rl_engine_features(ld->e) & RL_FEAT_DEFER_TASKRUN))
		ret = rl_engine_poll(ld->e, 0, 0);
	else
		ret = rl_engine_submit(ld->e);
	if (ret < 0) {
		td_verror(td, -ret, "rl_engine_submit");
		return ret;
	}
	return 0;
}

static int rl_fio_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			    const struct timespec *t)
{
	struct rl_fio_data *ld = td->io_ops_data;
	int timeout_ms = -1;
	int ret;

	/* event() has taken the previous batch. */
	ld->done_head = (ld->done_head + ld->handed) & ld->done_mask;
	ld->ndone -= ld->handed;
	ld->handed = 0;

	/* fio may reap without committing; a completion must not precede its issue time. */
	ret = rl_fio_commit(td);
	if (ret < 0)
		return ret;
	if (t)
		timeout_ms = (int)(t->tv_sec * 1000 + (t->tv_nsec + 999999) / 1000000);
	if (ld->ndone < min) {
		ret = rl_engine_poll(ld->e, min - ld->ndone, timeout_ms);
	} else if (!ld->ndone) {
		/* min == 0: take what has completed, without waiting. */
		ret = rl_engine_poll(ld->e, 0, 0);
	}
	if (ret < 0) {
		td_verror(td, -ret, "rl_engine_poll");
		return ret;
	}
	ld->handed = ld->ndone < max ? ld->ndone : max;
	return (int)ld->handed;
}

static struct io_u *rl_fio_event(struct thread_data *td, int event)
{
	struct rl_fio_data *ld = td->io_ops_data;

	return ld->done[(ld->done_head + (unsigned int)event) & ld->done_mask];
}

/* fio prints this after its own line about a failed io_u, and frees it. */
static char *rl_fio_errdetails(struct io_u *io_u)
{
	struct rl_fio_file *rf = FILE_ENG_DATA(io_u->file);
	int status = rf ? rf->ld->ios[io_u->index].nvme_status : 0;
	char name[96];
	char *msg;

	if (status)
		rl_nvme_status_str(status, name, sizeof(name));
	if (rf && rf->ld->ios[io_u->index].pi_soft) {
		if (asprintf(&msg, "ringline: %s: LBA %llu: %s, found by ringline's PI check",
			     io_u->file->file_name,
			     (unsigned long long)rf->ld->ios[io_u->index].bad_lba,
			     status ? name : strerror(io_u->error)) < 0)
			return NULL;
		return msg;
	}
	if (asprintf(&msg, "ringline: %s: %s%s %s", io_u->file->file_name,
		     rf && rl_target_removed(rf->t) ? "the device was removed: " : "",
		     status ? "NVMe status" : "error from the kernel:",
		     status ? name : strerror(io_u->error)) < 0)
		return NULL;
	return msg;
}

/*
 * The metadata and PI set-up of a namespace: as fio's io_uring_cmd engine, pi_act=1 sets PRACT
 * (no metadata moves when it is only PI: fio's buffers hold the data alone, even on extended
 * LBAs), pi_act=0 makes ringline generate and check the PI, pi_chk sets PRCHK. Return: 0 or 1
 * after saying what does not fit.
 */
static bool pract_strips(const struct rl_fio_options *o, const struct rl_nvme_info *in)
{
	return in->pi_type && o->pi_act && in->ms == in->pi_size;
}

static int setup_md(struct thread_data *td, struct fio_file *f, struct rl_fio_file *rf)
{
	struct rl_fio_data *ld = td->io_ops_data;
	struct rl_fio_options *o = td->eo;
	const struct rl_nvme_info *in = rl_nvme_info(rl_target_nvme(rf->t));
	unsigned long long need;

	if (ld->prchk && !in->pi_type) {
		log_err("ringline: %s: pi_chk=%s on a namespace without protection information "
			"(LBA format %u: %u + %u bytes)\n",
			f->file_name, o->pi_chk, in->lbaf, in->lba_size, in->ms);
		return 1;
	}
	if (!in->ms)
		return 0;
	rf->in = in;
	rf->md_path = true;
	rf->inter = in->extended && !pract_strips(o, in);
	rf->send_md = !in->extended && !pract_strips(o, in);
	rf->soft_pi = in->pi_type && !o->pi_act;
	rf->bb = in->lba_size + (rf->inter ? in->ms : 0);
	rf->flags = in->pi_type ? ld->prchk | (o->pi_act ? RL_NVME_IO_PRACT : 0) : 0;
	/* Type 3 defines no reference tag to check (fio's own check skips it too). */
	if (in->pi_type == 3)
		rf->flags &= ~RL_NVME_IO_PRCHK_REFTAG;
	need = (unsigned long long)td_max_bs(td) / rf->bb * in->ms;
	if (rf->send_md && o->md_per_io_size < need) {
		log_err("ringline: %s: md_per_io_size=%llu: blocks of bs=%llu need %llu bytes of "
			"metadata (%u a block)\n",
			f->file_name, o->md_per_io_size, td_max_bs(td), need, in->ms);
		return 1;
	}
	return 0;
}

static int rl_fio_open_file(struct thread_data *td, struct fio_file *f)
{
	struct rl_fio_data *ld = td->io_ops_data;
	struct rl_fio_options *o = td->eo;
	/*
	 * RL_TARGET_RAW: the device checks LBA ranges, as with fio's io_uring_cmd. fio keeps I/O
	 * inside the size get_file_size() reports, so only a job that asks to go past the end
	 * (namespace_size=) gets there, and then it wants to see what the device says.
	 */
	unsigned int flags = RL_TARGET_RAW;
	struct rl_fio_file *rf;
	int ret;

	if (!td_write(td) && !td_trim(td))
		flags |= RL_TARGET_RDONLY;
	if (o->hipri)
		flags |= RL_TARGET_POLLED;
	rf = calloc(1, sizeof(*rf));
	if (!rf) {
		td_verror(td, ENOMEM, "calloc");
		return 1;
	}
	ret = rl_target_open(ld->e, f->file_name, flags, &rf->t);
	if (ret) {
		log_err("%s\n", rl_engine_last_error(ld->e));
		td_verror(td, -ret, "rl_target_open");
		free(rf);
		return 1;
	}
	rf->ld = ld;
	rf->passthru = rl_target_kind(rf->t) == RL_TARGET_KIND_NVME;
	if (rf->passthru && rl_nvme_zns(rl_target_nvme(rf->t))) {
		rf->zdev = rl_target_nvme(rf->t);
		rf->zone_blocks = rl_nvme_zns(rf->zdev)->zone_size;
		rf->lba_shift = (unsigned int)__builtin_ctz(rl_nvme_info(rf->zdev)->lba_size);
	}
	if (o->zone_append && !rf->zdev) {
		log_err("ringline: %s: zone_append=1 needs a zoned NVMe namespace (/dev/ngXnY)\n",
			f->file_name);
		td_verror(td, EINVAL, "zone_append");
		rl_target_close(rf->t);
		free(rf);
		return 1;
	}
	if (rf->passthru && setup_md(td, f, rf)) {
		rl_target_close(rf->t);
		free(rf);
		return 1;
	}
	FILE_SET_ENG_DATA(f, rf);
	return 0;
}

static int rl_fio_close_file(struct thread_data *td, struct fio_file *f)
{
	struct rl_fio_data *ld = td->io_ops_data;
	struct rl_fio_file *rf = FILE_ENG_DATA(f);
	int ret;

	if (!rf)
		return 0;
	/*
	 * fio closes a file when its last io_u is back, so nothing is in flight; after an abort
	 * something may be, and ringline never closes a target under its commands.
	 */
	while (rl_target_inflight(rf->t) && rl_engine_poll(ld->e, 1, -1) >= 0)
		;
	ret = rl_target_close(rf->t);
	if (ret) {
		log_err("%s\n", rl_engine_last_error(ld->e));
		td_verror(td, -ret, "rl_target_close");
		return 1;
	}
	FILE_SET_ENG_DATA(f, NULL);
	free(rf);
	return 0;
}

/*
 * fio asks for sizes before the job's engine exists, even in the parent process, and its own
 * way for devices opens the file through open_file() and reads f->fd, which ringline does not
 * set. So devices are opened on a small engine of their own: an NVMe namespace reports its
 * capacity from Identify (or namespace_size=), a block device BLKGETSIZE64. Regular files are
 * stat()ed by fio.
 */
static int rl_fio_get_file_size(struct thread_data *td, struct fio_file *f)
{
	struct rl_fio_options *o = td->eo;
	struct rl_engine_opts eo;
	struct rl_engine *e;
	struct rl_target *t;
	int ret;

	if (fio_file_size_known(f))
		return 0;
	if (f->filetype != FIO_TYPE_CHAR && f->filetype != FIO_TYPE_BLOCK)
		return generic_get_file_size(td, f);
	rl_engine_opts_init(&eo);
	eo.sq_entries = 4;
	eo.max_inflight = 4;
	eo.reg_buffers = 0;
	ret = rl_engine_create(&eo, &e);
	if (ret) {
		td_verror(td, -ret, "rl_engine_create");
		return 1;
	}
	ret = rl_target_open(e, f->file_name, RL_TARGET_RDONLY, &t);
	if (ret) {
		log_err("%s\n", rl_engine_last_error(e));
		td_verror(td, -ret, "rl_target_open");
		rl_engine_destroy(e);
		return 1;
	}
	f->real_file_size = rl_target_size(t);
	if (rl_target_kind(t) == RL_TARGET_KIND_NVME) {
		const struct rl_nvme_info *in = rl_nvme_info(rl_target_nvme(t));

		/* Extended LBAs: fio's offsets count the metadata too, as io_uring_cmd's do. */
		if (in->extended && !pract_strips(o, in))
			f->real_file_size = in->nsze * (in->lba_size + in->ms);
	}
	if (o->namespace_size && rl_target_kind(t) == RL_TARGET_KIND_NVME)
		f->real_file_size = o->namespace_size;
	fio_file_set_size_known(f);
	rl_target_close(t);
	rl_engine_destroy(e);
	return 0;
}

/*
 * fio's zoned block device calls (zonemode=zbd). A zoned NVMe namespace answers them through
 * the ring: on the thread's engine once the file is open, before that (fio asks while it sets
 * up) on a small engine of its own. Block devices get fio's own blkzoned_*() (sysfs, ioctls).
 */
struct zone_session {
	struct rl_engine *e;
	struct rl_target *t; /* opened here (else NULL: the thread's) */
	struct rl_nvme_dev *d;
	const struct rl_nvme_zns *z;
	unsigned int lba_shift;
};

/* Return: 0, 1 when @f is not a zoned namespace (s->d NULL), or -errno. */
static int zone_session_open(struct fio_file *f, unsigned int flags, struct zone_session *s)
{
	struct rl_fio_file *rf = FILE_ENG_DATA(f);
	struct rl_engine_opts eo;
	int ret;

	memset(s, 0, sizeof(*s));
	if (rf) {
		s->e = rf->ld->e;
		s->d = rf->zdev;
	} else {
		rl_engine_opts_init(&eo);
		eo.sq_entries = 4;
		eo.max_inflight = 4;
		eo.reg_buffers = 0;
		ret = rl_engine_create(&eo, &s->e);
		if (ret)
			return ret;
		ret = rl_target_open(s->e, f->file_name, flags, &s->t);
		if (ret) {
			log_err("%s\n", rl_engine_last_error(s->e));
			rl_engine_destroy(s->e);
			return ret;
		}
		s->d = rl_target_nvme(s->t);
	}
	s->z = s->d ? rl_nvme_zns(s->d) : NULL;
	if (!s->z) {
		s->d = NULL;
		return 1;
	}
	s->lba_shift = (unsigned int)__builtin_ctz(rl_nvme_info(s->d)->lba_size);
	return 0;
}

static void zone_session_close(struct zone_session *s)
{
	if (!s->t)
		return;
	rl_target_close(s->t);
	rl_engine_destroy(s->e);
}

struct zone_cmd {
	int res;
	bool done;
};

static void zone_cmd_done(void *arg, int res, uint64_t result)
{
	struct zone_cmd *c = arg;

	(void)result;
	c->res = res;
	c->done = true;
}

/*
 * Submit with @submit (it returns as the library's calls do) and wait for it. On the thread's
 * engine fio's I/O may hold every slot: reap one and retry. Their completions wait for
 * getevents() as usual. Return: 0, -errno, or -EIO after logging the NVMe status.
 */
static int zone_cmd_run(struct zone_session *s, const char *what, struct fio_file *f,
			int (*submit)(struct zone_session *, void *, struct zone_cmd *), void *arg)
{
	struct zone_cmd c = {0};
	char name[96];
	int ret;

	while ((ret = submit(s, arg, &c)) == -EBUSY)
		if ((ret = rl_engine_poll(s->e, 1, -1)) < 0)
			return ret;
	if (ret) {
		log_err("%s\n", rl_engine_last_error(s->e));
		return ret;
	}
	while (!c.done)
		if ((ret = rl_engine_poll(s->e, 1, -1)) < 0)
			return ret;
	if (c.res > 0) {
		log_err("ringline: %s: %s: NVMe status %s\n", f->file_name, what,
			rl_nvme_status_str(c.res, name, sizeof(name)));
		return -EIO;
	}
	return c.res;
}

static int rl_fio_get_zoned_model(struct thread_data *td, struct fio_file *f,
				  enum zbd_zoned_model *model)
{
	struct zone_session s;
	int ret;

	if (f->filetype != FIO_TYPE_CHAR)
		return blkzoned_get_zoned_model(td, f, model);
	ret = zone_session_open(f, RL_TARGET_RDONLY, &s);
	if (ret < 0)
		return ret;
	*model = s.d ? ZBD_HOST_MANAGED : ZBD_NONE;
	zone_session_close(&s);
	return 0;
}

struct report_arg {
	uint64_t slba;
	void *buf;
	uint32_t len;
};

static int submit_report(struct zone_session *s, void *arg, struct zone_cmd *c)
{
	struct report_arg *r = arg;

	return rl_nvme_report_zones(s->d, r->slba, RL_ZONE_LIST_ALL, true, r->buf, r->len,
				    zone_cmd_done, c);
}

static enum zbd_zone_cond zone_cond(unsigned int state)
{
	switch (state) {
	case RL_ZONE_EMPTY:
		return ZBD_ZONE_COND_EMPTY;
	case RL_ZONE_IMP_OPEN:
		return ZBD_ZONE_COND_IMP_OPEN;
	case RL_ZONE_EXP_OPEN:
		return ZBD_ZONE_COND_EXP_OPEN;
	case RL_ZONE_CLOSED:
		return ZBD_ZONE_COND_CLOSED;
	case RL_ZONE_FULL:
		return ZBD_ZONE_COND_FULL;
	}
	return ZBD_ZONE_COND_OFFLINE; /* read-only, offline: not to be used */
}

/* Up to @nr_zones zones from byte @offset on into @zones. Return: how many, or -errno. */
static int rl_fio_report_zones(struct thread_data *td, struct fio_file *f, uint64_t offset,
			       struct zbd_zone *zones, unsigned int nr_zones)
{
	struct report_arg r = {.len = 64 << 10};
	struct zone_session s;
	unsigned int n = 0;
	int ret;

	if (f->filetype != FIO_TYPE_CHAR)
		return blkzoned_report_zones(td, f, offset, zones, nr_zones);
	ret = zone_session_open(f, RL_TARGET_RDONLY, &s);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	if (rl_nvme_info(s.d)->max_transfer < r.len)
		r.len = rl_nvme_info(s.d)->max_transfer / RL_ZONE_DESC_SIZE * RL_ZONE_DESC_SIZE;
	r.buf = rl_alloc_aligned(4096, r.len);
	r.slba = offset >> s.lba_shift;
	ret = r.buf ? 0 : -ENOMEM;
	while (!ret && n < nr_zones && r.slba < rl_nvme_info(s.d)->nsze) {
		struct rl_nvme_zone_iter it;
		struct rl_nvme_zone z;

		ret = zone_cmd_run(&s, "Report Zones", f, submit_report, &r);
		if (ret || rl_nvme_zone_iter_init(&it, r.buf, r.len) <= 0)
			break;
		while (n < nr_zones && rl_nvme_zone_next(&it, &z)) {
			struct zbd_zone *zz = &zones[n++];

			if (z.type != 2) {
				log_err("ringline: %s: zone at block %llu has type %u, not "
					"sequential write required\n",
					f->file_name, (unsigned long long)z.zslba, z.type);
				ret = -EIO;
				break;
			}
			zz->start = z.zslba << s.lba_shift;
			zz->len = s.z->zone_size << s.lba_shift;
			zz->capacity = z.zcap << s.lba_shift;
			zz->type = ZBD_ZONE_TYPE_SWR;
			zz->cond = zone_cond(z.state);
			zz->wp =
			    zz->cond == ZBD_ZONE_COND_OFFLINE ? zz->start : z.wp << s.lba_shift;
			r.slba = z.zslba + s.z->zone_size;
		}
	}
	rl_free_aligned(r.buf);
	zone_session_close(&s);
	return ret ? ret : (int)n;
}

struct reset_arg {
	uint64_t zslba;
	bool all;
};

static int submit_reset(struct zone_session *s, void *arg, struct zone_cmd *c)
{
	struct reset_arg *r = arg;

	return rl_nvme_zone_mgmt(s->d, RL_ZONE_RESET, r->zslba, r->all, zone_cmd_done, c);
}

/* Reset the write pointers of the zones in [@offset, @offset + @length): one Select All for all. */
static int rl_fio_reset_wp(struct thread_data *td, struct fio_file *f, uint64_t offset,
			   uint64_t length)
{
	struct zone_session s;
	struct reset_arg r = {0};
	uint64_t end;
	int ret;

	if (f->filetype != FIO_TYPE_CHAR)
		return blkzoned_reset_wp(td, f, offset, length);
	ret = zone_session_open(f, 0, &s);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	r.zslba = offset >> s.lba_shift;
	end = (offset + length) >> s.lba_shift;
	if (r.zslba == 0 && end >= s.z->nr_zones * s.z->zone_size) {
		r.all = true;
		ret = zone_cmd_run(&s, "zone reset", f, submit_reset, &r);
	}
	for (; !r.all && !ret && r.zslba < end; r.zslba += s.z->zone_size)
		ret = zone_cmd_run(&s, "zone reset", f, submit_reset, &r);
	zone_session_close(&s);
	return ret;
}

static int rl_fio_get_max_open_zones(struct thread_data *td, struct fio_file *f,
				     unsigned int *max_open_zones)
{
	struct zone_session s;
	int ret;

	if (f->filetype != FIO_TYPE_CHAR)
		return blkzoned_get_max_open_zones(td, f, max_open_zones);
	ret = zone_session_open(f, RL_TARGET_RDONLY, &s);
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	*max_open_zones = s.z->max_open; /* 0: no limit, as fio takes it */
	zone_session_close(&s);
	return 0;
}

/* Every I/O is O_DIRECT or passthrough: there is no page cache to drop. */
static int rl_fio_invalidate(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

static int rl_fio_init(struct thread_data *td)
{
	struct rl_fio_options *o = td->eo;
	unsigned int depth = td->o.iodepth, nfiles = td->o.nr_files ? td->o.nr_files : 1;
	struct rl_engine_opts eo;
	struct rl_fio_data *ld;
	int ret;

	if (!o->registerfiles) {
		log_err("ringline: registerfiles=0 is not supported: ringline always registers "
			"files in its fixed-file table\n");
		return 1;
	}
	if (td->o.sync_file_range) {
		log_err("ringline: sync_file_range is not supported: use fsync= or fdatasync= "
			"(NVMe Flush on passthrough)\n");
		return 1;
	}
	if (td->o.fsync_on_close) {
		/* fio fsync()s its own f->fd on close; ringline's descriptors are its own. */
		log_err("ringline: fsync_on_close is not supported: use end_fsync=1, which "
			"ringline runs (NVMe Flush on passthrough)\n");
		return 1;
	}
	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return 1;
	td->io_ops_data = ld;
	ld->cap = depth;
	ld->done_mask = depth > 1 ? (1u << (32 - __builtin_clz(depth - 1))) - 1 : 0;
	ld->ios = calloc(depth, sizeof(*ld->ios));
	ld->done = calloc(ld->done_mask + 1, sizeof(*ld->done));
	ld->queued = calloc(depth, sizeof(*ld->queued));
	if (!ld->ios || !ld->done || !ld->queued)
		return 1;
	if (o->md_per_io_size && posix_memalign((void **)&ld->md, 4096, o->md_per_io_size * depth))
		return 1;
	ld->prchk = 0;
	if (o->pi_chk) {
		if (strstr(o->pi_chk, "GUARD"))
			ld->prchk |= RL_NVME_IO_PRCHK_GUARD;
		if (strstr(o->pi_chk, "REFTAG"))
			ld->prchk |= RL_NVME_IO_PRCHK_REFTAG;
		if (strstr(o->pi_chk, "APPTAG"))
			ld->prchk |= RL_NVME_IO_PRCHK_APPTAG;
		if (!ld->prchk) {
			log_err("ringline: pi_chk=%s: expected GUARD, REFTAG and/or APPTAG\n",
				o->pi_chk);
			return 1;
		}
	}
	ld->apptag = (uint16_t)o->apptag;
	ld->apptag_mask = (uint16_t)o->apptag_mask;

	rl_engine_opts_init(&eo);
	/* fio never has more than iodepth io_us in flight, so the slab never refuses one. */
	eo.sq_entries = depth;
	eo.max_inflight = depth;
	eo.region_files[RL_REGION_CONN] = 0;
	eo.region_files[RL_REGION_LISTEN] = 0;
	eo.region_files[RL_REGION_FILE] = nfiles;
	eo.region_files[RL_REGION_NVME] = 2 * nfiles; /* a namespace and its controller */
	eo.reg_buffers = o->fixedbufs ? depth : 0;
	eo.sqpoll = o->sqthread_poll;
	eo.iopoll = o->hipri;
	/* fio measures latency itself: skip ringline's timing of each command. */
	eo.no_latency = true;
	ret = rl_engine_create(&eo, &ld->e);
	if (ret) {
		log_err("ringline: cannot create the engine: %s\n", strerror(-ret));
		td_verror(td, -ret, "rl_engine_create");
		return 1;
	}
	return 0;
}

static int rl_fio_io_u_init(struct thread_data *td, struct io_u *io_u)
{
	struct rl_fio_data *ld = td->io_ops_data;

	ld->ios[io_u->index].ld = ld;
	ld->ios[io_u->index].io_u = io_u;
	ld->ios[io_u->index].buf_index = -1;
	if (ld->md) {
		struct rl_fio_options *o = td->eo;

		ld->ios[io_u->index].md = ld->md + io_u->index * o->md_per_io_size;
	}
	return 0;
}

/*
 * After fio allocated its I/O buffers: each io_u's buffer is registered on its own, as fio's
 * io_uring engines do. One registration of them all would be simpler, but Linux 6.1 maps a
 * registered buffer for NVMe passthrough from the I/O's start to the end of the registration
 * and refuses (EINVAL) more pages than the queue has segments: 128 KiB x 32 io_us failed.
 */
static int rl_fio_post_init(struct thread_data *td)
{
	struct rl_fio_data *ld = td->io_ops_data;
	struct rl_fio_options *o = td->eo;
	int ret;

	if (!o->fixedbufs || !td->orig_buffer)
		return 0;
	for (unsigned int i = 0; i < ld->cap; i++) {
		ret = rl_engine_register_buffer(ld->e, ld->ios[i].io_u->buf, td_max_bs(td));
		if (ret < 0) {
			log_err("%s\n", rl_engine_last_error(ld->e));
			td_verror(td, -ret, "rl_engine_register_buffer");
			return 1;
		}
		ld->ios[i].buf_index = ret;
	}
	return 0;
}

static void rl_fio_cleanup(struct thread_data *td)
{
	struct rl_fio_data *ld = td->io_ops_data;

	if (!ld)
		return;
	ld->closing = true;
	rl_engine_destroy(ld->e); /* reaps anything still in flight */
	free(ld->md);
	free(ld->queued);
	free(ld->done);
	free(ld->ios);
	free(ld);
	td->io_ops_data = NULL;
}

/* fio looks this symbol up after dlopen(); it is the only one the module exports. */
/* clang-format off */
__attribute__((visibility("default"))) struct ioengine_ops ioengine = {
	.name = "ringline",
	.version = FIO_IOOPS_VERSION,
	.flags = FIO_NO_OFFLOAD | FIO_ASYNCIO_SETS_ISSUE_TIME | FIO_MEMALIGN | FIO_RAWIO,
	.init = rl_fio_init,
	.post_init = rl_fio_post_init,
	.io_u_init = rl_fio_io_u_init,
	.queue = rl_fio_queue,
	.commit = rl_fio_commit,
	.getevents = rl_fio_getevents,
	.event = rl_fio_event,
	.errdetails = rl_fio_errdetails,
	.cleanup = rl_fio_cleanup,
	.open_file = rl_fio_open_file,
	.close_file = rl_fio_close_file,
	.invalidate = rl_fio_invalidate,
	.get_file_size = rl_fio_get_file_size,
	.get_zoned_model = rl_fio_get_zoned_model,
	.report_zones = rl_fio_report_zones,
	.reset_wp = rl_fio_reset_wp,
	.get_max_open_zones = rl_fio_get_max_open_zones,
	.options = options,
	.option_struct_size = sizeof(struct rl_fio_options),
};
/* clang-format on */
