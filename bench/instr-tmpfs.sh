#!/usr/bin/env bash
# User-space instructions per I/O of `ringline bench`, and of fio's t/io_uring for scale, on the
# job of bench/dio-tmpfs.sh (4 KiB O_DIRECT random reads, QD32, batches of 8, one thread, a file
# on tmpfs), counted by valgrind's callgrind.
#
# Why: an instruction count hardly moves with the machine's load, so it decides changes of a few
# instructions per I/O that the IOPS benchmarks, on these noisy shared machines, cannot (issue 15
# allows at most 5 more after its refactor). It counts user space only (the tool, libc,
# liburing), not the kernel, and does not replace the IOPS benchmark.
#
# In each round each tool runs twice, a short run and a long one: (instructions of the long run
# - those of the short) / (its extra I/Os) is the cost per I/O without the loader's and the
# tool's start-up. ringline runs exactly COUNT / 10 and COUNT I/Os (--count). t/io_uring stops
# only on time: it runs 1 s and TIO_SECONDS, and `perf stat` counts its completions (the kernel's
# io_uring:io_uring_complete tracepoint); without t/io_uring (scripts/fio-source) or that
# tracepoint only ringline is measured. The medians over the rounds are the result.
#
# Why rounds: tmpfs hands every read to an io-wq worker thread, so how many completions one
# wait finds depends on scheduling. A wait costs `ringline bench` about 200 instructions more
# than a plain submission, and single runs have ranged from about 480 to 485 instructions per
# I/O (one wait per 24 I/Os or per 16). The median of 5 rounds repeats to within about 1. To
# compare two builds, measure both in one run (BASELINE): each round runs both, in alternating
# order, and the median of the per-round differences is the figure to judge.
#
# Usage: bench/instr-tmpfs.sh
#        RINGLINE=after/tools/ringline BASELINE=before/tools/ringline bench/instr-tmpfs.sh
# Env:   RINGLINE     the ringline binary (default build/tools/ringline in the repo)
#        BASELINE     a second ringline binary, measured the same way in the same rounds:
#                     prints RINGLINE - BASELINE
#        ROUNDS       rounds (default 5)
#        COUNT        I/Os of ringline's long run (default 200000; the short run does a tenth)
#        TIO_SECONDS  seconds of t/io_uring's long run (default 3, at least 2); 0 skips t/io_uring
#        SIZE         file size, IEC suffixes (default 1G, as bench/dio-tmpfs.sh)
# Needs valgrind, and perf (Debian's linux-perf) for t/io_uring; root for a private tmpfs, else
# the file goes in /dev/shm. About 15 s per round for ringline and t/io_uring.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
count=${COUNT:-200000}
rounds=${ROUNDS:-5}
tio_seconds=${TIO_SECONDS:-3}
[[ $count =~ ^[1-9][0-9]{5,}$ ]] || die "COUNT must be a number, at least 100000"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be at least 1"
[[ $tio_seconds =~ ^(0|[2-9]|[1-9][0-9]+)$ ]] || die "TIO_SECONDS must be 0 or at least 2"
ringline=$(bench_ringline)
baseline=
[ -z "${BASELINE:-}" ] || baseline=$(RINGLINE=$BASELINE bench_ringline)
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"

