// SPDX-License-Identifier: MIT
/* ringline list / identify / health: NVMe namespaces and what they report. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libnvme.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringline.h"
#include "cli.h"
#include "control.h"

/* --json and --help, the only options these commands take; returns the positional index. */
static int parse_common(int argc, char **argv, int nargs, const char *help, bool *json)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int opt;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, opts, argv[0])) != -1) {
		if (opt == 'j') {
			*json = true;
		} else if (opt == 'h') {
			fputs(help, stdout);
			exit(0);
		} else {
			return -1;
		}
	}
	if (argc - optind > nargs) {
		cli_err("%s: unexpected argument '%s' (see 'ringline %s --help')", argv[0],
			argv[optind + nargs], argv[0]);
		return -1;
	}
	if (argc - optind < nargs) {
		cli_err("%s: missing DEV (see 'ringline %s --help')", argv[0], argv[0]);
		return -1;
	}
	return optind;
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int open_dev(struct rl_engine **e, const char *path, struct rl_nvme_dev **d)
{
	int ret = rl_engine_create(NULL, e);

	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		return EXIT_IO;
	}
	ret = rl_nvme_open(*e, path, NULL, d);
	if (ret) {
		cli_lib_err(*e, ret, path);
		rl_engine_destroy(*e);
		return EXIT_IO;
	}
	return 0;
}

int cmd_identify(int argc, char **argv)
{
	static const char help[] =
	    "usage: ringline identify DEV [--json]\n"
	    "\n"
	    "Identify an NVMe namespace (/dev/ngXnY or /dev/nvmeXnY): namespace id, LBA size\n"
	    "and metadata size of the format in use, its protection information (type, guard,\n"
	    "where in the metadata), size, capacity and utilisation in blocks,\n"
	    "MDTS, model, serial and firmware; for a zoned namespace (ZNS) the zone size,\n"
	    "number of zones, Zone Append Size Limit and the open and active zone limits.\n"
	    "\n"
	    "options:\n"
	    "  --json      one JSON object: nsid, lba_size, ms, extended_lba, lbaf, pi_type\n"
	    "              (0 none, 1-3), pif (0 16-bit, 1 32-bit, 2 64-bit guard), pi_size,\n"
	    "              pi_first, nsze, ncap, nuse, capacity_bytes, mdts_bytes,\n"
	    "              max_transfer_bytes, dlfeat, model, serial, firmware, device,\n"
	    "              generic_device; and zoned (true on a ZNS namespace), with\n"
	    "              zone_size (blocks), nr_zones, zasl_bytes (0: MDTS),\n"
	    "              max_open_zones and max_active_zones (0: no limit) when zoned\n"
	    "  -h, --help  show this text\n"
	    "\n"
	    "exit status: 0 success, 1 device error, 2 usage error\n";
	struct rl_engine *e;
	struct rl_nvme_dev *d;
	const struct rl_nvme_info *in;
	const struct rl_nvme_zns *zns;
	bool json = false;
	int i = parse_common(argc, argv, 1, help, &json), ret;

	if (i < 0)
		return EXIT_USAGE;
	ret = open_dev(&e, argv[i], &d);
	if (ret)
		return ret;
	in = rl_nvme_info(d);
	zns = rl_nvme_zns(d);
	if (json) {
		struct json_object *o = ctl_nvme_info_json(argv[i], in, zns);

		print_json(o);
	} else {
		printf("%s (%s): nsid %u\n", argv[i], in->generic_path, in->nsid);
		printf("  model %s, serial %s, firmware %s\n", in->model, in->serial, in->firmware);
		printf("  LBA format %u: %u-byte blocks, %u bytes of metadata%s\n", in->lbaf,
		       in->lba_size, in->ms, in->extended ? " (extended LBA)" : "");
		if (in->pi_type)
			printf("  protection information: type %u, %s guard (%u bytes of PI, %s of "
			       "the metadata)\n",
			       in->pi_type,
			       in->pif == 2   ? "64-bit CRC-64 NVMe"
			       : in->pif == 1 ? "32-bit CRC-32C"
					      : "16-bit CRC-16 T10-DIF",
			       in->pi_size, in->pi_first ? "first bytes" : "last bytes");
		else if (in->ms)
			printf("  protection information: none (metadata only)\n");
		printf("  size %llu blocks (%llu bytes), capacity %llu, in use %llu\n",
		       (unsigned long long)in->nsze, (unsigned long long)in->capacity_bytes,
		       (unsigned long long)in->ncap, (unsigned long long)in->nuse);
		printf("  MDTS %u bytes%s, largest transfer %u bytes\n", in->mdts_bytes,
		       in->mdts_bytes ? "" : " (no limit)", in->max_transfer);
		if (zns)
			printf("  zoned (ZNS): %llu zones of %llu blocks, zone append limit %u "
			       "bytes%s, max open %u, max active %u (0: no limit)\n",
			       (unsigned long long)zns->nr_zones,
			       (unsigned long long)zns->zone_size, zns->max_append,
			       zns->zasl_bytes ? " (ZASL)" : " (MDTS)", zns->max_open,
			       zns->max_active);
	}
	rl_engine_destroy(e);
	return 0;
}

