# shellcheck shell=bash
# Shared by the NBD tests: checks counted as PASS/FAIL, and `ringline nbd` started on a free
# port and stopped with SIGTERM.
pass=0 fail=0

# check NAME COMMAND...: run one check; its output is shown, indented, when it fails.
check() {
	local name=$1 out t0=$SECONDS
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name ($((SECONDS - t0)) s)"
	else
		fail=$((fail + 1))
		echo "FAIL $name ($((SECONDS - t0)) s)"
		sed 's/^/    /' "$out"
	fi
	rm -f "$out"
}

# need TOOL...: exit 77 (skipped) when a client is missing.
need() {
	for t in "$@"; do
		if ! command -v "$t" >/dev/null; then
			echo "SKIP: $t is missing (scripts/setup installs it from scripts/packages-nbd.txt)"
			exit 77
		fi
	done
}

# skip_unless_io_uring RINGLINE: exit 77 when the kernel refuses io_uring.
skip_unless_io_uring() {
	local out
	if ! out=$("$1" read /dev/null 0 0 2>&1) && grep -q "io_uring" <<<"$out"; then
		echo "SKIP: no io_uring here: $out"
		exit 77
	fi
}

# server_start LOG ARGS...: start `ringline nbd --listen 127.0.0.1:0 ARGS...` in the
# background; sets server_pid and addr (HOST:PORT).
server_start() {
	local log=$1 i
	shift
	"$ringline" nbd --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
	server_pid=$!
	for ((i = 0; i < 100; i++)); do
		addr=$(sed -n 's/^ringline nbd: exporting .* on \(.*\) (.*/\1/p' "$log")
		[ -z "$addr" ] || return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "ringline nbd did not start:"
	cat "$log"
	return 1
}

# server_stop: SIGTERM, and the check that it exits 0 after saying so.
server_stop() {
	local status=0
	kill -TERM "$server_pid"
	wait "$server_pid" || status=$?
	server_pid=
	[ "$status" -eq 0 ] || {
		echo "ringline nbd exited with status $status"
		return 1
	}
}
