// SPDX-License-Identifier: MIT
/*
 * Raw data verbs on any target, through the same engine path as everything else:
 * read (to stdout), write (from stdin), zeroes, trim, flush.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringline.h"
#include "cli.h"

/* Largest single command: 1 MiB, or less when the device's transfer limit is lower. */
#define CHUNK_MAX (1u << 20)

/*
 * Most of a pipe `write` holds in memory. A pipe's length is known only at its end, and nothing
 * is written unless all of it fits, so a pipe is read whole first: at most this much (or the
 * space from OFFSET to the end, if less). A regular file or block device on stdin has a size
 * to check first, and is then copied a chunk at a time, whatever its size.
 */
#define PIPE_MAX (64u << 20)

struct verb {
	const char *name;
	int nargs; /* positional arguments after DEV */
	const char *args;
	const char *what;
	bool writes; /* changes data: a block device is opened exclusively unless --force */
};

static const struct verb verbs[] = {
    {"read", 2, "DEV OFFSET LENGTH", "write LENGTH bytes from OFFSET to stdout", false},
    {"write", 1, "DEV OFFSET", "write stdin's bytes at OFFSET (a whole number of blocks)", true},
    {"zeroes", 2, "DEV OFFSET LENGTH", "zero LENGTH bytes at OFFSET (NVMe Write Zeroes)", true},
    {"trim", 2, "DEV OFFSET LENGTH",
     "deallocate LENGTH bytes at OFFSET (NVMe Dataset Management; punch hole on files)", true},
    {"flush", 0, "DEV", "flush volatile caches (NVMe Flush; fdatasync on files)", false},
};

static const char *const arg_names[] = {"DEV", "OFFSET", "LENGTH"};

struct ctx {
	struct rl_engine *e;
	struct rl_target *t;
	const char *path;
	bool passthru;
};

static const char write_note[] =
    "Nothing is written unless all of stdin fits between OFFSET and the end of DEV and\n"
    "is a whole number of blocks. A regular file or block device on stdin is checked by\n"
    "its size first, then copied 1 MiB at a time (if it changes size meanwhile, what was\n"
    "copied stays). Other input (a pipe) is read whole into memory first, at most %u MiB:\n"
    "redirect a larger input from a file.\n";

static const char raw_help[] =
    "  --raw          NVMe only: do not check the LBA range, let the device answer\n"
    "                 (a range past the end completes with LBA Out of Range)\n";

static const char force_help[] =
    "  --force        write to a block device even while it is in use (mounted, or\n"
    "                 held by another program); without it, ringline opens it\n"
    "                 exclusively (O_EXCL) and refuses it then. On NVMe it claims the\n"
    "                 namespace's block device /dev/nvmeXnY the same way\n";

static const char pi_help[] =
    "NVMe metadata and protection information (PI), by LBA; stdin/stdout carry the data\n"
    "alone, on extended-LBA formats too (ringline interleaves the metadata):\n"
    "  --md FILE      the metadata, ms bytes a block: written from FILE (its size must\n"
    "                 match the blocks on stdin), read into FILE\n"
    "  --pi           write: generate PI in software (guard, application tag, reference\n"
    "                 tag) and have the controller check it; read: check it in software,\n"
    "                 naming the first failing LBA and check\n"
    "  --pract        the controller inserts the PI (write) or strips it (read): PRACT\n"
    "  --prchk        the controller checks guard, reference tag (types 1, 2) and the\n"
    "                 application tag when --apptag is given: PRCHK\n"
    "  --apptag N     the application tag written and checked\n"
    "  --apptag-mask M  the bits of it that are checked (default 0xffff)\n"
    "  --reftag N     the initial reference tag of PI types 2 and 3 (type 1: the LBA)\n";

