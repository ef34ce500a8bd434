#!/bin/bash
# Smoke test of tests/vm/nvme-vm: boots the guest three times and checks that
#   1. /dev/ng0n1 and /dev/ng0n2 exist, nvme-cli sees 512- and 4096-byte LBA formats in use,
#      a file the guest writes in the working directory shows up on the host, and the
#      command's stdout reaches the host's stdout;
#   2. a failing command's exit status (3) comes back exactly;
#   3. a guest kernel WARNING fails the run (status 125) although the command succeeded.
# Options are passed on to nvme-vm, e.g. tests/vm/smoke.sh --kernel 6.12. Needs root.
set -uo pipefail

harness=$(cd "$(dirname "$0")" && pwd)/nvme-vm
passed=0
failed=0

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
		passed=$((passed + 1))
	else
		echo "FAILED: $what"
		failed=$((failed + 1))
	fi
}

# The working directory the guest shares with the host.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
token="written by the guest $$ $RANDOM"

cat >guest-checks.sh <<'EOF'
set -u
rc=0
for dev in /dev/ng0n1 /dev/ng0n2; do
	[ -c "$dev" ] || { echo "missing $dev" >&2; rc=1; }
done
# nvme-cli prints the LBA format in use as "lbaf N : ms:0 lbads:L rp:0 (in use)", L = log2(size).
nvme id-ns /dev/ng0n1 | grep -q 'lbads:9 .*(in use)' || { echo "ng0n1: no 512-byte LBAs" >&2; rc=1; }
nvme id-ns /dev/ng0n2 | grep -q 'lbads:12 .*(in use)' || { echo "ng0n2: no 4096-byte LBAs" >&2; rc=1; }
printf '%s\n' "$1" >from-guest.txt
echo "guest stdout: $(uname -r)"
exit "$rc"
EOF

out=$("$harness" "$@" -- bash guest-checks.sh "$token")
rc=$?
printf '%s\n' "$out"
check "devices and LBA formats in the guest (status $rc)" test "$rc" -eq 0
check "the guest's stdout reaches the host" grep -q '^guest stdout: ' <<<"$out"
check "a file written by the guest is on the host" \
	test "$(cat from-guest.txt 2>/dev/null)" = "$token"

"$harness" "$@" -- sh -c 'exit 3'
rc=$?
check "exit status 3 propagates (got $rc)" test "$rc" -eq 3

"$harness" "$@" -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at smoke.sh: injected" >/dev/kmsg' 2>/dev/null
rc=$?
check "a guest kernel WARNING fails the run (got $rc, want 125)" test "$rc" -eq 125

echo "$passed passed, $failed failed"
((failed == 0))
