#!/usr/bin/env bash
# The control plane on emulated NVMe, inside tests/vm/nvme-vm (ng0n1: 512-byte LBAs, ng0n2:
# 4096-byte LBAs): `ringline serve` on both namespaces, then
#   /v1/devices            matches `ringline identify --json` for each namespace;
#   /v1/devices/NAME/health matches `nvme smart-log` on the counters that do not move;
#   /metrics               is accepted by promtool and counts passthrough probe reads;
#   SIGTERM                stops it with exit status 0.
# The guest has no network: the service listens on a Unix socket.
# Usage: tests/control/guest-control.sh PATH-TO-ringline
set -uo pipefail
rl=${1:?usage: guest-control.sh PATH-TO-ringline}
work=$(mktemp -d)
sock=$work/ctl.sock
pass=0 fail=0
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME COMMAND...: run a check, count and report it
	local name=$1
	shift
	if "$@" >"$work/out" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/    /' "$work/out"
	fi
}

# GET PATH: the body on stdout; on anything but 200, the status and body on stderr and failure.
get() {
	local code body
	body=$(mktemp "$work/body.XXXXXX")
	code=$(curl -s --max-time 60 --unix-socket "$sock" -o "$body" -w '%{http_code}' \
		"http://ringline$1") || { echo "GET $1: curl failed" >&2; return 1; }
	[ "$code" = 200 ] || { echo "GET $1: $code $(cat "$body")" >&2; return 1; }
	cat "$body"
}

started() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "listening on unix:$sock" "$work/serve.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/serve.out" "$work/serve.err"
	return 1
}

devices_match_identify() {
	get /v1/devices >"$work/devices.json" || return 1
	for dev in /dev/ng0n1 /dev/ng0n2; do
		"$rl" identify "$dev" --json >"$work/id.json" || return 1
		python3 - "$work/devices.json" "$work/id.json" "$dev" <<'PY' || return 1
import json, sys
devs = {d["device"]: d for d in json.load(open(sys.argv[1]))}
ident = json.load(open(sys.argv[2]))
d = devs.get(sys.argv[3])
if d is None:
    sys.exit("%s missing from /v1/devices: %s" % (sys.argv[3], sorted(devs)))
bad = {k: (d.get(k), v) for k, v in ident.items() if d.get(k) != v}
if bad:
    sys.exit("mismatch (/v1/devices, identify): %s" % bad)
if d.get("engine_path") != "passthrough":
    sys.exit("engine_path %s" % d.get("engine_path"))
print(sys.argv[3], "matches identify on", sorted(ident))
PY
	done
}

health_matches_smart_log() {
	get /v1/devices/ng0n1/health >"$work/health.json" || return 1
	nvme smart-log /dev/ng0n1 -o json >"$work/smart.json" || return 1
	python3 - "$work/health.json" "$work/smart.json" <<'PY'
import json, sys
rl = json.load(open(sys.argv[1]))
nv = json.load(open(sys.argv[2]))
# data units and command counts move with the probe's reads; these do not
keys = ["critical_warning", "temperature", "avail_spare", "spare_thresh", "percent_used",
        "power_cycles", "power_on_hours", "unsafe_shutdowns", "media_errors",
        "num_err_log_entries", "warning_temp_time", "critical_comp_time"]
missing = [k for k in keys if k not in nv or k not in rl]
if missing:
    sys.exit("missing %s: ringline %s, nvme-cli %s" % (missing, sorted(rl), sorted(nv)))
# nvme-cli prints the 128-bit counters as strings
bad = {k: (rl[k], nv[k]) for k in keys if int(rl[k]) != int(nv[k])}
if bad:
    sys.exit("mismatch (health endpoint, nvme smart-log): %s" % bad)
print("health matches nvme smart-log on", keys)
PY
}

health_of_both_at_once() {
	# Two requests for two devices in flight together, answered on completion.
	get /v1/devices/ng0n1/health >"$work/h1" &
	local a=$!
	get /v1/devices/ng0n2/health >"$work/h2" || return 1
	wait "$a" || return 1
	python3 -c 'import json,sys; [json.load(open(f))["power_cycles"] for f in sys.argv[1:]]' \
		"$work/h1" "$work/h2"
}

metrics_count_probe_reads() {
	get /metrics >"$work/metrics" || return 1
	if command -v promtool >/dev/null; then
		promtool check metrics <"$work/metrics" || return 1
	fi
	grep 'ringline_target_info{target="/dev/ng0n1",engine_path="passthrough"} 1' "$work/metrics" &&
		awk '/^ringline_ops_total\{target="\/dev\/ng0n2",op="read"\}/ { n = $2 } END { exit !(n > 0) }' \
			"$work/metrics" &&
		awk '/^ringline_ops_total\{target="\/dev\/ng0n1",op="admin"\}/ { n = $2 } END { exit !(n > 0) }' \
			"$work/metrics"
}

sigterm_exits_0() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	cat "$work/serve.out" "$work/serve.err"
	[ $rc -eq 0 ] && [ ! -e "$sock" ]
}

"$rl" serve --listen "unix:$sock" --rate 20 /dev/ng0n1 /dev/ng0n2 >"$work/serve.out" \
	2>"$work/serve.err" &
pid=$!
check "serve starts on both namespaces" started
check "/v1/devices matches ringline identify" devices_match_identify
check "/v1/devices/ng0n1/health matches nvme smart-log" health_matches_smart_log
check "health of two devices at once" health_of_both_at_once
check "/metrics: promtool, passthrough probe and admin counts" metrics_count_probe_reads
check "SIGTERM: exit 0, socket removed" sigterm_exits_0

echo "guest-control: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
