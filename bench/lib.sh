# shellcheck shell=bash disable=SC2154 # rounds, root and work are the sourcing script's
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

# bench_ratio NUM DEN [TARGET]: NUM/DEN two ways. The tools of one round run back to back and
# share that moment's load, so the median of the per-round ratios is steadier than the ratio of
# the medians on a machine whose speed drifts during the run: it is the one judged against
# TARGET (PASS or BELOW TARGET). The quartiles of the per-round ratios show the spread.
bench_ratio() {
	local n d r=() i
	read -ra n <<<"${bench_results[$1]}"
	read -ra d <<<"${bench_results[$2]}"
	for i in "${!n[@]}"; do
		r+=("$(awk -v a="${n[i]}" -v b="${d[i]}" 'BEGIN { print a / b }')")
	done
	printf '%s\n' "${r[@]}" | sort -g | awk -v nn="$1" -v dn="$2" -v target="${3:-}" \
		-v mn="${bench_median[$1]}" -v md="${bench_median[$2]}" '
	function q(p,  x) { x = 1 + (NR - 1) * p; return v[int(x)] + (x - int(x)) * (v[int(x) + 1] - v[int(x)]) }
	{ v[NR] = $1 }
	END {
		m = q(0.5)
		printf "ratio %s/%s: per-round median %.3f (quartiles %.3f-%.3f, %d rounds), " \
			"ratio of medians %.3f", nn, dn, m, q(0.25), q(0.75), NR, mn / md
		if (target != "")
			printf " (target >= %.2f): %s", target, (m >= target ? "PASS" : "BELOW TARGET")
		printf "\n"
	}'
}

# bench_ringline: the ringline executable to measure, checked: $RINGLINE resolved against the
# caller's directory, else the repository's build. Needs $root.
bench_ringline() {
	local r
	r=$(realpath -m "${RINGLINE:-$root/build/tools/ringline}")
	[ -x "$r" ] ||
		die "build ringline first: cmake -B build && cmake --build build (no executable at $r)"
	echo "$r"
}

# bench_t_io_uring_setup NAME: what a script that compares ringline with fio's t/io_uring needs,
# after it read $runtime (SECONDS) and $rounds: $ringline, $t_io_uring (built by
# scripts/fio-source) and a scratch directory $work (/tmp/ringline-NAME.*) removed on exit.
bench_t_io_uring_setup() {
	ringline=$(bench_ringline)
	[ "$runtime" -ge 2 ] || die "SECONDS must be at least 2 (t/io_uring's first second is dropped)"
	[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"
	t_io_uring=$("$root/scripts/fio-source" | tail -n1)/t/io_uring
	work=$(mktemp -d "/tmp/ringline-$1.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# bench_fio_engine: the ringline fio engine file to measure, checked: $RINGLINE_FIO, else the
# repository's build. Needs $root.
bench_fio_engine() {
	local f
	f=$(realpath -m "${RINGLINE_FIO:-$root/build/fio-plugin/ringline}")
	[ -f "$f" ] ||
		die "build the fio engine first: scripts/fio-source, then cmake -B build && cmake --build build (no engine at $f)"
	echo "$f"
}

# bench_tmpfs_file NAME SIZE: create $work/NAME filled with SIZE (IEC suffixes) of random data on
# a private tmpfs (root), else in /dev/shm, and print its path. tmpfs takes O_DIRECT and has no
# device behind it, so a run measures each tool's cost per I/O. Needs $work; removed with it by
# bench_cleanup.
bench_tmpfs_file() {
	local name=$1 bytes file
	bytes=$(numfmt --from=iec "$2") || die "bad SIZE '$2'"
	((bytes >= 1048576 && bytes % 4096 == 0)) || die "SIZE must be a multiple of 4 KiB and at least 1M"
	mkdir -p "$work/mnt"
	if mount -t tmpfs -o mode=0700 "ringline-$name" "$work/mnt" 2>/dev/null; then
		file=$work/mnt/$name
	else
		file=$(mktemp "/dev/shm/ringline-$name.XXXXXX")
		echo "$file" >>"$work/shm-files"
	fi
	echo "filling $file with $2 of random data..." >&2
	head -c "$bytes" /dev/urandom >"$file"
	echo "$file"
}

# bench_cleanup: the EXIT trap of a script that set $work. Lazy unmount: a tool killed by ^C
# may still hold the file for a moment.
bench_cleanup() {
	mountpoint -q "$work/mnt" 2>/dev/null && umount -l "$work/mnt"
	[ -f "$work/shm-files" ] && xargs rm -f <"$work/shm-files"
	rm -rf "$work"
}
