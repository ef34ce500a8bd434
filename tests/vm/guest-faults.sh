#!/usr/bin/env bash
# Faults under load, inside tests/vm/nvme-vm (ng0n1: 512-byte LBAs, ng0n2: 4096-byte LBAs):
#   reset    `reset_controller` while `ringline bench` (QD32 randrw, passthrough and block),
#            `ringline serve` with its probe, and fio with the ringline engine (verify, both
#            paths) run: every command completes (bench drains its queue and reports each
#            error by name, exit 1 if any), serve keeps answering, fio finds no bad data;
#   sigkill  fio (ringline engine, verify_state_save=1) random writes killed with SIGKILL,
#            then verify_only with the saved state: every write fio saw complete reads back
#            intact (passthrough and O_DIRECT);
#   remove   the controller removed from PCI while bench, fio and serve run: bench and fio
#            exit non-zero within 5 s naming the device as gone, serve stays up, shows the
#            device removed in /v1/devices and /metrics, keeps serving the file, and has no
#            more fds or memory afterwards than before; after a PCI rescan the namespace
#            opens again.
# nvme-vm fails the run on any Oops, BUG or WARNING in the guest kernel log.
# Usage: tests/vm/guest-faults.sh PATH-TO-ringline PATH-TO-FIO-ENGINE
set -uo pipefail
rl=${1:?usage: guest-faults.sh PATH-TO-ringline PATH-TO-FIO-ENGINE}
plugin=${2:?usage: guest-faults.sh PATH-TO-ringline PATH-TO-FIO-ENGINE}
work=$(mktemp -d)
# serve's file target and fio's state files: the shared directory has O_DIRECT (9p), the guest's
# tmpfs has none before Linux 6.6.
scratch=$(mktemp -d "$PWD/rl-faults.XXXXXX")
sock=$work/ctl.sock
pass=0 fail=0
spid=
cleanup() {
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
	rm -rf "$work" "$scratch"
}
trap cleanup EXIT

check() { # check NAME COMMAND...: run a check, count and report it
	local name=$1 t0=$SECONDS
	shift
	if "$@" >"$work/out" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name ($((SECONDS - t0)) s)"
		grep '^  ' "$work/out"
	else
		fail=$((fail + 1))
		echo "FAIL $name ($((SECONDS - t0)) s)"
		sed 's/^/    /' "$work/out"
	fi
	return 0
}

ctrl=/sys/class/nvme/nvme0
pci=$(basename "$(readlink -f $ctrl/device)")
now() { date +%s.%N; }
reset_after() { # reset_after SECONDS: reset the controller in the background (pid: rpid)
	(
		sleep "$1"
		echo 1 >$ctrl/reset_controller && echo "reset at $(now)" >>"$work/events"
	) &
	rpid=$!
}