work=$(mktemp -d /tmp/ringline-instr-tmpfs.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# t/io_uring, if it can be had, and a way to count its I/Os.
t_io_uring=
if ((tio_seconds > 0)); then
	if ! fio_src=$("$root/scripts/fio-source" | tail -n1) || [ ! -x "$fio_src/t/io_uring" ]; then
		echo "no t/io_uring (scripts/fio-source failed, above): measuring ringline only" >&2
	elif ! perf stat -x, -o "$work/perf-check" -e io_uring:io_uring_complete -- true 2>/dev/null ||
		! grep -q '^[0-9]*,,io_uring:io_uring_complete' "$work/perf-check"; then
		echo "perf cannot count io_uring:io_uring_complete here: measuring ringline only" >&2
	else
		t_io_uring=$fio_src/t/io_uring
	fi
fi

file=$(bench_tmpfs_file instr "${SIZE:-1G}")

# total CG: the instructions callgrind counted in its output file CG.
total() {
	awk '/^summary:/ { print $2; found = 1 } END { exit !found }' "$1" || die "no total in $1"
}

# run_ringline NAME BINARY N: sets ir and ios of `ringline bench` doing N reads.
run_ringline() {
	local out=$work/$1.$3
	valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
		"$2" bench "$file" --rw randread --bs 4096 --qd 32 --count "$3" \
		>"$out.txt" 2>"$out.err" || {
		cat "$out.err" >&2
		die "$1 failed under valgrind (output above)"
	}
	ir=$(total "$out.cg")
	# The text report, not --json: the JSON lists the histogram's buckets, and a longer run
	# fills more of them, which the difference of two runs would count as per-I/O cost.
	ios=$(awk '/^  ops: / { if ($6 != 0) { print $6 " errors"; exit 1 } print $2 }' \
		"$out.txt") || {
		cat "$out.txt" "$out.err" >&2
		die "$1: a bad run (output above)"
	}
	((ios == $3)) || die "$1: asked for $3 I/Os, ran $ios"
}

# run_t_io_uring SECONDS: sets ir and ios (completions, counted by perf) of t/io_uring running
# SECONDS with the options bench/dio-tmpfs.sh gives it.
run_t_io_uring() {
	local out=$work/t_io_uring.$1
	perf stat -x, -o "$out.perf" -e io_uring:io_uring_complete -- \
		valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
		"$t_io_uring" -p0 -B1 -F1 -X1 -O1 -R1 -s8 -c8 -d32 -b4096 -n1 -r "$1" "$file" \
		>"$out.log" 2>&1 || {
		cat "$out.log" >&2
		die "t/io_uring failed under valgrind (output above)"
	}
	ir=$(total "$out.cg")
	ios=$(awk -F, '$3 == "io_uring:io_uring_complete" { print $1 }' "$out.perf")
	[[ $ios =~ ^[1-9][0-9]*$ ]] || {
		cat "$out.perf" >&2
		die "t/io_uring: perf counted no completions (its output above)"
	}
}

# per_io NAME SHORT LONG RUNNER [ARG]: RUNNER [ARG] SHORT, then LONG; sets per_io to the
# instructions per I/O between them, appends it to results[NAME] and prints both runs.
declare -A results
per_io() {
	local name=$1 short=$2 long=$3 ir1 ios1
	shift 3
	"$@" "$short"
	ir1=$ir ios1=$ios
	"$@" "$long"
	((ios - ios1 >= ios1 / 2)) ||
		die "$name: the long run did too few more I/Os ($ios1, then $ios); run again"
	per_io=$(awk -v a="$ir1" -v n="$ios1" -v b="$ir" -v m="$ios" \
		'BEGIN { printf "%.1f", (b - a) / (m - n) }')
	results[$name]+=" $per_io"
	printf 'round %d/%d  %-10s %8d I/Os %11d instructions, %8d I/Os %11d: %6s per I/O\n' \
		$((r + 1)) "$rounds" "$name" "$ios1" "$ir1" "$ios" "$ir" "$per_io"
}

# summary NAME: print the median of NAME's rounds and the rounds; sets med to the median.
summary() {
	local v
	read -ra v <<<"${results[$1]}"
	med=$(median "${v[@]}")
	printf '%-10s %6.1f  (%s)\n' "$1" "$med" "${v[*]}"
}

echo "$(uname -r), $(valgrind --version), ringline $ringline" \
	"${baseline:+baseline $baseline}${t_io_uring:+ $t_io_uring}"
echo "4 KiB O_DIRECT randread, QD32, batches of 8, 1 thread, ${SIZE:-1G} tmpfs file;" \
	"$rounds rounds; user-space instructions per I/O = (long run - short run) / extra I/Os"
tools=(ringline ${baseline:+baseline})
for ((r = 0; r < rounds; r++)); do
	# Alternate the two builds' order, so neither always runs first.
	for ((i = 0; i < ${#tools[@]}; i++)); do
		case ${tools[(i + r) % ${#tools[@]}]} in
		ringline) per_io ringline $((count / 10)) "$count" run_ringline ringline "$ringline" ;;
		baseline) per_io baseline $((count / 10)) "$count" run_ringline baseline "$baseline" ;;
		esac
	done
	[ -z "$t_io_uring" ] || per_io t/io_uring 1 "$tio_seconds" run_t_io_uring
done

echo
printf '%-10s %s\n' tool "median instructions per I/O (rounds)"
summary ringline
rl=$med
if [ -n "$baseline" ]; then
	summary baseline
	read -ra a <<<"${results[ringline]}"
	read -ra b <<<"${results[baseline]}"
	d=()
	for i in "${!a[@]}"; do
		d+=("$(awk -v x="${a[i]}" -v y="${b[i]}" 'BEGIN { printf "%+.1f", x - y }')")
	done
	printf 'ringline - baseline: per-round median %+.1f (%s)\n' "$(median "${d[@]}")" "${d[*]}"
fi
if [ -n "$t_io_uring" ]; then
	summary t/io_uring
	awk -v a="$rl" -v b="$med" 'BEGIN { printf "ringline / t/io_uring: %.3f\n", a / b }'
fi
