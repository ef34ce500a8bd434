#!/usr/bin/env bash
# Every Criterion test executable given passes or skips, and none fails, where io_uring_setup(2)
# fails (no_io_uring: EPERM, as under kernel.io_uring_disabled=2): a test whose precondition is
# missing skips with the reason instead of failing an assert.
# Usage: tests/host/without-io-uring.sh NO_IO_URING TEST_EXECUTABLE...
set -uo pipefail
wrapper=$1
shift
failed=0 reason=
for t in "$@"; do
	out=$("$wrapper" "$t" --jobs 1 --verbose 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: $(basename "$t") fails without io_uring (exit $rc):"
		grep -E '\[FAIL\]|Assertion|CRASH|no_io_uring' <<<"$out" | sed 's/^/    /'
		failed=1
		continue
	fi
	echo "ok: $(basename "$t"): $(grep -c '\[SKIP\]' <<<"$out") tests skipped"
	[ -n "$reason" ] || reason=$(grep -m1 -o 'io_uring is unavailable.*' <<<"$out")
done
# The tests skipped because of the filter, and said so.
if [ -z "$reason" ]; then
	echo "FAIL: no test skipped with the reason 'io_uring is unavailable'"
	exit 1
fi
echo "reason given: $reason"
exit $failed
