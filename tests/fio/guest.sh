#!/usr/bin/env bash
# The ringline fio engine on emulated NVMe, inside tests/vm/nvme-vm (ng0n1: 512-byte LBAs,
# ng0n2: 4096-byte LBAs, 1 GiB each; nvme poll_queues=1): the verify matrix on both namespaces,
# vectored commands, Flush, Write Zeroes, Dataset Management (deallocate) read back, polled
# completions, one job mixing an ng device and a file, and a write past the end of the
# namespace named by its NVMe status. Writes the first few MiB of each namespace and a file in
# the current directory.
# Usage: tests/fio/guest.sh PLUGIN
set -euo pipefail
plugin=$(realpath "$1")
# shellcheck source=tests/fio/lib.sh
. "$(dirname "$0")/lib.sh"
# Emulated NVMe is slow, and fio itself takes seconds to start here: small jobs, two runs.
size=4m
work=$(mktemp -d)
# The mixed job's file: the current directory is the host's, shared over 9p, which has
# O_DIRECT (the guest's tmpfs has none before Linux 6.6).
scratch=$(mktemp -d "$PWD/rl-fio-guest.XXXXXX")
trap 'rm -rf "$work" "$scratch"' EXIT
# fio leaves verify state files in its working directory: keep them in the scratch directory.
cd "$scratch"

echo "guest $(uname -r), $(fio --version), engine $plugin"
{
	job_header
	verify_matrix n1- /dev/ng0n1 "$size"
	option_jobs n1-opt- /dev/ng0n1 "$size"
	verify_matrix n2- /dev/ng0n2 "$size"
	option_jobs n2-opt- /dev/ng0n2 "$size"
	cat <<EOT
[polled-verify-4k]
filename=/dev/ng0n1
hipri=1
fixedbufs=1
size=$size
bs=4k
iodepth=32
rw=randwrite
verify=crc32c
[mixed-verify-4k]
filename=/dev/ng0n1:$scratch/data
size=$size
bs=4k
iodepth=16
fixedbufs=1
rw=randwrite
verify=crc32c
EOT
} >"$work/jobs.fio"
run_fio "$work/jobs.fio" "$work/jobs.json"
check "fio runs every job and exits 0" fio_exited_0 "$work/jobs.json"
bytes=$(to_bytes $size)
for n in 1 2; do
	check "verify matrix on /dev/ng0n$n" check_json "$work/jobs.json" "only=n$n-verify-" \
		"verified=$bytes"
	# shellcheck disable=SC2046 # one word per clause
	check "vectored, flush, write zeroes, deallocate on /dev/ng0n$n" check_json \
		"$work/jobs.json" $(option_clauses "n$n-opt-" "$size")
done
check "polled (hipri) on /dev/ng0n1" check_json "$work/jobs.json" only=polled- \
	"verified=$bytes"
check "one job over /dev/ng0n1 and $scratch/data" check_json "$work/jobs.json" only=mixed- \
	"verified=$bytes"

# namespace_size: fio believes ng0n1 (1 GiB) is 1 MiB larger and writes its last 2 MiB.
past_end() {
	if rl_fio --name=past-end --ioengine=ringline --filename=/dev/ng0n1 \
		--namespace_size=1025m --offset=1023m --size=2m --rw=write --bs=64k --iodepth=4 \
		--output-format=json --output="$work/past-end.json" 2>"$work/past-end.err"; then
		echo "fio exited 0 after writing past the end of the namespace"
		return 1
	fi
	cat "$work/past-end.err"
	grep "ringline: /dev/ng0n1: NVMe status LBA Out of Range (SCT 0x0, SC 0x80" \
		"$work/past-end.err" | sort -u | sed 's/^/  /' | grep . ||
		{ echo "the NVMe status is not named"; return 1; }
	# The first 1 MiB is inside the namespace and written; then EIO (5).
	check_json "$work/past-end.json" "error=past-end:5" "bytes=past-end:write:1048576"
}
check "a write past the end of /dev/ng0n1: NVMe status named, fio exits non-zero" past_end
summary
