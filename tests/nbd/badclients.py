#!/usr/bin/env python3
"""Raw NBD clients against `ringline nbd`: the handshake's answers, out-of-range and refused
requests (the connection goes on), and bad clients (garbage, a bad magic, a client that never
reads its replies, a silent one), each of which must cost only its own connection.

Usage: badclients.py HOST PORT SIZE CHECK...   (CHECK: a function name below without check_)
Prints PASS/FAIL per check; exit status 1 if any failed.
"""
import json
import os
import socket
import struct
import sys
import time
import urllib.request

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
REPMAGIC = 0x3E889045565A9
REQ_MAGIC = 0x25609513
SIMPLE_MAGIC = 0x67446698
ERR_UNSUP, ERR_INVALID, ERR_UNKNOWN = 2**31 + 1, 2**31 + 3, 2**31 + 6
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_INFO, OPT_GO, OPT_STRUCTURED = 1, 2, 3, 6, 7, 8
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH, CMD_TRIM, CMD_ZEROES = 0, 1, 2, 3, 4, 6
EPERM, EINVAL, ENOSPC = 1, 22, 28

HOST, PORT, SIZE = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError(f"closed after {len(b)} of {n} bytes")
        b += c
    return b


def connect():
    s = socket.create_connection((HOST, PORT), timeout=10)
    magic, opt, flags = struct.unpack(">QQH", recvn(s, 18))
    assert magic == NBDMAGIC and opt == IHAVEOPT, "bad greeting"
    assert flags & 1, "not fixed newstyle"
    s.sendall(struct.pack(">I", 3))  # FIXED_NEWSTYLE | NO_ZEROES
    return s


def option(s, opt, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)


def opt_reply(s):
    magic, opt, rtype, n = struct.unpack(">QIII", recvn(s, 20))
    assert magic == REPMAGIC, f"bad option reply magic {magic:#x}"
    return opt, rtype, recvn(s, n)


def go(s, name=b""):
    option(s, OPT_GO, struct.pack(">I", len(name)) + name + struct.pack(">H", 0))
    infos = {}
    while True:
        _, rtype, data = opt_reply(s)
        if rtype == 1:
            return infos
        if rtype != 3:
            return rtype
        infos[struct.unpack(">H", data[:2])[0]] = data[2:]


def transmission():
    s = connect()
    infos = go(s)
    assert isinstance(infos, dict), f"GO failed: {infos:#x}"
    return s


def request(s, cmd, off, length, cookie=1, flags=0, payload=b""):
    s.sendall(struct.pack(">IHHQQI", REQ_MAGIC, flags, cmd, cookie, off, length) + payload)


def reply(s, datalen=0):
    magic, err, cookie = struct.unpack(">IIQ", recvn(s, 16))
    assert magic == SIMPLE_MAGIC, f"bad reply magic {magic:#x}"
    data = recvn(s, datalen) if not err and datalen else b""
    return err, cookie, data


def roundtrip(s, cmd, off, length, payload=b"", flags=0, cookie=7):
    request(s, cmd, off, length, cookie, flags, payload)
    err, c, data = reply(s, length if cmd == CMD_READ else 0)
    assert c == cookie, f"cookie {c} for {cookie}"
    return err, data