# run_bounded SECONDS LOG COMMAND...: run COMMAND with output to LOG; past SECONDS, show where
# its processes wait (kernel stacks, io_uring state) and kill them: a hang is a failure to see.
run_bounded() {
	local limit=$1 log=$2 pid rc end
	shift 2
	"$@" >"$log" 2>&1 &
	pid=$!
	# by the clock: each sleep is a process start, which is slow under emulation
	end=$((SECONDS + limit))
	while ((SECONDS < end)) && kill -0 "$pid" 2>/dev/null; do
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "HUNG after $limit s: $*" >>"$log"
		for p in $pid $(pgrep -P "$pid") $(pgrep -P "$(pgrep -P "$pid" | head -n1)" 2>/dev/null); do
			echo "== pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >>"$log"
			for t in /proc/$p/task/*; do
				echo "-- task ${t##*/} $(cat "$t/wchan" 2>/dev/null)" >>"$log"
				cat "$t/stack" >>"$log" 2>/dev/null
			done
			for f in /proc/$p/fdinfo/*; do
				grep -q '^SqMask' "$f" 2>/dev/null && head -n 12 "$f" >>"$log"
			done
		done
		pkill -9 -P "$pid"
		kill -9 "$pid"
	fi
	wait "$pid"
	rc=$?
	return $rc
}

# fio with the engine under test (a command, so that run_bounded can run it)
fio_env=(env "LD_LIBRARY_PATH=$(dirname "$plugin")")
[ -z "${RINGLINE_FIO_PRELOAD:-}" ] ||
	fio_env+=("LD_PRELOAD=$RINGLINE_FIO_PRELOAD" ASAN_OPTIONS=detect_leaks=0)

# GET PATH: the body on stdout (curl's own time limit: 10 s).
get() {
	curl -sf --max-time 10 --unix-socket "$sock" "http://ringline$1"
}

# bench_result LOG RC: bench drained every command (its summary printed), and its exit status
# says whether any failed: 0 with 0 errors, or 1 with the first error named on stderr.
bench_result() {
	local log=$1 rc=$2 errors
	cat "$log"
	errors=$(sed -n 's/^  ops: .* \([0-9]*\) errors$/\1/p' "$log")
	[ -n "$errors" ] || { echo "no summary: bench did not drain its queue"; return 1; }
	echo "  bench exit $rc, $errors errors: $(grep 'first error' "$log")"
	if [ "$errors" -eq 0 ]; then
		[ "$rc" -eq 0 ]
	else
		[ "$rc" -eq 1 ] && grep -Eq 'I/Os failed; first error: [A-Z]' "$log"
	fi
}

bench_through_reset() { # bench_through_reset DEV
	local rc=0
	reset_after 3
	run_bounded 200 "$work/bench.log" "$rl" bench --rw randrw --qd 32 --time 10 "$1" || rc=$?
	wait "$rpid"
	bench_result "$work/bench.log" $rc
}

started() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "listening on unix:$sock" "$work/serve.out" 2>/dev/null && return 0
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/serve.out"
	return 1
}

metric() { # metric FILE NAME-AND-LABELS: the value of one sample, or nothing
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

serve_through_reset() {
	local before after i t0 slow=0
	get /metrics >"$work/m0" || return 1
	before=$(metric "$work/m0" 'ringline_ops_total{target="/dev/ng0n1",op="read"}')
	echo 1 >$ctrl/reset_controller || return 1
	# answered within 2 s while the controller comes back, ten times
	for ((i = 0; i < 10; i++)); do
		t0=$(now)
		get /metrics >"$work/m1" || { echo "GET /metrics failed after the reset"; return 1; }
		awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a < 2) }' || slow=$((slow + 1))
		sleep 0.3
	done
	after=$(metric "$work/m1" 'ringline_ops_total{target="/dev/ng0n1",op="read"}')
	grep '^ringline_errors_total' "$work/m1" | sed 's/^/  /'
	echo "  probe reads of ng0n1: $before before the reset, $after after; $slow slow answers"
	[ "$slow" -eq 0 ] && [ "${after:-0}" -gt "${before:-0}" ] || return 1
	# every failed probe read is counted with its name
	local failed
	failed=$(awk '/^ringline_errors_total\{target="\/dev\/ng0n1"/ { n += $2 } END { print n + 0 }' \
		"$work/m1")
	echo "  failed probe reads on ng0n1 counted: $failed"
}

fio_verify_job() { # fio_verify_job NAME FILE: random writes then verify, 8 MiB
	cat <<EOT
[$1]
ioengine=ringline
filename=$2
size=8m
bs=4k
iodepth=32
rw=randwrite
verify=crc32c
do_verify=1
EOT
}

# fio_no_bad_data LOG RC: fio may fail I/Os the reset aborted (named), never a verify.
fio_no_bad_data() {
	cat "$1"
	if grep -Ei 'verify: bad|bad magic|crc32c: verify failed|verify failed' "$1"; then
		echo "fio read back data that differs from what it wrote"
		return 1
	fi
	[ "$2" -eq 0 ] || grep -q 'ringline: .*: ' "$1"
}

fio_through_reset() {
	local rc=0
	{
		fio_verify_job pt /dev/ng0n1
		fio_verify_job blk /dev/nvme0n2
	} >"$work/reset.fio"
	reset_after 4
	(cd "$scratch" && run_bounded 240 "$work/fio.log" "${fio_env[@]}" fio "$work/reset.fio") || rc=$?
	wait "$rpid"
	echo "  fio exit $rc"
	fio_no_bad_data "$work/fio.log" $rc
}

# fio_killed_then_verified NAME DEV: random writes with verify_state_save=1; after 4 s a
# trigger file makes fio save the state of the writes it saw complete and run its trigger,
# `pkill -9 -x fio` (fio 3.33 saves nothing when its job process is killed outright: the parent
# aborts with a double free). Then verify_only with that state: each of those writes reads back.
fio_killed_then_verified() {
	local name=$1 dev=$2 job=$work/$1.fio rc=0 verified
	cat >"$job" <<EOT
[$name]
ioengine=ringline
filename=$dev
size=64m
bs=4k
iodepth=16
rw=randwrite
verify=crc32c
verify_state_save=1
EOT
	rm -f "$scratch/trigger" "$scratch"/*verify.state
	(cd "$scratch" && run_bounded 120 "$work/$name.log" "${fio_env[@]}" fio \
		--trigger-file="$scratch/trigger" --trigger='pkill -9 -x fio' "$job") &
	sleep 4
	touch "$scratch/trigger"
	wait $!
	rc=$?
	echo "  fio after the trigger's SIGKILL: exit $rc"
	[ $rc -eq 137 ] || { cat "$work/$name.log"; return 1; }
	ls "$scratch"/*verify.state >/dev/null 2>&1 || { echo "no verify state saved"; return 1; }
	rc=0
	(cd "$scratch" && run_bounded 240 "$work/$name.v.log" "${fio_env[@]}" fio --verify_only \
		--do_verify=1 --verify_state_load=1 "$job") || rc=$?
	rm -f "$scratch"/*verify.state
	[ $rc -eq 0 ] || { cat "$work/$name.v.log"; return 1; }
	verified=$(sed -n 's/.*issued rwts: total=\([0-9]*\),.*/\1/p' "$work/$name.v.log")
	echo "  verify_only read back $verified blocks the killed run saw complete"
	[ "${verified:-0}" -gt 0 ]
}