static void on_done(void *arg, int res, uint64_t result)
{
	(void)result;
	*(int *)arg = res;
}

int cmd_health(int argc, char **argv)
{
	static const char help[] =
	    "usage: ringline health DEV [--json]\n"
	    "\n"
	    "Read the SMART / Health log (Get Log Page 0x02) of an NVMe controller through an\n"
	    "admin passthrough command on the engine's ring. Field names follow nvme-cli's\n"
	    "smart-log; temperature is in Kelvin.\n"
	    "\n"
	    "options:\n"
	    "  --json      one JSON object of the same fields\n"
	    "  -h, --help  show this text\n"
	    "\n"
	    "exit status: 0 success, 1 device error, 2 usage error\n";
	struct nvme_smart_log *log = NULL;
	struct rl_engine *e;
	struct rl_nvme_dev *d;
	struct json_object *o;
	bool json = false;
	char why[128];
	int i = parse_common(argc, argv, 1, help, &json), ret, res = -EINPROGRESS;

	if (i < 0)
		return EXIT_USAGE;
	ret = open_dev(&e, argv[i], &d);
	if (ret)
		return ret;
	log = rl_alloc_aligned(4096, sizeof(*log));
	ret =
	    rl_nvme_get_log(d, NVME_LOG_LID_SMART, NVME_NSID_ALL, log, sizeof(*log), on_done, &res);
	if (ret) {
		cli_lib_err(e, ret, argv[i]);
		ret = EXIT_IO;
		goto out;
	}
	while (rl_engine_inflight(e))
		if ((ret = rl_engine_poll(e, 1, -1)) < 0) {
			cli_err("completion loop: %s", strerror(-ret));
			ret = EXIT_IO;
			goto out;
		}
	if (res != 0) {
		cli_err("%s: Get Log Page (SMART): %s", argv[i],
			res > 0 ? rl_nvme_status_str(res, why, sizeof(why)) : strerror(-res));
		ret = EXIT_IO;
		goto out;
	}
	o = ctl_smart_log_json(log); /* the same fields /v1/devices/NAME/health serves */
	if (json) {
		print_json(o);
	} else {
		printf("%s: SMART / Health log\n", argv[i]);
		json_object_object_foreach(o, key, val)
		    printf("  %-40s %s\n", key, json_object_get_string(val));
		json_object_put(o);
	}
	ret = 0;
out:
	rl_engine_destroy(e);
	rl_free_aligned(log);
	return ret;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*a)->d_name, (*b)->d_name);
}

int cmd_list(int argc, char **argv)
{
	static const char help[] =
	    "usage: ringline list [--json]\n"
	    "\n"
	    "List NVMe namespaces with their generic char devices (/dev/ngXnY, the ones\n"
	    "passthrough uses), block devices, model, size and LBA format.\n"
	    "\n"
	    "options:\n"
	    "  --json      one JSON array, an object per namespace\n"
	    "  -h, --help  show this text\n"
	    "\n"
	    "exit status: 0 success (also when there are none), 1 error, 2 usage error\n";
	struct json_object *arr;
	struct dirent **names = NULL;
	struct rl_engine *e;
	bool json = false;
	int n, ret;

	if (parse_common(argc, argv, 0, help, &json) < 0)
		return EXIT_USAGE;
	ret = rl_engine_create(NULL, &e);
	if (ret) {
		cli_err("cannot create the io_uring engine: %s", strerror(-ret));
		return EXIT_IO;
	}
	arr = json_object_new_array();
	n = scandir("/sys/class/nvme-generic", &names, NULL, by_name);
	if (!json)
		printf("%-14s %-14s %-24s %14s  %s\n", "generic", "block", "model", "size",
		       "format");
	for (int k = 0; k < n; k++) {
		char gen[300], blk[300];
		struct rl_nvme_dev *d;
		const struct rl_nvme_info *in;
		unsigned c, ns;

		if (names[k]->d_name[0] == '.')
			continue;
		snprintf(gen, sizeof(gen), "/dev/%s", names[k]->d_name);
		blk[0] = 0;
		if (sscanf(names[k]->d_name, "ng%un%u", &c, &ns) == 2)
			snprintf(blk, sizeof(blk), "/dev/nvme%un%u", c, ns);
		if (rl_nvme_open(e, gen, NULL, &d)) {
			cli_err("warning: %s", cli_lib_msg(e));
			continue;
		}
		in = rl_nvme_info(d);
		if (json) {
			struct json_object *o = ctl_nvme_info_json(gen, in, rl_nvme_zns(d));

			json_object_object_add(o, "block_device", json_object_new_string(blk));
			json_object_array_add(arr, o);
		} else {
			printf("%-14s %-14s %-24s %14llu  %u+%u\n", gen, blk, in->model,
			       (unsigned long long)in->capacity_bytes, in->lba_size, in->ms);
		}
		rl_nvme_close(d);
	}
	for (int k = 0; k < n; k++)
		free(names[k]);
	free(names);
	if (json)
		print_json(arr);
	else
		json_object_put(arr);
	rl_engine_destroy(e);
	return 0;
}
