#!/usr/bin/env bash
# fio with the ringline engine vs fio with its own io_uring engine on a file in tmpfs, over the
# option sets of bench/fio-sets.sh (defaults, fixedbufs, batch, qd1, bs128k, numjobs2,
# randwrite): for each set identical job options, only --ioengine differs, and its median ratio
# of interleaved rounds is printed. O_DIRECT, 4 KiB random reads at iodepth 32 unless the set
# says otherwise.
#
# Why tmpfs: it takes O_DIRECT and has no device behind it, so the run measures each engine's
# cost per I/O. The machine is shared and noisy: the engines run interleaved, several rounds,
# in a rotating order, and only ratios within one run mean anything (bench_ratio, bench/lib.sh).
#
# Usage: bench/fio-engine-tmpfs.sh      (as root to mount a private tmpfs; else /dev/shm)
# Env:   SECONDS   run time per engine and round (default 5)
#        ROUNDS    rounds (default 5)
#        SIZE      file size, IEC suffixes (default 1G)
#        SETS      option sets to run (default all, see bench/fio-sets.sh)
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
# shellcheck source=bench/fio-sets.sh
. "$root/bench/fio-sets.sh"
sets=$(fio_sets)
engine=$(bench_fio_engine)
[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"
work=$(mktemp -d /tmp/ringline-fio-tmpfs.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
file=$(bench_tmpfs_file fio "$size")

# The job, identical for both engines, before the set's options. No random map, clock reads or
# repeatable seed: the engines' cost, not fio's bookkeeping.
common=(--name=fio-tmpfs --filename="$file" --direct=1 --norandommap --randrepeat=0
	--gtod_reduce=1 --time_based --runtime="$runtime" --output-format=json)

run_fio() {
	local name=$1 engine_opt=$2 log=$work/$1.log
	shift 2
	# shellcheck disable=SC2046 # fio_set_opts prints one word per option
	fio "$engine_opt" "${common[@]}" $(fio_set_opts "$set") --output="$log" \
		>"$work/$name.err" 2>&1 || return
	fio_total_iops "$log"
}

echo "$(uname -r), $(fio --version), engine $engine"
echo "fio job options for both: ${common[*]}"
echo "${size} file, ${runtime}s x ${rounds} rounds per set; sets: $sets"
summary=()
for set in $sets; do
	eval "run_${set}_ringline() { LD_LIBRARY_PATH=\$(dirname \"\$engine\") run_fio ${set}_ringline --ioengine=ringline; }"
	eval "run_${set}_io_uring() { run_fio ${set}_io_uring --ioengine=io_uring; }"
	echo
	echo "== $set: $(fio_set_opts "$set")"
	bench_rounds "${set}_ringline" "${set}_io_uring"
	line=$(bench_ratio "${set}_ringline" "${set}_io_uring" "$target")
	echo "$line"
	summary+=("$(printf '%-10s %s' "$set" "${line#ratio }")")
done
echo
echo "== ringline / io_uring, every set (target >= $target)"
printf '%s\n' "${summary[@]}"
