package cards

import (
	"errors"
	"fmt"
	"slices"

	"vlmq/env"
)

// NewExpert returns the expert for e's game:
//   - NumberLine: step toward the target (optimal).
//   - EZPoints / Points24: an exact search over formulas (exact rationals,
//     concatenation allowed but used only when nothing else works) picks a
//     correct formula, emitted one token per step, then "=". If the current
//     formula is not a prefix of any known solution (someone else moved),
//     or the deal has no solution, the expert answers "=" at once: the
//     episode then ends with -1, the cheapest outcome left. Invalid
//     numbers played by someone else are skipped over while the plan
//     still fits the length cap.
//   - Blackjack: basic strategy from dynamic programming over the rules.
func NewExpert(e *Env) env.Expert { return &expert{e: e} }

type expert struct {
	e       *Env
	episode int        // env episode the plan belongs to
	plans   [][]string // candidate solutions for this episode
}

func (x *expert) Reset() { x.episode, x.plans = 0, nil }

var errNoEpisode = errors.New("cards: expert needs an episode in progress")

func (x *expert) Act() (string, error) {
	if x.e == nil || !x.e.started || x.e.done {
		return "", errNoEpisode
	}
	switch g := x.e.g.(type) {
	case *numberLine:
		if g.pos < g.goal {
			return "+", nil
		}
		return "-", nil
	case *blackjack:
		if blackjackStrategy().shouldHit(g.player, g.dealer[0]) {
			return "hit", nil
		}
		return "stand", nil
	case *formulaGame:
		if x.episode != x.e.episode {
			x.episode = x.e.episode
			vals := make([]int, len(g.cards))
			for i, c := range g.cards {
				vals[i] = c.value()
			}
			x.plans = solutions(g.r, vals, true, true)
		}
		// Plans are matched against the visible tokens: an invalid number
		// (a gap) does not spoil a plan unless the finished formula would
		// then be too long or read differently (a gap between two digits).
		vis := g.visible()
		gaps := len(g.formula) - len(vis)
		for _, p := range x.plans {
			if len(p) < len(vis) || !slices.Equal(p[:len(vis)], vis) {
				continue
			}
			if gaps > 0 && !g.finishes(p[len(vis):]) {
				continue
			}
			if len(p) == len(vis) {
				return "=", nil
			}
			return p[len(vis)], nil
		}
		return "=", nil
	}
	return "", fmt.Errorf("cards: no expert for game %q", x.e.name)
}
