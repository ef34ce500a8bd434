#!/usr/bin/env python3
"""Write the seed corpus of each fuzz target: fuzz/corpus/TARGET/seed-*.

The seeds are real-looking inputs in each target's input format (see the comment at the top of
fuzz/TARGET.c): HTTP conversations as curl and Prometheus hold them, the Identify pages and SMART
log of QEMU's emulated controller (the one tests/vm/nvme-vm boots), CLI arguments and listen
addresses as the README shows them. Inputs that once found a bug are kept beside them as
regress-* files, written by hand from the crash, and never touched here.

Usage: fuzz/make-corpus.py          (rewrites every seed-* file; run it after changing a format)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear():
    for target in os.listdir(os.path.join(HERE, "corpus")):
        d = os.path.join(HERE, "corpus", target)
        for name in os.listdir(d):
            if name.startswith("seed-"):
                os.unlink(os.path.join(d, name))


# ---- http: two configuration bytes, then events (fuzz/http.c) -------------------------------

TOKEN = 1
MAXREQ_64, MAXREQ_512, MAXREQ_2048 = 1 << 1, 2 << 1, 3 << 1
POOL_64K, POOL_24K, POOL_16K = 1 << 3, 2 << 3, 3 << 3
RATE_1, RATE_10, RATE_MANY = 1 << 5, 2 << 5, 3 << 5
CONNS_2 = 0x80
LOG_BUSY = 1
QUEUE_4K, QUEUE_16K, QUEUE_64K = 1 << 1, 2 << 1, 3 << 1


def send(k, data, chunk=255):
    """Peer k sends data, in chunks of at most chunk bytes (events 0 and 7)."""
    out = b""
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        if len(part) < 256:
            out += bytes([0 | k << 3, len(part)]) + part
        else:
            out += bytes([7 | k << 3]) + struct.pack("<H", len(part)) + part
    return out


def finish(k):
    return bytes([1 | k << 3])


SENDS = bytes([2])
TIMERS = bytes([3])


def logs(status):
    return bytes([4]) + struct.pack("<h", status)


def reset(k):
    return bytes([5 | k << 3])


STOP = bytes([6])


def http(name, cfg0, cfg1, *events):
    write("http", name, bytes([cfg0, cfg1]) + b"".join(events))


def get(path, *headers, version="1.1", method="GET"):
    lines = [f"{method} {path} HTTP/{version}", "Host: localhost:9100",
             "User-Agent: curl/7.88.1", "Accept: */*", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def scrape():
    return (b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\n"
            b"User-Agent: Prometheus/2.42.0\r\nAccept: application/openmetrics-text;"
            b"version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
            b"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n")


def http_seeds():
    http("metrics", 0, 0, send(0, get("/metrics")), SENDS, finish(0))
    http("prometheus-scrape", 0, 0, send(0, scrape()), SENDS, send(0, scrape()), SENDS)
    http("pipelined", 0, 0,
         send(0, get("/v1/status") + get("/v1/devices") + get("/metrics?x=1")), SENDS)
    http("split-request", 0, 0, send(0, get("/v1/devices"), chunk=7), SENDS)
    http("health", 0, 0, send(0, get("/v1/devices/ng0n1/health")), logs(0), SENDS)
    http("health-two-waiters", 0, 0, send(0, get("/v1/devices/ng0n1/health")),
         send(1, get("/v1/devices/ng0n1/health", "Connection: close")), logs(0), SENDS,
         send(0, get("/metrics")), SENDS)
    http("health-nvme-error", 0, 0, send(0, get("/v1/devices/ng0n1/health")),
         logs(0x4002), SENDS, send(0, get("/v1/devices/ng0n1/health")), logs(-5), SENDS)
    http("health-busy", 0, LOG_BUSY, send(0, get("/v1/devices/ng0n1/health")), SENDS)
    http("health-not-nvme", 0, 0,
         send(0, get("/v1/devices/ringline.img/health") + get("/v1/devices/ng9n9/health") +
              get("/v1/devices//health")), SENDS)
    http("not-found-and-methods", 0, 0,
         send(0, get("/nope") + get("/metrics", method="POST") +
              get("/v1/devices/ng0n1/health", method="DELETE") +
              get("/metrics", method="HEAD")), SENDS)
    http("http10-and-close", 0, 0, send(0, get("/v1/status", version="1.0")), SENDS,
         send(1, get("/metrics", "Connection: close") + get("/v1/status")), SENDS)
    http("malformed", 0, 0, send(0, b"GET /metrics HTTP/1.1\r\nHost localhost\r\n\r\n"), SENDS,
         send(1, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), SENDS)
    http("body-and-chunked", 0, 0,
         send(0, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
              b"PUT /v1/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\nhello\r\n0\r\n\r\n" + get("/metrics")), SENDS)
    http("header-too-large", MAXREQ_64, 0, send(0, get("/v1/status")), SENDS)
    http("body-too-large", MAXREQ_512, 0,
         send(0, b"POST /metrics HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 600),
         SENDS)
    http("token", TOKEN, 0,
         send(0, get("/metrics", "Authorization: Bearer s3cret") + get("/metrics") +
              get("/v1/status", "Authorization: bearer s3cret") +
              get("/v1/status", "Authorization: Bearer s3cre") +
              get("/v1/status", "Authorization: Basic czNjcmV0")), SENDS)
    http("rate-limited", RATE_1, 0, send(0, get("/v1/status") * 5), SENDS, TIMERS, SENDS,
         TIMERS, send(1, get("/metrics")), TIMERS, SENDS)
    http("connection-limit", CONNS_2, 0, send(0, get("/v1/status")), send(1, get("/metrics")),
         send(2, get("/v1/devices")), SENDS, finish(0), send(2, get("/v1/devices")), SENDS)
    http("send-room", POOL_16K | MAXREQ_2048, QUEUE_4K,
         send(0, scrape() * 3), send(1, get("/v1/devices")), SENDS, SENDS, SENDS)
    http("reset-mid-request", 0, 0, send(0, get("/v1/devices/ng0n1/health")), reset(0),
         logs(0), send(0, get("/metrics")[:20]), reset(0), SENDS)
    http("stop-in-flight", RATE_1, 0, send(0, get("/v1/devices/ng0n1/health")),
         send(1, get("/v1/status") * 3), STOP, logs(0), TIMERS)
    http("eof-mid-request", 0, 0, send(0, get("/metrics") + get("/v1/status")[:30]), finish(0),
         SENDS)


# ---- cli: a mode byte, then a string or NUL-separated arguments (fuzz/cli.c) ----------------


def cli_seeds():
    for i, s in enumerate(["4096", "4k", "128K", "1KiB", "16m", "1g", "2T", "512b", "0",
                           "18446744073709551615", "17179869184g", "1x", "4 k", "-1"]):
        write("cli", f"size-{i}", b"\0" + s.encode())

    def args(mode, name, line):
        write("cli", name, bytes([mode]) + line.replace(" ", "\0").encode())

    for i, line in enumerate([
            "--rw randrw --bs 128k --qd 64 --time 5 /dev/ng0n1",
            "--rw write --bs 4k --count 100000 --batch 8 --json /var/tmp/f",
            "/dev/ng0n1 --passthrough --poll --no-fixedbufs --sqpoll",
            "--ramp 1 --time 2.5 --size 1g --listen 127.0.0.1:0 f",
            "--qd 4 --batch 8 f", "--time 1 --count 5 f", "--bs 0 f", "--bogus f", "--help"]):
        args(1, f"bench-{i}", line)
    for i, line in enumerate([
            "--bs 512 --time 10 /dev/ng0n2",
            "--qd 1,2,...,128 --time 2 --plot sweep.svg --hist sweep.csv /dev/ng0n1",
            "--compare --rounds 8 --count 4000 /dev/ng0n1",
            "--slowest 20 --json /dev/ng0n1", "--qd 1,3,...,2 f", "--compare --poll f"]):
        args(2, f"lat-{i}", line)
    for i, line in enumerate([
            "--listen 127.0.0.1:9100 /dev/ng0n1",
            "--listen :0 --token s3cret --rate 2.5 --max-conns 64 --idle-timeout 60000 "
            "--max-request 8k --max-rate 100 /dev/ng0n1 /dev/ng0n2",
            "--listen unix:/run/ringline.sock --max-conns 0 f", "--token  --listen :0 f",
            "/dev/ng0n1"]):
        args(3, f"serve-{i}", line)


# ---- addr: the address (fuzz/addr.c) ---------------------------------------------------------


def addr_seeds():
    for i, a in enumerate(["127.0.0.1:9100", ":9100", "9100", "0.0.0.0:0", "[::1]:9100",
                           "[fe80::1%lo]:80", "unix:/run/ringline.sock", "unix:", "host:",
                           "localhost:9100", "[::]:65535", "127.0.0.1:65536"]):
        write("addr", f"{i}", a.encode())


# ---- identify: Identify Controller (4096 bytes), then Identify Namespace (fuzz/identify.c) --


def pad(s, n):
    return s.encode().ljust(n, b" ")


def id_ctrl(mdts=7):
    """QEMU 7.2's emulated controller, as tests/vm/nvme-vm starts it (serial ringline0)."""
    c = bytearray(4096)
    struct.pack_into("<HH", c, 0, 0x1b36, 0x1af4)
    c[4:24] = pad("ringline0", 20)
    c[24:64] = pad("QEMU NVMe Ctrl", 40)
    c[64:72] = pad("7.2.15", 8)
    c[72] = 6  # RAB
    c[73:76] = bytes([0x00, 0x54, 0x52])  # IEEE OUI 52:54:00
    c[77] = mdts
    struct.pack_into("<I", c, 80, 0x00010400)  # NVMe 1.4
    struct.pack_into("<H", c, 256, 0x000a)  # OACS: format, namespace management
    c[258], c[259], c[260], c[261] = 3, 3, 3, 0x07
    c[512], c[513] = 0x66, 0x44  # SQES, CQES
    struct.pack_into("<I", c, 516, 256)  # NN
    struct.pack_into("<H", c, 520, 0x015d)  # ONCS
    c[525] = 0x07  # VWC
    c[768:768 + 28] = b"nqn.2019-08.org.qemu:ringline0"[:28]
    return bytes(c)


