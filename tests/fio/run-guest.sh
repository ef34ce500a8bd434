#!/usr/bin/env bash
# CTest entry: boot ONE emulated-NVMe guest (tests/vm/nvme-vm) and run every guest fio check
# in it (tests/fio/guest.sh). The guest's writable share is the repository, which must hold
# the build tree: the guest sees nothing else of /tmp, where CI's clone may be. Exit 77 (skipped) when no guest can boot here: not root, or QEMU missing.
# Usage: tests/fio/run-guest.sh PLUGIN
set -euo pipefail
plugin=$(realpath "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)

"$repo/tests/vm/can-boot" || exit $?
case $plugin in
"$repo"/*) ;;
*)
	echo "run-guest.sh: the engine $plugin is outside $repo, which the guest shares" >&2
	exit 1
	;;
esac
cd "$repo"
exec "$repo/tests/vm/nvme-vm" --kernel 6.12 --timeout 600 \
	${RINGLINE_FIO_PRELOAD:+--env RINGLINE_FIO_PRELOAD=$RINGLINE_FIO_PRELOAD} \
	-- "$repo/tests/fio/guest.sh" "$plugin"
