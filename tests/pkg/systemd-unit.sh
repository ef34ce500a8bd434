#!/usr/bin/env bash
# ringline-serve@.service as built:
#  - systemd-analyze verify passes on an instance (ringline-serve@ng0n1.service), with ExecStart
#    pointed at this build's binary (tests/pkg/install.sh verifies the installed unit as is);
#  - systemd-analyze security rates its exposure at most 2.5 and finds the hardening the unit
#    promises: NoNewPrivileges, ProtectSystem=strict, a device allow list, no capability but
#    CAP_SYS_ADMIN, a system call filter;
#  - every system call that `ringline serve` makes (strace, on a file, with a client) is one that
#    the unit's SystemCallFilter allows.
# Usage: systemd-unit.sh UNIT RINGLINE SANITIZED(0|1)
set -euo pipefail
unit=$1 ringline=$(realpath "$2") sanitized=${3:-0}

command -v systemd-analyze >/dev/null ||
	{ echo "skip: systemd-analyze is not installed (Debian's systemd)"; exit 77; }
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -z "$pid" ] || pkill -KILL -P "$pid" 2>/dev/null || true
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

instance=$tmp/ringline-serve@ng0n1.service
cp "$unit" "$tmp/ringline-serve@.service"
sed -i "s|^ExecStart=[^ ]*/ringline |ExecStart=$ringline |" "$tmp/ringline-serve@.service"
grep -q "^ExecStart=$ringline serve " "$tmp/ringline-serve@.service" ||
	{ echo "FAIL: $unit has no ExecStart=.../ringline serve ..."; exit 1; }
# The man page is checked where it is installed (install.sh), not here.
if ! systemd-analyze verify --man=no "$instance"; then
	echo "FAIL: systemd-analyze verify $unit"
	exit 1
fi
echo "ok: systemd-analyze verify ringline-serve@ng0n1.service"

systemd-analyze security --offline=yes --json=short "$instance" >"$tmp/security.json"
systemd-analyze security --offline=yes "$instance" | tail -n 1
if ! systemd-analyze security --offline=yes --threshold=25 "$instance" >/dev/null; then
	echo "FAIL: systemd-analyze security rates the unit's exposure above 2.5"
	exit 1
fi
python3 - "$tmp/security.json" <<'EOF'
import json, sys
items = {i["json_field"]: i for i in json.load(open(sys.argv[1]))}
want = ["NoNewPrivileges", "ProtectSystem", "CapabilityBoundingSet_CAP_KILL",
        "CapabilityBoundingSet_CAP_DAC_FOWNER_IPC_OWNER", "SystemCallFilter_privileged",
        "RestrictAddressFamilies_AF_PACKET", "ProtectKernelModules", "ProtectHome"]
bad = [w for w in want if w not in items or not items[w]["set"]]
if bad:
    print("FAIL: systemd-analyze security finds these unset: " + ", ".join(bad))
    sys.exit(1)
# The device list: the instance's device, read-only, and the clock that ProtectClock= adds.
devices = items["DeviceAllow"]["description"].split(": ", 1)[-1].split()
if sorted(devices) != ["/dev/ng0n1:r", "char-rtc:r"]:
    print("FAIL: the unit allows the devices " + " ".join(devices) +
          ", not only /dev/ng0n1 read-only")
    sys.exit(1)
print("ok: exposure at most 2.5; set: " + ", ".join(want) + "; devices: " + " ".join(devices))
EOF

if ! command -v strace >/dev/null; then
	echo "skip: the system call check: strace is not installed (scripts/packages-pkg.txt)"
	exit 0
fi
if [ "$sanitized" = 1 ]; then
	echo "skip: the system call check: a sanitized binary makes the sanitizer's system calls"
	exit 0
fi
# Expand a systemd system call group (@name) into system call names.
expand() {
	systemd-analyze syscall-filter "$1" | tail -n +2 | sed 's/^ *//' | grep -v -e '^#' -e '^$' |
		while read -r s; do
			case $s in
			@*) expand "$s" ;;
			*) echo "$s" ;;
			esac
		done
}
# The unit's filter: the allow list, less the deny list.
allow=$(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$unit")
deny=$(sed -n 's/^SystemCallFilter=~\(.*\)/\1/p' "$unit")
for g in $allow; do expand "$g"; done | sort -u >"$tmp/allow"
for g in $deny; do expand "$g"; done | sort -u >"$tmp/deny"
comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/allowed"

img=$tmp/dev.img
truncate -s 8M "$img"
strace -f -qq -o "$tmp/trace" "$ringline" serve --listen 127.0.0.1:0 --rate 200 "$img" \
	>"$tmp/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do
	addr=$(sed -n 's/^ringline serve: listening on //p' "$tmp/serve.out")
	[ -z "$addr" ] || break
	sleep 0.1
done
[ -n "$addr" ] || { echo "FAIL: ringline serve did not listen"; cat "$tmp/serve.out"; exit 1; }
for path in /metrics /v1/status /v1/devices /nonexistent; do
	curl -s -o /dev/null "http://$addr$path"
done
sleep 0.5
# SIGTERM to ringline itself (strace's child): it exits 0, and strace with it.
serve=$(pgrep -P "$pid" -x ringline) || { echo "FAIL: no ringline under strace"; exit 1; }
kill -TERM "$serve"
status=0
timeout 10 tail --pid="$pid" -f /dev/null || { echo "FAIL: ringline serve did not stop"; exit 1; }
wait "$pid" || status=$?
pid=
[ $status -eq 0 ] || { echo "FAIL: ringline serve under strace exited $status"; exit 1; }
sed -E 's/^[0-9]+ +//; s/^([a-z_0-9]+)\(.*/\1/; t; d' "$tmp/trace" | sort -u >"$tmp/used"
outside=$(comm -23 "$tmp/used" "$tmp/allowed" | xargs)
if [ -n "$outside" ]; then
	echo "FAIL: ringline serve makes system calls the unit's SystemCallFilter refuses: $outside"
	exit 1
fi
echo "ok: the $(wc -l <"$tmp/used") system calls of ringline serve pass the unit's filter"
