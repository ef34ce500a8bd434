#!/usr/bin/env bash
# ringline vs t/io_uring vs fio's io_uring engine: 4 KiB O_DIRECT random reads,
# QD32, one thread, on a file in tmpfs.
#
# Why tmpfs: it takes O_DIRECT and has no device behind it, so the run measures
# each tool's per-I/O cost in user space and io_uring, not a disk. This machine
# is shared and noisy, so the tools run interleaved, several rounds, in a
# rotating order, and only the ratios within one run mean anything.
#
# Usage: bench/dio-tmpfs.sh
# Env:   SECONDS   run time per tool and round (default 5, at least 2)
#        ROUNDS    rounds (default 3)
#        SIZE      file size, coreutils/IEC suffixes (default 1G)
#        RINGLINE  ringline binary (default build/tools/ringline in the repo)
# Exits non-zero only if something fails to run; a ratio below target is reported,
# not an error.

# Read SECONDS first: bash turns an inherited SECONDS into a clock that keeps
# counting up from that value, so a later read would be too large. 0 means unset.
runtime=$SECONDS
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
size=${SIZE:-1G}
target=0.95

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_t_io_uring_setup dio-tmpfs
file=$(bench_tmpfs_file dio "$size")

# Each run_* prints the tool's IOPS on stdout; its raw output stays in $work/<tool>.log.

run_t_io_uring() {
	# -p0: tmpfs has no polled I/O. -O1 (O_DIRECT), -R1 (random) and -X1
	# (registered ring) are the defaults, spelled out. -r N stops during second N
	# without reporting it, so ask for one more to get $runtime lines.
	"$t_io_uring" -p0 -B1 -F1 -X1 -O1 -R1 -s8 -c8 -d32 -b4096 -n1 \
		-r $((runtime + 1)) "$file" >"$work/t_io_uring.log" 2>&1 || return
	t_io_uring_iops "$work/t_io_uring.log"
}

run_ringline() {
	# --ramp 1: t/io_uring's first second is not counted (t_io_uring_iops), nor is this.
	"$ringline" bench "$file" --rw randread --bs 4096 --qd 32 --ramp 1 --time "$runtime" --json \
		>"$work/ringline.log" 2>"$work/ringline.err" || return
	ringline_iops "$work/ringline.log"
}

run_fio_io_uring() {
	# Batching as t/io_uring's -s8 -c8. No random map, no per-I/O clock reads and
	# no repeatable seed: t/io_uring has none of that overhead either.
	fio --name=dio-tmpfs --filename="$file" --ioengine=io_uring --direct=1 \
		--rw=randread --bs=4k --iodepth=32 --numjobs=1 \
		--fixedbufs=1 --registerfiles=1 \
		--iodepth_batch_submit=8 --iodepth_batch_complete_min=8 \
		--norandommap --randrepeat=0 --gtod_reduce=1 \
		--time_based --ramp_time=1 --runtime="$runtime" \
		--output-format=json --output="$work/fio_io_uring.log" >"$work/fio_io_uring.err" 2>&1 || return
	fio_read_iops "$work/fio_io_uring.log"
}

echo "$(uname -r), $(fio --version), $t_io_uring, $ringline"
echo "4 KiB O_DIRECT randread, QD32, 1 thread, ${size} file, ${runtime}s x ${rounds} rounds"
bench_rounds t_io_uring ringline fio_io_uring
bench_ratio ringline fio_io_uring
bench_ratio ringline t_io_uring "$target"
