#!/usr/bin/env python3
"""Markdown table of scripts/throughput-e2e.sh's records (e2e.jsonl):
one row per job, the two binaries' wall and CPU seconds and their ratio.
Usage: scripts/throughput-table.py results/throughput/<run>/e2e.jsonl"""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
jobs = []
by = {}
for r in rows:
    if r["job"] not in jobs:
        jobs.append(r["job"])
    by[(r["job"], r["binary"])] = r
print("| job | before: wall (CPU) | after: wall (CPU) | wall ratio | CPU ratio | load average before → after each |")
print("|---|---|---|---|---|---|")
cmds = []
for j in jobs:
    b, a = by.get((j, "before")), by.get((j, "after"))
    if not b or not a:
        continue
    cpu = lambda r: r["user_s"] + r["sys_s"]
    cmds.append("%s: vlmq %s" % (j, a["command"].split(" ", 1)[1].replace("-after", "-{before,after}")))
    print("| %s | %.1f s (%.1f s) | %.1f s (%.1f s) | **%.2fx** | %.2fx | %s → %s; %s → %s |" % (
        j, b["wall_s"], cpu(b), a["wall_s"], cpu(a), b["wall_s"] / a["wall_s"], cpu(b) / cpu(a),
        b["load_before"], b["load_after"], a["load_before"], a["load_after"]))
print()
print("```")
print("\n".join(cmds))
print("```")
