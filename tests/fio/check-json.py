#!/usr/bin/env python3
"""Check fio's JSON output (--output-format=json) against what a test expects.

Usage: check-json.py FILE [CLAUSE...]
  only=PREFIX           check only the jobs whose names start with PREFIX
  verified=BYTES        every job whose name contains verify-: wrote BYTES and read back
                        BYTES (fio's verify phase reads all it wrote)
  bytes=JOB:DIR:BYTES   JOB moved BYTES in DIR (read, write or trim)
  sync=JOB              JOB ran fsync/fdatasync commands (the engine's flush path)
  error=JOB:ERRNO       JOB failed with ERRNO
Reads "jobs", or "client_stats" from fio --client. Every job without an error= clause must
report error 0 and, when fio counts them (with continue_on_error), total_err 0. Prints one line
per job; exit status 1 on any mismatch.
"""
import json
import sys


def parse(clauses):
    want = {"only": "", "verified": None, "bytes": [], "sync": set(), "error": {}}
    for c in clauses:
        key, _, val = c.partition("=")
        if key == "only":
            want["only"] = val
        elif key == "verified":
            want["verified"] = int(val)
        elif key == "bytes":
            job, ddir, n = val.split(":")
            want["bytes"].append((job, ddir, int(n)))
        elif key == "sync":
            want["sync"].add(val)
        elif key == "error":
            job, err = val.split(":")
            want["error"][job] = int(err)
        else:
            sys.exit(f"check-json.py: unknown clause {c!r}")
    return want


def check_job(name, j, want):
    bad = []
    err = want["error"].get(name, 0)
    if j["error"] != err:
        bad.append(f"error {j['error']}, expected {err}")
    if err == 0 and j.get("total_err", 0):
        bad.append(f"total_err {j['total_err']}")
    if want["verified"] is not None and "verify-" in name:
        for ddir in ("write", "read"):
            if j[ddir]["io_bytes"] != want["verified"]:
                bad.append(f"{ddir} {j[ddir]['io_bytes']} bytes, expected {want['verified']}")
    for job, ddir, n in want["bytes"]:
        if job == name and j[ddir]["io_bytes"] != n:
            bad.append(f"{ddir} {j[ddir]['io_bytes']} bytes, expected {n}")
    if name in want["sync"] and not j["sync"]["total_ios"]:
        bad.append("no fsync/fdatasync ran")
    return bad


def main():
    path, want = sys.argv[1], parse(sys.argv[2:])
    with open(path) as f:
        out = json.load(f)
    # fio --client reports the server's jobs as client_stats, each with its hostname.
    jobs = {j["jobname"]: j for j in out.get("jobs", out.get("client_stats", []))
            if j["jobname"] != "All clients" and j["jobname"].startswith(want["only"])}
    named = {j for j, _, _ in want["bytes"]} | want["sync"] | set(want["error"])
    missing = sorted(named - set(jobs)) or ([] if jobs else [want["only"] + "..."])
    failed = bool(missing)
    for m in missing:
        print(f"  FAIL no job named {m} in {path}")
    for name, j in jobs.items():
        bad = check_job(name, j, want)
        failed |= bool(bad)
        moved = ", ".join(f"{d} {j[d]['io_bytes']}" for d in ("write", "read", "trim")
                          if j[d]["io_bytes"])
        sync = f"; sync {j['sync']['total_ios']}" if j["sync"]["total_ios"] else ""
        print(f"  {'FAIL' if bad else 'ok'} {name}: error {j['error']}; {moved or 'no data'}"
              f"{sync}{''.join('; ' + b for b in bad)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
