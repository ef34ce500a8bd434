#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every metric a Grafana dashboard queries is one that a /metrics scrape exports.

Usage: check-dashboard.py DASHBOARD.json METRICS.txt [RULES.yml]

With RULES.yml, also writes the expressions (Grafana's variables replaced by values) as
Prometheus recording rules, for `promtool check rules` to parse.

Reads every PromQL expression of the dashboard (panel targets and template variables), and
checks that each ringline_* name in it is a family of the scrape (a histogram family gives
NAME_bucket, NAME_sum and NAME_count) and that each label the expression selects or groups by
is on that metric's samples (Prometheus's own instance and job excepted). A family with no
sample in the scrape (ringline_errors_total before any error) has its name checked only.
"""
import json
import re
import sys

PROM_LABELS = {"instance", "job", "__name__"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}


def exported(path):
    """({metric name: label names on its samples}, names with samples), for every family."""
    names, sampled = {}, set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^# TYPE (\S+) (\S+)", line)
            if m:
                name, kind = m.groups()
                names.setdefault(name, set())
                if kind == "histogram":
                    for suffix in ("_bucket", "_sum", "_count"):
                        names.setdefault(name + suffix, set())
                continue
            m = re.match(r"^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? ", line)
            if m:
                labels = set(re.findall(r'(\w+)="', m.group(3) or ""))
                names.setdefault(m.group(1), set()).update(labels)
                sampled.add(m.group(1))
    return names, sampled


def expressions(dash):
    """(where, PromQL) for each panel target and each query variable."""
    for p in dash.get("panels", []):
        for t in p.get("targets", []):
            if t.get("expr"):
                yield f"panel '{p.get('title')}'", t["expr"]
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"^label_values\((.*),\s*(\w+)\)$", q or "")
        if m:
            # label_values(SELECTOR, LABEL): the label must be on SELECTOR's metric.
            yield f"variable ${v['name']}", f"sum by ({m.group(2)}) ({m.group(1)})"
        elif q:
            yield f"variable ${v['name']}", q


def labels_used(expr):
    """Label names in selectors ({a="x", b=~"y"}) and in by/without clauses."""
    used = set(re.findall(r"[{,]\s*(\w+)\s*(?:=~|!~|!=|=)", expr))
    for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        used.update(x.strip() for x in group.split(",") if x.strip())
    return used - PROM_LABELS


def write_rules(path, exprs):
    """Prometheus recording rules of the expressions, Grafana's variables given values."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n")
        for k, e in enumerate(exprs):
            e = e.replace("$__rate_interval", "1m")
            e = re.sub(r"\$\w+", ".*", e)
            f.write(f"      - record: dashboard:query{k}\n        expr: {json.dumps(e)}\n")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        dash = json.load(f)
    names, sampled = exported(sys.argv[2])
    failures, queried, checked = [], set(), 0
    for where, expr in expressions(dash):
        checked += 1
        metrics = set(re.findall(r"\b(ringline_\w+)", expr))
        if not metrics:
            failures.append(f"{where}: queries no ringline metric: {expr}")
        for m in sorted(metrics - names.keys()):
            failures.append(f"{where}: queries {m}, which /metrics does not export")
        known = [m for m in metrics if m in names]
        queried.update(known)
        # A label must be on one of the expression's metrics (le: on the _bucket series).
        with_samples = [m for m in known if m in sampled]
        if with_samples:
            have = set().union(*(names[m] for m in with_samples))
            for label in sorted(labels_used(expr) - have - PROMQL_WORDS):
                failures.append(f"{where}: uses label {label}, which no sample of "
                                f"{', '.join(sorted(with_samples))} carries")
    if len(sys.argv) > 3:
        write_rules(sys.argv[3], [e for _, e in expressions(dash)])
    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    no_samples = sorted(queried - sampled)
    print(f"ok: the dashboard's {checked} queries use {len(queried)} metrics, all exported: "
          + ", ".join(sorted(queried)))
    if no_samples:
        print("   (no sample in this scrape, so their labels were not checked: "
              + ", ".join(no_samples) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
