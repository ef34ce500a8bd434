#!/usr/bin/env bash
# The ringline fio engine on the host: write-then-verify jobs (crc32c) at bs 4k and 128k,
# iodepth 1 and 32, fixedbufs off and on, then the engine's other paths (vectored, fsync, write
# zeroes, trim then read back, sqthread_poll), and numjobs=2 with thread=1 (two engines in one
# process, each verifying its own half), over an O_DIRECT file or a loop device.
# Usage: tests/fio/host-verify.sh PLUGIN file|loop
# Exit 77 (skipped) for `loop` when not root.
set -euo pipefail
plugin=$(realpath "$1") kind=$2
# shellcheck source=tests/fio/lib.sh
. "$(dirname "$0")/lib.sh"
size=16m
work=$(mktemp -d /var/tmp/rl-fio.XXXXXX)
loop=
cleanup() {
	[ -z "$loop" ] || losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT

case $kind in
file)
	# /var/tmp: a disk file system with O_DIRECT (ext4 on Debian), unlike tmpfs before 6.6.
	target=$work/data
	;;
loop)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: a loop device needs root"
		exit 77
	fi
	truncate -s 64m "$work/backing"
	loop=$(losetup --find --show "$work/backing")
	target=$loop
	;;
*)
	echo "usage: $0 PLUGIN file|loop" >&2
	exit 2
	;;
esac

echo "fio $(fio --version), engine $plugin, target $target ($kind)"
{
	job_header
	verify_matrix "" "$target" "$size"
	option_jobs opt- "$target" "$size"
	printf '[sqpoll-verify-4k]\nfilename=%s\nsize=%s\nrw=randwrite\nbs=4k\niodepth=32\n' \
		"$target" "$size"
	printf 'sqthread_poll=1\nfixedbufs=1\nverify=crc32c\n'
} >"$work/jobs.fio"
# Two jobs, threads of one fio process, each with its own engine: job N writes and verifies
# the half at N * size/2. A run of its own: fio writes a warning about several writers
# before the JSON, which is dropped.
{
	job_header
	printf '[threads-verify-4k]\nfilename=%s\nsize=%s\noffset_increment=%s\n' "$target" \
		"$(($(to_bytes $size) / 2))" "$(($(to_bytes $size) / 2))"
	printf 'rw=randwrite\nbs=4k\niodepth=16\nnumjobs=2\nthread=1\nfixedbufs=1\nverify=crc32c\n'
} >"$work/threads.fio"
run_fio "$work/jobs.fio" "$work/jobs.json"
check "fio runs every job and exits 0" fio_exited_0 "$work/jobs.json"
check "verify matrix on $kind" check_json "$work/jobs.json" only=verify- \
	"verified=$(to_bytes $size)"
# shellcheck disable=SC2046 # one word per clause
check "vectored, fsync, write zeroes, trim on $kind" check_json "$work/jobs.json" \
	$(option_clauses opt- "$size")
check "sqthread_poll on $kind" check_json "$work/jobs.json" only=sqpoll- \
	"verified=$(to_bytes $size)"
run_fio "$work/threads.fio" "$work/threads.raw"
check "fio runs numjobs=2 thread=1 and exits 0" fio_exited_0 "$work/threads.raw"
sed -n '/^{/,$p' "$work/threads.raw" >"$work/threads.json"
# Both threads ran: two jobs of that name, each its own half.
two_thread_jobs() {
	"$python" -c 'import json, sys
jobs = [j for j in json.load(open(sys.argv[1]))["jobs"] if j["jobname"] == "threads-verify-4k"]
print(f"  {len(jobs)} jobs named threads-verify-4k")
sys.exit(len(jobs) != 2)' "$1"
}
check "numjobs=2 thread=1 on $kind: both jobs" two_thread_jobs "$work/threads.json"
check "numjobs=2 thread=1 on $kind: each verifies its half" check_json "$work/threads.json" \
	only=threads- "verified=$(($(to_bytes $size) / 2))"
summary
