#!/usr/bin/env bash
# The ringline CLI on emulated NVMe, checked against nvme-cli and plain O_DIRECT block I/O.
# Runs inside tests/vm/nvme-vm (one namespace with 512-byte LBAs, one with 4096-byte LBAs).
# Usage: tests/vm/guest-cli.sh PATH-TO-ringline
set -uo pipefail
rl=${1:?usage: guest-cli.sh PATH-TO-ringline}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# The namespaces by LBA size, not by name: kernels since 6.8 scan namespaces in parallel, so
# ng0n1 is not always nsid 1.
for n in 1 2; do
	case $(cat /sys/block/nvme0n$n/queue/logical_block_size) in
	512) ng512=/dev/ng0n$n blk512=/dev/nvme0n$n ;;
	4096) ng4k=/dev/ng0n$n blk4k=/dev/nvme0n$n ;;
	esac
done
: "${ng512:?no namespace with 512-byte LBAs}" "${ng4k:?no namespace with 4096-byte LBAs}"

check() { # check NAME COMMAND...: run a check, count and report it
	local name=$1 start=$EPOCHREALTIME
	shift
	if "$@" >"$work/out" 2>&1; then
		pass=$((pass + 1))
		# EPOCHREALTIME is seconds.microseconds: drop the dot for integer microseconds
		echo "PASS $name ($(((${EPOCHREALTIME/./} - ${start/./}) / 1000)) ms)"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/    /' "$work/out"
	fi
}

# Print the fields of JSON object $1 that differ from object $2 (nothing when they agree).
json_diff() {
	jq -rn --argjson got "$1" --argjson want "$2" \
		'$want | to_entries | map(select($got[.key] != .value)
			| "\(.key): ringline \($got[.key]), nvme-cli \(.value)") | .[]'
}

