// SPDX-License-Identifier: MIT
/*
 * The latency probe counts what failed: a read that errors, and a read that comes back short
 * (the file shrank under it), which the target's counters take for a success of fewer bytes.
 */
#include <time.h>

#include "control.h"
#include "helpers.h"

TestSuite(probe, .init = skip_unless_io_uring);

/* Run @e's loop until the probe has completed @n more reads. */
static void run_reads(struct rl_engine *e, struct ctl_probe *p, uint64_t n)
{
	uint64_t until = ctl_probe_reads(p) + n;
	time_t deadline = time(NULL) + 20;

	while (ctl_probe_reads(p) < until) {
		cr_assert_lt(time(NULL), deadline, "the probe stalled at %llu reads",
			     (unsigned long long)ctl_probe_reads(p));
		cr_assert_geq(rl_engine_poll(e, 1, 100), 0);
	}
}

Test(probe, a_short_read_is_a_failure)
{
	struct rl_engine *e = engine_new(16);
	char *path = make_file("/var/tmp", 1 << 20, 7);
	struct rl_target *t;
	struct ctl_probe *p;
	uint64_t before;

	cr_assert_eq(rl_target_open(e, path, RL_TARGET_RDONLY, &t), 0);
	cr_assert_eq(ctl_probe_start(e, t, 1000, &p), 0);
	run_reads(e, p, 20);
	cr_assert_eq(ctl_probe_errors(p), 0, "whole reads of a whole file failed");
	/* Shrunk to nothing, every read returns 0 bytes: each is a failure, not a success. */
	cr_assert_eq(truncate(path, 0), 0);
	run_reads(e, p, 1); /* one read may have been in flight across the truncate */
	before = ctl_probe_errors(p);
	run_reads(e, p, 20);
	cr_assert_eq(ctl_probe_errors(p) - before, 20, "%llu of 20 short reads counted",
		     (unsigned long long)(ctl_probe_errors(p) - before));
	ctl_probe_stop(p);
	while (ctl_probe_busy(p))
		cr_assert_geq(rl_engine_poll(e, 1, 1000), 0);
	ctl_probe_free(p);
	rl_engine_destroy(e);
	unlink(path);
	free(path);
}
