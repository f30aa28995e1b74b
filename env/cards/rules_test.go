package cards

import (
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
)

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		game      string
		o         Options
		wantErr   bool
		penalty   float64
		maxSteps  int
		marker    string
		caseSense bool
	}{
		{game: NumberLine, penalty: -1, maxSteps: 10, marker: env.DefaultMarker},
		{game: EZPoints, penalty: -1, maxSteps: 300, marker: env.DefaultMarker},
		{game: Points24, o: Options{SyntaxPenalty: -0.5, MaxSteps: 7}, penalty: -0.5, maxSteps: 7, marker: env.DefaultMarker},
		{game: Blackjack, o: Options{NoPenalty: true, Syntax: env.Syntax{Marker: "Answer:", CaseSensitive: true}},
			penalty: 0, maxSteps: 300, marker: "Answer:", caseSense: true},
		{game: "poker", wantErr: true},
		{game: "", wantErr: true},
		{game: NumberLine, o: Options{MaxSteps: -1}, wantErr: true},
		{game: NumberLine, o: Options{Syntax: env.Syntax{CaseSensitive: true}}, wantErr: true},
	} {
		e, err := New(tc.game, tc.o)
		if tc.wantErr {
			if err == nil {
				t.Errorf("New(%q, %+v): want error", tc.game, tc.o)
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%q): %v", tc.game, err)
		}
		if e.SyntaxPenalty() != tc.penalty || e.MaxSteps() != tc.maxSteps ||
			e.Syntax().Marker != tc.marker || e.Syntax().CaseSensitive != tc.caseSense || e.Name() != tc.game {
			t.Errorf("New(%q, %+v): penalty %v steps %d syntax %+v name %q", tc.game, tc.o,
				e.SyntaxPenalty(), e.MaxSteps(), e.Syntax(), e.Name())
		}
	}
}

func TestLifecycleErrors(t *testing.T) {
	for _, g := range Games {
		e := mustNew(t, g, Options{})
		if _, err := e.Step("[action] +"); !errors.Is(err, env.ErrNotStarted) {
			t.Errorf("%s: Step before Reset: %v", g, err)
		}
		if e.Task() != (env.Task{}) || e.Facts() != nil || e.RandomValid(nil) != "" {
			t.Errorf("%s: Task/Facts/RandomValid before Reset should be empty", g)
		}
		if _, err := NewExpert(e).Act(); err == nil {
			t.Errorf("%s: expert before Reset: want error", g)
		}
		mustReset(t, e, 1)
		// Play with the expert to the end, then one more step must fail.
		x := NewExpert(e)
		for !e.Done() {
			c, err := x.Act()
			if err != nil {
				t.Fatal(err)
			}
			st := mustStep(t, e, c)
			if st.Done && st.Obs.Legal != nil {
				t.Errorf("%s: final observation lists legal choices %v", g, st.Obs.Legal)
			}
		}
		if _, err := e.Step("[action] +"); !errors.Is(err, env.ErrEpisodeDone) {
			t.Errorf("%s: Step after end: %v", g, err)
		}
		if _, err := x.Act(); err == nil {
			t.Errorf("%s: expert after end: want error", g)
		}
		if e.Close() != nil {
			t.Errorf("%s: Close", g)
		}
	}
}

func TestNumberLineReset(t *testing.T) {
	seenPos, seenGoal := map[int]bool{}, map[int]bool{}
	e := mustNew(t, NumberLine, Options{})
	for s := int64(0); s < 400; s++ {
		mustReset(t, e, s)
		g := e.g.(*numberLine)
		if g.pos < 0 || g.pos > 5 || g.goal < 0 || g.goal > 5 || g.pos == g.goal {
			t.Fatalf("seed %d: pos %d goal %d", s, g.pos, g.goal)
		}
		seenPos[g.pos], seenGoal[g.goal] = true, true
	}
	if len(seenPos) != 6 || len(seenGoal) != 6 {
		t.Errorf("positions seen %v, goals seen %v; want all of 0..5", seenPos, seenGoal)
	}
}

