# shellcheck shell=bash
# Shared by the fio engine tests: fio with the engine under test, checks counted as PASS/FAIL,
# job sections for the verify matrix and the engine's other paths, and fio's JSON checked with
# check-json.py. fio starts slowly in the emulated guest, so a test writes all its jobs into
# one job file (run one after the other) and checks the JSON of that one run in parts.
#
# The caller sets `plugin` (the built engine file, named ringline). In sanitized builds CTest
# sets RINGLINE_FIO_PRELOAD to the ASan runtime: fio itself is not instrumented, so the runtime
# must be preloaded for fio to load a sanitized engine at all.
fio_tests=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pass=0 fail=0
# Debian's python3 (scripts/setup installs it) rather than a version manager's shim that may
# come first in PATH: a shim starts several processes, which take seconds each in the guest.
python=python3
[ ! -x /usr/bin/python3 ] || python=/usr/bin/python3

# fio, finding --ioengine=ringline in the build tree: the documented LD_LIBRARY_PATH way.
# shellcheck disable=SC2154 # plugin is the caller's
rl_fio() {
	env LD_LIBRARY_PATH="$(dirname "$plugin")" \
		${RINGLINE_FIO_PRELOAD:+LD_PRELOAD=$RINGLINE_FIO_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
		fio "$@"
}

# check NAME COMMAND...: run one check; its output is shown, indented, when it fails, and its
# indented lines (check-json.py's per-job lines) when it passes.
check() {
	local name=$1 out t0=$SECONDS
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name ($((SECONDS - t0)) s)"
		grep '^  ' "$out" || true
	else
		fail=$((fail + 1))
		echo "FAIL $name ($((SECONDS - t0)) s)"
		sed 's/^/    /' "$out"
	fi
	rm -f "$out"
}

# run_fio JOBFILE JSON: run the job file once; fio's exit status goes to $fio_status and its
# messages (stdout and stderr, without the JSON) to JSON.log.
run_fio() {
	local t0=$SECONDS
	fio_status=0
	rl_fio --output-format=json --output="$2" "$1" >"$2.log" 2>&1 || fio_status=$?
	echo "fio ran $(grep -c '^\[' "$1") sections of $1 in $((SECONDS - t0)) s"
}

# fio_exited_0 JSON: the check that the last run_fio succeeded, showing fio's messages if not.
fio_exited_0() {
	[ "$fio_status" -eq 0 ] && return
	echo "fio exited with status $fio_status:"
	cat "$1.log"
	return 1
}

# check_json JSON CLAUSE...: check-json.py on the JSON of a run.
check_json() {
	"$python" "$fio_tests/check-json.py" "$@"
}

# job_header: the job file's [global] section: every job runs after the previous one.
job_header() {
	printf '[global]\nioengine=ringline\ndirect=1\nstonewall\n'
}

# verify_matrix PREFIX FILE SIZE: jobs that write SIZE bytes of FILE in random order with
# crc32c checksums and verify them, at bs 4k and 128k, iodepth 1 and 32, fixedbufs off and on.
verify_matrix() {
	local p=$1 target=$2 size=$3 bs qd fb
	for bs in 4k 128k; do
		for qd in 1 32; do
			for fb in 0 1; do
				printf '[%sverify-bs%s-qd%s-fixedbufs%s]\n' "$p" "$bs" "$qd" "$fb"
				printf 'filename=%s\nsize=%s\nrw=randwrite\nverify=crc32c\n' "$target" "$size"
				printf 'bs=%s\niodepth=%s\nfixedbufs=%s\n' "$bs" "$qd" "$fb"
			done
		done
	done
}

# option_jobs PREFIX FILE SIZE: the engine's other paths on FILE, each checked by reading back:
#   verify-vectored: nonvectored=0 (READV/WRITEV, NVMe IO_VEC)
#   verify-fsync:    fsync every 16 writes (fdatasync, NVMe Flush)
#   zeroes:          write_mode=zeroes, then the range reads back as zeroes
#   trim-*:          a pattern, a trim of its middle half (punch hole, NVMe Dataset Management
#                    deallocate), then the middle reads back as zeroes and the rest as the
#                    pattern (QEMU's namespaces report DLFEAT "deallocated reads zeroes")
option_jobs() {
	local p=$1 target=$2 size=$3 q
	q=$(($(to_bytes "$size") / 4))
	cat <<EOT
[${p}verify-vectored]
filename=$target
size=$size
rw=randwrite
bs=4k
iodepth=32
nonvectored=0
verify=crc32c
[${p}verify-fsync]
filename=$target
size=$size
rw=randwrite
bs=4k
iodepth=8
fsync=16
verify=crc32c
[${p}zeroes]
filename=$target
size=$size
rw=write
bs=64k
iodepth=8
write_mode=zeroes
verify=pattern
verify_pattern=0
[${p}trim-pattern]
filename=$target
size=$size
rw=write
bs=64k
iodepth=8
verify=pattern
verify_pattern=0xa5
[${p}trim]
filename=$target
rw=trim
bs=64k
iodepth=8
offset=$q
size=$((2 * q))
[${p}trim-readback-zeroes]
filename=$target
rw=read
bs=64k
verify=pattern
verify_pattern=0
offset=$q
size=$((2 * q))
[${p}trim-readback-kept]
filename=$target
rw=read
bs=64k
verify=pattern
verify_pattern=0xa5
size=$q
EOT
}

# option_clauses PREFIX SIZE: what check-json.py expects of option_jobs.
option_clauses() {
	local p=$1 s q
	s=$(to_bytes "$2")
	q=$((s / 4))
	echo "only=$p" "verified=$s" "sync=${p}verify-fsync" "bytes=${p}zeroes:read:$s" \
		"bytes=${p}trim:trim:$((2 * q))" "bytes=${p}trim-readback-zeroes:read:$((2 * q))" \
		"bytes=${p}trim-readback-kept:read:$q"
}

# to_bytes SIZE: fio's 16m (powers of 2) in bytes.
to_bytes() {
	numfmt --from=iec "${1^^}"
}

# summary: print the tally; the exit status of a test script.
summary() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
