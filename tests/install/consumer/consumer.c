// SPDX-License-Identifier: MIT
/* A consumer of the installed library: create an engine, report its features. */
#include <ringline.h>
#include <stdio.h>

int main(void)
{
	struct rl_engine *e;
	int ret = rl_engine_create(NULL, &e);

	if (ret) {
		fprintf(stderr, "rl_engine_create: %d\n", ret);
		return 1;
	}
	printf("ringline engine up, %u command slots\n", rl_engine_capacity(e));
	rl_engine_destroy(e);
	return 0;
}