def closed(s, within=5.0):
    s.settimeout(within)
    try:
        while s.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def check_handshake_answers():
    s = connect()
    option(s, OPT_STRUCTURED)
    assert opt_reply(s)[1] == ERR_UNSUP, "structured reply: expected ERR_UNSUP"
    option(s, 42, b"xyz")
    assert opt_reply(s)[1] == ERR_UNSUP, "unknown option: expected ERR_UNSUP"
    option(s, OPT_LIST, b"x")
    assert opt_reply(s)[1] == ERR_INVALID, "LIST with data: expected ERR_INVALID"
    option(s, OPT_LIST)
    _, rtype, data = opt_reply(s)
    assert rtype == 2 and struct.unpack(">I", data[:4])[0] > 0, "LIST: expected a server"
    assert opt_reply(s)[1] == 1, "LIST: expected ACK"
    assert go(s, b"no-such-export") == ERR_UNKNOWN, "wrong name: expected ERR_UNKNOWN"
    option(s, OPT_INFO, struct.pack(">I", 0) + struct.pack(">HH", 1, 3))
    types = set()
    while True:
        _, rtype, data = opt_reply(s)
        if rtype == 1:
            break
        types.add(struct.unpack(">H", data[:2])[0])
        if data[:2] == b"\0\0":
            assert struct.unpack(">Q", data[2:10])[0] == SIZE, "INFO: wrong size"
    assert types == {0, 1, 2, 3}, f"INFO: info types {types}"
    infos = go(s)
    assert isinstance(infos, dict) and 3 in infos, "GO: expected infos with BLOCK_SIZE"
    mn, pref, mx = struct.unpack(">III", infos[3])
    assert mn >= 512 and pref >= 4096 and mx >= 32 << 20, f"block sizes {mn} {pref} {mx}"
    assert roundtrip(s, CMD_FLUSH, 0, 0) == (0, b"")
    option_abort = connect()
    option(option_abort, OPT_ABORT)
    assert opt_reply(option_abort)[1] == 1 and closed(option_abort), "ABORT: ACK, then close"


def check_export_name():
    s = connect()
    option(s, OPT_EXPORT_NAME, b"")
    size, flags = struct.unpack(">QH", recvn(s, 10))
    assert size == SIZE and flags & 1, "EXPORT_NAME: size and flags"
    assert roundtrip(s, CMD_READ, 0, 4096)[0] == 0
    bad = connect()
    option(bad, OPT_EXPORT_NAME, b"nope")
    assert closed(bad), "EXPORT_NAME with a wrong name: expected a disconnect"


def check_out_of_range():
    s = transmission()
    assert roundtrip(s, CMD_READ, SIZE, 4096)[0] == EINVAL, "read past the end"
    assert roundtrip(s, CMD_READ, SIZE - 4096, 8192)[0] == EINVAL, "read across the end"
    assert roundtrip(s, CMD_WRITE, SIZE, 4096, b"x" * 4096)[0] == ENOSPC, "write past the end"
    assert roundtrip(s, CMD_ZEROES, SIZE, 4096)[0] == ENOSPC, "zeroes past the end"
    assert roundtrip(s, CMD_TRIM, SIZE, 4096)[0] == EINVAL, "trim past the end"
    assert roundtrip(s, CMD_READ, 100, 4096)[0] == EINVAL, "unaligned read"
    assert roundtrip(s, CMD_READ, 0, 64 << 20)[0] == EINVAL, "read over the maximum payload"
    assert roundtrip(s, 99, 0, 0)[0] == EINVAL, "unknown command"
    assert roundtrip(s, CMD_READ, 0, 4096, flags=1 << 7)[0] == EINVAL, "unknown flag"
    # ... and the connection goes on.
    pattern = bytes(range(256)) * 16
    assert roundtrip(s, CMD_WRITE, 8192, 4096, pattern)[0] == 0
    assert roundtrip(s, CMD_READ, 8192, 4096) == (0, pattern), "read back after errors"
    assert roundtrip(s, CMD_WRITE, 8192, 4096, pattern, flags=1)[0] == 0, "FUA write"
    assert roundtrip(s, CMD_ZEROES, 8192, 4096)[0] == 0
    assert roundtrip(s, CMD_READ, 8192, 4096) == (0, b"\0" * 4096), "zeroes read back"
    request(s, CMD_DISC, 0, 0)
    assert closed(s), "DISC: expected the server to close"


def check_out_of_order_and_split():
    s = transmission()
    big = bytes((i * 7) & 0xFF for i in range(4 << 20))
    request(s, CMD_WRITE, 0, len(big), cookie=1, payload=big)
    assert reply(s) == (0, 1, b"")
    for c in range(2, 34):  # 32 reads in flight, one of them large
        off, n = (0, 4 << 20) if c == 2 else ((c * 4096) % (4 << 20), 4096)
        request(s, CMD_READ, off, n, cookie=c)
    seen = set()
    for _ in range(32):
        magic, err, c = struct.unpack(">IIQ", recvn(s, 16))
        assert magic == SIMPLE_MAGIC and err == 0
        data = recvn(s, (4 << 20) if c == 2 else 4096)
        off = 0 if c == 2 else (c * 4096) % (4 << 20)
        assert data == big[off:off + len(data)], f"read {c}: wrong data"
        seen.add(c)
    assert seen == set(range(2, 34)), "every cookie answered once"


