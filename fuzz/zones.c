// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a Report Zones buffer (Zone Management Receive data) as a device returns it,
 * walked with rl_nvme_zone_iter_init() / rl_nvme_zone_next() (nvme/zns_parse.c). The input is
 * the buffer, of any length.
 *
 * What must hold: buffers shorter than the 64-byte header are refused; the walk yields the
 * header's Number of Zones but never more descriptors than the buffer holds, and exactly as
 * many as init said; each descriptor says what its 64 bytes say (little-endian fields, type in
 * bits 3:0, state in bits 7:4) read from its own place only; every state has a name; and ASan
 * and UBSan stay quiet (an unaligned buffer too: the input is copied to an odd address).
 */
#include <endian.h>
#include <string.h>

#include "fuzz.h"
#include "nvme/nvme_private.h"

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Odd address: the parser must not assume alignment. ASan catches reads past the end. */
	uint8_t *buf = malloc(size + 1), *p = buf + 1;
	struct rl_nvme_zone_iter it;
	struct rl_nvme_zone z;
	int64_t n;
	uint64_t walked = 0, fits, nr;

	if (!buf)
		return 0;
	memcpy(p, data, size);
	n = rl_nvme_zone_iter_init(&it, p, size);
	if (size < RL_ZONE_REPORT_HDR) {
		FUZZ_CHECK(n == -EINVAL, "a %zu-byte report was accepted (%lld)", size,
			   (long long)n);
		free(buf);
		return 0;
	}
	nr = le64_at(p);
	fits = (size - RL_ZONE_REPORT_HDR) / RL_ZONE_DESC_SIZE;
	FUZZ_CHECK(n >= 0 && (uint64_t)n == (nr < fits ? nr : fits),
		   "init said %lld for a header of %llu zones and room for %llu", (long long)n,
		   (unsigned long long)nr, (unsigned long long)fits);
	FUZZ_CHECK(rl_nvme_zone_reported(&it) == nr, "reported %llu, header %llu",
		   (unsigned long long)rl_nvme_zone_reported(&it), (unsigned long long)nr);
	while (rl_nvme_zone_next(&it, &z)) {
		const uint8_t *d = p + RL_ZONE_REPORT_HDR + walked * RL_ZONE_DESC_SIZE;

		FUZZ_CHECK(walked < (uint64_t)n, "more descriptors than init said (%lld)",
			   (long long)n);
		FUZZ_CHECK(z.type == (d[0] & 0xf) && z.state == d[1] >> 4 && z.attrs == d[2],
			   "descriptor %llu: type %u state %u attrs %u from bytes %02x %02x %02x",
			   (unsigned long long)walked, z.type, z.state, z.attrs, d[0], d[1], d[2]);
		FUZZ_CHECK(z.zcap == le64_at(d + 8) && z.zslba == le64_at(d + 16) &&
			       z.wp == le64_at(d + 24),
			   "descriptor %llu: zcap, zslba or wp not as its bytes say",
			   (unsigned long long)walked);
		FUZZ_CHECK(rl_zone_state_str(z.state) && *rl_zone_state_str(z.state),
			   "state %u has no name", z.state);
		walked++;
	}
	FUZZ_CHECK(walked == (uint64_t)n, "walked %llu of %lld", (unsigned long long)walked,
		   (long long)n);
	FUZZ_CHECK(!rl_nvme_zone_next(&it, &z), "the walk went on after its end");
	free(buf);
	return 0;
}
