#!/usr/bin/env bash
# ringline nbd vs nbdkit file vs qemu-nbd (--aio=io_uring --cache=none), all exporting the same
# file on tmpfs, driven by fio's nbd engine (libnbd) over loopback: 4 KiB random reads at QD32
# and 128 KiB sequential reads at QD8, interleaved rounds in a rotating order. Reported: IOPS,
# and the server's CPU time per request (utime + stime of the server process, from
# /proc/PID/stat, over the fio run, divided by the requests fio completed): a figure the
# client's own CPU use cannot blur. With THREADS2=1, also ringline nbd --threads 2 against
# --threads 1 with two fio jobs (two connections).
#
# Usage: bench/nbd.sh
# Env:   SECONDS   run time per tool and round (default 5)
#        ROUNDS    rounds (default 3)
#        SIZE      file size (default 1G)
#        RINGLINE  ringline binary (default build/tools/ringline in the repo)
#        THREADS2  1: add the --threads 2 comparison
# Exits non-zero only if something fails to run.
runtime=$SECONDS
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
size=${SIZE:-1G}

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
ringline=$(bench_ringline)
for t in nbdkit qemu-nbd fio; do
	command -v $t >/dev/null || die "$t is missing: scripts/setup installs it"
done
fio --enghelp=nbd >/dev/null 2>&1 ||
	die "this fio has no nbd engine (Debian's is built with libnbd)"
hz=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/ringline-nbd.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM
file=$(bench_tmpfs_file nbd "$size")

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on it.
wait_port() {
	local i
	for ((i = 0; i < 100; i++)); do
		nbdinfo --size "nbd://127.0.0.1:$1" >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "no NBD server on port $1"
}

declare -A port pid
start_servers() {
	port[ringline]=$(free_port)
	"$ringline" nbd --listen "127.0.0.1:${port[ringline]}" "$file" >"$work/ringline.srv" 2>&1 &
	pid[ringline]=$!
	port[nbdkit]=$(free_port)
	nbdkit -f -i 127.0.0.1 -p "${port[nbdkit]}" file "$file" >"$work/nbdkit.srv" 2>&1 &
	pid[nbdkit]=$!
	port[qemu_nbd]=$(free_port)
	qemu-nbd -f raw --aio=io_uring --cache=none --persistent --shared=16 -b 127.0.0.1 \
		-p "${port[qemu_nbd]}" "$file" >"$work/qemu_nbd.srv" 2>&1 &
	pid[qemu_nbd]=$!
	pids+=("${pid[ringline]}" "${pid[nbdkit]}" "${pid[qemu_nbd]}")
	if [ "${THREADS2:-0}" = 1 ]; then
		port[ringline_t2]=$(free_port)
		"$ringline" nbd --threads 2 --listen "127.0.0.1:${port[ringline_t2]}" "$file" \
			>"$work/ringline_t2.srv" 2>&1 &
		pid[ringline_t2]=$!
		port[ringline_t1]=${port[ringline]}
		pid[ringline_t1]=${pid[ringline]}
		pids+=("${pid[ringline_t2]}")
	fi
	for t in "${!port[@]}"; do wait_port "${port[$t]}"; done
}

# CPU ticks (utime + stime) of a process so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

job_args=()
jobs=1

# run_fio TOOL: one fio run against TOOL's server; prints IOPS, records CPU us per request.
run_fio() {
	local tool=$1 c0 c1 ios
	c0=$(cpu_ticks "${pid[$tool]}")
	fio --name="$tool" --ioengine=nbd --uri="nbd://127.0.0.1:${port[$tool]}/" \
		"${job_args[@]}" --numjobs="$jobs" --group_reporting --size="$size" \
		--norandommap --randrepeat=0 --time_based --runtime="$runtime" \
		--output-format=json --output="$work/$tool.json" >"$work/$tool.err" 2>&1 || return
	c1=$(cpu_ticks "${pid[$tool]}")
	ios=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["jobs"][0]["read"]["total_ios"])' \
		"$work/$tool.json")
	# bench_rounds runs this in a subshell: the figure goes through a file.
	awk -v c=$((c1 - c0)) -v hz="$hz" -v n="$ios" 'BEGIN { print c / hz * 1e6 / n }' \
		>>"$work/$tool.cpu"
	fio_read_iops "$work/$tool.json"
}
run_ringline() { run_fio ringline; }
run_nbdkit() { run_fio nbdkit; }
run_qemu_nbd() { run_fio qemu_nbd; }
run_ringline_t1() { run_fio ringline_t1; }
run_ringline_t2() { run_fio ringline_t2; }

# cpu_report TOOL...: the server CPU time per request of this section's runs; then forgets them.
cpu_report() {
	local tool v
	printf '%-16s %18s  %s\n' tool "median CPU us/req" "per round"
	for tool in "$@"; do
		mapfile -t v <"$work/$tool.cpu"
		printf '%-16s %18.2f ' "$tool" "$(median "${v[@]}")"
		printf ' %.2f' "${v[@]}"
		echo
		rm -f "$work/$tool.cpu"
	done
}

# section TITLE FIO_ARGS...: one job, every tool, its rounds and ratios.
section() {
	echo
	echo "== $1 =="
	shift
	job_args=("$@")
	bench_results=()
	bench_rounds ringline nbdkit qemu_nbd
	cpu_report ringline nbdkit qemu_nbd
	bench_ratio ringline nbdkit 1.2
	bench_ratio ringline qemu_nbd 1.2
}

start_servers
echo "$(uname -r), $(nproc) CPUs, $(fio --version), $(nbdkit --version)," \
	"$(qemu-nbd --version | head -1)"
echo "$ringline nbd; file $file ($size, tmpfs); fio nbd engine; ${runtime}s x ${rounds} rounds"
section "4 KiB random reads, QD32" --rw=randread --bs=4k --iodepth=32
section "128 KiB sequential reads, QD8" --rw=read --bs=128k --iodepth=8
if [ "${THREADS2:-0}" = 1 ]; then
	echo
	echo "== 4 KiB random reads, QD32, two fio jobs: ringline nbd --threads 2 vs 1 =="
	job_args=(--rw=randread --bs=4k --iodepth=32)
	jobs=2
	bench_results=()
	bench_rounds ringline_t2 ringline_t1
	cpu_report ringline_t2 ringline_t1
	bench_ratio ringline_t2 ringline_t1
fi
