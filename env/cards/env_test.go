package cards

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"vlmq/env"
)

var _ env.Env = (*Env)(nil)
var _ env.Describer = (*Env)(nil)

// invalidReplies are wrong for every game (none of them has an action
// "11", "hitt" or "2+2"); per-game illegal choices are added below.
var invalidReplies = []string{
	"",
	"stand",            // no marker
	"[action]",         // nothing after it
	"[action]   \nhit", // choice on the next line does not count
	"[action] 11",
	"[action] hitt",
	"[action] 2+2",
	"[action] + [action]",
	"[ action ] hit",
	"[action] \x00\xff",
}

func TestInvalidRepliesDoNotMove(t *testing.T) {
	extra := map[string][]string{
		NumberLine: {"[action] *", "[action] =", "[action] 3"},
		EZPoints:   {"[action] -", "[action] /", "[action] (", "[action] stand"},
		Points24:   {"[action] 0", "[action] 13", "[action] J", "[action] x"},
		Blackjack:  {"[action] +", "[action] double", "[action] 10"},
	}
	for _, game := range Games {
		for _, pen := range []Options{{}, {SyntaxPenalty: -0.25}, {NoPenalty: true}} {
			e := mustNew(t, game, pen)
			mustReset(t, e, 5)
			// Take one valid step first when possible so state is not the
			// initial one.
			if c := e.RandomValid(rand.New(rand.NewPCG(1, 2))); c != "" && game != Blackjack {
				if st := mustStep(t, e, c); st.Done {
					mustReset(t, e, 5)
				}
			}
			for _, r := range append(slices.Clone(invalidReplies), extra[game]...) {
				if e.Done() {
					mustReset(t, e, 6)
				}
				before, steps := snap(e), e.Steps()
				st, err := e.Step(r)
				if err != nil {
					t.Fatalf("%s %q: %v", game, r, err)
				}
				if st.Info.Valid || st.Reward != e.SyntaxPenalty() || st.Info.Action != "" || st.Info.Reason == "" {
					t.Errorf("%s %q: step %+v, want invalid with penalty %v", game, r, st.Info, e.SyntaxPenalty())
				}
				if e.Steps() != steps+1 {
					t.Errorf("%s %q: step count %d, want %d", game, r, e.Steps(), steps+1)
				}
				after := snap(e)
				after.legal, before.legal = nil, nil // legal is nil once the step limit ends the episode
				if !sameSnap(before, after) {
					t.Errorf("%s %q: invalid reply changed the state", game, r)
				}
			}
		}
	}
}

// Invalid replies still count toward the step limit.
func TestInvalidRepliesTruncate(t *testing.T) {
	for _, game := range Games {
		e := mustNew(t, game, Options{MaxSteps: 3})
		mustReset(t, e, 1)
		var st env.Step
		for i := 0; i < 3; i++ {
			var err error
			if st, err = e.Step("no marker"); err != nil {
				t.Fatal(err)
			}
		}
		if !st.Done || !st.Info.Truncated || st.Info.Success || e.Return() != -3 {
			t.Errorf("%s: after 3 invalid replies with MaxSteps 3: done %v info %+v return %v", game, st.Done, st.Info, e.Return())
		}
	}
}

func TestSyntaxVariants(t *testing.T) {
	for _, tc := range []struct {
		syn   env.Syntax
		reply string
		want  string // "" = invalid
	}{
		{env.DefaultSyntax(), "I think standing is best.\n[action] stand", "stand"},
		{env.DefaultSyntax(), "[ACTION]   STAND  ", "stand"},
		{env.DefaultSyntax(), "[action] hit\nmore text", "hit"},
		{env.DefaultSyntax(), "[action] hit [action] stand", "stand"},
		{env.Syntax{Marker: "Answer:", CaseSensitive: true}, "answer: hit", ""},
		{env.Syntax{Marker: "Answer:", CaseSensitive: true}, "Answer: Hit", "hit"},
	} {
		e := mustNew(t, Blackjack, Options{Syntax: tc.syn})
		mustReset(t, e, 3)
		st, err := e.Step(tc.reply)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Info.Action; got != tc.want || st.Info.Valid != (tc.want != "") {
			t.Errorf("%+v %q: action %q valid %v, want %q", tc.syn, tc.reply, got, st.Info.Valid, tc.want)
		}
	}
}

