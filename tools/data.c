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
#include <unistd.h>

#include "ringline.h"
#include "cli.h"

/* Largest single command: 1 MiB, or less when the device's transfer limit is lower. */
#define CHUNK_MAX (1u << 20)

struct verb {
	const char *name;
	int nargs; /* positional arguments after DEV */
	const char *args;
	const char *what;
};

static const struct verb verbs[] = {
    {"read", 2, "DEV OFFSET LENGTH", "write LENGTH bytes from OFFSET to stdout"},
    {"write", 1, "DEV OFFSET", "write stdin's bytes at OFFSET (a whole number of blocks)"},
    {"zeroes", 2, "DEV OFFSET LENGTH", "zero LENGTH bytes at OFFSET (NVMe Write Zeroes)"},
    {"trim", 2, "DEV OFFSET LENGTH",
     "deallocate LENGTH bytes at OFFSET (NVMe Dataset "
     "Management; punch hole on files)"},
    {"flush", 0, "DEV", "flush volatile caches (NVMe Flush; fdatasync on files)"},
};

struct ctx {
	struct rl_engine *e;
	struct rl_target *t;
	const char *path;
	bool passthru;
};

static void usage(FILE *out, const struct verb *v)
{
	fprintf(out,
		"usage: ringline %s %s [--raw] [--passthrough]\n"
		"\n"
		"%s.\n"
		"DEV is /dev/ngXnY (NVMe passthrough), a block device or a file (O_DIRECT).\n"
		"OFFSET and LENGTH are bytes (suffixes k m g), multiples of the LBA size or of\n"
		"the O_DIRECT alignment.\n"
		"\n"
		"options:\n"
		"  --raw          NVMe: do not check the LBA range; let the device answer\n"
		"                 (a range past the end completes with LBA Out of Range)\n"
		"  --passthrough  for a /dev/nvmeXnY, use its /dev/ngXnY through passthrough\n"
		"  -h, --help     show this text\n"
		"\n"
		"exit status: 0 success, 1 I/O or device error, 2 usage error\n",
		v->name, v->args, v->what);
}

static void on_done(void *arg, int res, uint64_t result)
{
	(void)result;
	*(int *)arg = res;
}

/* Wait for one submitted command; 0, or EXIT_IO after printing why it failed. */
static int wait_one(struct ctx *c, int ret, int *res, const char *what, uint64_t off)
{
	char why[128];

	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(c->e));
		return EXIT_USAGE;
	}
	while (rl_engine_inflight(c->e))
		if ((ret = rl_engine_poll(c->e, 1, -1)) < 0) {
			cli_err("completion loop: %s", strerror(-ret));
			return EXIT_IO;
		}
	if (*res < 0 || (c->passthru && *res > 0)) {
		if (*res > 0)
			rl_nvme_status_str(*res, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror(-*res));
		cli_err("%s: %s at offset %llu: %s", c->path, what, (unsigned long long)off, why);
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

	if (!buf)
		return EXIT_IO;
	for (uint64_t done = 0; done < len && !ret; done += chunk) {
		uint64_t n = len - done < chunk ? len - done : chunk;

		ret = wait_one(c, rl_target_read(c->t, buf, n, off + done, on_done, &res), &res,
			       "read", off + done);
		if (!ret && !c->passthru && (uint64_t)res != n) {
			cli_err("%s: short read at offset %llu: the file ends there", c->path,
				(unsigned long long)(off + done + res));
			ret = EXIT_IO;
		}
		if (!ret && fwrite(buf, 1, n, stdout) != n) {
			cli_err("writing to stdout: %s", strerror(errno));
			ret = EXIT_IO;
		}
	}
	rl_free_aligned(buf);
	return ret;
}

/* Read all of stdin first, so a length that is not whole blocks writes nothing at all. */
static int do_write(struct ctx *c, uint64_t off, bool raw)
{
	size_t cap = 1 << 20, len = 0, n;
	uint64_t chunk = chunk_size(c);
	char *data = malloc(cap), *buf = rl_alloc_aligned(4096, chunk);
	int res = 0, ret = EXIT_IO;

	if (!data || !buf)
		goto out;
	while ((n = fread(data + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap) {
			char *bigger = realloc(data, cap *= 2);

			if (!bigger)
				goto out;
			data = bigger;
		}
	}
	if (ferror(stdin)) {
		cli_err("reading stdin: %s", strerror(errno));
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

		memcpy(buf, data + done, k);
		ret = wait_one(c, rl_target_write(c->t, buf, k, off + done, on_done, &res), &res,
			       "write", off + done);
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
		ret = wait_one(c, ret, &res, trim ? "trim" : "zeroes", off + done);
	}
	return ret;
}

int cmd_data(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"raw", no_argument, NULL, 'r'},
	    {"passthrough", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const struct verb *v = NULL;
	struct ctx c = {0};
	uint64_t off = 0, len = 0;
	unsigned flags = 0;
	bool raw = false;
	int opt, ret, res = 0;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[0], verbs[i].name))
			v = &verbs[i];
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			raw = true;
			flags |= RL_TARGET_RAW;
			break;
		case 'p':
			flags |= RL_TARGET_PASSTHROUGH;
			break;
		case 'h':
			usage(stdout, v);
			return 0;
		default:
			cli_err("%s: unknown option '%s' (see 'ringline %s --help')", v->name,
				argv[optind - 1], v->name);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 + v->nargs) {
		cli_err("usage: ringline %s %s", v->name, v->args);
		return EXIT_USAGE;
	}
	c.path = argv[optind];
	if ((v->nargs >= 1 && cli_parse_size(argv[optind + 1], &off)) ||
	    (v->nargs == 2 && (cli_parse_size(argv[optind + 2], &len) || len == 0))) {
		cli_err("%s: OFFSET and LENGTH must be byte counts (LENGTH above 0)", v->name);
		return EXIT_USAGE;
	}
	if (!strcmp(v->name, "read"))
		flags |= RL_TARGET_RDONLY;
	ret = rl_engine_create(NULL, &c.e);
	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		return EXIT_IO;
	}
	ret = rl_target_open(c.e, c.path, flags, &c.t);
	if (ret) {
		fprintf(stderr, "%s\n", rl_engine_last_error(c.e));
		ret = EXIT_IO;
		goto out;
	}
	c.passthru = rl_target_kind(c.t) == RL_TARGET_KIND_NVME;
	if (v->nargs == 2 && (ret = check_range(&c, off, len, raw)))
		goto out;
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
		ret = wait_one(&c, rl_target_flush(c.t, on_done, &res), &res, "flush", 0);
	}
out:
	rl_engine_destroy(c.e);
	return ret;
}
