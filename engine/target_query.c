// SPDX-License-Identifier: MIT
/* Target queries beyond the counters: errors by code. */
#include <errno.h>

#include "internal.h"

int rl_target_errors(const struct rl_target *t, enum rl_op op, struct rl_error_count *out,
		     unsigned max)
{
	const struct rl__op_stats *st;
	unsigned n = 0;

	if ((unsigned)op >= RL_OP_COUNT)
		return -EINVAL;
	st = &t->stats[op];
	for (int i = 0; i < RL_ERROR_KINDS && st->errs[i].count && n < max; i++)
		out[n++] = (struct rl_error_count){st->errs[i].code, st->errs[i].count};
	if (st->errs_other && n < max)
		out[n++] = (struct rl_error_count){0, st->errs_other};
	return (int)n;
}
