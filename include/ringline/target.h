/* SPDX-License-Identifier: MIT */
/*
 * Targets: anything the engine does I/O on (an O_DIRECT file or block device, an NVMe namespace).
 * Each target keeps per-operation counters and a latency histogram, updated on completion.
 */
#ifndef RINGLINE_TARGET_H
#define RINGLINE_TARGET_H

#include <stdint.h>
#include "ringline/engine.h"
#include "ringline/hist.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rl_target;

enum rl_op {
	RL_OP_READ,
	RL_OP_WRITE,
	RL_OP_FLUSH,
	RL_OP_OTHER,
	RL_OP_COUNT,
};

/**
 * struct rl_op_stats - counters of one operation on one target.
 * @ops:    completed operations (successful or not).
 * @bytes:  bytes moved by successful operations.
 * @errors: operations that completed with an error.
 * @lat:    latency histogram (submission to completion, ns) of every completed operation;
 *          owned by the target.
 */
struct rl_op_stats {
	uint64_t ops;
	uint64_t bytes;
	uint64_t errors;
	const struct rl_hist *lat;
};

/* rl_op_name() - "read", "write", "flush", "other". */
RL_EXPORT const char *rl_op_name(enum rl_op op);

/* rl_target_name() - the path the target was opened with. */
RL_EXPORT const char *rl_target_name(const struct rl_target *t);

/* rl_target_inflight() - commands on this target whose callback has not run. */
RL_EXPORT unsigned rl_target_inflight(const struct rl_target *t);

/* rl_target_stats() - counters of @op. Return: 0, or -EINVAL for an unknown op. */
RL_EXPORT int rl_target_stats(const struct rl_target *t, enum rl_op op, struct rl_op_stats *out);

/* rl_target_reset_stats() - zero every counter and histogram of @t. */
RL_EXPORT void rl_target_reset_stats(struct rl_target *t);

/* rl_engine_next_target() - iterate open targets: NULL starts, NULL ends. */
RL_EXPORT struct rl_target *rl_engine_next_target(struct rl_engine *e, struct rl_target *prev);

#ifdef __cplusplus
}
#endif
#endif
