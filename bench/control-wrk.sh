#!/usr/bin/env bash
# What the control plane costs the data plane: ringline bench IOPS (4 KiB O_DIRECT random
# reads, QD32, one thread, a file in tmpfs) with the HTTP service listening on the same ring,
# idle ("quiet") and under a wrk load on GET /metrics ("loaded"), in one run. Prints the
# data-plane loss, 1 - loaded/quiet; the target is a loss of at most 5%.
#
# Both variants run the same command (bench --listen), so the only difference is the load.
# The machine is shared and noisy: the two alternate over several rounds in a rotating order
# and only ratios within one run mean anything (see bench_ratio in bench/lib.sh).
#
# Usage: bench/control-wrk.sh
# Env:   SECONDS      run time per variant and round (default 5, at least 2)
#        ROUNDS       rounds (default 3)
#        SIZE         file size, IEC suffixes (default 1G)
#        CONNECTIONS  wrk connections (default 4), one wrk thread
#        RINGLINE     ringline binary (default build/tools/ringline in the repo)
# Exits non-zero only if something fails to run; a loss above target is reported, not an error.

# Read SECONDS first: bash turns an inherited SECONDS into a clock (see bench/dio-tmpfs.sh).
runtime=$SECONDS
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
size=${SIZE:-1G}
conns=${CONNECTIONS:-4}
target=0.95 # loaded/quiet, i.e. a loss of at most 5%

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
ringline=$(bench_ringline)
command -v wrk >/dev/null || die "wrk is missing (Debian package wrk; scripts/setup installs it)"
[ "$runtime" -ge 2 ] || die "SECONDS must be at least 2"
[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"
work=$(mktemp -d /tmp/ringline-control-wrk.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
file=$(bench_tmpfs_file control "$size")

# Start ringline bench with --listen in the background; wait for the address it prints.
start_bench() {
	local tool=$1 i
	"$ringline" bench "$file" --rw randread --bs 4096 --qd 32 --time "$runtime" --json \
		--listen 127.0.0.1:0 >"$work/$tool.log" 2>"$work/$tool.err" &
	bench_pid=$!
	addr=
	for ((i = 0; i < 200; i++)); do
		addr=$(sed -n 's/.*serving metrics on //p' "$work/$tool.err")
		[ -n "$addr" ] && return 0
		sleep 0.01
	done
	kill "$bench_pid" 2>/dev/null
	return 1
}

run_quiet() {
	start_bench quiet || return
	wait "$bench_pid" || return
	ringline_iops "$work/quiet.log"
}

run_loaded() {
	start_bench loaded || return
	# Until the benchmark ends; requests that meet the closed listener count as wrk errors.
	wrk -t1 -c"$conns" -d"${runtime}s" "http://$addr/metrics" >"$work/loaded.wrk" 2>&1 || true
	wait "$bench_pid" || return
	awk '/^Requests\/sec:/ { print $2 }' "$work/loaded.wrk" >>"$work/wrk-rps"
	ringline_iops "$work/loaded.log"
}

echo "$(uname -r), $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), $ringline"
echo "4 KiB O_DIRECT randread, QD32, 1 thread, ${size} tmpfs file, ${runtime}s x ${rounds} rounds;"
echo "loaded: wrk -t1 -c$conns on GET /metrics of the same process"
bench_rounds quiet loaded
# shellcheck disable=SC2046 # one figure per line
echo "wrk on /metrics: median $(median $(cat "$work/wrk-rps")) requests/s"
echo "data-plane loss under the /metrics load = 1 - loaded/quiet (target: loaded/quiet >= $target):"
bench_ratio loaded quiet "$target"