def id_ns(flbas=0, size=64 << 20, formats=None, nlbaf=None):
    """An emulated namespace: 8 formats, 512 and 4096 bytes with 0, 8, 16, 64 of metadata."""
    formats = formats or [(9, 0), (9, 8), (9, 16), (9, 64), (12, 0), (12, 8), (12, 16), (12, 64)]
    n = bytearray(4096)
    fmt = (flbas & 0xf) | (flbas >> 5 & 3) << 4
    blocks = size >> formats[fmt if fmt < len(formats) else 0][0]
    struct.pack_into("<QQQ", n, 0, blocks, blocks, blocks // 4)
    n[24] = 0x14  # NSFEAT: DULBE, optimal I/O fields
    n[25] = len(formats) - 1 if nlbaf is None else nlbaf
    n[26] = flbas
    n[33] = 0x09  # DLFEAT: reads zeroes after deallocate, Write Zeroes deallocates
    for i, (ds, ms) in enumerate(formats):
        struct.pack_into("<HBB", n, 128 + 4 * i, ms, ds, 0)
    return bytes(n)


def identify_seeds():
    write("identify", "qemu-512", id_ctrl() + id_ns(0))
    write("identify", "qemu-4096", id_ctrl() + id_ns(4, size=1 << 30))
    write("identify", "qemu-4096-extended-8", id_ctrl() + id_ns(5 | 0x10))
    write("identify", "mdts-0", id_ctrl(mdts=0) + id_ns(0))
    write("identify", "mdts-huge", id_ctrl(mdts=0xff) + id_ns(4))
    many = [(9, 0)] * 40 + [(12, 0)] + [(9, 0)] * 23
    write("identify", "format-37-of-64", id_ctrl() + id_ns(2 << 5 | 5, formats=many))
    write("identify", "format-past-reported", id_ctrl() + id_ns(9))
    write("identify", "lba-size-2-to-the-8", id_ctrl() + id_ns(0, formats=[(8, 0)]))
    write("identify", "lba-size-2-to-the-17", id_ctrl() + id_ns(0, formats=[(17, 0)]))
    write("identify", "nlbaf-255", id_ctrl() + id_ns(4, nlbaf=255))


# ---- smart: the 512-byte SMART / Health log page (fuzz/smart.c) -----------------------------


# ---- zones: a Report Zones buffer (fuzz/zones.c) ---------------------------------------------

# Zone states (ZS, bits 7:4 of byte 1) and QEMU's zone type 2 (sequential write required).
EMPTY, IMP_OPEN, EXP_OPEN, CLOSED, READ_ONLY, FULL, OFFLINE = 1, 2, 3, 4, 0xD, 0xE, 0xF


def zone_desc(zslba, wp, zcap=3072, state=EMPTY, ztype=2, attrs=0):
    return struct.pack("<BBBB4xQQQ32x", ztype, state << 4, attrs, 0, zcap, zslba, wp)


def zone_report(nr, descs):
    return struct.pack("<Q56x", nr) + b"".join(descs)


def zones_seeds():
    zsze = 4096  # tests/vm/run-zns-tests.sh: 16 MiB zones of 4 KiB blocks, 12 MiB capacity
    empty = [zone_desc(i * zsze, i * zsze) for i in range(16)]
    write("zones", "qemu-16-empty", zone_report(16, empty))
    mixed = [zone_desc(0, 35, state=IMP_OPEN), zone_desc(zsze, zsze, state=CLOSED),
             zone_desc(2 * zsze, 2**64 - 1, state=FULL), zone_desc(3 * zsze, 3 * zsze),
             zone_desc(4 * zsze, 4 * zsze, state=EXP_OPEN),
             zone_desc(5 * zsze, 2**64 - 1, state=READ_ONLY),
             zone_desc(6 * zsze, 2**64 - 1, state=OFFLINE, attrs=0x81)]
    write("zones", "qemu-mixed-states", zone_report(7, mixed))
    write("zones", "not-partial-count-above-buffer", zone_report(1000, empty[:4]))
    write("zones", "header-only", zone_report(0, []))
    write("zones", "truncated-descriptor", zone_report(2, empty[:2])[:64 + 64 + 20])


def smart_log(temp_k=323, spare=100, thresh=10, used=0, dur=42, duw=7, reads=10000, writes=1000,
              busy=0, cycles=1, hours=5, unsafe=0, media=0, errors=0):
    s = bytearray(512)
    s[0] = 0
    struct.pack_into("<HBBB", s, 1, temp_k, spare, thresh, used)
    for off, v in [(32, dur), (48, duw), (64, reads), (80, writes), (96, busy), (112, cycles),
                   (128, hours), (144, unsafe), (160, media), (176, errors)]:
        s[off:off + 16] = v.to_bytes(16, "little")
    return bytes(s)


def smart_seeds():
    write("smart", "qemu", smart_log())
    write("smart", "worn", smart_log(temp_k=358, spare=3, used=101, hours=61000, unsafe=17,
                                     media=4, errors=250))
    write("smart", "counters-past-2-to-the-63", smart_log(dur=2**63 + 5, reads=2**64 - 1))
    write("smart", "counters-past-2-to-the-64", smart_log(dur=2**64, duw=2**128 - 1))


# ---- nbd: two configuration bytes, then events (fuzz/nbd.c) --------------------------------

NBD_RO, NBD_FILE, NBD_SLAB4, NBD_REQS4 = 1, 2, 32, 16
NBD_CONN_REQS_1, NBD_CONN_REQS_8 = 0 << 2, 2 << 2
NBD_POOL_8K = 2 << 6
NBD_BUFS_8, NBD_QUEUE_4K = 1, 1 << 1
IHAVEOPT = struct.pack(">Q", 0x49484156454F5054)


def io(how=0):
    """Device commands complete: 0 success, 1 -EIO, 2 -EOPNOTSUPP, 3 NVMe status; +4 newest."""
    return bytes([4, how])


def opt(code, data=b""):
    return IHAVEOPT + struct.pack(">II", code, len(data)) + data


def go(name=b"", infos=()):
    return opt(7, struct.pack(">I", len(name)) + name + struct.pack(">H", len(infos)) +
               b"".join(struct.pack(">H", i) for i in infos))


def req(cmd, off, length, cookie=1, flags=0, payload=b""):
    return struct.pack(">IHHQQI", 0x25609513, flags, cmd, cookie, off, length) + payload


def nbd(name, cfg0, cfg1, *events):
    write("nbd", name, bytes([cfg0, cfg1]) + b"".join(events))


def nbd_seeds():
    flags = struct.pack(">I", 3)  # FIXED_NEWSTYLE | NO_ZEROES
    hello = flags + go(infos=(1, 2, 3))
    work = (req(1, 0, 4096, 1, payload=b"a" * 4096) + req(0, 0, 4096, 2) + req(3, 0, 0, 3) +
            req(4, 8192, 8192, 4) + req(6, 65536, 65536, 5) + req(1, 4096, 512, 6, 1, b"b" * 512) +
            req(6, 0, 4096, 7, 2) + req(2, 0, 0, 8))
    for cfg0, tag in ((0, "nvme"), (NBD_FILE, "file")):
        nbd("go-read-write-flush-trim-zeroes-" + tag, cfg0, 0, send(0, hello + work), io(),
            SENDS, io(), SENDS, io(), SENDS, finish(0))
    nbd("options", 0, 0,
        send(0, flags + opt(8) + opt(42, b"xyz") + opt(3) + opt(3, b"x") +
             opt(6, struct.pack(">I", 4) + b"nope" + struct.pack(">H", 0)) +
             opt(6, struct.pack(">I", 0) + struct.pack(">HHH", 2, 0, 3)) + go(b"ng0n1")),
        SENDS, send(0, req(0, 0, 512)), io(), SENDS, finish(0))
    nbd("export-name", NBD_FILE, 0, send(0, struct.pack(">I", 1) + opt(1, b"")), SENDS,
        send(0, req(0, 0, 4096)), io(), SENDS, send(1, flags + opt(1, b"wrong")), SENDS,
        send(2, flags + opt(2)), SENDS)
    nbd("out-of-range-and-refused", 0, 0, send(0, hello), SENDS,
        send(0, req(0, 64 << 20, 4096, 1) + req(1, (64 << 20) - 512, 1024, 2, 0, b"c" * 1024) +
             req(0, 100, 512, 3) + req(0, 0, 64 << 20, 4) + req(99, 0, 0, 5) +
             req(0, 0, 512, 6, 1 << 7) + req(5, 0, 512, 7)), io(), SENDS)
    big = b"".join(bytes([i & 0xFF]) * 4096 for i in range(40))
    nbd("160k-write-in-pieces-then-read", NBD_FILE, 0, send(0, hello), SENDS,
        send(0, req(1, 0, len(big), 9, 0, big), chunk=65535), io(), io(4), SENDS,
        send(0, req(0, 0, len(big), 10)), io(), SENDS, SENDS, SENDS)
    nbd("read-only", NBD_RO, 0, send(0, hello + work), io(), SENDS)
    nbd("busy-slab-small-queues", NBD_SLAB4 | NBD_CONN_REQS_1 | NBD_POOL_8K,
        NBD_BUFS_8 | NBD_QUEUE_4K, send(0, hello), send(1, hello), SENDS,
        send(0, b"".join(req(0, i * 131072, 131072, i) for i in range(8))),
        send(1, b"".join(req(1, i * 4096, 4096, i, 0, b"d" * 4096) for i in range(8))),
        io(1), io(4), io(2), SENDS, io(), SENDS, io(3), SENDS)
    nbd("errors-and-stop", NBD_REQS4, 0, send(0, hello + work), io(1), STOP, io(3), SENDS,
        TIMERS, reset(0))
    nbd("garbage-and-timeouts", 0, 0, send(0, b"\xff" * 4 + b"GET / HTTP/1.1\r\n\r\n"),
        send(1, flags + b"NOTMAGIC" + bytes(8)), send(2, hello + struct.pack(">I", 0xDEADBEEF)),
        send(3, flags + opt(7)[:10]), TIMERS, TIMERS, SENDS)


if __name__ == "__main__":
    clear()
    http_seeds()
    cli_seeds()
    addr_seeds()
    identify_seeds()
    smart_seeds()
    zones_seeds()
    nbd_seeds()
