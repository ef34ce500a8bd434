/* SPDX-License-Identifier: MIT */
/*
 * NVMe identify and SMART / Health JSON, shared by the CLI (`ringline identify --json`,
 * `ringline health --json`) and the HTTP endpoints, so both always show the same fields.
 * A leaf: it includes only the public API and json-c.
 */
#ifndef RINGLINE_CONTROL_DEVJSON_H
#define RINGLINE_CONTROL_DEVJSON_H

#include <json-c/json.h>

#include "ringline.h"

/* @zns: the zoned geometry (rl_nvme_zns()), or NULL for a namespace that is not zoned. */
struct json_object *ctl_nvme_info_json(const char *path, const struct rl_nvme_info *in,
				       const struct rl_nvme_zns *zns);
/* @log: a SMART / Health log page (libnvme's struct nvme_smart_log, 512 bytes). */
struct json_object *ctl_smart_log_json(const void *log);

#endif
