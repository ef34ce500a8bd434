# shellcheck shell=bash
# Shared pieces of ringline's benchmarks: interleaved rounds, parsers, medians, ratios.
# The machine is shared and noisy, so tools run interleaved in a rotating order over several
# rounds and only ratios within one run mean anything.
#
# A benchmark script sets `runtime` and `rounds`, defines run_<tool> functions that print one
# IOPS figure on stdout (raw output in $work/<tool>.*), then calls bench_rounds TOOL... and
# bench_ratio NUM DEN TARGET.

die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

# t/io_uring prints "IOPS=412.35K, BW=..." once a second; the first line includes setup.
t_io_uring_iops() {
	python3 -c '
import re, sys
scale = {"": 1, "K": 1e3, "M": 1e6}
v = [float(n) * scale[u] for n, u in re.findall(r"^IOPS=([\d.]+)([KM]?),", sys.stdin.read(), re.M)][1:]
if not v:
    sys.exit("no steady-state IOPS lines")
print(sum(v) / len(v))' <"$1"
}

ringline_iops() {
	python3 -c 'import json, sys; print(float(json.load(sys.stdin)["iops"]))' <"$1"
}

# fio --output-format=json: the first job's read IOPS.
fio_read_iops() {
	python3 -c 'import json, sys; print(json.load(sys.stdin)["jobs"][0]["read"]["iops"])' <"$1"
}

median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

declare -A bench_results bench_median

# bench_rounds TOOL...: run every tool once per round, rotating the order; print medians.
bench_rounds() {
	local tools=("$@") r i tool iops
	for ((r = 0; r < rounds; r++)); do
		for ((i = 0; i < ${#tools[@]}; i++)); do
			# Rotate so no tool always runs first or last.
			tool=${tools[(i + r) % ${#tools[@]}]}
			if ! iops=$("run_$tool"); then
				cat "$work/$tool".* >&2
				die "$tool failed (output above)"
			fi
			bench_results[$tool]+=" $iops"
			printf 'round %d/%d  %-16s %10.0f IOPS\n' $((r + 1)) "$rounds" "$tool" "$iops"
		done
	done
	echo
	printf '%-16s %12s  %s\n' tool "median IOPS" "per round"
	for tool in "${tools[@]}"; do
		# shellcheck disable=SC2086 # word-split the list of per-round values
		bench_median[$tool]=$(median ${bench_results[$tool]})
		printf '%-16s %12.0f ' "$tool" "${bench_median[$tool]}"
		# shellcheck disable=SC2086
		printf ' %.0f' ${bench_results[$tool]}
		echo
	done
}

# bench_ratio NUM DEN [TARGET]: print NUM/DEN of the medians, and PASS or BELOW TARGET.
bench_ratio() {
	awk -v n="${bench_median[$1]}" -v d="${bench_median[$2]}" -v nn="$1" -v dn="$2" \
		-v target="${3:-}" 'BEGIN {
		if (target == "") { printf "ratio %s/%s=%.3f\n", nn, dn, n / d; exit }
		printf "ratio %s/%s=%.3f (target >= %.2f): %s\n", nn, dn, n / d, target,
			(n / d >= target ? "PASS" : "BELOW TARGET")
	}'
}
