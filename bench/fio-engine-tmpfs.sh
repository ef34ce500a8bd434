#!/usr/bin/env bash
# fio with the ringline engine vs fio with its own io_uring engine: 4 KiB O_DIRECT random
# reads, QD32, one job, fixed buffers and registered files, submission and completion batched
# by 8 (as t/io_uring -s8 -c8), on a file in tmpfs. Identical job options; only --ioengine
# differs.
#
# Why tmpfs: it takes O_DIRECT and has no device behind it, so the run measures each engine's
# cost per I/O. The machine is shared and noisy: the engines run interleaved, several rounds,
# in a rotating order, and only ratios within one run mean anything (bench_ratio, bench/lib.sh).
#
# Usage: bench/fio-engine-tmpfs.sh      (as root to mount a private tmpfs; else /dev/shm)
# Env:   SECONDS   run time per engine and round (default 5)
#        ROUNDS    rounds (default 5)
#        SIZE      file size, IEC suffixes (default 1G)
#        RINGLINE_FIO  the engine file (default build/fio-plugin/ringline in the repo)
# Exits non-zero only if something fails to run; a ratio below target is reported, not an error.

# Read SECONDS first: bash turns an inherited SECONDS into a clock. 0 means unset.
runtime=$SECONDS
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-5}
size=${SIZE:-1G}
target=1.0
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
engine=$(bench_fio_engine)
[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"
work=$(mktemp -d /tmp/ringline-fio-tmpfs.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
file=$(bench_tmpfs_file fio "$size")

# The job, identical for both engines. No random map, clock reads or repeatable seed: the
# engines' cost, not fio's bookkeeping.
job=(--name=fio-tmpfs --filename="$file" --direct=1 --rw=randread --bs=4k --iodepth=32
	--numjobs=1 --fixedbufs=1 --registerfiles=1
	--iodepth_batch_submit=8 --iodepth_batch_complete_min=8
	--norandommap --randrepeat=0 --gtod_reduce=1 --time_based --runtime="$runtime"
	--output-format=json)

run_fio_ringline() {
	LD_LIBRARY_PATH=$(dirname "$engine") fio --ioengine=ringline "${job[@]}" \
		--output="$work/fio_ringline.log" >"$work/fio_ringline.err" 2>&1 || return
	fio_read_iops "$work/fio_ringline.log"
}

run_fio_io_uring() {
	fio --ioengine=io_uring "${job[@]}" \
		--output="$work/fio_io_uring.log" >"$work/fio_io_uring.err" 2>&1 || return
	fio_read_iops "$work/fio_io_uring.log"
}

echo "$(uname -r), $(fio --version), engine $engine"
echo "fio job options for both: ${job[*]}"
echo "4 KiB O_DIRECT randread, QD32, 1 job, ${size} file, ${runtime}s x ${rounds} rounds"
bench_rounds fio_ringline fio_io_uring
bench_ratio fio_ringline fio_io_uring "$target"
