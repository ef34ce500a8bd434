#!/usr/bin/env bash
# The engine's own cost: ringline bench --nop against t/io_uring -N1, every I/O an
# IORING_OP_NOP, QD128 in batches of 32 (t/io_uring's defaults), one thread.
#
# Why: a NOP has no device and no file behind it, so the run measures what each tool spends per
# I/O in user space and in io_uring's submission and completion, nothing else. ringline's NOPs
# go through its slab, user_data, completion loop, statistics and callback (the NOP backend,
# nop/nop.c). The machine is shared and noisy: the tools run interleaved, in a rotating order,
# and only the ratios within one run mean anything.
#
# Usage: bench/nop.sh
# Env:   SECONDS   run time per tool and round (default 5, at least 2)
#        ROUNDS    rounds (default 3)
#        RINGLINE  ringline binary (default build/tools/ringline in the repo)
# Exits non-zero only if something fails to run; a ratio below target is reported, not an error.

# Read SECONDS first: bash turns an inherited SECONDS into a clock (see bench/dio-tmpfs.sh).
runtime=$SECONDS
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
target=0.8

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_t_io_uring_setup nop

run_t_io_uring() {
	# -N1: NOPs; -X1: registered ring, as ringline registers its ring fd. The file is opened
	# but never read. -r N stops during second N without reporting it: ask for one more.
	"$t_io_uring" -N1 -d128 -s32 -c32 -n1 -X1 -r $((runtime + 1)) /dev/null \
		>"$work/t_io_uring.log" 2>&1 || return
	t_io_uring_iops "$work/t_io_uring.log"
}

run_ringline() {
	# --ramp 1: t/io_uring's first second is not counted, nor is this.
	"$ringline" bench --nop --qd 128 --batch 32 --ramp 1 --time "$runtime" --json \
		>"$work/ringline.log" 2>"$work/ringline.err" || return
	ringline_iops "$work/ringline.log"
}

echo "$(uname -r), $t_io_uring, $ringline"
echo "IORING_OP_NOP, QD128, batches of 32, 1 thread, ${runtime}s x ${rounds} rounds"
bench_rounds t_io_uring ringline
bench_ratio ringline t_io_uring "$target"
