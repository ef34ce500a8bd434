#!/usr/bin/env bash
# Zoned namespaces through the ringline CLI, checked against nvme-cli (nvme zns report-zones,
# id-ns, id-ctrl) and the kernel's zoned block device. Runs inside tests/vm/nvme-vm with a zoned
# namespace (4 KiB blocks, ZASL set) and a plain one: see tests/vm/run-zns-tests.sh.
# Usage: tests/vm/guest-zns.sh PATH-TO-ringline [FIO-ENGINE]
#   FIO-ENGINE: the built fio engine (a file named ringline) for the zonemode=zbd checks; the
#   run fails without it unless RINGLINE_NO_FIO=1 says the build has none.
set -uo pipefail
rl=${1:?usage: guest-zns.sh PATH-TO-ringline [FIO-ENGINE]}
plugin=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

# The namespaces by what the kernel says of them, not by name (6.8+ scans in parallel).
for q in /sys/block/nvme0n*/queue/zoned; do
	n=${q#/sys/block/nvme0n}
	n=${n%%/*}
	case $(cat "$q") in
	host-managed) zng=/dev/ng0n$n zblk=/dev/nvme0n$n ;;
	none) png=/dev/ng0n$n ;;
	esac
done
: "${zng:?no zoned namespace}" "${png:?no namespace that is not zoned}"

check() { # check NAME COMMAND...: run a check, count and report it
	local name=$1 start=$EPOCHREALTIME
	shift
	if "$@" >"$work/out" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name ($(((${EPOCHREALTIME/./} - ${start/./}) / 1000)) ms)"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/    /' "$work/out"
	fi
}

lbs=$("$rl" identify "$zng" --json | jq .lba_size)
zsze=$("$rl" identify "$zng" --json | jq .zone_size)

# identify --json says what nvme zns id-ns / id-ctrl and nvme id-ns say.
identify_matches() {
	local want got
	want=$(jq -n --argjson ns "$(nvme id-ns "$zblk" -o json)" \
		--argjson zns "$(nvme zns id-ns "$zblk" -o json)" \
		--argjson zc "$(nvme zns id-ctrl "$zblk" -o json)" '
		($ns.flbas % 16 + (($ns.flbas / 32 | floor) % 4) * 16) as $f |
		{zoned: true, zone_size: $zns.lbafe[$f].zsze,
		 nr_zones: ($ns.nsze / $zns.lbafe[$f].zsze | floor),
		 zasl_bytes: (if $zc.zasl > 0 then pow(2; $zc.zasl) * 4096 else 0 end),
		 max_open_zones: ($zns.mor + 1), max_active_zones: ($zns.mar + 1)}') || return 1
	got=$("$rl" identify "$zng" --json | jq -c "{$(jq -r 'keys_unsorted | join(",")' <<<"$want")}")
	echo "nvme-cli: $want"
	echo "ringline: $got"
	[ "$(jq -S -c . <<<"$got")" = "$(jq -S -c . <<<"$want")" ]
}

# The zones as ringline reports them and as nvme-cli does, in ringline's terms.
rl_zones() {
	"$rl" zones "$zng" --json | jq -c '[.zones[] | {slba: .zslba, wp, cap: .zcap, state}]'
}
cli_zones() {
	nvme zns report-zones "$zblk" -o json | jq -c '[.zone_list[] | {slba, wp, cap,
		state: ({EMPTY: "empty", IMP_OPENED: "implicitly-open", EXP_OPENED: "explicitly-open",
			CLOSED: "closed", READONLY: "read-only", FULL: "full", OFFLINE: "offline"}[.state]
			// "nvme-cli says \(.state)")}]'
}

# ringline zones and nvme-cli agree, and the states are the expected "N:STATE ..." ones
# (zones not named are empty, their write pointer at their start).
zones_agree() {
	local got want expect=" $* "
	got=$(rl_zones) && want=$(cli_zones) || return 1
	if [ "$got" != "$want" ]; then
		echo "ringline: $got"
		echo "nvme-cli: $want"
		return 1
	fi
	jq -r --arg z "$zsze" '.[] | "\(.slba / ($z | tonumber) | floor):\(.state) \(.wp == .slba)"' \
		<<<"$got" >"$work/states"
	while read -r zs atstart; do
		local st=${zs#*:} want_st=empty
		[[ $expect == *" ${zs%%:*}:"* ]] && want_st=${expect#* ${zs%%:*}:} && want_st=${want_st%% *}
		if [ "$st" != "$want_st" ] || { [ "$st" = empty ] && [ "$atstart" != true ]; }; then
			echo "zone ${zs%%:*}: $st (write pointer at start: $atstart), expected $want_st"
			return 1
		fi
	done <"$work/states"
	echo "$(wc -l <"$work/states") zones agree: ${*:-all empty}"
}

wp_of() { # wp_of ZONE: its write pointer as nvme-cli reports it
	nvme zns report-zones "$zblk" -o json | jq ".zone_list[$1].wp"
}

# ringline append prints where the data went: the write pointer nvme-cli reported just before,
# and the block device reads the data back there.
appends_land_at_the_write_pointer() {
	local z=$1 zslba=$(($1 * zsze)) i wp lba n
	for n in 1 2 $((131072 / lbs)); do
		head -c $((n * lbs)) /dev/urandom >"$work/d$n"
		wp=$(wp_of "$z") || return 1
		lba=$("$rl" append "$zng" "$zslba" <"$work/d$n") || return 1
		echo "append of $n blocks: nvme-cli write pointer before $wp, ringline printed $lba"
		[ "$lba" = "$wp" ] || return 1
		dd if="$zblk" bs="$lbs" skip="$lba" count="$n" iflag=direct status=none |
			cmp - "$work/d$n" || return 1
		"$rl" read "$zng" $((lba * lbs)) $((n * lbs)) | cmp - "$work/d$n" || return 1
	done
	wp=$(wp_of "$z")
	[ "$wp" = $((zslba + 1 + 2 + 131072 / lbs)) ] || { echo "write pointer $wp"; return 1; }
}

# Zone N's data, as the block device reads it.
zone_sum() {
	dd if="$zblk" bs="$lbs" skip=$(($1 * zsze)) count=64 iflag=direct status=none | sha256sum
}

# CMD... fails with exit status $1 and a message holding $2, and the zones and zone 0's data
# are as before.
refused() {
	local rc=$1 msg=$2 before sum
	shift 2
	before=$(rl_zones) && sum=$(zone_sum 0) || return 1
	"$@" >"$work/o" 2>"$work/err" </dev/null
	local got=$?
	cat "$work/err"
	[ "$got" = "$rc" ] || { echo "exit status $got, expected $rc"; return 1; }
	grep -qF -- "$msg" "$work/err" || { echo "no '$msg' in the message"; return 1; }
	[ "$(rl_zones)" = "$before" ] || { echo "the zones changed"; return 1; }
	[ "$(zone_sum 0)" = "$sum" ] || { echo "zone 0's data changed"; return 1; }
}

# refused with stdin from file $1.
refused_in() {
	local in=$1
	shift
	local rc=$1 msg=$2 before sum got
	shift 2
	before=$(rl_zones) && sum=$(zone_sum 0) || return 1
	"$@" >"$work/o" 2>"$work/err" <"$in"
	got=$?
	cat "$work/err"
	[ "$got" = "$rc" ] || { echo "exit status $got, expected $rc"; return 1; }
	grep -qF -- "$msg" "$work/err" || { echo "no '$msg' in the message"; return 1; }
	[ "$(rl_zones)" = "$before" ] || { echo "the zones changed"; return 1; }
	[ "$(zone_sum 0)" = "$sum" ] || { echo "zone 0's data changed"; return 1; }
}

zone_ops() {
	"$rl" zone open "$zng" $((1 * zsze)) && "$rl" zone close "$zng" $((1 * zsze)) &&
		"$rl" zone finish "$zng" $((2 * zsze)) &&
		"$rl" append "$zng" $((3 * zsze)) <"$work/d1" >/dev/null &&
		"$rl" zone reset "$zng" $((3 * zsze)) && "$rl" zone open "$zng" $((4 * zsze))
}

too_many_open() {
	local z
	for z in 0 1 2 3 4 5 6 7; do
		"$rl" zone open "$zng" $((z * zsze)) || return 1
	done
	zones_agree 0:explicitly-open 1:explicitly-open 2:explicitly-open 3:explicitly-open \
		4:explicitly-open 5:explicitly-open 6:explicitly-open 7:explicitly-open || return 1
	refused 1 "Too Many Open Zones" "$rl" zone open "$zng" $((8 * zsze))
}

check "identify: zone geometry as nvme-cli reports it" identify_matches
check "zone reset --all" "$rl" zone reset "$zng" --all
check "zones agree with nvme-cli: all empty" zones_agree
check "append: each printed LBA is nvme-cli's write pointer; data reads back there" \
	appends_land_at_the_write_pointer 0
check "zones agree with nvme-cli after appends" zones_agree 0:implicitly-open
check "open, close, finish, append, reset" zone_ops
check "zones agree with nvme-cli after open, close, finish, reset" \
	zones_agree 0:implicitly-open 1:closed 2:full 4:explicitly-open
head -c "$lbs" /dev/urandom >"$work/one"
wp0=$(wp_of 0)
check "a write not at the write pointer: Zone Invalid Write, nothing changes" \
	refused_in "$work/one" 1 "Zone Invalid Write" "$rl" write "$zng" $(((wp0 + 1) * lbs))
check "an append to a full zone: Zone Is Full, nothing changes" \
	refused_in "$work/one" 1 "Zone Is Full" "$rl" append "$zng" $((2 * zsze))
check "closing an empty zone: Invalid Zone State Transition" \
	refused 1 "Invalid Zone State Transition" "$rl" zone close "$zng" $((5 * zsze))
head -c $((2 * 131072)) /dev/urandom >"$work/big"
check "refused: an append larger than ZASL" refused_in "$work/big" 2 \
	"append of 262144 bytes exceeds the zone append size limit of 131072 bytes (ZASL)" \
	"$rl" append "$zng" 0
check "refused: an append to a block that is not a zone start" refused_in "$work/one" 2 \
	"block 1 is not the start of a zone (zones are $zsze blocks: 0 or $zsze would be)" \
	"$rl" append "$zng" 1
head -c 1000 /dev/urandom >"$work/odd"
check "refused: an append of a partial block" refused_in "$work/odd" 2 \
	"stdin holds 1000 bytes, not a non-zero multiple of the LBA size $lbs" "$rl" append "$zng" 0
check "refused: a zone action on a block that is not a zone start" \
	refused 2 "block 99 is not the start of a zone" "$rl" zone reset "$zng" 99
check "refused: an unknown zone action" \
	refused 2 "unknown action 'shut': expected open, close, finish or reset" \
	"$rl" zone shut "$zng" 0
check "refused: ZSLBA that is not a number" \
	refused 2 "ZSLBA '12abc' is not a block number" "$rl" zone reset "$zng" 12abc
check "refused: zones of a namespace that is not zoned" \
	refused 1 "not a zoned namespace" "$rl" zones "$png"
check "refused: an append to a namespace that is not zoned" refused_in "$work/one" 1 \
	"not a zoned namespace" "$rl" append "$png" 0
check "zones agree with nvme-cli after the refusals" \
	zones_agree 0:implicitly-open 1:closed 2:full 4:explicitly-open
check "zone reset --all again" "$rl" zone reset "$zng" --all
check "opening more zones than max_open: Too Many Open Zones" too_many_open
check "zone close --all, then reset --all" sh -c "'$rl' zone close '$zng' --all &&
	'$rl' zone reset '$zng' --all"
check "zones agree with nvme-cli at the end: all empty" zones_agree

# ringline bench --zoned: Zone Appends at QD32 fill the four zones of the range, which are then
# reset and filled again; 100 appends past four zones' capacity leave zone 0 at block 100.
bench_zoned_fills_and_resets() {
	local zcap n json
	zcap=$("$rl" zones "$zng" --json | jq '.zones[0].zcap')
	n=$((4 * zcap + 100))
	json=$("$rl" bench "$zng" --zoned --bs "$lbs" --qd 32 --size $((4 * zsze * lbs)) \
		--count "$n" --json) || return 1
	jq -c '{ops, errors, iops}' <<<"$json"
	jq -e --argjson n "$n" '.ops == $n and .errors == 0' <<<"$json" >/dev/null || return 1
	zones_agree 0:implicitly-open || return 1
	[ "$(wp_of 0)" = 100 ] || { echo "zone 0's write pointer is $(wp_of 0), not 100"; return 1; }
}
check "bench --zoned QD32: zones fill, are reset, fill again" bench_zoned_fills_and_resets
check "refused: bench --zoned on a namespace that is not zoned" \
	refused 1 "--zoned needs a zoned NVMe namespace" "$rl" bench "$png" --zoned --count 10
check "zone reset --all after bench" "$rl" zone reset "$zng" --all

# fio with the engine under test (the LD_LIBRARY_PATH way of tests/fio/lib.sh).
rl_fio() {
	env LD_LIBRARY_PATH="$(dirname "$plugin")" \
		${RINGLINE_FIO_PRELOAD:+LD_PRELOAD=$RINGLINE_FIO_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
		fio "$@"
}

# fio zonemode=zbd on the zoned namespace, writing by Zone Append at iodepth 32 over four zones
# (their capacity, 48 MiB), then verifying every block with crc32c; fio resets the zones first
# through the engine. Afterwards the four zones are full and the rest empty, as nvme-cli says.
fio_zbd_zone_append_verifies() {
	local cap_bytes=$((3072 * lbs)) json
	json=$(rl_fio --name=zbd --ioengine=ringline --filename="$zng" --zonemode=zbd \
		--rw=write --bs=64k --iodepth=32 --zone_append=1 --size=$((4 * zsze * lbs)) \
		--verify=crc32c --do_verify=1 --output-format=json) || { echo "$json"; return 1; }
	jq -e --argjson want $((4 * cap_bytes)) '.jobs[0] | .error == 0 and
		.write.io_bytes == $want and .read.io_bytes == $want' <<<"$json" || {
		jq -c '.jobs[0] | {error, w: .write.io_bytes, r: .read.io_bytes}' <<<"$json"
		return 1
	}
	echo "fio wrote and verified $((4 * cap_bytes)) bytes"
	zones_agree 0:full 1:full 2:full 3:full
}

# zone_append=1 on a namespace that is not zoned is refused, naming why.
fio_zone_append_needs_zones() {
	local out
	out=$(rl_fio --name=plain --ioengine=ringline --filename="$png" --rw=write --bs=4k \
		--size=64k --zone_append=1 2>&1) && { echo "fio succeeded: $out"; return 1; }
	echo "$out" | grep -F "zone_append=1 needs a zoned NVMe namespace"
}

if [ -n "$plugin" ]; then
	check "zone reset --all before fio" "$rl" zone reset "$zng" --all
	check "fio zonemode=zbd zone_append=1 iodepth=32 verify=crc32c" fio_zbd_zone_append_verifies
	check "fio zone_append=1 on a namespace that is not zoned: refused" \
		fio_zone_append_needs_zones
elif [ "${RINGLINE_NO_FIO:-}" != 1 ]; then
	fail=$((fail + 1))
	echo "FAIL fio checks: no fio engine given (RINGLINE_NO_FIO=1 when the build has none)"
fi

echo "guest-zns: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
