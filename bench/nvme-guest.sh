#!/usr/bin/env bash
# ringline vs t/io_uring -u1 vs fio's io_uring_cmd engine: 4 KiB random reads through NVMe
# passthrough on /dev/ng0n1, QD32, one thread, all in ONE emulated-NVMe guest boot.
#
# The guest's NVMe controller is emulated in software, so absolute IOPS say little; the ratios
# within one boot are the result. POLL=1 adds polled variants (IOPOLL, nvme poll_queues).
#
# Usage: bench/nvme-guest.sh           (as root; boots tests/vm/nvme-vm)
# Env:   SECONDS (per tool and round, default 5), ROUNDS (default 3), POLL (0 or 1)
# Inside the guest the value comes as GUEST_SECONDS: bash turns an inherited SECONDS into a clock,
# and the guest's slow start-up could already have moved it on (a 2 s request ran 3 s rounds).
runtime=${GUEST_SECONDS:-$SECONDS}
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
poll=${POLL:-0}
target=0.95
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
[ "$runtime" -ge 2 ] || die "SECONDS must be at least 2 (t/io_uring's first second is dropped)"

if [ "${1:-}" != --inside ]; then
	cd "$root"
	fio_src=$(scripts/fio-source | tail -n1)
	cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
	# Up to 20 s of start-up per tool run in the slow guest, on top of its ramp and run time.
	exec tests/vm/nvme-vm --timeout $((300 + rounds * (poll + 1) * 3 * (runtime + 21))) \
		--env GUEST_SECONDS="$runtime" --env ROUNDS="$rounds" --env POLL="$poll" \
		--env T_IO_URING="$fio_src/t/io_uring" -- bench/nvme-guest.sh --inside
fi

# Inside the guest from here on.
dev=/dev/ng0n1
ringline=$root/build/tools/ringline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# t/io_uring -u1 (fio 3.33) divides the LBA count, not the byte size, by the block size, then
# draws offsets from that many blocks less two: on ng0n1's 512-byte LBAs, blocks 0-509 of 4 KiB.
# ringline and fio read the same bytes, so all three move the same data: the host reads the
# namespace image, and a range it has already cached is faster (bench/README.md, 2026-12-02).
nsze=$("$ringline" identify "$dev" --json | jq .nsze)
range=$(((nsze / 4096 - 2) * 4096))

run_t_io_uring() {
	# -u1: uring_cmd passthrough on the char device; -O0: no O_DIRECT on a char device.
	# -r N stops during second N without reporting it: ask for one more.
	"$T_IO_URING" -u1 -O0 -p"${P:-0}" -B1 -F1 -X1 -R1 -s8 -c8 -d32 -b4096 -n1 \
		-r $((runtime + 1)) "$dev" >"$work/t_io_uring.log" 2>&1 || return
	t_io_uring_iops "$work/t_io_uring.log"
}

run_ringline() {
	# --ramp 1: t/io_uring's first second is not counted (t_io_uring_iops), nor is this.
	"$ringline" bench "$dev" --rw randread --bs 4096 --qd 32 --size "$range" --ramp 1 \
		--time "$runtime" --json \
		${P:+--poll} >"$work/ringline.log" 2>"$work/ringline.err" || return
	ringline_iops "$work/ringline.log"
}

run_fio_io_uring_cmd() {
	# Batching as t/io_uring's -s8 -c8; no random map, clock reads or repeatable seed.
	fio --name=nvme-guest --filename="$dev" --ioengine=io_uring_cmd --cmd_type=nvme \
		--rw=randread --bs=4k --iodepth=32 --numjobs=1 --fixedbufs=1 --registerfiles=1 \
		--size="$range" --hipri="${P:-0}" --iodepth_batch_submit=8 --iodepth_batch_complete_min=8 \
		--norandommap --randrepeat=0 --gtod_reduce=1 \
		--time_based --ramp_time=1 --runtime="$runtime" \
		--output-format=json --output="$work/fio_io_uring_cmd.log" \
		>"$work/fio_io_uring_cmd.err" 2>&1 || return
	fio_read_iops "$work/fio_io_uring_cmd.log"
}

echo "guest $(uname -r), $(fio --version), $dev: $("$ringline" identify "$dev" | sed -n 2p)"
echo "4 KiB passthrough randread over the first $range bytes (t/io_uring's range), QD32, 1 thread,"
echo "${runtime}s x ${rounds} rounds, interrupts"
bench_rounds t_io_uring ringline fio_io_uring_cmd
bench_ratio ringline fio_io_uring_cmd
bench_ratio ringline t_io_uring "$target"
if [ "$poll" = 1 ]; then
	echo
	echo "the same, polled (IOPOLL; t/io_uring -p1, ringline --poll, fio hipri=1)"
	P=1
	bench_results=() bench_median=()
	bench_rounds t_io_uring ringline fio_io_uring_cmd
	bench_ratio ringline fio_io_uring_cmd
	bench_ratio ringline t_io_uring "$target"
fi
