#!/usr/bin/env bash
# NVMe metadata and end-to-end protection information (issue 17), checked against the kernel's
# own integrity code (the block device /dev/nvme0nX verifies guard and reference tags), the
# controller's PRCHK, nvme-cli, and fio. Runs inside tests/vm/nvme-vm with the namespaces
# tests/vm/run-guest-pi.sh gives it: 512+8 PI type 1 (separate metadata), 4096+8 PI type 3
# (extended LBA), 4096+16 PI type 1 with the 64-bit guard (separate), 512 without metadata.
# Usage: tests/vm/guest-pi.sh PATH-TO-ringline [FIO-ENGINE.so]
set -uo pipefail
rl=${1:?usage: guest-pi.sh PATH-TO-ringline [FIO-ENGINE.so]}
engine=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# An engine built with ASan needs its runtime loaded first into fio, which is not: every fio
# below, in sh -c too, is this wrapper then.
if [ -n "${RINGLINE_FIO_PRELOAD:-}" ]; then
	mkdir "$work/bin"
	printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0 exec %s "$@"\n' \
		"$RINGLINE_FIO_PRELOAD" "$(command -v fio)" >"$work/bin/fio"
	chmod +x "$work/bin/fio"
	PATH=$work/bin:$PATH
fi
pass=0 fail=0

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

# The namespaces by format, not name: kernels since 6.8 scan namespaces in parallel.
for ng in /dev/ng0n*; do
	case $("$rl" identify "$ng" --json | jq -r '"\(.lba_size):\(.ms):\(.extended_lba):\(.pif)"') in
	512:8:false:0) ns1=$ng ;;
	4096:8:true:0) nsx=$ng ;;
	4096:16:false:2) ns64=$ng ;;
	512:0:false:0) nsplain=$ng ;;
	esac
done
: "${ns1:?no 512+8 namespace}" "${nsx:?no 4096+8 extended namespace}"
: "${ns64:?no 4096+16 namespace}" "${nsplain:?no namespace without metadata}"
blk() { echo "/dev/nvme${1#/dev/ng}"; }

# identify: the PI type and place agree with nvme-cli's DPS, the guard with the ELBAF.
identify_pi() { # DEV TYPE PIF PI_SIZE
	local j dps
	j=$("$rl" identify "$1" --json) || return 1
	dps=$(nvme id-ns "$1" -o json | jq .dps) || return 1
	echo "ringline: $j"
	echo "nvme-cli: dps $dps"
	[ "$(jq .pi_type <<<"$j")" = "$((dps & 7))" ] && [ "$(jq .pi_type <<<"$j")" = "$2" ] &&
		[ "$(jq .pi_first <<<"$j")" = "$( ((dps & 8)) && echo true || echo false)" ] &&
		[ "$(jq .pif <<<"$j")" = "$3" ] && [ "$(jq .pi_size <<<"$j")" = "$4" ] &&
		"$rl" identify "$1" | grep -q "protection information: type $2"
}
check "identify: 512+8 PI type 1, 16-bit guard" identify_pi "$ns1" 1 0 8
check "identify: 4096+8 extended PI type 3" identify_pi "$nsx" 3 0 8
check "identify: 4096+16 PI type 1, 64-bit guard" identify_pi "$ns64" 1 2 16