func TestNumberLineRules(t *testing.T) {
	type move struct {
		choice string
		reward float64
		valid  bool
		pos    int
		done   bool
	}
	for _, tc := range []struct {
		name      string
		pos, goal int
		moves     []move
	}{
		{"toward then reach", 1, 3, []move{{"+", 0, true, 2, false}, {"+", 1, true, 3, true}}},
		{"away costs -1", 2, 4, []move{{"-", -1, true, 1, false}, {"+", 0, true, 2, false}}},
		{"minus at 0 is illegal", 0, 2, []move{{"-", -1, false, 0, false}, {"+", 0, true, 1, false}}},
		{"plus at 5 is illegal", 5, 1, []move{{"+", -1, false, 5, false}, {"-", 0, true, 4, false}}},
		{"reach downward", 4, 3, []move{{"-", 1, true, 3, true}}},
	} {
		e := mustNew(t, NumberLine, Options{})
		mustReset(t, e, 0)
		g := e.g.(*numberLine)
		g.pos, g.goal = tc.pos, tc.goal
		for i, m := range tc.moves {
			st := mustStep(t, e, m.choice)
			if st.Reward != m.reward || st.Info.Valid != m.valid || g.pos != m.pos || st.Done != m.done {
				t.Errorf("%s move %d %q: reward %v valid %v pos %d done %v; want %+v",
					tc.name, i, m.choice, st.Reward, st.Info.Valid, g.pos, st.Done, m)
			}
		}
	}
}

func TestNumberLineCutOff(t *testing.T) {
	e := mustNew(t, NumberLine, Options{})
	mustReset(t, e, 0)
	g := e.g.(*numberLine)
	g.pos, g.goal = 2, 4
	var st env.Step
	for i := 1; i <= 10; i++ {
		c := "-"
		if i%2 == 0 {
			c = "+"
		}
		st = mustStep(t, e, c)
		if st.Done != (i == 10) {
			t.Fatalf("step %d: done %v", i, st.Done)
		}
	}
	if !st.Info.Truncated || st.Info.Success {
		t.Errorf("cut-off step: info %+v", st.Info)
	}
	if e.Return() != -5 {
		t.Errorf("return %v, want -5 (five moves away)", e.Return())
	}
}

func TestFormulaRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		game      string
		ranks     []int
		moves     []string
		rewards   []float64 // one per move
		done      bool
		truncated bool
		formula   string
	}{
		{"ez sum", EZPoints, []int{2, 13}, []string{"2", "+", "10", "="}, []float64{0, 0, 0, 10}, true, false, "2+10"},
		{"ez product wrong", EZPoints, []int{2, 12}, []string{"2", "*", "10", "="}, []float64{0, 0, 0, -1}, true, false, "2*10"},
		{"ez concatenation 1 2", EZPoints, []int{1, 2}, []string{"1", "2", "="}, []float64{0, 0, 10}, true, false, "12"},
		{"ez concatenation wrong order", EZPoints, []int{1, 2}, []string{"2", "1", "="}, []float64{0, 0, -1}, true, false, "21"},
		// Invalid numbers leave gaps (spaces, as in RL4VLM's formula string).
		{"ez number not on table", EZPoints, []int{3, 4}, []string{"5", "3", "3", "*", "4"}, []float64{-1, 0, -1, 0, 0}, false, false, " 3 *4"},
		{"ez unused card at =", EZPoints, []int{6, 6}, []string{"6", "+", "="}, []float64{0, 0, -1}, true, false, "6+"},
		{"ez empty =", EZPoints, []int{6, 6}, []string{"="}, []float64{-1}, true, false, ""},
		{"ez bad syntax", EZPoints, []int{6, 6}, []string{"6", "+", "6", "+", "="}, []float64{0, 0, 0, 0, -1}, true, false, "6+6+"},
		{"ez unary plus like python", EZPoints, []int{6, 6}, []string{"+", "6", "+", "6", "="}, []float64{0, 0, 0, 0, 10}, true, false, "+6+6"},
		// RL4VLM checks the cap before the action: a 6th token is taken,
		// the step after it ends the episode.
		{"ez step after 6 tokens cuts off", EZPoints, []int{6, 6}, []string{"+", "+", "+", "+", "+", "+", "+"}, []float64{0, 0, 0, 0, 0, 0, -1}, true, true, "++++++"},
		{"ez minus is not an action here", EZPoints, []int{6, 6}, []string{"-"}, []float64{-1}, false, false, ""},
		{"p24 classic", Points24, []int{4, 7, 8, 8}, []string{"(", "7", "-", "8", "/", "8", ")", "*", "4", "="},
			[]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 10}, true, false, "(7-8/8)*4"},
		{"p24 exact fractions", Points24, []int{3, 3, 8, 8}, []string{"8", "/", "(", "3", "-", "8", "/", "3", ")", "="},
			[]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 10}, true, false, "8/(3-8/3)"},
		{"p24 faces are 10", Points24, []int{11, 12, 13, 4}, []string{"10", "+", "10", "+", "10", "-", "4", "="},
			[]float64{0, 0, 0, 0, 0, 0, 0, -1}, true, false, "10+10+10-4"},
		{"p24 concatenation", Points24, []int{2, 4, 1, 1}, []string{"2", "4", "*", "1", "*", "1", "="},
			[]float64{0, 0, 0, 0, 0, 0, 10}, true, false, "24*1*1"},
		{"p24 ace and ten concatenate to 110", Points24, []int{1, 10, 2, 3}, []string{"1", "10", "="},
			[]float64{0, 0, -1}, true, false, "110"},
		{"p24 division by zero", Points24, []int{1, 1, 2, 12}, []string{"2", "/", "(", "1", "-", "1", ")", "+", "10", "="},
			[]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, -1}, true, false, "2/(1-1)+10"},
		{"p24 implicit product is invalid", Points24, []int{2, 3, 4, 1}, []string{"2", "(", "3", "*", "4", ")", "*", "1", "="},
			[]float64{0, 0, 0, 0, 0, 0, 0, 0, -1}, true, false, "2(3*4)*1"},
		{"p24 same card twice", Points24, []int{5, 5, 5, 1}, []string{"5", "5", "5", "5", "1"},
			[]float64{0, 0, 0, -1, 0}, false, false, "555 1"},
	} {
		e := mustNew(t, tc.game, Options{})
		mustReset(t, e, 0)
		setCards(t, e, tc.ranks...)
		g := e.g.(*formulaGame)
		var st env.Step
		for i, m := range tc.moves {
			st = mustStep(t, e, m)
			if st.Reward != tc.rewards[i] {
				t.Errorf("%s: move %d %q: reward %v, want %v (%s)", tc.name, i, m, st.Reward, tc.rewards[i], st.Info.Reason)
			}
			if i < len(tc.moves)-1 && st.Done {
				t.Fatalf("%s: ended early at move %d", tc.name, i)
			}
		}
		if st.Done != tc.done || st.Info.Truncated != tc.truncated {
			t.Errorf("%s: done %v truncated %v, want %v %v", tc.name, st.Done, st.Info.Truncated, tc.done, tc.truncated)
		}
		if got := strings.Join(g.formula, ""); got != tc.formula {
			t.Errorf("%s: formula %q, want %q", tc.name, got, tc.formula)
		}
		if st.Done && st.Info.Success != (e.Return() > 0) {
			t.Errorf("%s: success %v with return %v", tc.name, st.Info.Success, e.Return())
		}
	}
}

