#!/usr/bin/env bash
# ringline-nbd@.service as built: systemd-analyze verify passes on an instance
# (ringline-nbd@ng0n1.service) with ExecStart pointed at this build's binary, and
# systemd-analyze security rates its exposure at most 2.5, with the device allowed read-write
# and nothing else.
# Usage: systemd-unit-nbd.sh UNIT RINGLINE
set -euo pipefail
unit=$1 ringline=$(realpath "$2")

command -v systemd-analyze >/dev/null ||
	{ echo "skip: systemd-analyze is not installed (Debian's systemd)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$unit" "$tmp/ringline-nbd@.service"
sed -i "s|^ExecStart=[^ ]*/ringline |ExecStart=$ringline |" "$tmp/ringline-nbd@.service"
grep -q "^ExecStart=$ringline nbd " "$tmp/ringline-nbd@.service" ||
	{ echo "FAIL: $unit has no ExecStart=.../ringline nbd ..."; exit 1; }
instance=$tmp/ringline-nbd@ng0n1.service
systemd-analyze verify --man=no "$instance" || { echo "FAIL: systemd-analyze verify $unit"; exit 1; }
echo "ok: systemd-analyze verify ringline-nbd@ng0n1.service"
systemd-analyze security --offline=yes "$instance" | tail -n 1
systemd-analyze security --offline=yes --threshold=25 "$instance" >/dev/null ||
	{ echo "FAIL: systemd-analyze security rates the unit's exposure above 2.5"; exit 1; }
systemd-analyze security --offline=yes --json=short "$instance" | python3 -c '
import json, sys
items = {i["json_field"]: i for i in json.load(sys.stdin)}
devices = items["DeviceAllow"]["description"].split(": ", 1)[-1].split()
if sorted(devices) != ["/dev/ng0n1:rw", "char-rtc:r"]:
    sys.exit("FAIL: the unit allows the devices " + " ".join(devices))
print("ok: exposure at most 2.5; devices: " + " ".join(devices))'
