#!/usr/bin/env bash
# CTest entry: boot one emulated-NVMe guest and run the NVMe device tests and the CLI checks in it.
# Usage: tests/vm/run-guest-tests.sh BUILD_DIR [KERNEL]   (KERNEL: 6.1, the default, or 6.12)
# Exit 77 (skipped) when the guest cannot be booted here: not root, or QEMU missing.
set -euo pipefail
build=$(realpath "$1")
kernel=${2:-6.1}
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
exec tests/vm/nvme-vm --kernel "$kernel" --timeout 700 -- sh -c \
	"'$build/tests/test_nvme_dev' --jobs 1 && tests/vm/guest-cli.sh '$build/tools/ringline'"
