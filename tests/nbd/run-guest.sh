#!/usr/bin/env bash
# CTest entry: boot the emulated-NVMe guest with a kernel (6.1 or 6.12) and run the kernel NBD
# client checks in it (tests/nbd/guest-nbd.sh). Usage: tests/nbd/run-guest.sh BUILD_DIR KERNEL
# (from the source tree, which the guest shares). Exit 77 (skipped) when no guest can boot here.
set -euo pipefail
build=$(realpath "$1")
kernel=$2
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
echo "== guest kernel $kernel =="
exec tests/vm/nvme-vm --kernel "$kernel" --timeout 600 -- tests/nbd/guest-nbd.sh \
	"$build/tools/ringline"
