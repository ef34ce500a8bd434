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
# On a shared machine a second thread often has no idle core to run on, whatever the tool. So
# each run is also measured in I/Os per CPU-second (IOPS over the CPUs the process kept busy:
# perf stat's task-clock over the elapsed time, all threads). If 2 threads do as many I/Os per
# CPU-second as 1, nothing the threads share slows them: the IOPS then scale with the cores
# they get. Those ratios (".../cpu") are printed after the IOPS ones.
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
bench_t_io_uring_setup threads

# t/io_uring prints one IOPS line a second for all its threads together.
# measured LOG COMMAND...: run COMMAND under perf stat; leave its CPUs busy (task-clock over
# elapsed time) in LOG.cpus.
measured() {
	local log=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	perf stat -x, -e task-clock -o "$log.perf" -- "$@" || return
	t1=$(date +%s.%N)
	awk -F, -v t0="$t0" -v t1="$t1" '$3 == "task-clock" { print $1 / 1e3 / (t1 - t0) }' \
		"$log.perf" >"$log.cpus"
}

# per_cpu TOOL IOPS LOG: append IOPS per busy CPU to $work/TOOL.percpu; print IOPS.
per_cpu() {
	awk -v iops="$2" '{ print iops / $1 }' "$3.cpus" >>"$work/$1.percpu"
	echo "$2"
}

tio() {
	local nthreads=$1 name=$2 log=$work/$2.log iops
	shift 2
	# -r N stops during second N without reporting it: ask for one more.
	measured "$log" taskset -c "$cpus" "$t_io_uring" "$@" -n"$nthreads" -r $((runtime + 1)) \
		"$target_file" >"$log" 2>&1 || return
	iops=$(t_io_uring_iops "$log") || return
	per_cpu "$name" "$iops" "$log"
}

rl() {
	local nthreads=$1 name=$2 log=$work/$2.log iops
	shift 2
	# --ramp 1: t/io_uring's first second is not counted, nor is this.
	measured "$log" "$ringline" bench "$@" --threads "$nthreads" --cpus "$cpus" --ramp 1 \
		--time "$runtime" --json >"$log" 2>"$log.err" || return
	iops=$(ringline_iops "$log") || return
	per_cpu "$name" "$iops" "$log"
}

run_nop_tio1() { tio 1 nop_tio1 -N1 -d128 -s32 -c32 -X1; }
run_nop_tio2() { tio 2 nop_tio2 -N1 -d128 -s32 -c32 -X1; }
run_nop_rl1() { rl 1 nop_rl1 --nop --qd 128 --batch 32; }
run_nop_rl2() { rl 2 nop_rl2 --nop --qd 128 --batch 32; }
tmpfs_tio=(-p0 -B1 -F1 -X1 -O1 -R1 -s8 -c8 -d32 -b4096)
run_tmpfs_tio1() { tio 1 tmpfs_tio1 "${tmpfs_tio[@]}"; }
run_tmpfs_tio2() { tio 2 tmpfs_tio2 "${tmpfs_tio[@]}"; }
run_tmpfs_rl1() { rl 1 tmpfs_rl1 "$target_file" --rw randread --bs 4096 --qd 32; }
run_tmpfs_rl2() { rl 2 tmpfs_rl2 "$target_file" --rw randread --bs 4096 --qd 32; }

# IOPS per busy CPU of TOOL, as bench_rounds keeps IOPS, under the name TOOL/cpu.
load_per_cpu() {
	local tool
	for tool in "$@"; do
		bench_results[$tool/cpu]=$(tr '\n' ' ' <"$work/$tool.percpu")
		# shellcheck disable=SC2086 # word-split the list of per-round values
		bench_median[$tool/cpu]=$(median ${bench_results[$tool/cpu]})
		printf '%-16s %12.0f I/Os per CPU-second (median)\n' "$tool" "${bench_median[$tool/cpu]}"
	done
}

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
	load_per_cpu "${mode}_rl1" "${mode}_rl2" "${mode}_tio1" "${mode}_tio2"
	bench_ratio "${mode}_rl2/cpu" "${mode}_rl1/cpu"
	bench_ratio "${mode}_tio2/cpu" "${mode}_tio1/cpu"
	echo
done
