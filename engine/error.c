// SPDX-License-Identifier: MIT
/* The one-line message behind rl_engine_last_error(): a leaf every other file may call. */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"
#include "error.h"

int rl__error(struct rl_engine *e, int err, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(e->err, sizeof(e->err), "ringline: ");

	va_start(ap, fmt);
	vsnprintf(e->err + n, sizeof(e->err) - n, fmt, ap);
	va_end(ap);
	return err;
}

const char *rl_engine_last_error(const struct rl_engine *e)
{
	return e->err;
}
