// SPDX-License-Identifier: MIT
/* ringline zones / zone / append: zoned NVMe namespaces (ZNS) through passthrough. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringline.h"
#include "cli.h"

/* Most of stdin `append` reads; the library then refuses what is above the ZASL. */
#define APPEND_IN_MAX (64u << 20)
/* Zones asked for per Report Zones command: 1023 descriptors and the header, 64 KiB. */
#define REPORT_BYTES (64u << 10)

struct zctx {
	struct rl_engine *e;
	struct rl_nvme_dev *d;
	const struct rl_nvme_zns *z;
	const char *path;
};

static void on_done(void *arg, int res, uint64_t result)
{
	int64_t *r = arg;

	r[0] = res;
	r[1] = (int64_t)result;
}

/* Open @path, a zoned namespace, exclusively when @writes unless @force. 0 or EXIT_IO. */
static int zopen(struct zctx *c, const char *path, bool writes, bool force)
{
	struct rl_nvme_opts o = {.opts_size = sizeof(o)};
	int ret = rl_engine_create(NULL, &c->e);

	c->path = path;
	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		return EXIT_IO;
	}
	o.flags = writes && !force ? RL_NVME_EXCL : 0;
	ret = rl_nvme_open(c->e, path, &o, &c->d);
	if (ret) {
		cli_lib_err(c->e, ret, path);
		rl_engine_destroy(c->e);
		return EXIT_IO;
	}
	c->z = rl_nvme_zns(c->d);
	if (!c->z) {
		cli_err("%s: not a zoned namespace (its command set is not ZNS)", path);
		rl_engine_destroy(c->e);
		return EXIT_IO;
	}
	return 0;
}

/*
 * Wait for the command submitted with @ret; @r gets res and result. 0, EXIT_USAGE for what the
 * library refused (-EINVAL), or EXIT_IO after saying why, naming @what.
 */
static int wait_cmd(struct zctx *c, int ret, int64_t *r, const char *what)
{
	char why[128];

	ret = cli_wait_submitted(c->e, ret, c->path);
	if (ret)
		return ret;
	if (r[0]) {
		if (r[0] > 0)
			rl_nvme_status_str((int)r[0], why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror((int)-r[0]));
		cli_err("%s: %s: %s", c->path, what, why);
		return EXIT_IO;
	}
	return 0;
}

/* A block number: decimal or 0x hexadecimal, nothing else. 0 or -EINVAL. */
static int parse_lba(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static const struct option zone_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"all", no_argument, NULL, 'a'},
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/*
 * Options for these commands: which of --json, --all, --force @cmd takes is in @allowed.
 * Return: the index of the first positional argument, -1 on a usage error (said), or -2 after
 * --help.
 */
static int parse(int argc, char **argv, const char *cmd, const char *allowed, const char *help,
		 bool *json, bool *all, bool *force)
{
	int opt;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, zone_opts, cmd)) != -1) {
		if (opt == 'h') {
			fputs(help, stdout);
			return -2;
		}
		if (opt == '?')
			return -1;
		if (!strchr(allowed, opt)) {
			cli_err("%s: option '%s' does not apply (see 'ringline %s --help')", cmd,
				argv[optind - 1], cmd);
			return -1;
		}
		*(opt == 'j' ? json : opt == 'a' ? all : force) = true;
	}
	return optind;
}

static struct json_object *zone_json(const struct rl_nvme_zone *z)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "zslba", json_object_new_uint64(z->zslba));
	json_object_object_add(o, "wp", json_object_new_uint64(z->wp));
	json_object_object_add(o, "zcap", json_object_new_uint64(z->zcap));
	json_object_object_add(o, "state", json_object_new_string(rl_zone_state_str(z->state)));
	json_object_object_add(o, "type", json_object_new_int(z->type));
	json_object_object_add(o, "attrs", json_object_new_int(z->attrs));
	return o;
}

