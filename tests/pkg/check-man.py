#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The man pages agree with the program and the library they describe.

ringline(1): the commands of `ringline help` are the commands of its COMMANDS section, and for
every command the options that `ringline COMMAND --help` lists (its usage line and its option
lines) are exactly the options of the "Options of ..." subsections that name that command.
libringline(3): it names every function libringline.so exports, and its EXAMPLE compiles
against the headers.

Both pages are read as generated (roff), so the generator is checked too.
"""
import argparse
import re
import subprocess
import sys
import tempfile

OPT = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def plain(roff_line):
    """A roff text line without font escapes, with real minus signs."""
    s = re.sub(r"\\f[BIRP]", "", roff_line)
    return s.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def man_sections(path):
    """{section: [lines]} of a roff man page, by .SH."""
    sections, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith(".SH "):
                cur = plain(line[4:]).strip().strip('"')
                sections[cur] = []
            elif cur:
                sections[cur].append(line)
    return sections


def tp_terms(lines):
    """(subsection, term) for each .TP in lines: the line after .TP, without markup."""
    sub = None
    for k, line in enumerate(lines):
        if line.startswith(".SS "):
            sub = plain(line[4:]).strip()
        elif line == ".TP" and k + 1 < len(lines):
            yield sub, plain(lines[k + 1])


def man_commands_and_options(path):
    sec = man_sections(path)
    for need in ("COMMANDS", "OPTIONS"):
        if need not in sec:
            sys.exit(f"FAIL: {path} has no {need} section")
    commands = [term.split()[0] for _, term in tp_terms(sec["COMMANDS"])]
    options = {c: set() for c in commands}
    grouped = set()
    for sub, term in tp_terms(sec["OPTIONS"]):
        m = re.match(r"^Options of (.+)$", sub or "")
        if not m:
            sys.exit(f"FAIL: {path}: option '{term}' is not under an 'Options of ...' heading")
        for c in re.split(r",\s*|\s+and\s+", m.group(1)):
            if c not in options:
                sys.exit(f"FAIL: {path}: 'Options of {m.group(1)}' names {c}, not a command")
            options[c].update(OPT.findall(term))
            grouped.add(c)
    return commands, options, grouped


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def help_commands(ringline):
    """The command names of `ringline help`: lines indented by two spaces under 'commands:'."""
    out, cmds, inside = run([ringline, "help"]), [], False
    for line in out.split("\n"):
        if line == "commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside and re.match(r"^  \w", line):
            cmds.append(line.split()[0])
    return cmds


def help_options(ringline, cmd):
    """Options in the usage line and at the start of option lines of `ringline CMD --help`."""
    out = run([ringline, cmd, "--help"])
    opts = set()
    for line in out.split("\n"):
        if line.startswith("usage:"):
            opts.update(OPT.findall(line.split(cmd, 1)[1]))
        m = re.match(r"^  (-\w, )?(--?[A-Za-z][\w-]*)", line)
        if m:
            opts.update(OPT.findall(m.group(0)))
    return opts


def check_ringline(args):
    failures = []
    man_cmds, man_opts, grouped = man_commands_and_options(args.man1)
    cmds = help_commands(args.ringline)
    if not cmds:
        sys.exit("FAIL: found no command in `ringline help`")
    for c in sorted(set(cmds) - set(man_cmds)):
        failures.append(f"`ringline help` lists {c}, ringline(1)'s COMMANDS does not")
    for c in sorted(set(man_cmds) - set(cmds)):
        failures.append(f"ringline(1) documents a command {c} that `ringline help` does not list")
    for c in cmds:
        if c in ("help", "version"):
            continue  # they take no options
        if c not in grouped:
            failures.append(f"ringline(1) has no 'Options of ...' subsection naming {c}")
            continue
        have = help_options(args.ringline, c)
        for o in sorted(have - man_opts[c]):
            failures.append(f"`ringline {c} --help` lists {o}, ringline(1) does not")
        for o in sorted(man_opts[c] - have):
            failures.append(f"ringline(1) documents {o} for {c}, `ringline {c} --help` does not")
        print(f"{c}: {' '.join(sorted(have))}")
    return failures, len(cmds)


def check_libringline(args):
    failures = []
    with open(args.man3, encoding="utf-8") as f:
        page = f.read()
    nm = run(["nm", "-D", "--defined-only", args.lib])
    exported = sorted({line.split()[-1] for line in nm.split("\n") if line.strip()})
    exported = [s for s in exported if s.startswith("rl_")]
    for name in exported:
        if not re.search(r"\b" + re.escape(name) + r"\(", page):
            failures.append(f"libringline(3) does not name {name}(), which libringline.so "
                            "exports: declare it with RL_EXPORT in a header of include/ringline")
    example = man_sections(args.man3).get("EXAMPLE", [])
    code = [plain(line) for line in example if not line.startswith(".")]
    if not code:
        failures.append("libringline(3) has no EXAMPLE")
    else:
        with tempfile.NamedTemporaryFile("w", suffix=".c") as src:
            src.write("\n".join(code) + "\n")
            src.flush()
            r = subprocess.run(["cc", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                                "-I", args.include, src.name], capture_output=True, text=True)
            if r.returncode:
                failures.append("libringline(3)'s EXAMPLE does not compile:\n" + r.stderr)
    return failures, len(exported)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    for a in ("--ringline", "--man1", "--man3", "--lib", "--include"):
        p.add_argument(a, required=True)
    args = p.parse_args()
    f1, ncmds = check_ringline(args)
    f3, nfuncs = check_libringline(args)
    for f in f1 + f3:
        print("FAIL: " + f)
    if f1 or f3:
        print("FAIL: the man sources are doc/ringline.1.md and doc/libringline.3.md")
        return 1
    print(f"ok: ringline(1) and --help agree on {ncmds} commands and their options; "
          f"libringline(3) names all {nfuncs} exported functions and its example compiles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
