package cards

import (
	"testing"

	"vlmq/env"
)

func mustNew(t testing.TB, game string, o Options) *Env {
	t.Helper()
	e, err := New(game, o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustReset(t testing.TB, e *Env, seed int64) env.Observation {
	t.Helper()
	o, err := e.Reset(seed)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustStep(t testing.TB, e *Env, choice string) env.Step {
	t.Helper()
	st, err := e.Step(e.Syntax().Format(choice))
	if err != nil {
		t.Fatalf("step %q: %v", choice, err)
	}
	return st
}

// setCards replaces the dealt cards of a formula game (ranks, suits
// cycling) and restarts its formula.
func setCards(t testing.TB, e *Env, ranks ...int) {
	t.Helper()
	g, ok := e.g.(*formulaGame)
	if !ok {
		t.Fatalf("%s is not a formula game", e.name)
	}
	g.cards = g.cards[:0]
	for i, r := range ranks {
		g.cards = append(g.cards, card{rank: r, suit: i % 4})
	}
	g.formula, g.used = g.formula[:0], [11]int{}
	g.paintBase()
	g.draw(e.frame)
}

// snapshot captures everything a step may change.
type snapshot struct {
	text, pix string
	legal     []string
	state     string
}

func snap(e *Env) snapshot {
	o := e.observe()
	var st string
	switch g := e.g.(type) {
	case *numberLine:
		st = e.g.text()
	case *formulaGame:
		st = e.g.text() + string(rune(g.used[1])) + string(rune(len(g.formula)))
		for _, u := range g.used {
			st += string(rune('0' + u))
		}
	case *blackjack:
		st = e.g.text() + string(rune(len(g.player))) + string(rune(len(g.dealer)))
	}
	return snapshot{text: o.Text, pix: string(o.Image.Pix), legal: o.Legal, state: st}
}

func sameSnap(a, b snapshot) bool {
	if a.text != b.text || a.pix != b.pix || a.state != b.state || len(a.legal) != len(b.legal) {
		return false
	}
	for i := range a.legal {
		if a.legal[i] != b.legal[i] {
			return false
		}
	}
	return true
}