int cmd_zones(int argc, char **argv)
{
	static const char help[] =
	    "usage: ringline zones DEV [--json]\n"
	    "\n"
	    "Report the zones of a zoned NVMe namespace (ZNS; /dev/ngXnY or /dev/nvmeXnY)\n"
	    "through Zone Management Receive on the ring: each zone's start (ZSLBA), write\n"
	    "pointer, capacity (blocks writable from the start) and state (empty,\n"
	    "implicitly-open, explicitly-open, closed, full, read-only, offline).\n"
	    "\n"
	    "options:\n"
	    "  --json      one JSON object: device, lba_size, zone_size, nr_zones, zasl_bytes,\n"
	    "              max_open_zones, max_active_zones (0: no limit), and zones, an array\n"
	    "              of {zslba, wp, zcap, state, type, attrs}\n"
	    "  -h, --help  show this text\n"
	    "\n"
	    "exit status: 0 success, 1 device error (not zoned too), 2 usage error\n";
	struct json_object *arr = NULL, *o;
	struct zctx c;
	bool json = false, all = false, force = false;
	int i = parse(argc, argv, "zones", "j", help, &json, &all, &force), ret;
	uint64_t slba = 0, seen = 0;
	uint32_t len;
	char *buf;

	if (i < 0)
		return i == -2 ? 0 : EXIT_USAGE;
	if (argc - i != 1) {
		cli_err("zones: %s (see 'ringline zones --help')",
			argc - i < 1 ? "missing DEV" : "one DEV expected");
		return EXIT_USAGE;
	}
	ret = zopen(&c, argv[i], false, false);
	if (ret)
		return ret;
	len = REPORT_BYTES < rl_nvme_info(c.d)->max_transfer ? REPORT_BYTES
							     : rl_nvme_info(c.d)->max_transfer;
	len -= len % RL_ZONE_DESC_SIZE;
	buf = rl_alloc_aligned(4096, len);
	if (!buf) {
		cli_err("out of memory");
		ret = EXIT_IO;
		goto out;
	}
	if (json)
		arr = json_object_new_array();
	else
		printf("%-18s %-18s %-12s %s\n", "zslba", "wp", "zcap", "state");
	/* Partial reports from the zone after the last one seen, until every zone is listed. */
	while (seen < c.z->nr_zones) {
		struct rl_nvme_zone_iter it;
		struct rl_nvme_zone z;
		int64_t r[2] = {0};

		ret = wait_cmd(
		    &c,
		    rl_nvme_report_zones(c.d, slba, RL_ZONE_LIST_ALL, true, buf, len, on_done, r),
		    r, "Report Zones");
		if (ret)
			goto out;
		if (rl_nvme_zone_iter_init(&it, buf, len) <= 0)
			break;
		while (rl_nvme_zone_next(&it, &z)) {
			if (json)
				json_object_array_add(arr, zone_json(&z));
			else
				printf("0x%-16llx 0x%-16llx 0x%-10llx %s\n",
				       (unsigned long long)z.zslba, (unsigned long long)z.wp,
				       (unsigned long long)z.zcap, rl_zone_state_str(z.state));
			slba = z.zslba + c.z->zone_size;
			seen++;
		}
		if (slba >= rl_nvme_info(c.d)->nsze)
			break;
	}
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "device", json_object_new_string(c.path));
		json_object_object_add(o, "lba_size",
				       json_object_new_uint64(rl_nvme_info(c.d)->lba_size));
		json_object_object_add(o, "zone_size", json_object_new_uint64(c.z->zone_size));
		json_object_object_add(o, "nr_zones", json_object_new_uint64(c.z->nr_zones));
		json_object_object_add(o, "zasl_bytes", json_object_new_uint64(c.z->zasl_bytes));
		json_object_object_add(o, "max_open_zones", json_object_new_uint64(c.z->max_open));
		json_object_object_add(o, "max_active_zones",
				       json_object_new_uint64(c.z->max_active));
		json_object_object_add(o, "zones", arr);
		arr = NULL;
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	ret = 0;
out:
	json_object_put(arr);
	rl_free_aligned(buf);
	rl_engine_destroy(c.e);
	return ret;
}

static const struct {
	const char *name;
	enum rl_zone_action action;
} actions[] = {
    {"open", RL_ZONE_OPEN},
    {"close", RL_ZONE_CLOSE},
    {"finish", RL_ZONE_FINISH},
    {"reset", RL_ZONE_RESET},
};

int cmd_zone(int argc, char **argv)
{
	static const char help[] =
	    "usage: ringline zone open|close|finish|reset DEV ZSLBA|--all [--force]\n"
	    "\n"
	    "Zone Management Send on a zoned NVMe namespace: open (explicitly), close, finish\n"
	    "(make full) or reset (empty, write pointer back to the start) the zone that starts\n"
	    "at block ZSLBA (decimal or 0x hexadecimal), or with --all every zone the action\n"
	    "applies to. A transition the zone's state does not allow fails with the NVMe\n"
	    "status Invalid Zone State Transition.\n"
	    "\n"
	    "options:\n"
	    "  --all       every zone (Select All) instead of ZSLBA\n"
	    "  --force     act even while the namespace's block device is in use (mounted);\n"
	    "              without it ringline claims /dev/nvmeXnY exclusively and refuses\n"
	    "  -h, --help  show this text\n"
	    "\n"
	    "exit status: 0 success, 1 device error, 2 usage error\n";
	struct zctx c;
	bool json = false, all = false, force = false;
	int i = parse(argc, argv, "zone", "af", help, &json, &all, &force), ret;
	int64_t r[2] = {0};
	uint64_t zslba = 0;
	size_t k;
	char what[32];

	if (i < 0)
		return i == -2 ? 0 : EXIT_USAGE;
	if (argc - i < 1) {
		cli_err("zone: missing ACTION: open, close, finish or reset (see 'ringline zone "
			"--help')");
		return EXIT_USAGE;
	}
	for (k = 0; k < sizeof(actions) / sizeof(actions[0]); k++)
		if (!strcmp(argv[i], actions[k].name))
			break;
	if (k == sizeof(actions) / sizeof(actions[0])) {
		cli_err("zone: unknown action '%s': expected open, close, finish or reset",
			argv[i]);
		return EXIT_USAGE;
	}
	if (argc - i < 2) {
		cli_err("zone: missing DEV (see 'ringline zone --help')");
		return EXIT_USAGE;
	}
	if (argc - i != (all ? 2 : 3)) {
		cli_err("zone: %s", all		   ? "--all takes no ZSLBA"
				    : argc - i < 3 ? "missing ZSLBA (or --all)"
						   : "unexpected argument after ZSLBA");
		return EXIT_USAGE;
	}
	if (!all && parse_lba(argv[i + 2], &zslba)) {
		cli_err("zone: ZSLBA '%s' is not a block number (decimal or 0x hexadecimal)",
			argv[i + 2]);
		return EXIT_USAGE;
	}
	ret = zopen(&c, argv[i + 1], true, force);
	if (ret)
		return ret;
	snprintf(what, sizeof(what), "zone %s", actions[k].name);
	ret = wait_cmd(&c, rl_nvme_zone_mgmt(c.d, actions[k].action, zslba, all, on_done, r), r,
		       what);
	rl_engine_destroy(c.e);
	return ret;
}