func TestPoints24LengthCutOff(t *testing.T) {
	e := mustNew(t, Points24, Options{})
	mustReset(t, e, 0)
	setCards(t, e, 1, 2, 3, 4)
	// The 21st token is taken (the cap is checked before each action); the
	// step after it ends the episode.
	for i := 1; i <= 22; i++ {
		st := mustStep(t, e, "(")
		if st.Done != (i == 22) {
			t.Fatalf("token %d: done %v", i, st.Done)
		}
		if i == 22 && (st.Reward != -1 || !st.Info.Truncated) {
			t.Errorf("22nd step: reward %v info %+v", st.Reward, st.Info)
		}
	}
}

func TestEZPointsDeals(t *testing.T) {
	e := mustNew(t, EZPoints, Options{})
	firstVals := map[int]bool{}
	swapped, products := 0, 0
	const n = 2000
	for s := int64(0); s < n; s++ {
		mustReset(t, e, s)
		g := e.g.(*formulaGame)
		a, b := g.cards[0].value(), g.cards[1].value()
		if a+b != 12 && a*b != 12 {
			t.Fatalf("seed %d: cards %d, %d make 12 neither by sum nor product", s, a, b)
		}
		if a*b == 12 && a+b != 12 {
			products++
		}
		for _, c := range g.cards {
			if c.rank < 2 {
				t.Fatalf("seed %d: ace dealt in EZPoints", s)
			}
		}
		firstVals[a] = true
		if a > b {
			swapped++
		}
	}
	if len(firstVals) != 9 {
		t.Errorf("left card values %v, want all of 2..10", firstVals)
	}
	// Product pairs come from first cards 2, 3, 4, 6 (4 of 12 ranks) half
	// the time: 1/6 of deals.
	if p := float64(products) / n; p < 0.13 || p > 0.2 {
		t.Errorf("product share %.3f, want about 1/6", p)
	}
	if p := float64(swapped) / n; p < 0.3 || p > 0.7 {
		t.Errorf("larger card first in %.3f of deals; order should be mixed", p)
	}
}

