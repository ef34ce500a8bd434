#!/usr/bin/env bash
# CTest entry: boot one guest with metadata and PI namespaces and run tests/vm/guest-pi.sh in it.
# Usage: tests/vm/run-guest-pi.sh BUILD_DIR [KERNEL [FIO-ENGINE.so]]
# Exit 77 (skipped) when the guest cannot be booted here: not root, or QEMU missing.
set -euo pipefail
build=$(realpath "$1")
kernel=${2:-6.1}
engine=${3:-}
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
# 512+8 PI type 1 and 4096+16 PI type 1 with the 64-bit guard, metadata in a separate buffer;
# 4096+8 PI type 3 in extended LBAs; 512 without metadata (for the refusals).
exec tests/vm/nvme-vm --kernel "$kernel" --timeout 700 \
	--ns 64M:512:ms=8,mset=0,pi=1 --ns 64M:4096:ms=8,mset=1,pi=3 \
	--ns 64M:4096:ms=16,mset=0,pi=1,pif=2 --ns 16M:512 \
	${RINGLINE_FIO_PRELOAD:+--env RINGLINE_FIO_PRELOAD=$RINGLINE_FIO_PRELOAD} \
	-- tests/vm/guest-pi.sh "$build/tools/ringline" "$engine"
