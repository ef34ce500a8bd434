#!/usr/bin/env bash
# User-space instructions per I/O: fio with the ringline engine against fio with its io_uring
# engine, for each option set of bench/fio-sets.sh (the jobs of bench/fio-engine-tmpfs.sh) on
# a tmpfs file, counted by valgrind's callgrind.
#
# Why: an instruction count does not depend on the machine's load, so it resolves differences
# of a few percent that the IOPS benchmarks, on these noisy shared machines, cannot. It counts
# user space only (fio, the engine, libc, liburing); both engines make the same system calls.
# It does not replace the IOPS benchmark; it says where the engine's user-space cost stands.
#
# Each engine runs twice, over SIZE and 2 x SIZE of I/O; the difference divided by the extra
# I/Os is the cost per I/O, without fio's and the loader's start-up.
#
# Usage: bench/fio-engine-instr.sh      (valgrind: apt-get install valgrind)
# Env:   SIZE          I/O per short run, IEC suffixes (default 100M; 25 600 I/Os of 4 KiB)
#        SETS          option sets (default all, see bench/fio-sets.sh)
#        RINGLINE_FIO  the engine file (default build/fio-plugin/ringline in the repo)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
# shellcheck source=bench/fio-sets.sh
. "$root/bench/fio-sets.sh"
sets=$(fio_sets)
size=$(numfmt --from=iec "${SIZE:-100M}") || die "bad SIZE '${SIZE:-}'"
((size >= 4 << 20 && size % 4096 == 0)) || die "SIZE must be a multiple of 4 KiB and at least 4M"
engine=$(bench_fio_engine)
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
work=$(mktemp -d /tmp/ringline-fio-instr.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
file=$(bench_tmpfs_file fio 256M)

common=(--name=fio-instr --filename="$file" --direct=1 --norandommap --randrepeat=0
	--gtod_reduce=1 --thread --output-format=json)

instructions() {
	local out=$work/$set.$1.$3
	# shellcheck disable=SC2046 # fio_set_opts prints one word per option
	valgrind --tool=callgrind --callgrind-out-file="$out.cg" fio --ioengine="$2" "${common[@]}" \
		$(fio_set_opts "$set") --io_size="$3" --output="$out.json" >"$out.err" 2>&1 || {
		cat "$out.err" >&2
		die "fio --ioengine=$2 failed under valgrind (output above)"
	}
	ir=$(awk '/^summary:/ { print $2 }' "$out.cg")
	ios=$(fio_total_ios "$out.json")
}

per_io() {
	local ir1 ios1
	instructions "$1" "$2" "$size"
	ir1=$ir ios1=$ios
	instructions "$1" "$2" $((2 * size))
	((ios > ios1)) || die "$1: the longer run did not do more I/O ($ios1, then $ios)"
	per_io=$(awk -v a="$ir1" -v n="$ios1" -v b="$ir" -v m="$ios" 'BEGIN { printf "%.0f", (b - a) / (m - n) }')
}

echo "$(uname -r), $(fio --version), $(valgrind --version), engine $engine"
echo "fio job options for both: ${common[*]}, then the set's; --io_size $size and $((2 * size)) per job"
printf '%-10s %10s %10s %18s  %s\n' set ringline io_uring "ringline/io_uring" "set options"
for set in $sets; do
	per_io ringline "external:$engine"
	rl=$per_io
	per_io io_uring io_uring
	ur=$per_io
	printf '%-10s %10s %10s %18s  %s\n' "$set" "$rl" "$ur" \
		"$(awk -v a="$rl" -v b="$ur" 'BEGIN { printf "%.3f", a / b }')" "$(fio_set_opts "$set")"
done
echo "(user-space instructions per I/O; below 1: ringline runs fewer instructions)"