func TestBlackjackRules(t *testing.T) {
	c := func(r int) card { return card{rank: r} }
	for _, tc := range []struct {
		name           string
		player, dealer []card
		choice         string
		reward         float64
		done           bool
	}{
		{"stand beats dealer 18", []card{c(10), c(13)}, []card{c(8), c(10)}, "stand", 1, true},
		{"stand loses to 19", []card{c(10), c(8)}, []card{c(9), c(10)}, "stand", -1, true},
		{"draw at 20", []card{c(10), c(10)}, []card{c(12), c(11)}, "stand", 0, true},
		{"soft 21 beats 20", []card{c(1), c(13)}, []card{c(10), c(10)}, "stand", 1, true},
		{"dealer stands on soft 17", []card{c(10), c(8)}, []card{c(1), c(6)}, "stand", 1, true},
	} {
		e := mustNew(t, Blackjack, Options{})
		mustReset(t, e, 0)
		g := e.g.(*blackjack)
		g.player, g.dealer = tc.player, tc.dealer
		st := mustStep(t, e, tc.choice)
		if st.Reward != tc.reward || st.Done != tc.done {
			t.Errorf("%s: reward %v done %v (%s), want %v %v", tc.name, st.Reward, st.Done, st.Info.Reason, tc.reward, tc.done)
		}
	}
	// Hits: the dealer must draw below 17 and the player busts above 21.
	e := mustNew(t, Blackjack, Options{})
	for s := int64(0); s < 300; s++ {
		mustReset(t, e, s)
		g := e.g.(*blackjack)
		for !e.Done() {
			n := len(g.player)
			st := mustStep(t, e, "hit")
			after, _ := handTotal(g.player)
			if len(g.player) != n+1 || len(g.dealer) != 2 {
				t.Fatalf("seed %d: hit gave player %d cards (was %d), dealer %d", s, len(g.player), n, len(g.dealer))
			}
			if st.Done != (after > 21) || (st.Done && st.Reward != -1) {
				t.Fatalf("seed %d: total %d done %v reward %v", s, after, st.Done, st.Reward)
			}
		}
		mustReset(t, e, s)
		mustStep(t, e, "stand")
		d, _ := handTotal(g.dealer)
		prev, _ := handTotal(g.dealer[:len(g.dealer)-1])
		if d < 17 || (len(g.dealer) > 2 && prev >= 17) {
			t.Fatalf("seed %d: dealer finished at %d after %d", s, d, prev)
		}
	}
}

func TestEvalFormula(t *testing.T) {
	for _, tc := range []struct {
		toks []string
		want string // "" for an error
	}{
		{[]string{"1", "2"}, "12"},
		{[]string{"10", "10"}, "1010"},
		{[]string{"(", "1", ")"}, "1"},
		{[]string{"-", "3", "+", "27"}, "24"},
		{[]string{"2", "*", "-", "-", "3"}, "6"},
		{[]string{"8", "/", "3", "*", "9"}, "24"},
		{[]string{"1", "/", "3"}, "1/3"},
		{[]string{"2", "-", "3", "-", "4"}, "-5"},
		{[]string{"2", "*", "3", "+", "4", "*", "5"}, "26"},
		{[]string{"(", "(", "2", ")", ")"}, "2"},
		{[]string{"2", "(", "3", ")"}, ""},
		{[]string{"(", ")"}, ""},
		{[]string{}, ""},
		{[]string{"1", "+"}, ""},
		{[]string{")"}, ""},
		{[]string{"(", "1"}, ""},
		{[]string{"1", ")"}, ""},
		{[]string{"1", "/", "0"}, ""},
		{[]string{"x"}, ""},
		{[]string{"1", "**", "2"}, ""},
		{[]string{"1", ""}, ""},
		{[]string{"*", "2"}, ""},
		// Gaps (invalid numbers) act like spaces in Python.
		{[]string{" ", "6", "*", " ", "2", " "}, "12"},
		{[]string{"1", " ", "2"}, ""},
		{[]string{" "}, ""},
	} {
		v, err := evalFormula(tc.toks)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%q: got %s, want error", tc.toks, v.RatString())
		case tc.want != "" && err != nil:
			t.Errorf("%q: %v", tc.toks, err)
		case tc.want != "":
			if w, _ := new(big.Rat).SetString(tc.want); v.Cmp(w) != 0 {
				t.Errorf("%q = %s, want %s", tc.toks, v.RatString(), tc.want)
			}
		}
	}
	// Deep nesting is refused, not a stack overflow.
	deep := make([]string, 0, 2003)
	for i := 0; i < 1000; i++ {
		deep = append(deep, "(")
	}
	deep = append(deep, "1")
	for i := 0; i < 1000; i++ {
		deep = append(deep, ")")
	}
	if _, err := evalFormula(deep); err == nil {
		t.Errorf("1000 nested parentheses: want error")
	}
}

