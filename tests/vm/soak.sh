#!/usr/bin/env bash
# The soak (not part of CI): boot one emulated-NVMe guest and run tests/vm/soak-guest.sh in it,
# MINUTES long (default 20). It holds the guest for that long: run it under
# `flock /tmp/ringline-guest.lock` where other guests share the machine.
# Usage: tests/vm/soak.sh BUILD_DIR [MINUTES [RESET_EVERY_SECONDS]] [-- nvme-vm options]
set -euo pipefail
build=$(realpath "$1")
minutes=${2:-20}
reset_every=${3:-240}
cd "$(dirname "$0")/../.."
exec tests/vm/nvme-vm --timeout $((minutes * 60 + 600)) -- tests/vm/soak-guest.sh \
	"$build/tools/ringline" "$minutes" "$reset_every"
