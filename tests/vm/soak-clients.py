#!/usr/bin/env python3
"""Bad clients for the soak (tests/vm/soak-guest.sh), one process for the whole run: in rounds
of a few seconds it opens idle connections that never send, slow-header connections (one byte
a second), clients that pipeline GET /metrics and never read, garbage requests and requests cut
off mid-header; it closes some of each every round, so the server sees connections come and go
for the whole run. Prints one summary line at the end.
Usage: soak-clients.py UNIX-SOCKET SECONDS"""
import random
import socket
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
held = []  # (kind, socket, bytes left to send slowly)
counts = {"idle": 0, "slow": 0, "pipeline": 0, "garbage": 0, "cut": 0, "refused": 0}


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(path)
    except OSError:
        counts["refused"] += 1
        s.close()
        return None
    s.setblocking(False)
    return s


def send(s, data):
    try:
        return s.send(data)
    except OSError:
        return 0


while time.monotonic() < end:
    for kind in ("idle", "slow", "pipeline", "garbage", "cut"):
        s = connect()
        if not s:
            continue
        counts[kind] += 1
        if kind == "idle":
            held.append((kind, s, b""))
        elif kind == "slow":
            held.append((kind, s, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
        elif kind == "pipeline":
            # about 1 MiB of requests, never reading an answer
            req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 512
            for _ in range(60):
                if send(s, req) <= 0:
                    break
            held.append((kind, s, b""))
        elif kind == "garbage":
            send(s, bytes(random.getrandbits(8) for _ in range(512)) + b"\r\n\r\n")
            s.close()
        else:
            send(s, b"GET /v1/devices HTTP/1.1\r\nHo")
            s.close()
    # the slow ones: one byte each
    keep = []
    for kind, s, rest in held:
        if rest:
            send(s, rest[:1])
            rest = rest[1:]
        keep.append((kind, s, rest))
    held = keep
    # close a random half now and then, and everything past 40
    random.shuffle(held)
    while len(held) > 40 or (held and random.random() < 0.3):
        held.pop()[1].close()
    time.sleep(1)
for _, s, _ in held:
    s.close()
print(" ".join("%s=%d" % kv for kv in counts.items()))
