package cards

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestSkillFacts: each card's rank by place, whether a value is still
// unused, and the visible hands' ranks, on hand-set deals.
func TestSkillFacts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		game  string
		ranks []int    // a formula game's deal
		moves []string // played before the facts are read
		want  map[string]string
		never []string // questions that must not be asked
	}{
		{"points24 partly used", Points24, []int{4, 8, 13, 1}, []string{"10", "*"}, map[string]string{
			"What is the rank of card 1 from the left?": "4",
			"What is the rank of card 3 from the left?": "K",
			"What is the rank of card 4 from the left?": "A",
			"Is 4 among the unused card values?":        "yes",
			"Is 1 among the unused card values?":        "yes",
			"Is 10 among the unused card values?":       "no",
			"Is 2 among the unused card values?":        "no",
			"What is the formula so far?":               "10 *",
		}, []string{"What is the rank of card 5 from the left?"}},
		{"points24 duplicates", Points24, []int{5, 5, 12, 11}, []string{"5"}, map[string]string{
			"What is the rank of card 2 from the left?": "5",
			"Is 5 among the unused card values?":        "yes",
			"Is 10 among the unused card values?":       "yes",
		}, nil},
		{"points24 both used, an invalid number", Points24, []int{5, 5, 12, 11}, []string{"5", "+", "5", "7"}, map[string]string{
			"Is 5 among the unused card values?": "no",
			"Is 7 among the unused card values?": "no",
			"What is the formula so far?":        "5 + 5",
		}, nil},
		{"ezpoints", EZPoints, []int{3, 4}, []string{"3"}, map[string]string{
			"What is the rank of card 1 from the left?": "3",
			"What is the rank of card 2 from the left?": "4",
			"Is 3 among the unused card values?":        "no",
			"Is 4 among the unused card values?":        "yes",
		}, []string{"What is the rank of card 3 from the left?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustNew(t, tc.game, Options{Obs: ObsImage})
			mustReset(t, e, 0)
			setCards(t, e, tc.ranks...)
			for _, m := range tc.moves {
				mustStep(t, e, m)
			}
			facts := factMap(e)
			for q, a := range tc.want {
				if facts[q] != a {
					t.Errorf("%q = %q, want %q", q, facts[q], a)
				}
			}
			for _, q := range tc.never {
				if a, ok := facts[q]; ok {
					t.Errorf("%q asked, answered %q", q, a)
				}
			}
		})
	}

	b := mustNew(t, Blackjack, Options{Obs: ObsImage})
	mustReset(t, b, 0)
	bj := b.g.(*blackjack)
	bj.player, bj.dealer = []card{{9, 0}, {7, 1}, {1, 2}}, []card{{12, 2}, {6, 3}}
	facts := factMap(b)
	for q, a := range map[string]string{
		"What is the rank of the player's card 1 from the left?": "9",
		"What is the rank of the player's card 3 from the left?": "A",
		"What is the rank of the dealer's card 1 from the left?": "Q",
		"What is the player's total?":                            "17",
	} {
		if facts[q] != a {
			t.Errorf("blackjack %q = %q, want %q", q, facts[q], a)
		}
	}
	if a, ok := facts["What is the rank of the dealer's card 2 from the left?"]; ok {
		t.Errorf("the face-down card is asked of (%q)", a)
	}
	mustStep(t, b, "stand")
	if got := factMap(b)["What is the rank of the dealer's card 2 from the left?"]; got != "6" {
		t.Errorf("the dealer's second card after the hand: %q, want 6", got)
	}
}

// TestUnusedFactsMatchTheFormula plays random moves on several deals and
// checks every "Is N among the unused card values?" against the cards
// minus the numbers the formula holds (gaps are no numbers).
func TestUnusedFactsMatchTheFormula(t *testing.T) {
	asked := 0
	for _, game := range []string{EZPoints, Points24} {
		for seed := range int64(10) {
			e := mustNew(t, game, Options{})
			mustReset(t, e, seed)
			rng := rand.New(rand.NewPCG(uint64(seed), 3))
			for !e.Done() {
				g := e.g.(*formulaGame)
				left := map[int]int{}
				for _, c := range g.cards {
					left[c.value()]++
				}
				for _, tok := range g.formula {
					if v, err := strconv.Atoi(tok); err == nil {
						left[v]--
					}
				}
				facts := factMap(e)
				for v := 1; v <= 10; v++ {
					want := "no"
					if left[v] > 0 {
						want = "yes"
					}
					q := fmt.Sprintf("Is %d among the unused card values?", v)
					if facts[q] != want {
						t.Fatalf("%s seed %d formula %q: %q = %q, want %q", game, seed, g.formula, q, facts[q], want)
					}
					asked++
				}
				for i, c := range g.cards {
					if got := facts[fmt.Sprintf("What is the rank of card %d from the left?", i+1)]; got != c.label() {
						t.Fatalf("%s seed %d: card %d is %q, want %q", game, seed, i+1, got, c.label())
					}
				}
				mustStep(t, e, e.RandomValid(rng))
			}
		}
	}
	if asked < 500 {
		t.Errorf("only %d unused-value facts checked", asked)
	}
}
