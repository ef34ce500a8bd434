// SPDX-License-Identifier: MIT
/*
 * Fuzz target: Identify Controller and Identify Namespace as the device returns them, parsed
 * into struct rl_nvme_info (nvme/identify.c, rl__nvme_parse_identify()) and rendered as the
 * JSON of `ringline identify --json` and GET /v1/devices (control/devjson.c). The input is the
 * controller's 4096 bytes, then the namespace's 4096 (shorter inputs are padded with zeroes).
 *
 * What must hold: an accepted namespace has a usable format (an LBA size of 512 bytes to
 * 64 KiB, a format index within the reported ones), a capacity that is nsze times the LBA size
 * without overflow, MDTS in bytes as the controller says (0: no limit), printable trimmed
 * strings; a refused one comes with a reason; the JSON is valid UTF-8 and says the same
 * numbers, none negative; and ASan, UBSan and LeakSanitizer stay quiet.
 */
#include <endian.h>
#include <json-c/json.h>
#include <libnvme.h>
#include <string.h>

#include "devjson.h"
#include "fuzz.h"
#include "nvme/nvme_private.h"

/* @s from the Identify field @field of @max bytes: all of it but the padding, printable. */
static void check_string(const char *what, const char *s, const char *field, size_t max)
{
	size_t n = strlen(s), want = max;

	while (want && (field[want - 1] == ' ' || field[want - 1] == 0))
		want--;
	FUZZ_CHECK(n == want, "%s: %zu bytes of a %zu-byte field with %zu before the padding", what,
		   n, max, want);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(s[i] >= 0x20 && s[i] < 0x7f, "%s: byte %zu is 0x%02x, not printable",
			   what, i, (unsigned char)s[i]);
}

/* The JSON object's member @key as written, an unsigned integer equal to @v. */
static void check_json_u64(const char *json, const char *key, uint64_t v)
{
	char pat[64], want[24];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	p = strstr(json, pat);
	FUZZ_CHECK(p, "no %s in %s", key, json);
	p += strlen(pat);
	FUZZ_CHECK(!strncmp(p, want, strlen(want)) && strchr(",}", p[strlen(want)]),
		   "%s is %.24s in the JSON, %s in struct rl_nvme_info", key, p, want);
}

static void check_json(const struct rl_nvme_info *in)
{
	struct json_object *o = ctl_nvme_info_json("/dev/ng0n1", in, NULL), *back;
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	struct json_tokener *tok = json_tokener_new();

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, s, (int)strlen(s));
	FUZZ_CHECK(back && json_tokener_get_parse_end(tok) == strlen(s), "not JSON in UTF-8: %s",
		   s);
	json_object_put(back);
	json_tokener_free(tok);
	check_json_u64(s, "nsid", in->nsid);
	check_json_u64(s, "lba_size", in->lba_size);
	check_json_u64(s, "ms", in->ms);
	check_json_u64(s, "lbaf", in->lbaf);
	check_json_u64(s, "nsze", in->nsze);
	check_json_u64(s, "ncap", in->ncap);
	check_json_u64(s, "nuse", in->nuse);
	check_json_u64(s, "capacity_bytes", in->capacity_bytes);
	check_json_u64(s, "mdts_bytes", in->mdts_bytes);
	check_json_u64(s, "max_transfer_bytes", in->max_transfer);
	check_json_u64(s, "dlfeat", in->dlfeat);
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvme_id_ctrl ctrl;
	struct nvme_id_ns ns;
	struct rl_nvme_info in = {.nsid = 1, .generic_path = "/dev/ng0n1"};
	char why[128] = "";
	uint64_t cap, mdts;
	unsigned lbaf;
	int ret;

	if (size > sizeof(ctrl) + sizeof(ns))
		return -1;
	memset(&ctrl, 0, sizeof(ctrl));
	memset(&ns, 0, sizeof(ns));
	memcpy(&ctrl, data, size < sizeof(ctrl) ? size : sizeof(ctrl));
	if (size > sizeof(ctrl))
		memcpy(&ns, data + sizeof(ctrl), size - sizeof(ctrl));

	ret = rl__nvme_parse_identify(&ctrl, &ns, &in, why, sizeof(why));
	if (ret) {
		FUZZ_CHECK(ret == -EIO && why[0], "refused (%d) without a reason", ret);
		return 0;
	}
	lbaf = (ns.flbas & 0xf) | ((ns.flbas >> 5) & 0x3) << 4;
	FUZZ_CHECK(in.lbaf == lbaf && lbaf <= ns.nlbaf, "format %u of %u", in.lbaf, ns.nlbaf + 1);
	FUZZ_CHECK(ns.lbaf[lbaf].ds >= 9 && ns.lbaf[lbaf].ds <= 16 &&
		       in.lba_size == 1u << ns.lbaf[lbaf].ds,
		   "LBA size %u from LBADS %u", in.lba_size, ns.lbaf[lbaf].ds);
	FUZZ_CHECK(in.ms == le16toh(ns.lbaf[lbaf].ms), "metadata size %u", in.ms);
	FUZZ_CHECK(in.nsze == le64toh(ns.nsze) && in.ncap == le64toh(ns.ncap) &&
		       in.nuse == le64toh(ns.nuse),
		   "sizes are not the namespace's");
	FUZZ_CHECK(!__builtin_mul_overflow(in.nsze, (uint64_t)in.lba_size, &cap) &&
		       in.capacity_bytes == cap,
		   "capacity %llu bytes for %llu blocks of %u",
		   (unsigned long long)in.capacity_bytes, (unsigned long long)in.nsze, in.lba_size);
	mdts = ctrl.mdts ? (ctrl.mdts + 12 < 32 ? 1ull << (ctrl.mdts + 12) : UINT32_MAX) : 0;
	FUZZ_CHECK(in.mdts_bytes == mdts, "MDTS %u as %u bytes", ctrl.mdts, in.mdts_bytes);
	FUZZ_CHECK(in.max_transfer == (mdts ? mdts : UINT32_MAX), "max_transfer %u for MDTS %u",
		   in.max_transfer, ctrl.mdts);
	check_string("model", in.model, ctrl.mn, sizeof(ctrl.mn));
	check_string("serial", in.serial, ctrl.sn, sizeof(ctrl.sn));
	check_string("firmware", in.firmware, ctrl.fr, sizeof(ctrl.fr));
	check_json(&in);
	return 0;
}
