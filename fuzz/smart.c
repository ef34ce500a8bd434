// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the SMART / Health log as JSON (control/devjson.c, ctl_smart_log_json()), which
 * `ringline health --json` prints and GET /v1/devices/NAME/health serves. The input is the
 * 512-byte log page as the device returned it (shorter inputs are padded with zeroes).
 *
 * What must hold: the JSON is valid (strict, UTF-8) and every field is the page's value, the
 * 128-bit counters exactly (as nvme-cli prints them), none negative; and ASan, UBSan and
 * LeakSanitizer stay quiet.
 */
#include <endian.h>
#include <json-c/json.h>
#include <libnvme.h>
#include <string.h>

#include "devjson.h"
#include "fuzz.h"

/* The decimal digits of an unsigned 128-bit little-endian value. */
static void u128_str(const uint8_t *v, char *out, size_t len)
{
	unsigned __int128 x = 0;
	char tmp[48];
	int n = 0;

	for (int i = 15; i >= 0; i--)
		x = x << 8 | v[i];
	do {
		tmp[n++] = (char)('0' + (int)(x % 10));
		x /= 10;
	} while (x);
	for (int i = 0; i < n && (size_t)i + 1 < len; i++)
		out[i] = tmp[n - 1 - i];
	out[n < (int)len ? n : (int)len - 1] = 0;
}

static void expect(const char *json, const char *key, const char *want)
{
	char pat[96];
	const char *p;
	size_t n = strlen(want);

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	FUZZ_CHECK(p, "no %s in %s", key, json);
	p += strlen(pat);
	FUZZ_CHECK(!strncmp(p, want, n) && (p[n] == ',' || p[n] == '}'),
		   "%s is %.40s, the page says %s", key, p, want);
}

static void expect_u64(const char *json, const char *key, uint64_t v)
{
	char want[24];

	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	expect(json, key, want);
}

static void expect_u128(const char *json, const char *key, const uint8_t *v)
{
	char want[48];

	u128_str(v, want, sizeof(want));
	expect(json, key, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvme_smart_log log;
	struct json_object *o, *back;
	struct json_tokener *tok;
	const char *s;

	if (size > sizeof(log))
		return -1;
	memset(&log, 0, sizeof(log));
	memcpy(&log, data, size);
	o = ctl_smart_log_json(&log);
	s = json_object_to_json_string_ext(o,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, s, (int)strlen(s));
	FUZZ_CHECK(back && json_tokener_get_parse_end(tok) == strlen(s), "not JSON: %s", s);
	json_object_put(back);
	json_tokener_free(tok);

	expect_u64(s, "critical_warning", log.critical_warning);
	expect_u64(s, "temperature", (uint64_t)log.temperature[1] << 8 | log.temperature[0]);
	expect_u64(s, "avail_spare", log.avail_spare);
	expect_u64(s, "spare_thresh", log.spare_thresh);
	expect_u64(s, "percent_used", log.percent_used);
	expect_u64(s, "endurance_grp_critical_warning_summary", log.endu_grp_crit_warn_sumry);
	expect_u128(s, "data_units_read", log.data_units_read);
	expect_u128(s, "data_units_written", log.data_units_written);
	expect_u128(s, "host_read_commands", log.host_reads);
	expect_u128(s, "host_write_commands", log.host_writes);
	expect_u128(s, "controller_busy_time", log.ctrl_busy_time);
	expect_u128(s, "power_cycles", log.power_cycles);
	expect_u128(s, "power_on_hours", log.power_on_hours);
	expect_u128(s, "unsafe_shutdowns", log.unsafe_shutdowns);
	expect_u128(s, "media_errors", log.media_errors);
	expect_u128(s, "num_err_log_entries", log.num_err_log_entries);
	expect_u64(s, "warning_temp_time", le32toh(log.warning_temp_time));
	expect_u64(s, "critical_comp_time", le32toh(log.critical_comp_time));
	json_object_put(o);
	return 0;
}
