#!/usr/bin/env bash
# fio with the ringline engine vs fio with its io_uring_cmd engine (cmd_type=nvme): 4 KiB random
# reads through NVMe passthrough on /dev/ng0n1, QD32, one job, fixed buffers and registered
# files, batched by 8, all in ONE emulated-NVMe guest boot. Identical job options; only
# --ioengine differs (and io_uring_cmd's cmd_type=nvme, its default, is spelled out).
#
# The guest's NVMe controller is emulated in software, so absolute IOPS say little; the ratio
# within one boot is the result. POLL=1 adds a polled round set (hipri=1; nvme poll_queues).
#
# Usage: bench/fio-engine-nvme-guest.sh       (as root; boots tests/vm/nvme-vm)
# Env:   SECONDS (per engine and round, default 5), ROUNDS (default 5), POLL (0 or 1)
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

if [ "${1:-}" != --inside ]; then
	cd "$root"
	fio_src=$(scripts/fio-source | tail -n1)
	cmake -S . -B build -DFIO_SOURCE_DIR="$fio_src" >/dev/null
	cmake --build build -j "$(nproc)" >/dev/null
	[ -f build/fio-plugin/ringline ] || die "the fio engine was not built (see cmake's output)"
	# Up to 20 s of start-up per fio run in the slow guest, on top of its run time.
	exec tests/vm/nvme-vm --timeout $((300 + rounds * (poll + 1) * 2 * (runtime + 20))) \
		--env GUEST_SECONDS="$runtime" --env ROUNDS="$rounds" --env POLL="$poll" \
		-- bench/fio-engine-nvme-guest.sh --inside
fi

# Inside the guest from here on.
dev=/dev/ng0n1
engine=$root/build/fio-plugin/ringline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

job() {
	echo --name=fio-nvme-guest --filename="$dev" --rw=randread --bs=4k --iodepth=32 \
		--numjobs=1 --fixedbufs=1 --registerfiles=1 --hipri="${P:-0}" \
		--iodepth_batch_submit=8 --iodepth_batch_complete_min=8 \
		--norandommap --randrepeat=0 --gtod_reduce=1 --time_based --runtime="$runtime" \
		--output-format=json
}

run_fio_ringline() {
	# shellcheck disable=SC2046 # job() prints one word per option
	LD_LIBRARY_PATH=$(dirname "$engine") fio --ioengine=ringline $(job) \
		--output="$work/fio_ringline.log" >"$work/fio_ringline.err" 2>&1 || return
	fio_read_iops "$work/fio_ringline.log"
}

run_fio_io_uring_cmd() {
	# shellcheck disable=SC2046
	fio --ioengine=io_uring_cmd --cmd_type=nvme $(job) \
		--output="$work/fio_io_uring_cmd.log" >"$work/fio_io_uring_cmd.err" 2>&1 || return
	fio_read_iops "$work/fio_io_uring_cmd.log"
}

echo "guest $(uname -r), $(fio --version), $dev, engine $engine"
echo "fio job options for both: $(job)"
echo "4 KiB passthrough randread, QD32, 1 job, ${runtime}s x ${rounds} rounds, interrupts"
bench_rounds fio_ringline fio_io_uring_cmd
bench_ratio fio_ringline fio_io_uring_cmd "$target"
if [ "$poll" = 1 ]; then
	echo
	echo "the same, polled (hipri=1 for both)"
	P=1
	# shellcheck disable=SC2034 # bench/lib.sh's tables, reset for the second set
	bench_results=() bench_median=()
	bench_rounds fio_ringline fio_io_uring_cmd
	bench_ratio fio_ringline fio_io_uring_cmd "$target"
fi
