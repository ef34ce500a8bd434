// SPDX-License-Identifier: MIT
/*
 * The NVMe JSON of `ringline identify/health --json` and of /v1/devices and
 * /v1/devices/NAME/health (control/devjson.c): numbers as the device reports them.
 */
#include <json-c/json.h>
#include <libnvme.h>

#include "helpers.h"
#include "devjson.h"

static const char *text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void le128(uint8_t *dst, uint64_t low, uint64_t high)
{
	for (int i = 0; i < 8; i++) {
		dst[i] = (uint8_t)(low >> 8 * i);
		dst[8 + i] = (uint8_t)(high >> 8 * i);
	}
}

Test(devjson, smart_log_as_qemu_fills_it)
{
	struct nvme_smart_log log = {
	    .temperature = {0x43, 0x01}, .avail_spare = 100, .spare_thresh = 10};
	struct json_object *o;

	le128(log.data_units_read, 42, 0);
	le128(log.power_on_hours, 5, 0);
	o = ctl_smart_log_json(&log);
	cr_assert(strstr(text(o), "\"temperature\":323,\"avail_spare\":100,\"spare_thresh\":10,"),
		  "%s", text(o));
	cr_assert(strstr(text(o), "\"data_units_read\":42,"), "%s", text(o));
	cr_assert(strstr(text(o), "\"power_on_hours\":5,"), "%s", text(o));
	json_object_put(o);
}

/*
 * Found by fuzz/smart.c (corpus/smart/regress-data-units-read-past-2-to-the-64): counters went
 * out as the int64 of their low 64 bits, so 2^63 read as negative and 2^64 as 0, where nvme-cli
 * prints every digit.
 */
Test(devjson, smart_counters_are_exact_to_128_bits)
{
	struct nvme_smart_log log = {0};
	struct json_object *o, *v;

	le128(log.data_units_read, 1ull << 63, 0);
	le128(log.data_units_written, UINT64_MAX, 0);
	le128(log.host_reads, 0, 1);
	le128(log.host_writes, UINT64_MAX, UINT64_MAX);
	o = ctl_smart_log_json(&log);
	cr_assert(strstr(text(o), "\"data_units_read\":9223372036854775808,"), "%s", text(o));
	cr_assert(strstr(text(o), "\"data_units_written\":18446744073709551615,"), "%s", text(o));
	cr_assert(strstr(text(o), "\"host_read_commands\":18446744073709551616,"), "%s", text(o));
	cr_assert(
	    strstr(text(o), "\"host_write_commands\":340282366920938463463374607431768211455,"),
	    "%s", text(o));
	/* In this process a counter past 2^64 reads as the largest uint64. */
	cr_assert(json_object_object_get_ex(o, "host_read_commands", &v));
	cr_assert_eq(json_object_get_uint64(v), UINT64_MAX);
	cr_assert_str_eq(json_object_get_string(v), "18446744073709551616", "`ringline health`");
	json_object_put(o);
}

/* Found by fuzz/identify.c (corpus/identify/regress-ncap-past-2-to-the-63): negative sizes. */
Test(devjson, identify_numbers_are_unsigned)
{
	struct rl_nvme_info in = {.nsid = 0xffffffffu,
				  .lba_size = 512,
				  .nsze = 1ull << 63,
				  .ncap = UINT64_MAX,
				  .capacity_bytes = UINT64_MAX};
	struct json_object *o = ctl_nvme_info_json("/dev/ng0n1", &in, NULL);

	cr_assert(strstr(text(o), "\"nsid\":4294967295,"), "%s", text(o));
	cr_assert(strstr(text(o), "\"nsze\":9223372036854775808,\"ncap\":18446744073709551615,"),
		  "%s", text(o));
	cr_assert(strstr(text(o), "\"capacity_bytes\":18446744073709551615,"), "%s", text(o));
	json_object_put(o);
}