// RL4VLM: an invalid card number costs -1 and adds a space to the formula,
// and the length cap (5 tokens in EZPoints) is checked before each action.
// With cards 6 and 2, "6*2=" wins only while the invalid numbers before it
// leave room.
func TestInvalidNumbersCountTowardTheCap(t *testing.T) {
	rep := func(n int, c string) []string {
		var out []string
		for range n {
			out = append(out, c)
		}
		return out
	}
	win := []string{"6", "*", "2", "="}
	for _, tc := range []struct {
		name      string
		game      string
		ranks     []int
		moves     []string
		steps     int     // steps until the episode ends
		last      float64 // reward of the final step
		ret       float64
		truncated bool
	}{
		{"no invalid numbers", EZPoints, []int{6, 2}, win, 4, 10, 10, false},
		{"2 invalid, 5 tokens at =", EZPoints, []int{6, 2}, append(rep(2, "5"), win...), 6, 10, 8, false},
		{"3 invalid, 6 tokens at =", EZPoints, []int{6, 2}, append(rep(3, "5"), win...), 7, -1, -4, true},
		{"5 invalid", EZPoints, []int{6, 2}, append(rep(5, "9"), win...), 7, -1, -6, true},
		{"6 invalid", EZPoints, []int{6, 2}, append(rep(6, "5"), win...), 7, -1, -7, true},
		{"8 invalid", EZPoints, []int{6, 2}, append(rep(8, "5"), win...), 7, -1, -7, true},
		{"a card used twice is invalid", EZPoints, []int{6, 2}, []string{"6", "6", "6", "6", "*", "2", "="}, 7, -1, -4, true},
		{"a gap splits 1 and 2", EZPoints, []int{1, 2}, []string{"1", "5", "2", "="}, 4, -1, -2, false},
		{"a gap between operators is harmless", EZPoints, []int{6, 2}, []string{"6", "*", "5", "2", "="}, 5, 10, 9, false},
		{"p24: 13 invalid, 20 tokens at =", Points24, []int{4, 6, 1, 1}, append(rep(13, "9"), "4", "*", "6", "*", "1", "*", "1", "="), 21, 10, -3, false},
		{"p24: 14 invalid, 21 tokens at =", Points24, []int{4, 6, 1, 1}, append(rep(14, "9"), "4", "*", "6", "*", "1", "*", "1", "="), 22, -1, -15, true},
	} {
		e := mustNew(t, tc.game, Options{})
		mustReset(t, e, 0)
		setCards(t, e, tc.ranks...)
		g := e.g.(*formulaGame)
		var st env.Step
		steps := 0
		for _, m := range tc.moves {
			before, vis := slices.Clone(e.frame.Pix), len(g.visible())
			st = mustStep(t, e, m)
			steps++
			if strings.Contains(st.Info.Reason, "no unused card") {
				// The invalid number is not shown as a digit: the image and
				// the visible tokens are unchanged, the text spells a space.
				if !slices.Equal(before, st.Obs.Image.Pix) || len(g.visible()) != vis || !strings.HasSuffix(st.Obs.Text, " ") {
					t.Errorf("%s: invalid %q shown (text %q)", tc.name, m, st.Obs.Text)
				}
			}
			if st.Done {
				break
			}
		}
		if !st.Done || steps != tc.steps || st.Reward != tc.last || e.Return() != tc.ret || st.Info.Truncated != tc.truncated {
			t.Errorf("%s: done %v after %d steps, last reward %v, return %v, truncated %v (%s); want done after %d, %v, %v, %v",
				tc.name, st.Done, steps, st.Reward, e.Return(), st.Info.Truncated, st.Info.Reason, tc.steps, tc.last, tc.ret, tc.truncated)
		}
	}
}

// The expert plays on past invalid numbers someone else made while its
// plan still fits the cap, and gives up with "=" once it cannot.
func TestExpertAfterInvalidNumbers(t *testing.T) {
	for _, tc := range []struct {
		invalid int
		ret     float64
	}{{0, 10}, {1, 9}, {2, 8}, {3, -4}} {
		e := mustNew(t, EZPoints, Options{})
		mustReset(t, e, 0)
		setCards(t, e, 6, 2)
		for range tc.invalid {
			mustStep(t, e, "5")
		}
		x := NewExpert(e)
		for !e.Done() {
			c, err := x.Act()
			if err != nil {
				t.Fatal(err)
			}
			mustStep(t, e, c)
		}
		if e.Return() != tc.ret {
			t.Errorf("%d invalid numbers first: return %v, want %v", tc.invalid, e.Return(), tc.ret)
		}
	}
}
