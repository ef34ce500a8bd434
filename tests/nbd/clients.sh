#!/usr/bin/env bash
# `ringline nbd` with real clients on loopback: nbdinfo, nbdcopy (4 connections), qemu-img,
# qemu-io, fio's nbd engine (verify), raw clients (tests/nbd/badclients.py), a read-only export,
# and SIGTERM with requests in flight, over an O_DIRECT file on tmpfs or on ext4.
# Usage: tests/nbd/clients.sh RINGLINE shm|ext4 [FIO_ENGINE]
# With FIO_ENGINE (the ringline fio engine file), fio's verify pass also reads DEV directly.
set -euo pipefail
ringline=$(realpath "$1") kind=$2 plugin=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/nbd/lib.sh
. "$here/lib.sh"
need nbdinfo nbdcopy qemu-img qemu-io fio python3 curl
skip_unless_io_uring "$ringline"

case $kind in
shm) work=$(mktemp -d /dev/shm/rl-nbd.XXXXXX) ;;
ext4) work=$(mktemp -d /var/tmp/rl-nbd.XXXXXX) ;;
*)
	echo "usage: $0 RINGLINE shm|ext4" >&2
	exit 2
	;;
esac
server_pid=
cleanup() {
	[ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

size=$((256 << 20))
dev=$work/export
truncate -s $size "$dev"
head -c 64M /dev/urandom >"$work/rand"
server_start "$work/server.log" --handshake-timeout 1000 "$dev"
uri=nbd://$addr
echo "ringline nbd on $addr, exporting $dev ($kind)"

info() {
	nbdinfo --json "$uri" >"$work/info.json"
	python3 - "$work/info.json" "$size" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["exports"][0]
want = {"export-size": int(sys.argv[2]), "block_size_minimum": 512,
        "block_size_preferred": 4096, "block_size_maximum": 32 << 20, "can_flush": True,
        "can_fua": True, "can_trim": True, "can_zero": True, "can_multi_conn": True,
        "is_read_only": False, "export-name": "export"}
bad = {k: (e.get(k), v) for k, v in want.items() if e.get(k) != v}
print(json.dumps(e, indent=1))
sys.exit(f"nbdinfo differs (got, want): {bad}" if bad else 0)
PY
}
check "nbdinfo: size, block sizes, flags" info

copy_in_out() {
	nbdcopy --connections=4 "$work/rand" "$uri"
	nbdcopy --connections=4 "$uri" "$work/back"
	cmp -n $((64 << 20)) "$work/rand" "$work/back"
	"$ringline" read "$dev" 0 $((64 << 20)) | cmp - "$work/rand"
}
check "nbdcopy 4 connections: 64 MiB in and out equal, and on DEV by ringline read" copy_in_out

qemu_img() {
	qemu-img convert -O raw "$uri" "$work/q.raw"
	cmp "$work/q.raw" "$dev"
	head -c 16M /dev/urandom >"$work/q2"
	qemu-img convert -n -f raw -O raw "$work/q2" "$uri/export"
	cmp -n $((16 << 20)) "$work/q2" "$dev"
}
check "qemu-img convert -O raw from and to nbd://" qemu_img

qemu_io() {
	qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'read -P 0xab 0 1M' \
		-c 'write -f -P 0x5c 1M 64k' -c 'read -P 0x5c 1M 64k' \
		-c 'write -z 2M 1M' -c 'read -P 0 2M 1M' -c 'flush' -c 'discard 4M 1M' \
		-c 'write -P 0x77 32M 32M' -c 'read -P 0x77 32M 32M' "$uri" | tee "$work/qio"
	! grep -q "failed" "$work/qio"
}
check "qemu-io patterns: write, FUA write, zeroes, flush, discard, 32 MiB requests" qemu_io

fio_verify() {
	fio --name=nbd-verify --ioengine=nbd --uri="$uri" --rw=randwrite --bs=4k --iodepth=32 \
		--size=32m --verify=crc32c --do_verify=1 --output-format=json \
		--output="$work/fio.json"
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
print("error", j["error"], "writes", j["write"]["total_ios"], "reads", j["read"]["total_ios"])
sys.exit(j["error"] != 0 or j["write"]["total_ios"] != 8192 or j["read"]["total_ios"] != 8192)
' "$work/fio.json"
}
check "fio nbd engine: 4 KiB randwrite QD32 verify=crc32c, no errors" fio_verify

fio_verify_direct() {
	env LD_LIBRARY_PATH="$(dirname "$plugin")" \
		${RINGLINE_FIO_PRELOAD:+LD_PRELOAD=$RINGLINE_FIO_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
		fio --name=nbd-verify --ioengine=ringline --filename="$dev" --rw=randwrite --bs=4k \
		--iodepth=32 --size=32m --verify=crc32c --verify_only --output-format=json \
		--output="$work/fio2.json"
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
print("error", j["error"], "verified reads", j["read"]["total_ios"])
sys.exit(j["error"] != 0 or j["read"]["total_ios"] != 8192)
' "$work/fio2.json"
}
if [ -n "$plugin" ]; then
	check "the same blocks verified on DEV directly (fio --ioengine=ringline verify_only)" \
		fio_verify_direct
fi

raw() {
	timeout 120 python3 "$here/badclients.py" "${addr%:*}" "${addr#*:}" $size "$@"
}
check "raw clients: handshake answers (ERR_UNSUP, ERR_UNKNOWN, INFO, LIST, ABORT)" \
	raw handshake_answers export_name
check "out-of-range and refused requests get EINVAL/ENOSPC, the connection goes on" \
	raw out_of_range
check "out-of-order replies by cookie; a 4 MiB read split into device commands" \
	raw out_of_order_and_split

bad_clients_while_copying() {
	nbdcopy --connections=4 "$work/rand" "$uri" &
	local copy=$!
	raw garbage bad_option_magic bad_request_magic silent never_reads
	wait $copy
	nbdcopy --connections=4 "$uri" "$work/back2"
	cmp -n $((64 << 20)) "$work/rand" "$work/back2"
}
check "bad clients (garbage, bad magic, silent, never reads) while a copy completes" \
	bad_clients_while_copying
check "SIGTERM: exit 0 once the requests in flight are answered" server_stop

read_only() {
	server_start "$work/ro.log" --read-only --name ro "$dev"
	nbdinfo --json "nbd://$addr/ro" | grep -q '"is_read_only": true'
	raw read_only
	! qemu-io -f raw -c 'write 0 4k' "nbd://$addr/ro" 2>&1 | tee /dev/stderr | grep -q wrote
	server_stop
}
check "--read-only: READ_ONLY advertised, writes get EPERM" read_only

threads_and_metrics() {
	server_start "$work/t2.log" --threads 2 --http 127.0.0.1:0 "$dev"
	local http
	http=$(sed -n 's|^ringline nbd: metrics on \(http://.*\)$|\1|p' "$work/t2.log")
	[ "$(ls "/proc/$server_pid/task" | wc -l)" -ge 3 ] # the main thread and two engines
	NBD_METRICS_URL=$http raw metrics || {
		server_stop
		return 1
	}
	nbdcopy --connections=4 "$work/rand" "nbd://$addr"
	nbdcopy --connections=4 "nbd://$addr" "$work/back3"
	cmp -n $((64 << 20)) "$work/rand" "$work/back3"
	curl -sf "$http" >"$work/metrics"
	grep -E '^ringline_nbd_(requests_total\{cmd="(read|write)"\}|handshakes_total) [1-9]' \
		"$work/metrics"
	! command -v promtool >/dev/null || promtool check metrics <"$work/metrics"
	server_stop
}
check "--threads 2: /metrics sums both engines' counters and latency histograms exactly; a copy in and out" \
	threads_and_metrics

hostile() {
	local status=0
	server_start "$work/hostile.log" --request-timeout 1000 "$dev" || return 1
	raw idle_reclaimed request_timeout || status=1
	server_stop || status=1
	return $status
}
check "connection limit: the connection idle longest makes room; a stalled request times out" \
	hostile

# A writable export claims a block device: a second writable export of it is refused with the
# reason, --force and --read-only pass.
exclusive() {
	local loopdev first status=0
	if ! loopdev=$(losetup --find --show "$work/loop.img" 2>/dev/null); then
		echo "no loop device here: not checked"
		return 0
	fi
	server_start "$work/excl1.log" "$loopdev" || {
		losetup -d "$loopdev"
		return 1
	}
	first=$server_pid
	if "$ringline" nbd --listen 127.0.0.1:0 "$loopdev" >"$work/excl2.log" 2>&1; then
		echo "a second writable export of a claimed device started"
		status=1
	fi
	cat "$work/excl2.log"
	grep -q "in use.*--force exports it anyway" "$work/excl2.log" || status=1
	if server_start "$work/excl3.log" --force "$loopdev"; then
		server_stop || status=1
	else
		status=1
	fi
	if server_start "$work/excl4.log" --read-only "$loopdev"; then
		server_stop || status=1
	else
		status=1
	fi
	server_pid=$first
	server_stop || status=1
	losetup -d "$loopdev"
	return $status
}
truncate -s 16M "$work/loop.img"
check "a writable block device is claimed (RL_TARGET_EXCL): a second export is refused" exclusive

sigterm_in_flight() {
	server_start "$work/term.log" "$dev"
	fio --name=load --ioengine=nbd --uri="nbd://$addr" --rw=randrw --bs=64k --iodepth=32 \
		--size=64m --time_based --runtime=30 >"$work/load.out" 2>&1 &
	local load=$!
	sleep 2
	server_stop
	wait $load || true
	grep -q "stopped" "$work/term.log"
}
check "SIGTERM under load: exit 0, requests answered, writes flushed" sigterm_in_flight

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