/* Read stdin whole into @buf (@cap bytes); more than @cap is -EFBIG. Return: bytes or -errno. */
static ssize_t read_stdin(char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	char extra;

	while (got < cap) {
		n = read(0, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
	}
	while ((n = read(0, &extra, 1)) < 0 && errno == EINTR)
		;
	return n == 0 ? (ssize_t)got : n < 0 ? -errno : -EFBIG;
}

int cmd_append(int argc, char **argv)
{
	static const char help[] =
	    "usage: ringline append DEV ZSLBA [--force]\n"
	    "\n"
	    "Write stdin to the zone of a zoned NVMe namespace that starts at block ZSLBA\n"
	    "(decimal or 0x hexadecimal) with one Zone Append, and print the block the device\n"
	    "wrote it to (the zone's write pointer at that moment), in decimal.\n"
	    "stdin must be a whole number of blocks, at most the Zone Append Size Limit\n"
	    "(ZASL, see 'ringline identify'); nothing is written otherwise. A full zone fails\n"
	    "with the NVMe status Zone Is Full.\n"
	    "\n"
	    "options:\n"
	    "  --force     write even while the namespace's block device is in use (mounted);\n"
	    "              without it ringline claims /dev/nvmeXnY exclusively and refuses\n"
	    "  -h, --help  show this text\n"
	    "\n"
	    "exit status: 0 success, 1 I/O or device error, 2 usage error\n";
	struct zctx c;
	bool json = false, all = false, force = false;
	int i = parse(argc, argv, "append", "f", help, &json, &all, &force), ret;
	int64_t r[2] = {0};
	uint64_t zslba;
	uint32_t lbs;
	ssize_t n;
	char *buf = NULL;

	if (i < 0)
		return i == -2 ? 0 : EXIT_USAGE;
	if (argc - i != 2) {
		cli_err("append: %s (see 'ringline append --help')",
			argc - i < 1   ? "missing DEV"
			: argc - i < 2 ? "missing ZSLBA"
				       : "unexpected argument after ZSLBA");
		return EXIT_USAGE;
	}
	if (parse_lba(argv[i + 1], &zslba)) {
		cli_err("append: ZSLBA '%s' is not a block number (decimal or 0x hexadecimal)",
			argv[i + 1]);
		return EXIT_USAGE;
	}
	ret = zopen(&c, argv[i], true, force);
	if (ret)
		return ret;
	lbs = rl_nvme_info(c.d)->lba_size;
	buf = rl_alloc_aligned(4096, APPEND_IN_MAX);
	if (!buf) {
		cli_err("out of memory");
		ret = EXIT_IO;
		goto out;
	}
	n = read_stdin(buf, APPEND_IN_MAX);
	if (n < 0) {
		cli_err("append: stdin: %s", n == -EFBIG ? "more than 64 MiB" : strerror((int)-n));
		ret = n == -EFBIG ? EXIT_USAGE : EXIT_IO;
		goto out;
	}
	if (n == 0 || n % lbs) {
		cli_err("%s: stdin holds %zd bytes, not a non-zero multiple of the LBA size %u",
			c.path, n, lbs);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = wait_cmd(&c, rl_nvme_zone_append(c.d, buf, zslba, (uint32_t)(n / lbs), on_done, r), r,
		       "Zone Append");
	if (!ret)
		printf("%llu\n", (unsigned long long)r[1]);
out:
	rl_free_aligned(buf);
	rl_engine_destroy(c.e);
	return ret;
}
