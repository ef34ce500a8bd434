#!/usr/bin/env bash
# Sequential 4 KiB writes filling zones of a zoned namespace, QD32, in ONE emulated-NVMe guest
# boot: `ringline bench --zoned` (every write a Zone Append, 32 in flight, zones reset as they
# fill) against fio's io_uring_cmd engine with zonemode=zbd at iodepth 32 (plain writes at the
# write pointer that fio tracks and resets itself). Interleaved rounds; the ratio within the boot
# is the result: the controller is emulated in software, so absolute IOPS say little.
#
# Usage: bench/zns-guest.sh       (as root; boots tests/vm/nvme-vm with a zoned namespace)
# Env:   SECONDS (per tool and round, default 5), ROUNDS (default 5)
runtime=${GUEST_SECONDS:-$SECONDS}
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-5}
target=2.0
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

if [ "${1:-}" != --inside ]; then
	cd "$root"
	bench_ringline >/dev/null
	# The namespace of tests/vm/run-zns-tests.sh: 16 MiB zones, 12 MiB capacity, ZASL 128 KiB.
	exec tests/vm/nvme-vm --timeout $((300 + rounds * 2 * (runtime + 20))) \
		--ctrl zoned.zasl=5 \
		--ns 256M:4096:zoned=true,zoned.zone_size=16M,zoned.zone_capacity=12M,zoned.max_open=8,zoned.max_active=10 \
		--env GUEST_SECONDS="$runtime" --env ROUNDS="$rounds" -- bench/zns-guest.sh --inside
fi

# Inside the guest from here on.
dev=/dev/ng0n1
rl=$(bench_ringline)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_ringline() {
	"$rl" bench "$dev" --zoned --bs 4k --qd 32 --time "$runtime" --json \
		>"$work/ringline.json" 2>"$work/ringline.err" || return
	ringline_iops "$work/ringline.json"
}

run_fio_io_uring_cmd() {
	fio --name=zns --ioengine=io_uring_cmd --cmd_type=nvme --filename="$dev" --zonemode=zbd \
		--rw=write --bs=4k --iodepth=32 --time_based --runtime="$runtime" \
		--gtod_reduce=1 --output-format=json --output="$work/fio.json" \
		>"$work/fio.err" 2>&1 || return
	python3 -c 'import json, sys; print(json.load(sys.stdin)["jobs"][0]["write"]["iops"])' \
		<"$work/fio.json"
}

echo "guest $(uname -r), $(fio --version), $dev (zoned: $("$rl" identify "$dev" --json |
	jq -c '{zone_size, nr_zones, zasl_bytes, max_open_zones}'))"
echo "sequential 4 KiB writes filling zones, QD32, ${runtime}s x ${rounds} rounds"
echo "ringline: $rl bench $dev --zoned --bs 4k --qd 32 --time $runtime --json"
echo "fio: fio --ioengine=io_uring_cmd --cmd_type=nvme --zonemode=zbd --rw=write --bs=4k --iodepth=32"
bench_rounds ringline fio_io_uring_cmd
bench_ratio ringline fio_io_uring_cmd "$target"
