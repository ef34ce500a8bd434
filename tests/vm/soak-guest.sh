#!/usr/bin/env bash
# The soak, inside tests/vm/nvme-vm (tests/vm/soak.sh boots it; not part of CI): for MINUTES
# (default 20), `ringline serve` probes both namespaces through passthrough while
#   - `ringline bench` runs mixed passthrough reads and writes (randrw, QD16) on /dev/ng0n1,
#     one 50 s run after another (a run that a reset fails is counted and restarted);
#   - /metrics and /v1/devices are scraped every second;
#   - bad clients (tests/vm/soak-clients.py) hold idle and slow-header connections, pipeline
#     requests without reading, send garbage and vanish;
#   - the controller is reset every RESET_EVERY seconds (default 240).
# Each minute one line: serve's RSS and fd count, the engine's slab in use, its stale CQEs, the
# guest kernel's slab (/proc/meminfo: Slab, and SUnreclaim, after dropping the dentry and inode
# caches, which grow with every process the soak starts and are given back under pressure),
# and what bench, the scrapes and the resets did.
# Fails when serve dies, or when serve's RSS or fds, or the kernel's unreclaimable slab, grew
# over the second half of the run (last minute against the middle one, beyond a small
# allowance), or a stale CQE was counted.
# Usage: tests/vm/soak-guest.sh PATH-TO-ringline [MINUTES [RESET_EVERY]]
set -uo pipefail
rl=${1:?usage: soak-guest.sh PATH-TO-ringline [MINUTES [RESET_EVERY]]}
minutes=${2:-20}
reset_every=${3:-240}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock=$work/ctl.sock
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait
	rm -rf "$work"
}
trap cleanup EXIT

"$rl" serve --listen "unix:$sock" --rate 100 --max-conns 64 --header-timeout 3000 \
	--idle-timeout 10000 /dev/ng0n1 /dev/ng0n2 >"$work/serve.out" 2>&1 &
spid=$!
pids+=("$spid")
for ((i = 0; i < 600; i++)); do
	grep -q "listening on" "$work/serve.out" && break
	sleep 0.1
done
grep -q "listening on" "$work/serve.out" || { cat "$work/serve.out"; exit 1; }

end=$((SECONDS + minutes * 60))
(
	while ((SECONDS < end - 5)); do
		"$rl" bench --rw randrw --qd 16 --time $((end - SECONDS < 50 ? end - SECONDS - 3 : 50)) \
			/dev/ng0n1 >"$work/bench.last" 2>&1
		echo "$? $(grep -c 'I/Os failed' "$work/bench.last")" >>"$work/bench.runs"
	done
) &
pids+=($!)
(
	while ((SECONDS < end)); do
		curl -sf --max-time 10 --unix-socket "$sock" http://x/metrics >/dev/null ||
			echo "$SECONDS" >>"$work/scrape.fail"
		curl -sf --max-time 10 --unix-socket "$sock" http://x/v1/devices >/dev/null ||
			echo "$SECONDS" >>"$work/scrape.fail"
		echo >>"$work/scrape.ok"
		sleep 1
	done
) &
pids+=($!)
python3 "$here/soak-clients.py" "$sock" $((minutes * 60 - 30)) >"$work/clients.log" 2>&1 &
cpid=$!
pids+=("$cpid")
(
	while sleep "$reset_every" && ((SECONDS < end - 30)); do
		echo 1 >/sys/class/nvme/nvme0/reset_controller && echo "$SECONDS" >>"$work/resets"
	done
) &
pids+=($!)

metric() { awk -v k="$1" '$1 == k { print $2 }' "$work/m"; }
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
declare -a rss fds kslab kunrec
printf '%4s %8s %4s %5s %6s %9s %11s %8s %9s %7s %6s\n' min rss_kib fds slab stale kslab_kib \
	sunrec_kib bench_ok bench_fail scrapes resets
for ((m = 1; m <= minutes; m++)); do
	sleep $((m * 60 - SECONDS > 0 ? m * 60 - SECONDS : 0))
	kill -0 "$spid" 2>/dev/null || { echo "serve died:"; cat "$work/serve.out"; exit 1; }
	curl -sf --max-time 10 --unix-socket "$sock" http://x/metrics >"$work/m" || : >"$work/m"
	rss[m]=$(awk '/^VmRSS/ { print $2 }' "/proc/$spid/status")
	fds[m]=$(ls "/proc/$spid/fd" | wc -l)
	sync
	echo 2 >/proc/sys/vm/drop_caches
	kslab[m]=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	kunrec[m]=$(awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo)
	# the caches by size (active objects x object size), to name what grows
	[ "$m" -eq $((minutes / 2)) ] && awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >"$work/slab.mid"
	[ "$m" -eq "$minutes" ] && awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >"$work/slab.end"
	ok=0 bad=0
	[ -f "$work/bench.runs" ] && read -r ok bad < <(awk '{ if ($1 == 0) o++; else b++ }
		END { print o + 0, b + 0 }' "$work/bench.runs")
	printf '%4d %8d %4d %5s %6s %9d %11d %8d %9d %7s %6d\n' "$m" "${rss[m]}" "${fds[m]}" \
		"$(metric ringline_slab_in_use)" "$(metric ringline_stale_cqes_total)" "${kslab[m]}" \
		"${kunrec[m]}" "$ok" "$bad" "$(lines "$work/scrape.ok")/$(lines "$work/scrape.fail")" \
		"$(lines "$work/resets")"
done
stale=$(metric ringline_stale_cqes_total)
wait "$cpid"
echo "bad clients: $(tail -n1 "$work/clients.log")"
echo "failed scrapes (s into the run): $(cat "$work/scrape.fail" 2>/dev/null | tr '\n' ' ')"
mid=$((minutes / 2))
echo "kernel slab caches that grew most over the second half (KiB):"
awk 'NR == FNR { a[$1] = $2; next } { d = ($2 - a[$1]) / 1024; if (d > 64) printf "  %-24s %+8.0f\n", $1, d }' \
	"$work/slab.mid" "$work/slab.end" | sort -k2 -nr | head -n 8
fail=0
# Growth without bound shows as growth over the second half; allow 512 KiB of RSS (allocator
# slack), no fd, and 10% of the kernel's unreclaimable slab.
((rss[minutes] <= rss[mid] + 512)) || { echo "FAIL serve's RSS grew: ${rss[mid]} -> ${rss[minutes]} KiB"; fail=1; }
((fds[minutes] <= fds[mid])) || { echo "FAIL serve's fds grew: ${fds[mid]} -> ${fds[minutes]}"; fail=1; }
((kunrec[minutes] <= kunrec[mid] * 11 / 10)) ||
	{ echo "FAIL the kernel's unreclaimable slab grew: ${kunrec[mid]} -> ${kunrec[minutes]} KiB"; fail=1; }
[ "${stale:-x}" = 0 ] || { echo "FAIL stale CQEs: ${stale:-no metric}"; fail=1; }
[ "$(lines "$work/resets")" -gt 0 ] || { echo "FAIL no controller reset happened"; fail=1; }
[ "$fail" -eq 0 ] && echo "soak: PASS ($minutes min)" || echo "soak: FAIL"
exit $fail
