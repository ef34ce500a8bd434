#!/usr/bin/env bash
# CTest entry: boot one emulated-NVMe guest and run the fault checks in it (guest-faults.sh:
# controller reset, SIGKILL, PCI removal under load). The guest's writable share is the
# repository, which must hold the build tree.
# Usage: tests/vm/run-faults.sh BUILD_DIR [KERNEL [FIO_ENGINE]]
# Exit 77 (skipped) when the guest cannot be booted here: not root, or QEMU missing.
set -euo pipefail
build=$(realpath "$1")
kernel=${2:-6.1}
plugin=$(realpath "${3:-$build/fio-plugin/ringline}")
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
exec tests/vm/nvme-vm --kernel "$kernel" --timeout 800 \
	${RINGLINE_FIO_PRELOAD:+--env RINGLINE_FIO_PRELOAD=$RINGLINE_FIO_PRELOAD} \
	-- tests/vm/guest-faults.sh "$build/tools/ringline" "$plugin"