# identify --json equals nvme id-ns / id-ctrl for the same fields.
identify_matches() {
	local dev=$1 nsid want diff
	nsid=$(nvme get-ns-id "$dev" | sed 's/.*: *//') || return 1
	# FLBAS bits 3:0 and 6:5 give the format; MDTS is in 4 KiB units (QEMU's CAP.MPSMIN).
	want=$(jq -n --argjson nsid "$nsid" \
		--argjson ns "$(nvme id-ns "$dev" -o json)" --argjson c "$(nvme id-ctrl "$dev" -o json)" '
		($ns.flbas % 16 + (($ns.flbas / 32 | floor) % 4) * 16) as $f | $ns.lbafs[$f] as $l |
		{nsid: $nsid, lba_size: pow(2; $l.ds), ms: $l.ms, nsze: $ns.nsze, ncap: $ns.ncap,
		 capacity_bytes: ($ns.nsze * pow(2; $l.ds)),
		 mdts_bytes: (if $c.mdts > 0 then pow(2; $c.mdts) * 4096 else 0 end),
		 model: ($c.mn | sub(" +$"; "")), serial: ($c.sn | sub(" +$"; "")),
		 firmware: ($c.fr | sub(" +$"; ""))}') || return 1
	diff=$(json_diff "$("$rl" identify "$dev" --json)" "$want") || return 1
	echo "nvme-cli: $want"
	[ -z "$diff" ] || { echo "$diff"; return 1; }
}

# health --json equals nvme smart-log for the counters that do not move while we look.
health_matches() {
	local dev=$1 want diff
	# nvme-cli prints its 128-bit counters as decimal strings.
	want=$(nvme smart-log "$dev" -o json | jq '{critical_warning, temperature, avail_spare,
		spare_thresh, percent_used, power_cycles, power_on_hours, unsafe_shutdowns,
		media_errors, num_err_log_entries, warning_temp_time, critical_comp_time}
		| map_values(if . == null then error("nvme-cli lacks a field") else tonumber end)') ||
		return 1
	diff=$(json_diff "$("$rl" health "$dev" --json)" "$want") || return 1
	echo "nvme-cli: $want"
	[ -z "$diff" ] || { echo "$diff"; return 1; }
}

# A read past the end is answered by the device: LBA Out of Range, exit 1.
read_past_end_names_status() {
	local cap
	cap=$("$rl" identify "$ng512" --json | jq .capacity_bytes)
	"$rl" read "$ng512" "$cap" 4096 --raw >/dev/null 2>"$work/err"
	local rc=$?
	cat "$work/err"
	[ $rc -eq 1 ] && grep -q "LBA Out of Range" "$work/err"
}

# Without --raw the same read is refused before submission, naming the namespace size.
read_past_end_refused() {
	local cap
	cap=$("$rl" identify "$ng512" --json | jq .capacity_bytes)
	"$rl" read "$ng512" "$cap" 4096 >/dev/null 2>"$work/err"
	local rc=$?
	cat "$work/err"
	[ $rc -eq 2 ] && grep -q "past the end" "$work/err"
}

small_io_on_4k_refused() {
	"$rl" read "$ng4k" 0 512 >/dev/null 2>"$work/err"
	local rc=$?
	cat "$work/err"
	[ $rc -eq 2 ] && grep -q "LBA size 4096" "$work/err"
}

# write/read/zeroes/trim/flush through passthrough, checked with O_DIRECT on the block device.
data_verbs() {
	local ng=$1 blk=$2 off=$((3 << 20))
	head -c 262144 /dev/urandom >"$work/data"
	"$rl" write "$ng" "$off" <"$work/data" || return 1
	"$rl" read "$ng" "$off" 256k | cmp - "$work/data" || return 1
	dd if="$blk" iflag=direct,skip_bytes,count_bytes skip="$off" count=262144 bs=64k \
		status=none | cmp - "$work/data" || return 1
	"$rl" flush "$ng" || return 1
	"$rl" zeroes "$ng" "$off" 128k || return 1
	head -c 131072 /dev/zero | cmp - <("$rl" read "$ng" "$off" 128k) || return 1
	# the half that was not zeroed is untouched
	tail -c 131072 "$work/data" | cmp - <("$rl" read "$ng" $((off + 131072)) 128k) || return 1
	"$rl" trim "$ng" "$off" 256k || return 1
	# QEMU's namespaces report DLFEAT "reads zeroes" for deallocated blocks
	head -c 262144 /dev/zero | cmp - <("$rl" read "$ng" "$off" 256k) || return 1
	# block-device write -> passthrough read
	dd if="$work/data" of="$blk" oflag=direct,seek_bytes seek="$off" bs=64k status=none conv=fsync || return 1
	"$rl" read "$ng" "$off" 256k | cmp - "$work/data"
}

bench_passthrough() {
	"$rl" "$@" --json | tee /dev/stderr |
		jq -e '.engine_path == "passthrough" and .errors == 0 and .ops > 0' >/dev/null
}

# The block device polled (RL_FILE_POLLED on the IOPOLL ring).
bench_direct_polled() {
	"$rl" bench "$blk512" --poll --qd 4 --count 200 --json | tee /dev/stderr |
		jq -e '.engine_path == "direct" and .polled and .errors == 0 and .ops == 200' \
			>/dev/null
}

# The latency lab: --compare over the four paths of one namespace (the guest's nvme module has
# poll queues, so none is skipped), and a polled --qd sweep. Each path or depth ran its I/Os
# without error, and its latency buckets hold every one of them.
lab_compare() {
	"$rl" lat "$ng512" --compare --count 400 --rounds 2 --json --plot "$work/cmp.svg" \
		>"$work/cmp.json" || return 1
	jq -c '.paths[] | {path, device, polled, ops, errors, iops, skipped, round_iops}' \
		"$work/cmp.json"
	jq -e --arg ng "$ng512" --arg blk "$blk512" '
		([.paths[].path] == ["passthrough", "passthrough-polled", "direct", "direct-polled"])
		and ([.paths[].device] == [$ng, $ng, $blk, $blk])
		and ([.paths[].engine_path] == ["passthrough", "passthrough", "direct", "direct"])
		and ([.paths[].polled] == [false, true, false, true])
		and (.paths | all(.skipped == null and .errors == 0 and .ops == 400 and .iops > 0
			and (.lat_buckets | map(.count) | add) == .ops and (.round_iops | length) == 2
			and .lat_ns.p50 > 0 and .lat_ns["p99.99"] >= .lat_ns.p50))
		and (.ring_features | index("IOPOLL") != null)' "$work/cmp.json" >/dev/null || return 1
	# the picture overlays the four curves
	for p in passthrough passthrough-polled direct direct-polled; do
		grep -q ">$p<" "$work/cmp.svg" || { echo "no curve $p in the plot"; return 1; }
	done
}

lab_sweep() {
	"$rl" bench "$ng512" --poll --qd 1,2,...,8 --count 400 --json >"$work/sw.json" || return 1
	jq -c '.sweep[] | {qd, batch, ops, errors, iops}' "$work/sw.json"
	jq -e '.engine_path == "passthrough" and .polled == true
		and ([.sweep[].qd] == [1, 2, 4, 8])
		and (.sweep | all(.errors == 0 and .ops == 400 and .iops > 0
			and (.lat_buckets | map(.count) | add) == .ops))' "$work/sw.json" >/dev/null
}

list_shows_namespaces() {
	"$rl" list --json | tee /dev/stderr |
		jq -e --arg s "$ng512" --arg b "$ng4k" --arg sb "$blk512" '
		(map({(.generic_device): .}) | add) as $d
		| $d[$s].lba_size == 512 and $d[$b].lba_size == 4096 and $d[$s].block_device == $sb' \
		>/dev/null
}

check "identify $ng512 (512-byte LBAs) matches nvme-cli" identify_matches "$ng512"
check "identify $ng4k (4096-byte LBAs) matches nvme-cli" identify_matches "$ng4k"
check "identify via $blk4k resolves to $ng4k" identify_matches "$blk4k"
check "health matches nvme smart-log" health_matches "$ng512"
check "read past the end: LBA Out of Range, exit 1" read_past_end_names_status
check "read past the end without --raw: refused, exit 2" read_past_end_refused
check "512-byte read on the 4096-byte namespace refused" small_io_on_4k_refused
check "data verbs on $ng512 agree with $blk512" data_verbs "$ng512" "$blk512"
check "data verbs on $ng4k agree with $blk4k" data_verbs "$ng4k" "$blk4k"
check "lat on $ng512 is passthrough" bench_passthrough lat "$ng512" --count 200
check "bench randrw on $ng4k" bench_passthrough bench "$ng4k" --rw randrw --count 1000
check "bench --passthrough on $blk512" bench_passthrough bench "$blk512" --passthrough --count 500
check "bench --poll on $ng512" bench_passthrough bench "$ng512" --poll --qd 4 --count 200
# 32 registered buffers of 128 KiB: Linux 6.1 refused these I/Os when one registration held
# them all (EINVAL); each slot's buffer is now registered on its own.
check "bench --bs 128k --qd 32 on $ng512, registered buffers" bench_passthrough bench "$ng512" --bs 128k --qd 32 --count 256
check "bench --poll on $blk512: polled O_DIRECT" bench_direct_polled
check "lat --compare on $ng512: four paths, JSON and plot" lab_compare
check "bench --poll --qd 1,2,...,8 on $ng512: the sweep's JSON" lab_sweep
check "list shows both namespaces" list_shows_namespaces

echo "guest-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