echo "guest $(uname -r), $(fio --version), controller $pci"
check "bench through a reset: /dev/ng0n1 (passthrough)" bench_through_reset /dev/ng0n1
check "bench through a reset: /dev/nvme0n2 (block)" bench_through_reset /dev/nvme0n2

head -c 4M /dev/urandom >"$scratch/file"
"$rl" serve --listen "unix:$sock" --rate 50 /dev/ng0n1 /dev/ng0n2 "$scratch/file" \
	>"$work/serve.out" 2>&1 &
spid=$!
check "serve starts on both namespaces and a file" started
check "serve through a reset: /metrics answered, probe reads go on" serve_through_reset
check "fio verify through a reset: no bad data" fio_through_reset
check "SIGKILL mid-write, verify_only: /dev/ng0n1 (passthrough)" fio_killed_then_verified pt /dev/ng0n1
check "SIGKILL mid-write, verify_only: /dev/nvme0n2 (O_DIRECT)" fio_killed_then_verified blk \
	/dev/nvme0n2

# --- removal --------------------------------------------------------------------------------
fds() { ls "/proc/$spid/fd" | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$spid/status"; }
fds0=$(fds) rss0=$(rss)
get /metrics >/dev/null

removal() {
	local brc=0 frc=0 bpid fpid t_rm t_b t_f
	cat >"$work/rm.fio" <<EOT
[rm]
ioengine=ringline
filename=/dev/nvme0n2
size=64m
bs=4k
iodepth=32
rw=randrw
time_based=1
runtime=120
EOT
	(
		run_bounded 60 "$work/rm-bench.log" "$rl" bench --rw randrw --qd 32 --time 120 /dev/ng0n1
		echo $? >"$work/rm-bench.rc"
		now >"$work/rm-bench.t"
	) &
	bpid=$!
	(
		cd "$scratch" && run_bounded 60 "$work/rm-fio.log" "${fio_env[@]}" fio "$work/rm.fio"
		echo $? >"$work/rm-fio.rc"
		now >"$work/rm-fio.t"
	) &
	fpid=$!
	sleep 6
	t_rm=$(now)
	echo 1 >"/sys/bus/pci/devices/$pci/remove" || return 1
	wait "$bpid" "$fpid"
	brc=$(cat "$work/rm-bench.rc") frc=$(cat "$work/rm-fio.rc")
	t_b=$(cat "$work/rm-bench.t") t_f=$(cat "$work/rm-fio.t")
	cat "$work/rm-bench.log"
	grep -E 'err|ringline' "$work/rm-fio.log"
	awk -v r="$t_rm" -v b="$t_b" -v f="$t_f" \
		'BEGIN { printf "  bench exited %.1f s after the removal, fio %.1f s\n", b - r, f - r }'
	echo "  bench exit $brc, fio exit $frc"
	[ "$brc" -ne 0 ] && [ "$frc" -ne 0 ] || return 1
	awk -v r="$t_rm" -v b="$t_b" -v f="$t_f" 'BEGIN { exit !(b - r < 5 && f - r < 5) }' || return 1
	grep -Eiq 'removed|no such device|gone' "$work/rm-bench.log" &&
		grep -Eiq 'removed|no such device|gone' "$work/rm-fio.log"
}

serve_after_removal() {
	local i
	kill -0 "$spid" || { echo "serve died"; cat "$work/serve.out"; return 1; }
	# the probe notices within a few reads
	for ((i = 0; i < 50; i++)); do
		get /v1/devices >"$work/devices.json" || return 1
		grep -q '"removed": *true' "$work/devices.json" && break
		sleep 0.2
	done
	cat "$work/devices.json"
	get /metrics >"$work/m2" || return 1
	grep -E '^ringline_target_(removed|info)' "$work/m2" | sed 's/^/  /'
	python3 - "$work/devices.json" "$scratch/file" <<'PY' || return 1
import json, sys
devs = {d["device"]: d for d in json.load(open(sys.argv[1]))}
for n in ("/dev/ng0n1", "/dev/ng0n2"):
    if not devs.get(n, {}).get("removed"):
        sys.exit("%s not shown as removed: %s" % (n, devs.get(n)))
if devs.get(sys.argv[2], {}).get("removed"):
    sys.exit("the file is shown as removed")
PY
	[ "$(metric "$work/m2" 'ringline_target_removed{target="/dev/ng0n1"}')" = 1 ] &&
		[ "$(metric "$work/m2" "ringline_target_removed{target=\"$scratch/file\"}")" = 0 ] || return 1
	# the file is still probed
	local a b
	a=$(metric "$work/m2" "ringline_ops_total{target=\"$scratch/file\",op=\"read\"}")
	sleep 1
	get /metrics >"$work/m3" || return 1
	b=$(metric "$work/m3" "ringline_ops_total{target=\"$scratch/file\",op=\"read\"}")
	echo "  probe reads of the file: $a, then $b a second later"
	[ "${b:-0}" -gt "${a:-0}" ]
}

no_leak() {
	local fds1 rss1
	fds1=$(fds) rss1=$(rss)
	echo "  serve: $fds0 fds before the removal, $fds1 after; RSS $rss0 KiB, then $rss1 KiB"
	[ "$fds1" -le "$fds0" ] && [ "$rss1" -le $((rss0 + 1024)) ]
}

rescan_opens() {
	local i dev=
	echo 1 >/sys/bus/pci/rescan || return 1
	for ((i = 0; i < 300; i++)); do
		for d in /dev/ng*n1; do
			[ -c "$d" ] && [ "$(cat "/sys/block/nvme${d#/dev/ng}/queue/logical_block_size" 2>/dev/null)" ] &&
				dev=$d
		done
		[ -n "$dev" ] && break
		sleep 0.1
	done
	[ -n "$dev" ] || { echo "no namespace after the rescan"; ls /dev; return 1; }
	echo "  after the rescan: $dev"
	"$rl" read "$dev" 0 4096 >"$work/block" && [ "$(stat -c %s "$work/block")" = 4096 ]
}

check "removal under bench and fio: both exit non-zero within 5 s, naming it" removal
check "serve after the removal: shows it removed, serves the file" serve_after_removal
check "serve after the removal: no more fds, RSS within 1 MiB" no_leak
check "PCI rescan: the namespace opens again" rescan_opens
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=
check "serve exits 0 on SIGTERM after all that" test $rc -eq 0
echo "guest-faults: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
