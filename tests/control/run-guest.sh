#!/usr/bin/env bash
# CTest entry: boot one emulated-NVMe guest and run the control-plane checks in it
# (tests/control/guest-control.sh). Usage: tests/control/run-guest.sh BUILD_DIR (from the source
# tree, which the guest shares). Exit 77 (skipped) when no guest can boot here.
set -euo pipefail
build=$(realpath "$1")
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
exec tests/vm/nvme-vm --timeout 480 -- tests/control/guest-control.sh \
	"$build/tools/ringline"
