// SPDX-License-Identifier: MIT
/* NVMe status strings: libnvme knows the specification's names; we add SCT, SC and DNR. */
#include <libnvme.h>
#include <stdio.h>
#include <string.h>

#include "nvme_private.h"

char *rl_nvme_status_str(int status, char *buf, size_t len)
{
	unsigned sct = RL_NVME_SCT(status), sc = RL_NVME_SC(status);
	const char *full = nvme_status_to_string((int)(sct << 8 | sc), false);
	/* libnvme's text is "Name: explanation"; the name alone reads better in one line. */
	int n = full ? (int)strcspn(full, ":") : 0;

	if (!n) {
		full = "Unknown status";
		n = (int)strlen(full);
	}
	snprintf(buf, len, "%.*s (SCT 0x%x, SC 0x%02x%s)", n, full, sct, sc,
		 RL_NVME_DNR(status) ? ", DNR" : "");
	return buf;
}
