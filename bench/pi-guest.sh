#!/usr/bin/env bash
# The cost of end-to-end protection information: `ringline bench --pi` (PI generated in the
# loop and checked by the controller on writes, checked in software on reads) against the same
# run without PI, on a 4096+8 extended-LBA namespace with PI type 3, all in ONE emulated-NVMe
# guest boot, interleaved rounds (bench/lib.sh).
#
# The controller is emulated in software, so absolute IOPS say little; the ratios within one
# boot are the result. The reads run first, over a range written with PI; the writes last (a
# write without PI leaves metadata no PI check would pass).
#
# Usage: bench/pi-guest.sh           (as root; boots tests/vm/nvme-vm)
# Env:   SECONDS (per tool and round, default 5), ROUNDS (default 3), QD (default 32)
runtime=${GUEST_SECONDS:-$SECONDS}
[ "$runtime" -gt 0 ] || runtime=5
rounds=${ROUNDS:-3}
qd=${QD:-32}
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

if [ "${1:-}" != --inside ]; then
	cd "$root"
	cmake -S . -B build >/dev/null && cmake --build build -j "$(nproc)" >/dev/null
	exec tests/vm/nvme-vm --timeout $((300 + rounds * 4 * (runtime + 10))) \
		--ns 256M:4096:ms=8,mset=1,pi=3 \
		--env GUEST_SECONDS="$runtime" --env ROUNDS="$rounds" --env QD="$qd" \
		-- bench/pi-guest.sh --inside
fi

# Inside the guest from here on.
dev=/dev/ng0n1
ringline=$root/build/tools/ringline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
size=$((64 << 20))

bench() { # NAME OPTIONS...
	local name=$1
	shift
	"$ringline" bench "$dev" --bs 4096 --qd "$qd" --size "$size" --ramp 1 --time "$runtime" \
		--json "$@" >"$work/$name.log" 2>"$work/$name.err" || return
	ringline_iops "$work/$name.log"
}
run_read_pi() { bench read_pi --rw randread --pi; }
run_read() { bench read --rw randread; }
run_write_pi() { bench write_pi --rw randwrite --pi; }
run_write() { bench write --rw randwrite; }

echo "guest $(uname -r), $dev: $("$ringline" identify "$dev" | sed -n 3,4p | tr -s ' ' | tr '\n' ';')"
echo "4 KiB random I/O over $((size >> 20)) MiB, QD$qd, 1 thread, ${runtime}s x ${rounds} rounds"
# Every block of the range gets PI first, so the checked reads read valid PI.
"$ringline" bench "$dev" --pi --rw write --bs 256k --qd 4 --size "$size" --count $((size >> 18)) \
	--json >/dev/null
bench_rounds read_pi read
bench_ratio read_pi read
bench_rounds write_pi write
bench_ratio write_pi write
