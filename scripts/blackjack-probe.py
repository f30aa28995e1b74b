#!/usr/bin/env python3
"""Does a Blackjack model read the hand? From `vlmq probe --score '[action] stand'
--score '[action] hit'` output: per player total, the share of states where
the critic (higher Q) and the actor (higher pi) choose hit. Totals of 11 or
less should always hit (no card can bust them) and 17 or more almost always
stand, whatever the dealer shows.

usage: scripts/blackjack-probe.py PROBE.txt...
"""
import collections
import re
import sys

for path in sys.argv[1:]:
    by = collections.defaultdict(lambda: [0, 0, 0])  # total -> [states, critic hits, actor hits]
    state = None
    for line in open(path):
        m = re.match(r'Dealer shows (\S+); your cards: .*\(total (\d+)\)', line)
        if m:
            state = {'total': int(m.group(2))}
            continue
        m = re.match(r'\s+"\[action\] (hit|stand)"\s+Q\s+(-?[\d.]+)\s+pi\s+([\d.]+)', line)
        if m and state is not None:
            state[m.group(1)] = (float(m.group(2)), float(m.group(3)))
            if 'hit' in state and 'stand' in state:
                b = by[state['total']]
                b[0] += 1
                b[1] += state['hit'][0] > state['stand'][0]
                b[2] += state['hit'][1] > state['stand'][1]
                state = None
    print(path)
    print('total  states  critic hits  actor hits')
    for t in sorted(by):
        n, c, a = by[t]
        print(f'{t:5d}  {n:6d}  {c / n:10.0%}  {a / n:10.0%}')
    for name, lo, hi, want_hit in (('<= 11', 0, 11, True), ('>= 17', 17, 99, False)):
        n = sum(by[t][0] for t in by if lo <= t <= hi)
        for k, head in ((1, 'critic'), (2, 'actor')):
            h = sum(by[t][k] for t in by if lo <= t <= hi)
            right = h if want_hit else n - h
            print(f'totals {name}: {head} right in {right}/{n}')
