#!/usr/bin/env bash
# QD1 latency: ringline lat against t/io_uring -d1 -s1 -c1, 4 KiB random reads one at a time, on
# a tmpfs file (host) or on /dev/ng0n1 through NVMe passthrough in one emulated-NVMe guest boot
# (GUEST=1).
#
# The same clock for both: at QD1 the mean latency of an I/O, as the program sees it (from the
# submitting system call to the reaped completion, and the user-space work around them), is
# the run time over the I/Os, so each tool's mean is 1 / its IOPS over the same wall clock. The
# tools' own histograms differ in what they time (ringline: from the submitting system call,
# CLOCK_MONOTONIC; t/io_uring -t1: from preparing the batch, in TSC cycles), so their p99s are
# printed as each measured them: ringline's from its JSON, t/io_uring's from a separate -t1 run
# (its clock reads cost it time), the TSC rate measured here against CLOCK_MONOTONIC.
# Issue 19's target: ringline's mean within 2% of t/io_uring's (t/io_uring mean / ringline
# mean >= 0.98).
#
# Usage: bench/qd1-lat.sh              (tmpfs; as root for a private tmpfs, else /dev/shm)
#        GUEST=1 bench/qd1-lat.sh      (as root: boots tests/vm/nvme-vm)
# Env:   SECONDS   run time per tool and round (default 5, at least 2)
#        ROUNDS    rounds (default 5)
#        SIZE      tmpfs file size (default 1G)
#        RINGLINE  ringline binary (default build/tools/ringline in the repo)
# Exits non-zero only if something fails to run; a ratio below target is reported, not an error.

# Read SECONDS first: bash turns an inherited SECONDS into a clock (see bench/dio-tmpfs.sh). In
# the guest it comes as GUEST_SECONDS.
runtime=${GUEST_SECONDS:-$SECONDS}
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-5}
size=${SIZE:-1G}
target=0.98
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
[ "$runtime" -ge 2 ] || die "SECONDS must be at least 2 (t/io_uring's first second is dropped)"
[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"

if [ "${GUEST:-0}" = 1 ] && [ "${1:-}" != --inside ]; then
	cd "$root"
	fio_src=$(scripts/fio-source | tail -n1)
	cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" --target ringline_cli >/dev/null
	# Up to 20 s of start-up per tool run in the slow guest, on top of its ramp and run time.
	exec tests/vm/nvme-vm --timeout $((300 + rounds * 3 * (runtime + 21))) \
		--env GUEST_SECONDS="$runtime" --env ROUNDS="$rounds" \
		--env T_IO_URING="$fio_src/t/io_uring" -- bench/qd1-lat.sh --inside
fi

ringline=$(bench_ringline)
if [ "${1:-}" = --inside ]; then
	t_io_uring=$T_IO_URING
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	target_file=/dev/ng0n1
	# t/io_uring -u1 reads the first (LBAs / block size) blocks only (bench/README.md): the same
	# range for ringline.
	nsze=$("$ringline" identify "$target_file" --json | jq .nsze)
	range=$(((nsze / 4096 - 2) * 4096))
	tio_opts=(-u1 -O0 -p0 -B1 -F1 -X1 -R1 -d1 -s1 -c1 -b4096 -n1)
	rl_opts=(--size "$range")
	where="guest $(uname -r), $target_file, the first $range bytes"
else
	fio_src=$("$root/scripts/fio-source" | tail -n1)
	t_io_uring=$fio_src/t/io_uring
	work=$(mktemp -d /tmp/ringline-qd1.XXXXXX)
	trap bench_cleanup EXIT
	target_file=$(bench_tmpfs_file qd1 "$size")
	tio_opts=(-p0 -B1 -F1 -X1 -O1 -R1 -d1 -s1 -c1 -b4096 -n1)
	rl_opts=()
	where="$(uname -r), $size tmpfs file, O_DIRECT"
fi
trap 'exit 130' INT TERM

# The TSC rate, for t/io_uring -T: TSC cycles over CLOCK_MONOTONIC nanoseconds across 0.5 s.
cc -O2 -x c -o "$work/tsc-rate" - <<'C'
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
int main(void)
{
	struct timespec half = {0, 500000000};
	double t0 = now();
	unsigned long long c0 = __rdtsc();
	nanosleep(&half, NULL);
	unsigned long long c1 = __rdtsc();
	printf("%.0f\n", (c1 - c0) / (now() - t0));
	return 0;
}
C
tsc=$("$work/tsc-rate")

run_t_io_uring() {
	# -r N stops during second N without reporting it: ask for one more.
	"$t_io_uring" "${tio_opts[@]}" -r $((runtime + 1)) "$target_file" >"$work/t_io_uring.log" \
		2>&1 || return
	t_io_uring_iops "$work/t_io_uring.log"
}

# With latency tracking (-t1), for its p99 only; kept out of the mean.
run_t_io_uring_t() {
	"$t_io_uring" "${tio_opts[@]}" -t1 -T"$tsc" -r $((runtime + 1)) "$target_file" \
		>"$work/t_io_uring_t.log" 2>&1 || return
	python3 -c '
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"percentiles \((usec|nsec)\):(.*)", t, re.S)
p99 = re.search(r"99\.0+th=\[\s*(\d+)\]", m.group(2))
print(int(p99.group(1)) * (1000 if m.group(1) == "usec" else 1))' "$work/t_io_uring_t.log" \
		>>"$work/t_io_uring_t.p99" || return
	t_io_uring_iops "$work/t_io_uring_t.log"
}

run_ringline() {
	# --ramp 1: t/io_uring's first second is not counted, nor is this.
	"$ringline" lat "$target_file" "${rl_opts[@]}" --ramp 1 --time "$runtime" --json \
		>"$work/ringline.log" 2>"$work/ringline.err" || return
	python3 -c 'import json, sys; l = json.load(sys.stdin)["lat_ns"]; print(l["p99"], l["mean"])' \
		<"$work/ringline.log" >>"$work/ringline.p99" || return
	ringline_iops "$work/ringline.log"
}

echo "$where; $t_io_uring, $ringline; TSC rate $tsc Hz"
echo "4 KiB randread, QD1, one thread, ${runtime}s x ${rounds} rounds"
bench_rounds t_io_uring t_io_uring_t ringline
echo
for tool in t_io_uring ringline; do
	printf '%-12s mean latency (1 / median IOPS): %8.2f us\n' "$tool" \
		"$(awk -v i="${bench_median[$tool]}" 'BEGIN { print 1e6 / i }')"
done
# shellcheck disable=SC2046 # one word per round
printf '%-12s p99 (t/io_uring -t1, median of rounds): %8.2f us\n' t_io_uring \
	"$(median $(cat "$work/t_io_uring_t.p99") | awk '{ print $1 / 1e3 }')"
# shellcheck disable=SC2046
printf '%-12s p99 (its histogram, median of rounds):  %8.2f us; its own mean %.2f us\n' ringline \
	"$(median $(cut -d' ' -f1 "$work/ringline.p99") | awk '{ print $1 / 1e3 }')" \
	"$(median $(cut -d' ' -f2 "$work/ringline.p99") | awk '{ print $1 / 1e3 }')"
echo "mean latency t/io_uring / ringline = IOPS ringline / t/io_uring (1.0: equal; target >= $target):"
bench_ratio ringline t_io_uring "$target"