static void usage(FILE *out, const struct verb *v)
{
	bool rw = !strcmp(v->name, "read") || !strcmp(v->name, "write");

	fprintf(
	    out, "usage: ringline %s %s%s%s [--passthrough]%s\n\n%s.\n", v->name, v->args,
	    v->nargs ? " [--raw]" : "", v->writes ? " [--force]" : "",
	    rw ? " [--md FILE] [--pi] [--pract] [--prchk]\n       [--apptag N [--apptag-mask M]] "
		 "[--reftag N]"
	       : "",
	    v->what);
	if (!strcmp(v->name, "write"))
		fprintf(out, write_note, PIPE_MAX >> 20);
	fputs("DEV is /dev/ngXnY (NVMe passthrough), a block device or a regular file (O_DIRECT).\n"
	      "OFFSET and LENGTH are bytes (suffixes k m g t), multiples of the LBA size or of\n"
	      "the O_DIRECT alignment.\n"
	      "\n"
	      "options:\n",
	      out);
	if (v->nargs)
		fputs(raw_help, out);
	if (v->writes)
		fputs(force_help, out);
	if (!strcmp(v->name, "read") || !strcmp(v->name, "write"))
		fputs(pi_help, out);
	fputs("  --passthrough  for a /dev/nvmeXnY, use its /dev/ngXnY through passthrough\n"
	      "  -h, --help     show this text\n"
	      "\n"
	      "exit status: 0 success, 1 I/O or device error (a failed write to stdout too),\n"
	      "2 usage error\n",
	      out);
}

static void on_done(void *arg, int res, uint64_t result)
{
	(void)result;
	*(int *)arg = res;
}

int cli_wait_submitted(struct rl_engine *e, int ret, const char *path)
{
	if (ret) {
		cli_lib_err(e, ret, path);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_IO;
	}
	while (rl_engine_inflight(e))
		if ((ret = rl_engine_poll(e, 1, -1)) < 0) {
			cli_err("completion loop: %s", strerror(-ret));
			return EXIT_IO;
		}
	return 0;
}

/*
 * Wait for the command submitted with return value @ret, which was to move @len bytes (0: not
 * a transfer). 0, or EXIT_IO (EXIT_USAGE for a request the library refused) after saying why.
 */
static int wait_one(struct ctx *c, int ret, int *res, const char *what, uint64_t off, uint64_t len)
{
	char why[128];

	ret = cli_wait_submitted(c->e, ret, c->path);
	if (ret)
		return ret;
	if (*res < 0 || (c->passthru && *res > 0)) {
		if (*res > 0)
			rl_nvme_status_str(*res, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror(-*res));
		cli_err("%s: %s at offset %llu: %s", c->path, what, (unsigned long long)off, why);
		return EXIT_IO;
	}
	/* O_DIRECT returns the bytes moved: fewer is a failure here, never a success. */
	if (len && rl_target_kind(c->t) == RL_TARGET_KIND_FILE && (uint64_t)*res != len) {
		cli_err("%s: short %s at offset %llu: %d of %llu bytes%s", c->path, what,
			(unsigned long long)off, *res, (unsigned long long)len,
			strcmp(what, "read") ? "" : " (the file ends there)");
		return EXIT_IO;
	}
	return 0;
}

static uint64_t chunk_size(struct ctx *c)
{
	uint64_t chunk = CHUNK_MAX, bs = rl_target_block_size(c->t);

	if (c->passthru) {
		const struct rl_nvme_info *in = rl_nvme_info(rl_target_nvme(c->t));

		if (in->max_transfer < chunk)
			chunk = in->max_transfer;
	}
	return chunk / bs * bs;
}

static int check_range(struct ctx *c, uint64_t off, uint64_t len, bool raw)
{
	uint64_t bs = rl_target_block_size(c->t), size = rl_target_size(c->t);

	if (off % bs || len % bs) {
		cli_err("%s: offset %llu and length %llu must be multiples of the %s %llu", c->path,
			(unsigned long long)off, (unsigned long long)len,
			c->passthru ? "LBA size" : "O_DIRECT alignment", (unsigned long long)bs);
		return EXIT_USAGE;
	}
	if (!raw && (off > size || len > size - off)) {
		cli_err("%s: range %llu+%llu is past the end (%llu bytes)", c->path,
			(unsigned long long)off, (unsigned long long)len, (unsigned long long)size);
		return EXIT_USAGE;
	}
	return 0;
}