// trajectory plays a fixed choice policy and records what it saw.
func trajectory(t *testing.T, game string, seed int64) []string {
	e := mustNew(t, game, Options{})
	o := mustReset(t, e, seed)
	rng := rand.New(rand.NewPCG(9, 9))
	var out []string
	for {
		out = append(out, o.Text, fmt.Sprintf("%x", o.Image.Pix[:4096]), strconv.Itoa(len(o.Image.Pix)))
		c := e.RandomValid(rng)
		st := mustStep(t, e, c)
		out = append(out, c, fmt.Sprint(st.Reward, st.Done))
		if st.Done {
			return out
		}
		o = st.Obs
	}
}

func TestDeterminism(t *testing.T) {
	for _, game := range Games {
		a, b := trajectory(t, game, 42), trajectory(t, game, 42)
		if !slices.Equal(a, b) {
			t.Errorf("%s: same seed gave different episodes", game)
		}
		differ := false
		for s := int64(43); s < 53 && !differ; s++ {
			differ = !slices.Equal(a[:1], trajectory(t, game, s)[:1])
		}
		if !differ {
			t.Errorf("%s: ten other seeds all gave the same start", game)
		}
	}
}

// Observations must be independent copies: changing one must not leak
// into the next.
func TestObservationIsACopy(t *testing.T) {
	for _, game := range Games {
		e := mustNew(t, game, Options{})
		o := mustReset(t, e, 2)
		for i := range o.Image.Pix {
			o.Image.Pix[i] = 7
		}
		o.Legal[0] = "garbage"
		st, err := e.Step("invalid")
		if err != nil {
			t.Fatal(err)
		}
		if st.Obs.Image.Pix[0] == 7 && st.Obs.Image.Pix[1] == 7 || st.Obs.Legal[0] == "garbage" {
			t.Errorf("%s: observation shares memory with the env", game)
		}
		if b := st.Obs.Image.Bounds(); b.Dx() != Size || b.Dy() != Size {
			t.Errorf("%s: image %v", game, b)
		}
	}
}

func TestTaskAndText(t *testing.T) {
	for _, game := range Games {
		e := mustNew(t, game, Options{})
		for s := int64(0); s < 20; s++ {
			o := mustReset(t, e, s)
			task := e.Task()
			// The example is a fixed action of the game (not necessarily legal
			// now), so it never hints at the right move.
			actions := o.Legal
			if game == NumberLine {
				actions = []string{"+", "-"}
			}
			if task.Goal == "" || task.Actions == "" || !slices.Contains(actions, task.Example) {
				t.Errorf("%s: task %+v, legal %v", game, task, o.Legal)
			}
			for _, l := range o.Legal {
				if !strings.Contains(task.Actions, l) && !(len(l) <= 2 && strings.Contains(task.Actions, "1-10")) {
					t.Errorf("%s: actions doc does not mention %q", game, l)
				}
			}
			if c := e.RandomValid(rand.New(rand.NewPCG(uint64(s), 0))); !slices.Contains(o.Legal, c) {
				t.Errorf("%s: RandomValid %q not legal", game, c)
			}
			switch g := e.g.(type) {
			case *numberLine:
				want := fmt.Sprintf("Target: %d, Current: %d", g.goal, g.pos)
				if o.Text != want {
					t.Errorf("numberline text %q goal %q, want %q", o.Text, task.Goal, want)
				}
			case *formulaGame:
				if !strings.Contains(task.Goal, strconv.Itoa(int(g.r.target))) || !strings.HasPrefix(o.Text, "Cards: ") ||
					!strings.HasSuffix(o.Text, "Formula: (empty)") {
					t.Errorf("%s: text %q goal %q", game, o.Text, task.Goal)
				}
			case *blackjack:
				if !strings.HasPrefix(o.Text, "Dealer shows "+g.dealer[0].label()+"; your cards: ") {
					t.Errorf("blackjack text %q", o.Text)
				}
			}
		}
	}
	// Spot checks of the wording.
	e := mustNew(t, Points24, Options{})
	mustReset(t, e, 0)
	setCards(t, e, 4, 8, 12, 1)
	mustStep(t, e, "4")
	st := mustStep(t, e, "*")
	if want := "Cards: 4, 8, Q, A; Formula: 4*"; st.Obs.Text != want {
		t.Errorf("text %q, want %q", st.Obs.Text, want)
	}
	b := mustNew(t, Blackjack, Options{})
	mustReset(t, b, 0)
	g := b.g.(*blackjack)
	g.player, g.dealer = []card{{9, 0}, {7, 1}}, []card{{10, 2}, {5, 3}}
	if want := "Dealer shows 10; your cards: 9, 7 (total 16)"; g.text() != want {
		t.Errorf("text %q, want %q", g.text(), want)
	}
	g.player = []card{{1, 0}, {6, 1}}
	if want := "Dealer shows 10; your cards: A, 6 (total 17, soft)"; g.text() != want {
		t.Errorf("text %q, want %q", g.text(), want)
	}
}

