#!/usr/bin/env python3
"""Prints the base-architecture sweep as a markdown table, read from the
model cards (README.md) of the given pretraining folders: size, cost,
held-out QA and the retrieval probe at the gate's 16 distractors.

Usage: scripts/base-sweep-table.py results/base-sweep/<date>/*/
"""
import re
import sys


def field(card, pattern, default="-"):
    m = re.search(pattern, card, re.M)
    return m.group(1) if m else default


def main(dirs):
    print("| run | architecture | parameters | wall time | held-out QA (with text / image only) | where is the C K? (with text / image only, GoToLocal) | kv / match at 16 distractors |")
    print("|---|---|---|---|---|---|---|")
    for d in dirs:
        card = open(d.rstrip("/") + "/README.md").read()
        name = d.rstrip("/").split("/")[-1]
        params, arch = field(card, r"^- parameters: (\d+); (.*)$"), field(card, r"^- parameters: \d+; (.*)$")
        wall = field(card, r"^- training wall time: ([^(]*)\(")
        overall = re.search(r"Overall: ([\d.]+) \(with the prompt text ([\d.]+), image only ([\d.]+)\)", card)
        qa = f"{overall.group(1)} ({overall.group(2)} / {overall.group(3)})" if overall else "-"
        where = re.search(r"^\| babyai/GoToLocal \| Where is the C K\? \| ([\d.-]+) \| \d+ \| ([\d.-]+) \| \d+ \|", card, re.M)
        wq = f"{where.group(2)} / {where.group(1)}" if where else "-"
        kv = field(card, r"^\| key-value lookup \|[^|]*\|[^|]*\| ([\d.]+) \|")
        match = field(card, r"^\| which entry matches \|[^|]*\|[^|]*\| ([\d.]+) \|")
        print(f"| {name} | {arch} | {params} | {wall.strip()} | {qa} | {wq} | {kv} / {match} |")


if __name__ == "__main__":
    main(sys.argv[1:])
