// SPDX-License-Identifier: MIT
/*
 * NVMe identify and SMART / Health JSON, shared by `ringline identify/health --json` and the HTTP
 * endpoints /v1/devices and /v1/devices/{name}/health. Field names follow nvme-cli.
 */
#include <endian.h>
#include <libnvme.h>

#include "devjson.h"

struct json_object *ctl_nvme_info_json(const char *path, const struct rl_nvme_info *in)
{
	struct json_object *o = json_object_new_object();

#define ADD_INT(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
#define ADD_STR(k, v) json_object_object_add(o, k, json_object_new_string(v))
	ADD_STR("device", path);
	ADD_STR("generic_device", in->generic_path);
	ADD_INT("nsid", in->nsid);
	ADD_INT("lba_size", in->lba_size);
	ADD_INT("ms", in->ms);
	json_object_object_add(o, "extended_lba", json_object_new_boolean(in->extended));
	ADD_INT("lbaf", in->lbaf);
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
#undef ADD_INT
#undef ADD_STR
	return o;
}

/* The low 64 bits of a little-endian 128-bit counter (nvme-cli prints the same for < 2^64). */
static uint64_t le128_low(const uint8_t *v)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | v[i];
	return x;
}

struct json_object *ctl_smart_log_json(const void *buf)
{
	const struct nvme_smart_log *log = buf;
	struct json_object *o = json_object_new_object();

#define ADD(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
	ADD("critical_warning", log->critical_warning);
	ADD("temperature", log->temperature[1] << 8 | log->temperature[0]);
	ADD("avail_spare", log->avail_spare);
	ADD("spare_thresh", log->spare_thresh);
	ADD("percent_used", log->percent_used);
	ADD("endurance_grp_critical_warning_summary", log->endu_grp_crit_warn_sumry);
	ADD("data_units_read", le128_low(log->data_units_read));
	ADD("data_units_written", le128_low(log->data_units_written));
	ADD("host_read_commands", le128_low(log->host_reads));
	ADD("host_write_commands", le128_low(log->host_writes));
	ADD("controller_busy_time", le128_low(log->ctrl_busy_time));
	ADD("power_cycles", le128_low(log->power_cycles));
	ADD("power_on_hours", le128_low(log->power_on_hours));
	ADD("unsafe_shutdowns", le128_low(log->unsafe_shutdowns));
	ADD("media_errors", le128_low(log->media_errors));
	ADD("num_err_log_entries", le128_low(log->num_err_log_entries));
	ADD("warning_temp_time", le32toh(log->warning_temp_time));
	ADD("critical_comp_time", le32toh(log->critical_comp_time));
#undef ADD
	return o;
}
