#!/usr/bin/env bash
# fio's client/server mode with the ringline engine: `fio --server` on a free port of 127.0.0.1
# loads the engine (LD_LIBRARY_PATH), `fio --client` sends it a job file and reports the
# results; the client itself needs no engine. Bounded in time; the server is killed at the end.
# Usage: tests/fio/client-server.sh PLUGIN
set -euo pipefail
plugin=$(realpath "$1")
# shellcheck source=tests/fio/lib.sh
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /var/tmp/rl-fio.XXXXXX)
server=
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# A port the kernel just handed out on loopback: free unless something grabs it meanwhile.
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 120 env LD_LIBRARY_PATH="$(dirname "$plugin")" \
	${RINGLINE_FIO_PRELOAD:+LD_PRELOAD=$RINGLINE_FIO_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
	fio --server="ip:127.0.0.1,$port" >"$work/server.log" 2>&1 &
server=$!

server_listens() {
	"$python" - "$port" <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the fio server did not listen within 20 s")
PY
}

cat >"$work/job.fio" <<EOT
[client-server]
ioengine=ringline
filename=$work/data
direct=1
size=8m
bs=4k
rw=randwrite
iodepth=16
fixedbufs=1
verify=crc32c
EOT

client_runs_job() {
	timeout 120 fio --client="ip:127.0.0.1,$port" "$work/job.fio" --output-format=json \
		--output="$work/client.json" || { echo "fio --client exited with $?"; return 1; }
	check_json "$work/client.json" "bytes=client-server:write:8388608" \
		"bytes=client-server:read:8388608"
	"$python" -c 'import json, sys; j = json.load(open(sys.argv[1]))["client_stats"][0]
print("  reported by", j["hostname"], "engine", j["job options"]["ioengine"])' "$work/client.json"
}

check "fio --server on 127.0.0.1,$port listens" server_listens
check "fio --client runs an ioengine=ringline job and reports it" client_runs_job
if ! summary; then
	echo "server log:"
	cat "$work/server.log"
	exit 1
fi
