#!/usr/bin/env bash
# Every core: ringline bench --threads 2 against --threads 1, beside t/io_uring -n2 against -n1,
# on the NOP path (every I/O an IORING_OP_NOP, QD128, batches of 32, as bench/nop.sh) and on a
# tmpfs file (4 KiB O_DIRECT random reads, QD32 per thread, as bench/dio-tmpfs.sh).
#
# Why: each ringline thread has its own engine and ring, as each t/io_uring thread has its own
# ring; with one core per thread the total should nearly double (issue 19: 2 threads >= 1.8 x 1
# thread on the NOP path). On tmpfs every read goes to an io-wq worker thread, which competes
# for the same cores, so the scaling is reported beside t/io_uring's, not judged. The tools run
# interleaved, in a rotating order; only ratios within one run mean anything.
#
# Usage: bench/threads.sh
# Env:   SECONDS   run time per tool and round (default 5, at least 2)
#        ROUNDS    rounds (default 3)
#        MODES     "nop tmpfs" (default), or one of them
#        SIZE      tmpfs file size (default 1G)
#        CPUS      --cpus for ringline and the CPUs t/io_uring runs on (taskset) (default 0,1)
#        RINGLINE  ringline binary (default build/tools/ringline in the repo)
# Exits non-zero only if something fails to run; a ratio below target is reported, not an error.

# Read SECONDS first: bash turns an inherited SECONDS into a clock (see bench/dio-tmpfs.sh).
runtime=$SECONDS
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
modes=${MODES:-nop tmpfs}
size=${SIZE:-1G}
cpus=${CPUS:-0,1}
target=1.8

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
ringline=$(bench_ringline)
[ "$runtime" -ge 2 ] || die "SECONDS must be at least 2 (t/io_uring's first second is dropped)"
[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"
fio_src=$("$root/scripts/fio-source" | tail -n1)
t_io_uring=$fio_src/t/io_uring

work=$(mktemp -d /tmp/ringline-threads.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# t/io_uring prints one IOPS line a second for all its threads together.
tio() {
	local n=$1 log=$2
	shift 2
	# -r N stops during second N without reporting it: ask for one more.
	taskset -c "$cpus" "$t_io_uring" "$@" -n"$n" -r $((runtime + 1)) "$target_file" \
		>"$log" 2>&1 || return
	t_io_uring_iops "$log"
}

rl() {
	local n=$1 log=$2
	shift 2
	# --ramp 1: t/io_uring's first second is not counted, nor is this.
	"$ringline" bench "$@" --threads "$n" --cpus "$cpus" --ramp 1 --time "$runtime" --json \
		>"$log" 2>"$log.err" || return
	ringline_iops "$log"
}

run_nop_tio1() { tio 1 "$work/nop_tio1.log" -N1 -d128 -s32 -c32 -X1; }
run_nop_tio2() { tio 2 "$work/nop_tio2.log" -N1 -d128 -s32 -c32 -X1; }
run_nop_rl1() { rl 1 "$work/nop_rl1.log" --nop --qd 128 --batch 32; }
run_nop_rl2() { rl 2 "$work/nop_rl2.log" --nop --qd 128 --batch 32; }
tmpfs_tio=(-p0 -B1 -F1 -X1 -O1 -R1 -s8 -c8 -d32 -b4096)
run_tmpfs_tio1() { tio 1 "$work/tmpfs_tio1.log" "${tmpfs_tio[@]}"; }
run_tmpfs_tio2() { tio 2 "$work/tmpfs_tio2.log" "${tmpfs_tio[@]}"; }
run_tmpfs_rl1() { rl 1 "$work/tmpfs_rl1.log" "$target_file" --rw randread --bs 4096 --qd 32; }
run_tmpfs_rl2() { rl 2 "$work/tmpfs_rl2.log" "$target_file" --rw randread --bs 4096 --qd 32; }

echo "$(uname -r), $(nproc) CPUs, $t_io_uring, $ringline, CPUs $cpus"
for mode in $modes; do
	case $mode in
	nop)
		target_file=/dev/null # t/io_uring opens it, a NOP never reads it
		echo "== NOP: IORING_OP_NOP, QD128 per thread, batches of 32, ${runtime}s x ${rounds} rounds"
		;;
	tmpfs)
		target_file=$(bench_tmpfs_file data "$size")
		echo "== tmpfs: 4 KiB O_DIRECT random reads of $size, QD32 per thread, ${runtime}s x ${rounds} rounds"
		;;
	*) die "MODES: unknown mode '$mode' (nop, tmpfs)" ;;
	esac
	bench_rounds "${mode}_rl1" "${mode}_rl2" "${mode}_tio1" "${mode}_tio2"
	if [ "$mode" = nop ]; then
		bench_ratio "${mode}_rl2" "${mode}_rl1" "$target"
	else
		bench_ratio "${mode}_rl2" "${mode}_rl1"
	fi
	bench_ratio "${mode}_tio2" "${mode}_tio1"
	bench_ratio "${mode}_rl2" "${mode}_tio2"
	echo
done
