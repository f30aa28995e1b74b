#!/usr/bin/env python3
"""Does a Blackjack model read the hand? From `vlmq probe --score '[action] stand'
--score '[action] hit'` output: per player total, the share of states where
the critic (higher Q) and the actor (higher pi) choose hit, and how often
the data took hit there. Hard totals of 11 or less should always hit (no
card can bust them) and hard 17 or more always stand, whatever the dealer
shows; soft hands are listed apart (rows "12s" ...) and left out of both
rules.

usage: scripts/blackjack-probe.py PROBE.txt...
"""
import collections
import re
import sys

for path in sys.argv[1:]:
    by = collections.defaultdict(lambda: [0, 0, 0, 0])  # total -> [states, critic hits, actor hits, data hits]
    state = None
    for line in open(path):
        m = re.match(r'Dealer shows (\S+); your cards: .*\(total (\d+)(, soft)?\)', line)
        if m:
            state = {'total': int(m.group(2)) if not m.group(3) else m.group(2) + 's'}
            continue
        m = re.match(r'\s+"\[action\] (hit|stand)"\s+Q\s+(-?[\d.]+)\s+pi\s+([\d.]+)\s+(.*)', line)
        if m and state is not None:
            state[m.group(1)] = (float(m.group(2)), float(m.group(3)), m.group(4).startswith('data:'))
            if 'hit' in state and 'stand' in state:
                b = by[state['total']]
                b[0] += 1
                b[1] += state['hit'][0] > state['stand'][0]
                b[2] += state['hit'][1] > state['stand'][1]
                b[3] += state['hit'][2]
                state = None
    print(path)
    print('total  states  critic hits  actor hits  data hits')
    for t in sorted(by, key=lambda t: (isinstance(t, str), int(str(t).rstrip('s')))):
        n, c, a, d = by[t]
        print(f'{str(t):>5}  {n:6d}  {c / n:10.0%}  {a / n:10.0%}  {d / n:9.0%}')
    hard = [t for t in by if isinstance(t, int)]
    for name, lo, hi, want_hit in (('<= 11', 0, 11, True), ('>= 17', 17, 99, False)):
        n = sum(by[t][0] for t in hard if lo <= t <= hi)
        d = sum(by[t][3] for t in hard if lo <= t <= hi)
        print(f'hard totals {name}: {n} states, the data hit in {d}')
        for k, head in ((1, 'critic'), (2, 'actor')):
            h = sum(by[t][k] for t in hard if lo <= t <= hi)
            right = h if want_hit else n - h
            print(f'hard totals {name}: {head} right in {right}/{n}')