static int do_read(struct ctx *c, uint64_t off, uint64_t len)
{
	uint64_t chunk = chunk_size(c);
	char *buf = rl_alloc_aligned(4096, chunk);
	int res = 0, ret = 0;

	if (!buf) {
		cli_err("out of memory for a %llu-byte buffer", (unsigned long long)chunk);
		return EXIT_IO;
	}
	memset(buf, 0, chunk); /* a target that moves no data ("nop:") reads zeroes */
	for (uint64_t done = 0; done < len && !ret; done += chunk) {
		uint64_t n = len - done < chunk ? len - done : chunk;

		ret = wait_one(c, rl_target_read(c->t, buf, n, off + done, on_done, &res), &res,
			       "read", off + done, n);
		/* A failed stdout ends the copy; the check at exit says why, once. */
		if (!ret && cli_write_out(buf, n))
			ret = EXIT_IO;
	}
	rl_free_aligned(buf);
	return ret;
}

/* Read up to @n bytes of stdin into @buf, fewer only at its end. Return: bytes, or -errno. */
static ssize_t read_in(char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(0, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* stdin's bytes from its position to its end, if it is a regular file or block device; or -1. */
static int64_t input_size(void)
{
	struct stat st;
	off_t pos, end;

	if (fstat(0, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return -1;
	pos = lseek(0, 0, SEEK_CUR);
	end = pos < 0 ? -1 : lseek(0, 0, SEEK_END);
	if (end < 0 || lseek(0, pos, SEEK_SET) != pos)
		return -1;
	return end > pos ? end - pos : 0;
}

/*
 * A pipe (or a terminal, a socket, a character device) on stdin: read it whole into *@data
 * first, at most @limit bytes. Return: its length, @limit + 1 if there is more, or -errno.
 */
static int64_t slurp_stdin(char **data, uint64_t limit)
{
	uint64_t cap = limit < (1u << 20) ? limit + 1 : 1u << 20, len = 0;
	char *p = malloc(cap), *bigger;
	ssize_t n;

	if (!p)
		return -ENOMEM;
	for (;;) {
		n = read_in(p + len, cap - len);
		if (n < 0) {
			free(p);
			return n;
		}
		len += (uint64_t)n;
		if (len < cap || cap == limit + 1)
			break;
		/* Grow towards limit + 1 bytes: one more than fits says "too much". */
		cap = cap * 2 < limit + 1 ? cap * 2 : limit + 1;
		bigger = realloc(p, cap);
		if (!bigger) {
			free(p);
			return -ENOMEM;
		}
		p = bigger;
	}
	*data = p;
	return (int64_t)len;
}

static int do_write(struct ctx *c, uint64_t off, bool raw)
{
	uint64_t chunk = chunk_size(c), size = rl_target_size(c->t), space, len, limit;
	char *data = NULL, *buf = rl_alloc_aligned(4096, chunk);
	int64_t have = input_size();
	int res = 0, ret;
	ssize_t n;

	if (!buf) {
		cli_err("out of memory for a %llu-byte buffer", (unsigned long long)chunk);
		return EXIT_IO;
	}
	ret = check_range(c, off, 0, raw);
	if (ret)
		goto out;
	/* --raw (NVMe): the device refuses what is past its end, ringline only bounds memory. */
	space = raw ? UINT64_MAX : size - off;
	if (have < 0) {
		limit = space < PIPE_MAX ? space : PIPE_MAX;
		have = slurp_stdin(&data, limit);
		if (have < 0) {
			cli_err("reading stdin: %s", strerror((int)-have));
			ret = EXIT_IO;
			goto out;
		}
		if ((uint64_t)have > limit && limit < space) {
			cli_err("%s: stdin, not a regular file, holds more than %u MiB, the most "
				"ringline write buffers: redirect it from a file (< FILE)",
				c->path, PIPE_MAX >> 20);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	len = (uint64_t)have;
	if (len > space) {
		cli_err("%s: stdin holds more than the %llu bytes from offset %llu to the end: "
			"nothing written",
			c->path, (unsigned long long)space, (unsigned long long)off);
		ret = EXIT_USAGE;
		goto out;
	}
	if (len == 0) {
		cli_err("%s: nothing on stdin to write", c->path);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = check_range(c, off, len, raw);
	for (uint64_t done = 0; done < len && !ret; done += chunk) {
		uint64_t k = len - done < chunk ? len - done : chunk;

		if (data) {
			memcpy(buf, data + done, k);
		} else if ((n = read_in(buf, k)) != (ssize_t)k) {
			cli_err(
			    "%s: stdin %s after %llu of its %llu bytes; the blocks before offset "
			    "%llu are written",
			    c->path, n < 0 ? strerror((int)-n) : "ended",
			    (unsigned long long)(done + (n > 0 ? (uint64_t)n : 0)),
			    (unsigned long long)len, (unsigned long long)(off + done));
			ret = EXIT_IO;
			break;
		}
		ret = wait_one(c, rl_target_write(c->t, buf, k, off + done, on_done, &res), &res,
			       "write", off + done, k);
	}
out:
	free(data);
	rl_free_aligned(buf);
	return ret;
}

/* Zeroes and trim: NVMe takes at most 65536 blocks per command. */
static int do_range(struct ctx *c, bool trim, uint64_t off, uint64_t len)
{
	uint64_t step = c->passthru ? 65536ull * rl_target_block_size(c->t) : len;
	int res = 0, ret = 0;

	for (uint64_t done = 0; done < len && !ret; done += step) {
		uint64_t n = len - done < step ? len - done : step;

		ret = trim ? rl_target_trim(c->t, off + done, n, on_done, &res)
			   : rl_target_write_zeroes(c->t, off + done, n, on_done, &res);
		ret = wait_one(c, ret, &res, trim ? "trim" : "zeroes", off + done, 0);
	}
	return ret;
}

int cmd_data(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"raw", no_argument, NULL, 'r'},
	    {"force", no_argument, NULL, 'f'},
	    {"passthrough", no_argument, NULL, 'p'},
	    {"md", required_argument, NULL, 'M'},
	    {"pi", no_argument, NULL, 'P'},
	    {"pract", no_argument, NULL, 'A'},
	    {"prchk", no_argument, NULL, 'C'},
	    {"apptag", required_argument, NULL, 'T'},
	    {"apptag-mask", required_argument, NULL, 'K'},
	    {"reftag", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const struct verb *v = NULL;
	struct pi_opts pio = {.apptag_mask = 0xffff};
	bool pi_path = false;
	uint64_t num;
	char *end;
	struct ctx c = {0};
	uint64_t off = 0, len = 0;
	unsigned flags = 0;
	bool raw = false, force = false;
	int opt, ret, res = 0, npos;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[0], verbs[i].name))
			v = &verbs[i];
	optind = 1;
	while ((opt = cli_getopt(argc, argv, opts, v->name)) != -1) {
		switch (opt) {
		case 'r':
			raw = true;
			flags |= RL_TARGET_RAW;
			break;
		case 'f':
			force = true;
			break;
		case 'p':
			flags |= RL_TARGET_PASSTHROUGH;
			break;
		case 'M':
			pio.md_path = optarg;
			pi_path = true;
			break;
		case 'P':
		case 'A':
		case 'C':
			*(opt == 'P' ? &pio.pi : opt == 'A' ? &pio.pract : &pio.prchk) = true;
			pi_path = true;
			break;
		case 'T':
		case 'K':
		case 'R':
			errno = 0;
			num = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    (opt != 'R' && num > 0xffff) || num > 0xffffffffffffull) {
				cli_err("%s: --%s '%s': expected a number up to %s", v->name,
					opt == 'T'   ? "apptag"
					: opt == 'K' ? "apptag-mask"
						     : "reftag",
					optarg, opt == 'R' ? "2^48 - 1" : "0xffff");
				return EXIT_USAGE;
			}
			if (opt == 'T')
				pio.apptag = (uint16_t)num, pio.apptag_set = true;
			else if (opt == 'K')
				pio.apptag_mask = (uint16_t)num;
			else
				pio.reftag = num, pio.reftag_set = true;
			pi_path = true;
			break;
		case 'h':
			usage(stdout, v);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	npos = argc - optind;
	if (npos != 1 + v->nargs) {
		if (npos > 1 + v->nargs)
			cli_err("%s: unexpected argument '%s' (usage: ringline %s %s)", v->name,
				argv[optind + 1 + v->nargs], v->name, v->args);
		else
			cli_err("%s: missing %s (usage: ringline %s %s)", v->name, arg_names[npos],
				v->name, v->args);
		return EXIT_USAGE;
	}
	if (raw && !v->nargs) {
		cli_err("%s: --raw applies to commands with a range (read, write, zeroes, trim)",
			v->name);
		return EXIT_USAGE;
	}
	if (pi_path && strcmp(v->name, "read") && strcmp(v->name, "write")) {
		cli_err("%s: --md, --pi, --pract, --prchk, --apptag and --reftag apply to read "
			"and write",
			v->name);
		return EXIT_USAGE;
	}
	if (pi_path && raw) {
		cli_err("%s: --raw does not combine with --md and the PI options", v->name);
		return EXIT_USAGE;
	}
	if (force && !v->writes) {
		cli_err("%s: --force applies to commands that write (write, zeroes, trim)",
			v->name);
		return EXIT_USAGE;
	}
	c.path = argv[optind];
	if (v->nargs >= 1 && cli_parse_size(argv[optind + 1], &off)) {
		cli_err("%s: OFFSET '%s': expected a byte count (suffixes k m g t)", v->name,
			argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (v->nargs == 2 && (cli_parse_size(argv[optind + 2], &len) || len == 0)) {
		cli_err("%s: LENGTH '%s': expected a byte count above 0 (suffixes k m g t)",
			v->name, argv[optind + 2]);
		return EXIT_USAGE;
	}
	/* Flush needs no write access: fdatasync works on a read-only descriptor. */
	if (!v->writes)
		flags |= RL_TARGET_RDONLY;
	ret = rl_engine_create(NULL, &c.e);
	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		return EXIT_IO;
	}
	ret = cli_open_target(c.e, c.path, flags, force, &c.t);
	if (ret)
		goto out;
	c.passthru = rl_target_kind(c.t) == RL_TARGET_KIND_NVME;
	/*
	 * A file's end is ringline's own check: without it a write grows the file and zeroes
	 * allocate past its end. Only an NVMe device has a range check to leave it to.
	 */
	if (raw && !c.passthru) {
		cli_err("%s: --raw applies to NVMe namespaces only: a file or block device has no "
			"device-side range check to leave it to",
			c.path);
		ret = EXIT_USAGE;
		goto out;
	}
	if (v->nargs == 2 && (ret = check_range(&c, off, len, raw)))
		goto out;
	if (pi_path) {
		ret = v->name[0] == 'r' ? data_pi_read(c.e, c.t, c.path, off, len, &pio)
					: data_pi_write(c.e, c.t, c.path, off, &pio);
		goto out;
	}
	switch (v->name[0]) {
	case 'r':
		ret = do_read(&c, off, len);
		break;
	case 'w':
		ret = do_write(&c, off, raw);
		break;
	case 'z':
		ret = do_range(&c, false, off, len);
		break;
	case 't':
		ret = do_range(&c, true, off, len);
		break;
	default:
		ret = wait_one(&c, rl_target_flush(c.t, on_done, &res), &res, "flush", 0, 0);
	}
out:
	rl_engine_destroy(c.e);
	return ret;
}