func factMap(e *Env) map[string]string {
	m := map[string]string{}
	for _, f := range e.Facts() {
		if f.Question == "" || f.Answer == "" {
			panic(fmt.Sprintf("empty fact %+v", f))
		}
		m[f.Question] = f.Answer
	}
	return m
}

func TestFacts(t *testing.T) {
	nl := mustNew(t, NumberLine, Options{})
	mustReset(t, nl, 0)
	g := nl.g.(*numberLine)
	g.pos, g.goal = 1, 3
	for q, a := range map[string]string{
		"What is the target number?":                     "3",
		"What is the current number?":                    "1",
		"Is the current number smaller than the target?": "yes",
		"How far is the current number from the target?": "2",
	} {
		if got := factMap(nl)[q]; got != a {
			t.Errorf("numberline %q = %q, want %q", q, got, a)
		}
	}

	p := mustNew(t, Points24, Options{})
	mustReset(t, p, 0)
	setCards(t, p, 4, 8, 13, 1) // suits cycle spades, hearts, diamonds, clubs
	mustStep(t, p, "10")
	mustStep(t, p, "*")
	for q, a := range map[string]string{
		"What cards are shown?":                                        "4, 8, K and A",
		"How many cards are shown?":                                    "4",
		"What are the values of the cards, counting J, Q and K as 10?": "4, 8, 10 and 1",
		"What suit is the first card?":                                 "spades",
		"What suit is the last card?":                                  "clubs",
		"What is the formula so far?":                                  "10 *",
		"Which card values are not used in the formula yet?":           "4, 8 and 1",
	} {
		if got := factMap(p)[q]; got != a {
			t.Errorf("points24 %q = %q, want %q", q, got, a)
		}
	}

	b := mustNew(t, Blackjack, Options{})
	mustReset(t, b, 0)
	bj := b.g.(*blackjack)
	bj.player, bj.dealer = []card{{9, 0}, {7, 1}}, []card{{12, 2}, {8, 3}}
	want := map[string]string{
		"What is the dealer's up card?":                 "Q",
		"What is the value of the dealer's up card?":    "10",
		"What are the player's cards?":                  "9 and 7",
		"What is the player's total?":                   "16",
		"How many cards does the player have?":          "2",
		"Does the player have an ace counted as 11?":    "no",
		"How many of the dealer's cards are face down?": "1",
	}
	for q, a := range want {
		if got := factMap(b)[q]; got != a {
			t.Errorf("blackjack %q = %q, want %q", q, got, a)
		}
	}
	mustStep(t, b, "stand") // dealer has 18 and stands
	if got := factMap(b)["What is the dealer's total?"]; got != "18" {
		t.Errorf("dealer's total after the hand: %q", got)
	}
}

// FuzzStep: no reply panics, and invalid replies leave the state alone.
func FuzzStep(f *testing.F) {
	for _, r := range invalidReplies {
		f.Add(uint8(0), int64(1), r)
	}
	for i, r := range []string{"[action] +", "[action] -", "[action] 10", "[action] =", "[action] hit", "[action] stand", "[action] (", "[ACTION] Stand"} {
		f.Add(uint8(i), int64(i), r)
	}
	f.Fuzz(func(t *testing.T, gi uint8, seed int64, reply string) {
		game := Games[int(gi)%len(Games)]
		e, err := New(game, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Reset(seed); err != nil {
			t.Fatal(err)
		}
		// Two replies: from the initial state and from wherever the first
		// left us.
		for i := 0; i < 2 && !e.Done(); i++ {
			before := snap(e)
			st, err := e.Step(reply)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Info.Valid {
				after := snap(e)
				after.legal, before.legal = nil, nil
				if !sameSnap(before, after) || st.Reward != e.SyntaxPenalty() {
					t.Fatalf("%s %q: invalid reply changed state or reward %v", game, reply, st.Reward)
				}
			}
		}
	})
}