def check_read_only():
    s = transmission()
    assert roundtrip(s, CMD_WRITE, 0, 4096, b"y" * 4096)[0] == EPERM, "write: EPERM"
    assert roundtrip(s, CMD_TRIM, 0, 4096)[0] == EPERM, "trim: EPERM"
    assert roundtrip(s, CMD_ZEROES, 0, 4096)[0] == EPERM, "zeroes: EPERM"
    assert roundtrip(s, CMD_READ, 0, 4096)[0] == 0, "read: fine"


def check_garbage():
    s = socket.create_connection((HOST, PORT), timeout=10)
    recvn(s, 18)
    s.sendall(b"\xff" * 4 + b"GET / HTTP/1.1\r\n\r\n" * 100)
    assert closed(s), "unknown client flags and garbage: expected a close"


def check_bad_option_magic():
    s = connect()
    s.sendall(b"NOTMAGIC" + b"\0" * 8)
    assert closed(s), "bad option magic: expected a close"


def check_bad_request_magic():
    s = transmission()
    s.sendall(struct.pack(">IHHQQI", 0xDEADBEEF, 0, 0, 1, 0, 4096))
    assert closed(s), "bad request magic: expected a close"


def check_never_reads():
    """Sends 500,000 1 MiB reads (14 MB of requests) and reads nothing: the server must stop
    reading (its memory stays bounded) and go on serving other clients."""
    s = transmission()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    blob = b"".join(struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_READ, c, 0, 1 << 20)
                    for c in range(500000))
    s.settimeout(2)
    sent = 0
    try:
        while sent < len(blob):
            sent += s.send(blob[sent:sent + (1 << 20)])
    except socket.timeout:
        pass  # the server stopped reading from us: backpressure
    assert sent < len(blob), "the server kept reading requests it could not answer"
    other = transmission()
    assert roundtrip(other, CMD_READ, 0, 4096)[0] == 0, "another client is served"
    s.close()


def check_silent():
    """Connects and says nothing: closed by the handshake timeout (the test sets it to 1 s)."""
    s = socket.create_connection((HOST, PORT), timeout=10)
    recvn(s, 18)
    t0 = time.monotonic()
    assert closed(s, 5.0), "a silent client: expected the handshake timeout to close it"
    assert time.monotonic() - t0 > 0.5, "closed too early"


def check_idle_reclaimed():
    """At the connection limit (64, the default, on a server of its own) a new connection takes
    the place of the one idle longest: a connection in transmission with no request."""
    conns = [transmission() for _ in range(64)]
    assert roundtrip(conns[0], CMD_READ, 0, 4096)[0] == 0  # conns[0] idle again, but newest
    time.sleep(0.2)
    new = transmission()
    assert roundtrip(new, CMD_READ, 0, 4096)[0] == 0, "the new connection is served"
    assert closed(conns[1], 5.0), "the connection idle longest was not closed"
    for s in (conns[0], conns[2], conns[63]):
        assert roundtrip(s, CMD_READ, 0, 4096)[0] == 0, "another idle one was closed"
    for s in conns + [new]:
        s.close()


def check_request_timeout():
    """Part of a request header, or a WRITE's header and part of its payload, then silence:
    closed by the request timeout (the test sets it to 1 s); another client is served."""
    half_header = transmission()
    half_header.sendall(struct.pack(">IHHQQI", REQ_MAGIC, 0, CMD_READ, 1, 0, 4096)[:10])
    half_payload = transmission()
    request(half_payload, CMD_WRITE, 0, 65536, cookie=2, payload=b"z" * 1000)
    t0 = time.monotonic()
    assert closed(half_header, 5.0), "a partial header and silence: expected a close"
    assert closed(half_payload, 5.0), "a partial payload and silence: expected a close"
    assert time.monotonic() - t0 > 0.5, "closed too early"
    other = transmission()
    assert roundtrip(other, CMD_READ, 0, 4096)[0] == 0, "another client is served"


