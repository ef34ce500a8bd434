#!/usr/bin/env bash
# CTest entry: boot the emulated-NVMe guest with each kernel (6.1, 6.12) and run the kernel NBD
# client checks in it (tests/nbd/guest-nbd.sh). Usage: tests/nbd/run-guest.sh BUILD_DIR (from
# the source tree, which the guest shares). Exit 77 (skipped) when no guest can boot here.
set -euo pipefail
build=$(realpath "$1")
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
status=0
for k in 6.1 6.12; do
	echo "== guest kernel $k =="
	tests/vm/nvme-vm --kernel "$k" --timeout 600 -- tests/nbd/guest-nbd.sh \
		"$build/tools/ringline" || status=$?
done
exit $status
