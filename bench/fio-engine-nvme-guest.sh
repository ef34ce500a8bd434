#!/usr/bin/env bash
# fio with the ringline engine vs fio with its io_uring_cmd engine (cmd_type=nvme) through NVMe
# passthrough on /dev/ng0n1, over the option sets of bench/fio-sets.sh (defaults, fixedbufs,
# batch, qd1, bs128k, numjobs2, randwrite; 4 KiB random reads at iodepth 32 unless the set says
# otherwise), all in ONE emulated-NVMe guest boot. Identical job options; only --ioengine
# differs (and io_uring_cmd's cmd_type=nvme, its default, is spelled out). The randwrite set
# overwrites the guest's scratch namespace.
#
# The guest's NVMe controller is emulated in software, so absolute IOPS say little; the ratio
# within one boot is the result. POLL=1 adds a polled round set (hipri=1; nvme poll_queues).
#
# Usage: bench/fio-engine-nvme-guest.sh       (as root; boots tests/vm/nvme-vm)
# Env:   SECONDS (per engine and round, default 5), ROUNDS (default 5), POLL (0 or 1),
#        SETS (option sets, default all: see bench/fio-sets.sh)
# Inside the guest the value comes as GUEST_SECONDS: bash turns an inherited SECONDS into a clock,
# and the guest's slow start-up could already have moved it on (a 2 s request ran 3 s rounds).
runtime=${GUEST_SECONDS:-$SECONDS}
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-5}
poll=${POLL:-0}
target=1.0
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
# shellcheck source=bench/fio-sets.sh
. "$root/bench/fio-sets.sh"
sets=$(fio_sets)
nsets=$(wc -w <<<"$sets")

if [ "${1:-}" != --inside ]; then
	cd "$root"
	fio_src=$(scripts/fio-source | tail -n1)
	cmake -S . -B build -DFIO_SOURCE_DIR="$fio_src" >/dev/null
	cmake --build build -j "$(nproc)" >/dev/null
	[ -f build/fio-plugin/ringline ] || die "the fio engine was not built (see cmake's output)"
	# Up to 20 s of start-up per fio run in the slow guest, on top of its run time.
	exec tests/vm/nvme-vm --timeout $((300 + nsets * rounds * (poll + 1) * 2 * (runtime + 20))) \
		--env GUEST_SECONDS="$runtime" --env ROUNDS="$rounds" --env POLL="$poll" \
		--env SETS="$sets" \
		-- bench/fio-engine-nvme-guest.sh --inside
fi

# Inside the guest from here on.
dev=/dev/ng0n1
engine=$root/build/fio-plugin/ringline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

job() {
	# shellcheck disable=SC2046 # fio_set_opts prints one word per option
	echo --name=fio-nvme-guest --filename="$dev" $(fio_set_opts "$set") --hipri="${P:-0}" \
		--norandommap --randrepeat=0 --gtod_reduce=1 --time_based --runtime="$runtime" \
		--output-format=json
}

run_fio() {
	local name=$1 log=$work/$1.log
	shift
	# shellcheck disable=SC2046 # job() prints one word per option
	"$@" $(job) --output="$log" >"$work/$name.err" 2>&1 || return
	fio_total_iops "$log"
}

echo "guest $(uname -r), $(fio --version), $dev, engine $engine"
echo "${runtime}s x ${rounds} rounds per set; sets: $sets"
summary=()
passes=0
[ "$poll" != 1 ] || passes="0 1"
for P in $passes; do
	for set in $sets; do
		# (an assignment from a failing $(...) would end the script under set -e)
		name=$set
		[ "$P" = 0 ] || name=${set}_polled
		eval "run_${name}_ringline() { run_fio ${name}_ringline env LD_LIBRARY_PATH=\$(dirname \"\$engine\") fio --ioengine=ringline; }"
		eval "run_${name}_io_uring_cmd() { run_fio ${name}_io_uring_cmd fio --ioengine=io_uring_cmd --cmd_type=nvme; }"
		echo
		echo "== $name: $(job)"
		bench_rounds "${name}_ringline" "${name}_io_uring_cmd"
		line=$(bench_ratio "${name}_ringline" "${name}_io_uring_cmd" "$target")
		echo "$line"
		summary+=("$(printf '%-17s %s' "$name" "${line#ratio }")")
	done
done
echo
echo "== ringline / io_uring_cmd, every set (target >= $target)"
printf '%s\n' "${summary[@]}"