def metrics():
    with urllib.request.urlopen(os.environ["NBD_METRICS_URL"], timeout=10) as r:
        text = r.read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def check_metrics():
    """16 connections with known traffic (spread by SO_REUSEPORT over the server's engines):
    /metrics must show exactly that traffic, summed over every engine."""
    conns = [transmission() for _ in range(16)]
    for i, s in enumerate(conns):
        for _ in range(3):
            assert roundtrip(s, CMD_READ, 0, 4096)[0] == 0
        for j in range(2):
            assert roundtrip(s, CMD_WRITE, (1 << 20) + (2 * i + j) * 8192, 8192,
                             b"m" * 8192)[0] == 0
        assert roundtrip(s, CMD_WRITE, 4 << 20, 4096, b"f" * 4096, flags=1)[0] == 0
        assert roundtrip(s, CMD_READ, SIZE, 4096)[0] == EINVAL
        assert roundtrip(s, CMD_WRITE, SIZE, 4096, b"x" * 4096)[0] == ENOSPC
        assert roundtrip(s, CMD_FLUSH, 0, 0)[0] == 0
    want = {
        'ringline_nbd_requests_total{cmd="read"}': 64,
        'ringline_nbd_requests_total{cmd="write"}': 64,
        'ringline_nbd_requests_total{cmd="flush"}': 16,
        'ringline_nbd_errors_total{cmd="read"}': 16,
        'ringline_nbd_errors_total{cmd="write"}': 16,
        'ringline_nbd_bytes_total{cmd="read"}': 16 * 3 * 4096,
        'ringline_nbd_bytes_total{cmd="write"}': 16 * (2 * 8192 + 4096),
        'ringline_nbd_error_replies_total{error="EINVAL"}': 16,
        'ringline_nbd_error_replies_total{error="ENOSPC"}': 16,
        'ringline_nbd_error_replies_total{error="EIO"}': 0,
        'ringline_nbd_fua_commands_total': 16,
        'ringline_nbd_request_seconds_count{cmd="read"}': 64,
        'ringline_nbd_request_seconds_count{cmd="write"}': 64,
        'ringline_nbd_request_seconds_bucket{cmd="flush",le="+Inf"}': 16,
        'ringline_nbd_handshakes_total': 16,
        'ringline_nbd_connections': 16,
        'ringline_nbd_inflight': 0,
    }
    deadline = time.monotonic() + 5
    while True:  # each engine publishes its counters four times a second
        m = metrics()
        bad = {k: (m.get(k), v) for k, v in want.items() if m.get(k) != v}
        if not bad or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not bad, f"metrics differ (got, want): {bad}"
    assert m['ringline_nbd_request_seconds_sum{cmd="read"}'] > 0
    # /v1/status: "server" sums the same over the engines, and their device commands: one read
    # or write command per 4 or 8 KiB request, one flush per FLUSH; refused ones none.
    want = {("engines",): 2, ("requests", "read", "ops"): 64, ("requests", "write", "errors"): 16,
            ("error_replies", "EINVAL"): 16, ("device", "read", "ops"): 48,
            ("device", "read", "bytes"): 48 * 4096, ("device", "write", "ops"): 48,
            ("device", "write", "bytes"): 16 * (2 * 8192 + 4096), ("device", "flush", "ops"): 16}
    url = os.environ["NBD_METRICS_URL"].replace("/metrics", "/v1/status")
    with urllib.request.urlopen(url, timeout=10) as r:
        server = json.load(r)["server"]
    got = {}
    for path in want:
        v = server
        for key in path:
            v = v.get(key, {}) if isinstance(v, dict) else None
        got[path] = v
    bad = {k: (got[k], v) for k, v in want.items() if got[k] != v}
    assert not bad, f"/v1/status server differs (got, want): {bad}"
    for s in conns:
        s.close()


def main():
    failed = 0
    for name in sys.argv[4:]:
        try:
            globals()["check_" + name]()
            print(f"PASS {name}")
        except Exception as e:  # noqa: BLE001: every failure is reported, then the next runs
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
