#!/usr/bin/env bash
# The kernel's NBD client against `ringline nbd` exporting /dev/ng0n1 by NVMe passthrough, inside
# tests/vm/nvme-vm (the guest has no network: a Unix socket). nbd-client attaches /dev/nbd0,
# mkfs.ext4, mount, a tree of files written, sync, fstrim (which must reach the namespace as
# deallocate: the server's trim counter in /metrics; the journal's FUA writes reach it as NVMe
# Writes with the FUA bit, without errors), unmount, fsck.ext4 -fn clean; then the
# server restarts and the files read back equal.
# Usage: tests/nbd/guest-nbd.sh PATH-TO-ringline
set -uo pipefail
rl=${1:?usage: guest-nbd.sh PATH-TO-ringline}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock=$work/nbd.sock http=$work/http.sock mnt=$work/mnt
pass=0 fail=0 server_pid=
# shellcheck source=tests/nbd/lib.sh
. "$here/lib.sh"
cleanup() {
	umount "$mnt" 2>/dev/null
	nbd-client -d /dev/nbd0 >/dev/null 2>&1
	[ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt" "$work/tree"

start() {
	"$rl" nbd --listen "unix:$sock" --http "unix:$http" --name ns1 /dev/ng0n1 \
		>"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && grep -q exporting "$work/server.log" && return 0
		sleep 0.1
	done
	cat "$work/server.log"
	return 1
}

attach() {
	nbd-client -N ns1 -u "$sock" /dev/nbd0 -b 4096 &&
		for _ in $(seq 50); do
			[ "$(cat /sys/block/nbd0/size)" -gt 0 ] && return 0
			sleep 0.1
		done
}

detach() {
	nbd-client -d /dev/nbd0
	sleep 0.5
}

# metric REGEX: the sum of the /metrics samples whose line matches REGEX.
metric() {
	curl -s --unix-socket "$http" http://ringline/metrics |
		awk -v re="$1" '$0 ~ re { s += $NF } END { print s + 0 }'
}

trims() {
	metric '^ringline_ops_total\\{.*op="trim"'
}

fs_round_trip() {
	start && attach || return 1
	mkfs.ext4 -q -F /dev/nbd0 && mount /dev/nbd0 "$mnt" || return 1
	# A tree of files: copies of the host's headers, and random data.
	cp -a /usr/include/linux "$mnt/linux" || return 1
	for i in $(seq 8); do head -c $((i * 300000)) /dev/urandom >"$mnt/rand$i"; done
	(cd "$mnt" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$work/sums"
	sync
	# ext4's journal commits are FUA writes: NVMe Writes with the FUA bit, which must succeed.
	local fua werr
	fua=$(metric '^ringline_nbd_fua_commands_total ')
	werr=$(metric '^ringline_errors_total\\{.*op="write"')
	echo "FUA writes: $fua NVMe commands with the FUA bit, ${werr:-0} write errors" |
		tee "$work/fua"
	[ "${fua:-0}" -gt 0 ] && [ "${werr:-0}" -eq 0 ] || return 1
	local before after
	before=$(trims)
	fstrim -v "$mnt" || return 1
	after=$(trims)
	echo "server trims: $before before fstrim, $after after"
	[ "${after:-0}" -gt "${before:-0}" ] || return 1
	umount "$mnt" && fsck.ext4 -fn /dev/nbd0 || return 1
	detach
}
check "nbd-client on /dev/ng0n1 by passthrough: mkfs, mount, files, fstrim, fsck clean" \
	fs_round_trip
cat "$work/fua" 2>/dev/null
check "SIGTERM: the server exits 0" server_stop

reread() {
	start && attach && mount -o ro /dev/nbd0 "$mnt" || return 1
	(cd "$mnt" && sha256sum -c --quiet "$work/sums") || return 1
	umount "$mnt"
	detach
	server_stop
}
check "after a server restart, every file reads back equal" reread

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
