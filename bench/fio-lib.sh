# shellcheck shell=bash
# For bench/fio-engine-*.sh, on top of bench/lib.sh.

# paired_ratio NUM DEN: the median of NUM/DEN over rounds. The engines of one round run back to
# back, so a round's ratio shares that moment's load; on a machine whose load drifts during the
# run this is steadier than the ratio of the medians.
# shellcheck disable=SC2154 # bench_results is bench/lib.sh's
paired_ratio() {
	local n d r=() i
	read -ra n <<<"${bench_results[$1]}"
	read -ra d <<<"${bench_results[$2]}"
	for i in "${!n[@]}"; do
		r+=("$(awk -v a="${n[i]}" -v b="${d[i]}" 'BEGIN { print a / b }')")
	done
	printf 'median of per-round ratios %s/%s=%.3f (%s)\n' "$1" "$2" "$(median "${r[@]}")" \
		"$(printf '%.2f ' "${r[@]}")"
}
