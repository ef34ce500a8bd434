#!/usr/bin/env bash
# CTest entry: boot one emulated-NVMe guest and run the NVMe device tests and the CLI checks in it.
# Usage: tests/vm/run-guest-tests.sh BUILD_DIR [KERNEL [TEST_NVME_DEV]]
#   KERNEL: 6.1, the default, or 6.12; TEST_NVME_DEV: the device tests' executable, by default
#   BUILD_DIR/tests/vm/test_nvme_dev (CTest passes the path it built).
# Exit 77 (skipped) when the guest cannot be booted here: not root, or QEMU missing.
set -euo pipefail
build=$(realpath "$1")
kernel=${2:-6.1}
tests=$(realpath "${3:-$build/tests/vm/test_nvme_dev}")
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
exec tests/vm/nvme-vm --kernel "$kernel" --timeout 700 -- sh -c \
	"'$tests' --jobs 1 && tests/vm/guest-cli.sh '$build/tools/ringline'"
