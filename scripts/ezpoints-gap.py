#!/usr/bin/env python3
"""Does an EZPoints critic read the cards? From `vlmq probe` output, for each
number token: mean Q at data states where it is a card still available (on
the table and not yet in the formula) minus mean Q where it is not. A
state-blind critic gives about 0; at --gamma 0 the true gap is 1 (an absent
card costs -1, an available one 0). The same for the actor: the mean pi of
the whole reply where the card is available minus where it is not (0 for
an actor that does not read the cards).

usage: scripts/ezpoints-gap.py PROBE.txt...
"""
import collections
import re
import sys


def card_value(c):
    return {'A': 1, 'J': 10, 'Q': 10, 'K': 10}.get(c) or int(c)


for path in sys.argv[1:]:
    qs = collections.defaultdict(lambda: ([], []))  # token -> (available, not)
    pis = collections.defaultdict(lambda: ([], []))
    cards = formula = None
    for line in open(path):
        m = re.match(r'Cards: ([^;]+); Formula:(.*)', line)
        if m:
            cards = [card_value(c.strip()) for c in m.group(1).split(',')]
            formula = m.group(2).strip()
            continue
        m = re.match(r'\s+"\[action\] (\d+)"\s+Q\s+(-?[\d.]+)\s+pi\s+([\d.]+)', line)
        if m and cards:
            n, q, pi = int(m.group(1)), float(m.group(2)), float(m.group(3))
            left = list(cards)
            if formula != '(empty)':
                for u in re.findall(r'\d+', formula):
                    if int(u) in left:
                        left.remove(int(u))
            qs[n][0 if n in left else 1].append(q)
            pis[n][0 if n in left else 1].append(pi)
    for head, vals, fmt in (('', qs, '.3f'), ('actor pi ', pis, '.4f')):
        gaps = sorted((n, sum(a) / len(a) - sum(b) / len(b), len(a), len(b))
                      for n, (a, b) in vals.items() if a and b)
        mean = sum(g for _, g, _, _ in gaps) / max(1, len(gaps))
        print(f'{path}: {head}within-token gap {mean:{fmt}} over {len(gaps)} tokens;',
              ' '.join(f'{n}:{g:{fmt}}({na}/{nb})' for n, g, na, nb in gaps))