# Byte at offset $2 of file $1, and that byte inverted written back.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Kernel reads through the block device, O_DIRECT, so its integrity code checks each block.
kread() { # DEV LBA_SIZE FIRST COUNT
	dd if="$(blk "$1")" of=/dev/null bs="$2" skip="$3" count="$4" iflag=direct status=none
}
kreads() { # DEV LBA_SIZE FIRST COUNT [FIRST COUNT]...: every range reads
	local dev=$1 bs=$2
	shift 2
	while [ $# -ge 2 ]; do
		kread "$dev" "$bs" "$1" "$2" || { echo "kernel read of $2 blocks at $1 failed"; return 1; }
		shift 2
	done
}
fails() { ! "$@"; }

# Software PI (PRACT=0) on a separate-metadata namespace, checked by the kernel; then one block
# with a wrong guard: exactly that block fails in the kernel, and ringline names the error.
separate_pi() { # NAME DEV LBA_SIZE MS
	local n=$1 dev=$2 bs=$3 ms=$4 nblk=256 bad=100
	head -c $((nblk * bs)) /dev/urandom >"$work/data"
	check "$n: write --pi (software PI, controller PRCHK on write)" \
		"$rl" write "$dev" 0 --pi <"$work/data"
	check "$n: the kernel reads every block back (its integrity check passes)" \
		sh -c "dd if=$(blk "$dev") bs=$((nblk * bs)) count=1 iflag=direct status=none |
			cmp - '$work/data'"
	check "$n: read --pi --md checks in software, data and metadata come back" \
		sh -c "'$rl' read '$dev' 0 $((nblk * bs)) --pi --md '$work/md' | cmp - '$work/data' &&
			test \$(stat -c %s '$work/md') = $((nblk * ms))"
	cp "$work/md" "$work/bad.md"
	flip "$work/bad.md" $((bad * ms + 1)) # the guard's low byte of block $bad
	check "$n: write --md with one wrong guard (no PRCHK) succeeds" \
		"$rl" write "$dev" 0 --md "$work/bad.md" <"$work/data"
	check "$n: the kernel read of block $bad fails" fails kread "$dev" "$bs" $bad 1
	check "$n: the kernel reads blocks $((bad - 1)), $((bad + 1)) and all others" \
		kreads "$dev" "$bs" $((bad - 1)) 1 $((bad + 1)) 1 0 $bad $((bad + 1)) $((nblk - bad - 1))
	check "$n: read --pi names LBA $bad and the Guard Check Error" \
		sh -c "! '$rl' read '$dev' 0 $((nblk * bs)) --pi >/dev/null 2>'$work/err';
			cat '$work/err'; grep -q 'LBA $bad: End-to-end Guard Check Error' '$work/err'"
	check "$n: read --prchk: the controller answers Guard Check Error" \
		sh -c "! '$rl' read '$dev' 0 $((nblk * bs)) --prchk >/dev/null 2>'$work/err';
			cat '$work/err'; grep -q 'Guard Check Error (SCT 0x2, SC 0x82' '$work/err'"
	check "$n: write --pract (controller PI), read --pi checks it in software" \
		sh -c "'$rl' write '$dev' 0 --pract <'$work/data' &&
			'$rl' read '$dev' 0 $((nblk * bs)) --pi | cmp - '$work/data'"
	check "$n: ... and the kernel reads every block" \
		sh -c "dd if=$(blk "$dev") bs=$((nblk * bs)) count=1 iflag=direct status=none |
			cmp - '$work/data'"
}
separate_pi "512+8 type 1" "$ns1" 512 8
separate_pi "4096+16 64-bit guard" "$ns64" 4096 16

# Extended LBAs: no usable block device, the cross-check is the controller's PRCHK on read.
extended_pi() {
	local dev=$nsx bs=4096 ms=8 nblk=64 bad=10 n="4096+8 extended type 3"
	head -c $((nblk * bs)) /dev/urandom >"$work/data"
	check "$n: write --pi --apptag, read --prchk (controller) and --pi (software)" \
		sh -c "'$rl' write '$dev' 0 --pi --apptag 0x1234 <'$work/data' &&
			'$rl' read '$dev' 0 $((nblk * bs)) --prchk --apptag 0x1234 | cmp - '$work/data' &&
			'$rl' read '$dev' 0 $((nblk * bs)) --pi --apptag 0x1234 --md '$work/md' |
				cmp - '$work/data'"
	check "$n: another application tag: Application Tag Check Error" \
		sh -c "! '$rl' read '$dev' 0 $((nblk * bs)) --prchk --apptag 0x4321 >/dev/null 2>'$work/err';
			cat '$work/err'; grep -q 'Application Tag Check Error' '$work/err'"
	cp "$work/md" "$work/bad.md"
	flip "$work/bad.md" $((bad * ms))
	check "$n: one wrong guard: the controller's PRCHK and ringline's check both name it" \
		sh -c "'$rl' write '$dev' 0 --md '$work/bad.md' <'$work/data' &&
			! '$rl' read '$dev' 0 $((nblk * bs)) --prchk >/dev/null 2>'$work/err' &&
			grep -q 'Guard Check Error' '$work/err' &&
			! '$rl' read '$dev' 0 $((nblk * bs)) --pi >/dev/null 2>>'$work/err';
			cat '$work/err'; grep -q 'LBA $bad: End-to-end Guard Check Error' '$work/err'"
	check "$n: write --pract, read --pi checks the controller's PI" \
		sh -c "'$rl' write '$dev' 0 --pract <'$work/data' &&
			'$rl' read '$dev' 0 $((nblk * bs)) --pi | cmp - '$work/data'"
}
extended_pi

# fio through the ringline engine, with fio's own option names: verify=crc32c over PI that
# ringline generates and checks (pi_act=0) or the controller inserts (pi_act=1), PRCHK from pi_chk.
fio_pi() { # DEV BS EXTRA-OPTIONS...
	local dev=$1 bs=$2
	shift 2
	fio --name=pi --ioengine=external:"$engine" --filename="$dev" --thread=1 --rw=randwrite \
		--bs="$bs" --size=2M --iodepth=8 --verify=crc32c --do_verify=1 \
		--pi_chk=GUARD,REFTAG,APPTAG --apptag=0x0888 "$@" --output="$work/fio.out"
	local s=$?
	grep -E "err=|ringline|verify" "$work/fio.out"
	return $s
}
if [ -n "$engine" ]; then
	check "fio 512+8 type 1: pi_act=0 verify=crc32c pi_chk=GUARD,REFTAG,APPTAG" \
		fio_pi "$ns1" 4k --md_per_io_size=64 --pi_act=0
	check "fio 512+8 type 1: ... and the kernel reads those blocks (its check passes)" \
		kread "$ns1" 512 0 4096
	check "fio 4096+16 64-bit guard: pi_act=0 verify=crc32c pi_chk=GUARD,REFTAG,APPTAG" \
		fio_pi "$ns64" 16k --md_per_io_size=64 --pi_act=0
	check "fio 4096+16 64-bit guard: ... and the kernel reads those blocks" \
		kread "$ns64" 4096 0 512
	check "fio 4096+8 extended type 3: pi_act=1 verify=crc32c pi_chk=GUARD,REFTAG,APPTAG" \
		fio_pi "$nsx" 8k --pi_act=1
	check "fio 4096+8 extended: the controller's PI passes ringline's --prchk and --pi" \
		sh -c "'$rl' read '$nsx' 0 2M --prchk --apptag 0x0888 >/dev/null &&
			'$rl' read '$nsx' 0 2M --pi --apptag 0x0888 >/dev/null"
	# One block with a wrong guard: the fio job that reads it fails, naming the NVMe status.
	corrupt_fio() {
		"$rl" read "$ns1" 0 64k --md "$work/md" >"$work/data" &&
			flip "$work/md" $((37 * 8)) &&
			"$rl" write "$ns1" 0 --md "$work/md" <"$work/data" || return 1
		! fio --name=bad --ioengine=external:"$engine" --filename="$ns1" --thread=1 \
			--rw=read --bs=4k --size=64k --md_per_io_size=64 --pi_act=0 \
			--pi_chk=GUARD --output="$work/fio.out"
		cat "$work/fio.out"
		grep -q "NVMe status End-to-end Guard Check Error" "$work/fio.out"
	}
	check "fio: a block with a wrong guard fails the job, naming the NVMe status" corrupt_fio
	check "fio: md_per_io_size too small is refused" sh -c "! fio --name=x \
		--ioengine=external:'$engine' --filename='$ns1' --rw=write --bs=4k --size=64k \
		--md_per_io_size=32 --pi_act=0 --thread=1 >'$work/fio.out' 2>&1;
		cat '$work/fio.out'; grep -q 'md_per_io_size=32: blocks of bs=4096 need 64' '$work/fio.out'"
	check "fio: pi_chk on a namespace without PI is refused" sh -c "! fio --name=x \
		--ioengine=external:'$engine' --filename='$nsplain' --rw=write --bs=4k --size=64k \
		--pi_chk=GUARD --thread=1 >'$work/fio.out' 2>&1;
		cat '$work/fio.out'; grep -q 'without protection information' '$work/fio.out'"
else
	echo "SKIP fio checks: no engine given"
fi

# ringline bench --pi: PI generated in the loop and checked by the controller on writes,
# checked in software on reads; what it wrote passes the controller's and ringline's checks.
bench_pi() { # DEV SIZE
	"$rl" bench "$1" --pi --rw randwrite --bs 8k --qd 8 --count 400 --size "$2" --json \
		>"$work/b.json" || return 1
	jq -e '.errors == 0 and .ops == 400' "$work/b.json" || return 1
	"$rl" bench "$1" --pi --rw write --bs 8k --qd 8 --count $(($2 / 8192)) --size "$2" \
		--json >"$work/b.json" &&
		"$rl" bench "$1" --pi --rw randread --bs 8k --qd 8 --count 400 --size "$2" \
			--json >"$work/b.json" && jq -e '.errors == 0' "$work/b.json" &&
		"$rl" read "$1" 0 "$2" --prchk >/dev/null && "$rl" read "$1" 0 "$2" --pi >/dev/null
}
check "bench --pi on 4096+8 extended type 3" bench_pi "$nsx" $((1 << 20))
check "bench --pi on 4096+16 64-bit guard" bench_pi "$ns64" $((1 << 20))
bench_pi_kernel() {
	bench_pi "$ns1" $((1 << 20)) &&
		dd if="$(blk "$ns1")" bs=1M count=1 iflag=direct status=none of=/dev/null
}
check "bench --pi on 512+8 type 1, then the kernel reads the range" bench_pi_kernel
bench_bad() {
	"$rl" read "$ns1" 0 64k --md "$work/md" >"$work/data" && flip "$work/md" $((5 * 8)) &&
		"$rl" write "$ns1" 0 --md "$work/md" <"$work/data" || return 1
	! "$rl" bench "$ns1" --pi --rw read --bs 4k --qd 1 --count 16 --size 64k \
		>"$work/b.out" 2>&1
	cat "$work/b.out"
	grep -q "Guard Check Error" "$work/b.out"
}
check "bench --pi: a block with a wrong guard fails the run, named" bench_bad
check "refused: bench --pi on a namespace without PI" sh -c "! '$rl' bench '$nsplain' --pi \
	--count 1 2>'$work/err'; cat '$work/err'; grep -q 'needs an NVMe namespace formatted' '$work/err'"

# Bad input is refused before anything is written: the blocks read back unchanged.
refused() { # NAME DEV OFFSET STDIN_BYTES OPTIONS...
	local name=$1 dev=$2 off=$3 len=$4
	shift 4
	local b
	b=$(blk "$dev")
	dd if="$b" bs="$len" skip=$((off / len)) count=1 iflag=direct status=none >"$work/before"
	head -c "$len" /dev/urandom >"$work/in"
	check "refused: $name" sh -c "'$rl' write '$dev' $off $* <'$work/in' 2>'$work/err';
		s=\$?; cat '$work/err'; test \$s = 2 &&
		dd if=$b bs=$len skip=$((off / len)) count=1 iflag=direct status=none |
			cmp - '$work/before'"
}
head -c 100 /dev/zero >"$work/short.md"
refused "a metadata file of the wrong length" "$ns1" 0 4096 --md "$work/short.md"
refused "--pi on a namespace without PI" "$nsplain" 0 4096 --pi
refused "--md on a namespace without metadata" "$nsplain" 0 4096 --md "$work/short.md"

echo "guest-pi: $pass passed, $fail failed"
[ "$fail" = 0 ]
