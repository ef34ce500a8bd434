#!/usr/bin/env bash
# CTest entry: boot one guest with a zoned namespace (16 MiB zones of 4 KiB blocks, 12 MiB
# capacity, 8 open and 10 active at most, ZASL 128 KiB) and a plain one, and run the zoned
# device tests and the CLI checks (guest-zns.sh) in it.
# Usage: tests/vm/run-zns-tests.sh BUILD_DIR [KERNEL [TEST_ZNS_DEV [FIO_ENGINE]]]
#   FIO_ENGINE: the built fio engine; without it the fio checks are left out (RINGLINE_NO_FIO).
# Exit 77 (skipped) when the guest cannot be booted here: not root, or QEMU missing.
set -euo pipefail
build=$(realpath "$1")
kernel=${2:-6.1}
tests=$(realpath "${3:-$build/tests/vm/test_zns_dev}")
plugin=${4:+$(realpath "$4")}
cd "$(dirname "$0")/../.."

tests/vm/can-boot || exit $?
env=()
[ -n "$plugin" ] || env+=(--env RINGLINE_NO_FIO=1)
[ -z "${RINGLINE_FIO_PRELOAD:-}" ] || env+=(--env "RINGLINE_FIO_PRELOAD=$RINGLINE_FIO_PRELOAD")
exec tests/vm/nvme-vm --kernel "$kernel" --timeout 700 --ctrl zoned.zasl=5 \
	--ns 256M:4096:zoned=true,zoned.zone_size=16M,zoned.zone_capacity=12M,zoned.max_open=8,zoned.max_active=10 \
	--ns 64M:512 "${env[@]}" \
	-- sh -c "'$tests' --jobs 1 && tests/vm/guest-zns.sh '$build/tools/ringline' '$plugin'"
