#!/usr/bin/python3
"""The report of a run, beside its verdict.json: report.txt (what ran, the verdict, the faults,
the numbers) and timeline.png (acknowledged and failed operations per second, with each fault
drawn as a band over the time it lasted), drawn by gnuplot from Debian (scripts/deps).

    tests/chaos/report.py RUN_DIR

Called by `run` at the end of every run; runnable on its own for an old run directory."""

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

# Nemesis events that open a fault and the ones that close it.
FAULT_STARTS = {"kill": "kill", "pause": "pause", "partition": "partition", "flap": "partition",
                "disk-full": "disk", "slow-disk": "slow"}
FAULT_ENDS = {"started": "kill", "resume": "pause", "heal-partition": "partition",
              "disk-freed": "disk", "disk-fast": "slow"}
COMPLETIONS = ("append", "txn")


def load(run_dir):
    with open(os.path.join(run_dir, "history.jsonl")) as f:
        events = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(run_dir, "verdict.json")) as f:
        verdict = json.load(f)
    return events, verdict


def fault_intervals(events):
    """[(kind, node or side, start, end)] relative to the first event."""
    t0 = events[0]["time"] if events else 0.0
    open_faults, out = {}, []
    for e in events:
        if e.get("process") != "nemesis":
            continue
        f = e.get("f")
        key = (FAULT_STARTS.get(f) or FAULT_ENDS.get(f), str(e.get("node", e.get("side"))))
        if f in FAULT_STARTS:
            open_faults[key] = e["time"] - t0
        elif f in FAULT_ENDS and key in open_faults:
            out.append((key[0], key[1], open_faults.pop(key), e["time"] - t0))
    return out


def per_second(events):
    """{second: {ok, fail, unknown}} of the producers' completions, relative to the first event."""
    t0 = events[0]["time"] if events else 0.0
    rows = defaultdict(lambda: {"ok": 0, "fail": 0, "unknown": 0})
    for e in events:
        if e.get("f") in COMPLETIONS and e["type"] in ("ok", "fail", "unknown"):
            rows[int(e["time"] - t0)][e["type"]] += 1
    return rows


def text(verdict, faults):
    lines = ["chaos run: seed %s, %s faults, %s node(s), workload %s, commit %s" % (
        verdict.get("seed"), verdict.get("faults"), verdict.get("nodes"),
        verdict.get("workload"), verdict.get("commit")),
        "verdict: %s" % ("VALID" if verdict.get("valid") and verdict.get(
            "processes_clean_exit", True) else "INVALID"),
        "replay: %s" % verdict.get("replay"), "", "counts:"]
    lines += ["  %-20s %d" % (k, n) for k, n in sorted(verdict.get("counts", {}).items())]
    for key in ("transactions", "group", "availability", "nemesis"):
        if verdict.get(key):
            lines.append("%s: %s" % (key, json.dumps(verdict[key], sort_keys=True)))
    for kind, examples in sorted(verdict.get("examples", {}).items()):
        lines.append("examples of %s:" % kind)
        lines += ["  " + json.dumps(x, sort_keys=True) for x in examples[:5]]
    lines += ["", "faults (seconds from the start):"]
    lines += ["  %-9s %-10s %8.1f .. %8.1f" % f for f in faults]
    return "\n".join(lines) + "\n"


def plot(run_dir, rows, faults):
    """timeline.png through gnuplot; returns why not when it cannot."""
    if shutil.which("gnuplot") is None:
        return "gnuplot is missing (scripts/deps installs gnuplot-nox)"
    data = os.path.join(run_dir, "timeline.dat")
    with open(data, "w") as f:
        for s in range(max(rows) + 1 if rows else 0):
            r = rows.get(s, {"ok": 0, "fail": 0, "unknown": 0})
            f.write("%d %d %d %d\n" % (s, r["ok"], r["fail"], r["unknown"]))
    colors = {"kill": "#f4b6b6", "pause": "#f9e2a6", "partition": "#b9d4f4", "disk": "#c8c8c8",
              "slow": "#d8c8f0"}
    bands = "\n".join(
        "set object %d rect from %f, graph 0 to %f, graph 1 behind fc rgb '%s' fs solid 0.6 "
        "noborder" % (i + 1, start, max(end, start + 0.2), colors[kind])
        for i, (kind, _, start, end) in enumerate(faults))
    script = """set terminal png size 1600,500
set output '%(out)s'
set title 'acknowledged and failed operations per second; bands: kill (red), pause (yellow), partition (blue), disk full (grey), slow disk (violet)'
set xlabel 'seconds'
set ylabel 'operations / s'
set key outside right
%(bands)s
plot '%(data)s' using 1:2 with lines lw 1 lc rgb '#2a7a2a' title 'ok', \\
     '' using 1:3 with lines lw 1 lc rgb '#b02020' title 'fail', \\
     '' using 1:4 with lines lw 1 lc rgb '#8040a0' title 'unknown'
""" % {"out": os.path.join(run_dir, "timeline.png"), "bands": bands, "data": data}
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    return None if r.returncode == 0 else "gnuplot failed: %s" % r.stderr.strip()[:500]


def write(run_dir):
    events, verdict = load(run_dir)
    faults = fault_intervals(events)
    report = text(verdict, faults)
    why_not = plot(run_dir, per_second(events), faults)
    if why_not:
        report += "\nno timeline.png: %s\n" % why_not
    with open(os.path.join(run_dir, "report.txt"), "w") as f:
        f.write(report)
    return why_not


if __name__ == "__main__":
    problem = write(sys.argv[1])
    print(open(os.path.join(sys.argv[1], "report.txt")).read(), end="")
    sys.exit(0 if problem is None else 1)
