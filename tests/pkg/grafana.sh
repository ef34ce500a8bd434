#!/usr/bin/env bash
# Every metric the Grafana dashboard queries is one that /metrics exports: `ringline serve`
# probes a file on /dev/shm, its /metrics is scraped once the probe has read, and
# check-dashboard.py compares the dashboard's queries with the scrape; promtool parses them.
# Usage: grafana.sh DASHBOARD RINGLINE
set -euo pipefail
dashboard=$1 ringline=$2
here=$(cd "$(dirname "$0")" && pwd)

command -v curl >/dev/null || { echo "FAIL: curl is missing (scripts/setup)"; exit 1; }
tmp=$(mktemp -d /dev/shm/rl-grafana.XXXXXX)
pid=
cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

truncate -s 8M "$tmp/dev.img"
"$ringline" serve --listen 127.0.0.1:0 --rate 500 "$tmp/dev.img" >"$tmp/serve.out" 2>&1 &
pid=$!
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/^ringline serve: listening on //p' "$tmp/serve.out")
	[ -z "$addr" ] || break
	sleep 0.1
done
[ -n "$addr" ] || { echo "FAIL: ringline serve did not listen"; cat "$tmp/serve.out"; exit 1; }
# Scrape once the probe has completed reads, so the counters and histograms have samples.
for _ in $(seq 50); do
	curl -sf "http://$addr/metrics" >"$tmp/metrics"
	grep -q '^ringline_latency_seconds_count{.*op="read"} [1-9]' "$tmp/metrics" && break
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: ringline serve exited $? on SIGTERM"; exit 1; }
pid=
grep -q '^ringline_latency_seconds_count{.*op="read"} [1-9]' "$tmp/metrics" ||
	{ echo "FAIL: the probe's reads never showed in /metrics"; exit 1; }

python3 "$here/check-dashboard.py" "$dashboard" "$tmp/metrics" "$tmp/rules.yml"
if command -v promtool >/dev/null; then
	if ! promtool check rules "$tmp/rules.yml"; then
		echo "FAIL: promtool cannot parse a query of the dashboard (as rules: $tmp/rules.yml)"
		cat "$tmp/rules.yml"
		exit 1
	fi
	echo "ok: promtool parses every query of the dashboard"
else
	echo "skip: promtool is not installed: the queries' syntax is not checked"
fi
