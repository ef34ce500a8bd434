// SPDX-License-Identifier: MIT
/*
 * NVMe identify and SMART / Health JSON, shared by `ringline identify/health --json` and the HTTP
 * endpoints /v1/devices and /v1/devices/{name}/health. Field names follow nvme-cli.
 */
#include <endian.h>
#include <libnvme.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devjson.h"

struct json_object *ctl_nvme_info_json(const char *path, const struct rl_nvme_info *in,
				       const struct rl_nvme_zns *zns)
{
	struct json_object *o = json_object_new_object();

	/* Unsigned, as the device reports them: a size past 2^63 is not negative. */
#define ADD_INT(k, v) json_object_object_add(o, k, json_object_new_uint64(v))
#define ADD_STR(k, v) json_object_object_add(o, k, json_object_new_string(v))
	ADD_STR("device", path);
	ADD_STR("generic_device", in->generic_path);
	ADD_INT("nsid", in->nsid);
	ADD_INT("lba_size", in->lba_size);
	ADD_INT("ms", in->ms);
	json_object_object_add(o, "extended_lba", json_object_new_boolean(in->extended));
	ADD_INT("lbaf", in->lbaf);
	ADD_INT("pi_type", in->pi_type);
	ADD_INT("pif", in->pif);
	ADD_INT("pi_size", in->pi_size);
	json_object_object_add(o, "pi_first", json_object_new_boolean(in->pi_first));
	ADD_INT("nsze", in->nsze);
	ADD_INT("ncap", in->ncap);
	ADD_INT("nuse", in->nuse);
	ADD_INT("capacity_bytes", in->capacity_bytes);
	ADD_INT("mdts_bytes", in->mdts_bytes);
	ADD_INT("max_transfer_bytes", in->max_transfer);
	ADD_INT("dlfeat", in->dlfeat);
	ADD_STR("model", in->model);
	ADD_STR("serial", in->serial);
	ADD_STR("firmware", in->firmware);
	json_object_object_add(o, "zoned", json_object_new_boolean(zns != NULL));
	if (zns) {
		ADD_INT("zone_size", zns->zone_size);
		ADD_INT("nr_zones", zns->nr_zones);
		ADD_INT("zasl_bytes", zns->zasl_bytes);
		ADD_INT("max_open_zones", zns->max_open);
		ADD_INT("max_active_zones", zns->max_active);
	}
#undef ADD_INT
#undef ADD_STR
	return o;
}

/* The decimal digits of the 128-bit little-endian @v (39 at most) in @out. */
static void u128_decimal(const uint8_t *v, char out[40])
{
	uint8_t n[16];
	char rev[40];
	int len = 0;
	bool more;

	memcpy(n, v, sizeof(n));
	do { /* divide by 10, most significant byte first; the remainder is the next digit */
		unsigned rem = 0;

		more = false;
		for (int i = 15; i >= 0; i--) {
			unsigned cur = rem << 8 | n[i];

			n[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			more |= n[i] != 0;
		}
		rev[len++] = (char)('0' + rem);
	} while (more);
	for (int i = 0; i < len; i++)
		out[i] = rev[len - 1 - i];
	out[len] = 0;
}

/*
 * A 128-bit little-endian counter, every digit of it, as nvme-cli prints it. A json-c integer
 * has 64 bits: a counter past that (a device that has not lived so long may still say so) is
 * UINT64_MAX to a reader in this process, and its digits when written out.
 */
static struct json_object *counter128(const uint8_t *v)
{
	struct json_object *o;
	uint64_t low = 0, high = 0;
	char digits[40];

	for (int i = 7; i >= 0; i--) {
		low = low << 8 | v[i];
		high = high << 8 | v[i + 8];
	}
	if (!high)
		return json_object_new_uint64(low);
	o = json_object_new_uint64(UINT64_MAX);
	u128_decimal(v, digits);
	json_object_set_serializer(o, json_object_userdata_to_json_string, strdup(digits),
				   json_object_free_userdata);
	return o;
}

struct json_object *ctl_smart_log_json(const void *buf)
{
	const struct nvme_smart_log *log = buf;
	struct json_object *o = json_object_new_object();

#define ADD(k, v) json_object_object_add(o, k, json_object_new_uint64(v))
#define ADD128(k, v) json_object_object_add(o, k, counter128(v))
	ADD("critical_warning", log->critical_warning);
	ADD("temperature", (unsigned)(log->temperature[1] << 8 | log->temperature[0]));
	ADD("avail_spare", log->avail_spare);
	ADD("spare_thresh", log->spare_thresh);
	ADD("percent_used", log->percent_used);
	ADD("endurance_grp_critical_warning_summary", log->endu_grp_crit_warn_sumry);
	ADD128("data_units_read", log->data_units_read);
	ADD128("data_units_written", log->data_units_written);
	ADD128("host_read_commands", log->host_reads);
	ADD128("host_write_commands", log->host_writes);
	ADD128("controller_busy_time", log->ctrl_busy_time);
	ADD128("power_cycles", log->power_cycles);
	ADD128("power_on_hours", log->power_on_hours);
	ADD128("unsafe_shutdowns", log->unsafe_shutdowns);
	ADD128("media_errors", log->media_errors);
	ADD128("num_err_log_entries", log->num_err_log_entries);
	ADD("warning_temp_time", le32toh(log->warning_temp_time));
	ADD("critical_comp_time", le32toh(log->critical_comp_time));
#undef ADD128
#undef ADD
	return o;
}
