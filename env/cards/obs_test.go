package cards

import (
	"image"
	"image/color"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
	"vlmq/render"
)

func TestObsModeOption(t *testing.T) {
	for _, tc := range []struct {
		obs, want string // want "" means New must fail
	}{
		{"", ObsBoth}, {ObsBoth, ObsBoth}, {ObsImage, ObsImage}, {ObsText, ObsText},
		{"Image", ""}, {"pixels", ""}, {" both", ""},
	} {
		for _, g := range Games {
			e, err := New(g, Options{Obs: tc.obs})
			switch {
			case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "observation mode")):
				t.Errorf("%s Obs %q: error %v, want one about the observation mode", g, tc.obs, err)
			case tc.want != "" && err != nil:
				t.Errorf("%s Obs %q: %v", g, tc.obs, err)
			case tc.want != "" && e.Obs() != tc.want:
				t.Errorf("%s Obs %q: mode %q, want %q", g, tc.obs, e.Obs(), tc.want)
			}
		}
	}
}

// turn is everything an agent and the pretraining corpus get at one state.
type turn struct {
	prompt, text string
	pix          []byte
	facts        []env.QA
}

// playTurns plays a random trajectory (legal choices, so invalid card
// numbers included) of at most maxTurns steps and records every turn.
func playTurns(t *testing.T, e *Env, seed int64, maxTurns int) []turn {
	t.Helper()
	o := mustReset(t, e, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	var out []turn
	for {
		out = append(out, turn{env.Prompt(e.Task(), o, e.Syntax()), o.Text, slices.Clone(o.Image.Pix), e.Facts()})
		if e.Done() || len(out) > maxTurns {
			return out
		}
		o = mustStep(t, e, e.RandomValid(rng)).Obs
	}
}

// In ObsImage mode nothing in the prompt depends on the state, except the
// formula being built in EZPoints and Points24: with that line cut out,
// every prompt of a game is the same string.
func TestImageModePromptsHoldNoState(t *testing.T) {
	for _, game := range Games {
		e := mustNew(t, game, Options{Obs: ObsImage})
		both := mustNew(t, game, Options{})
		_, isFormula := e.g.(*formulaGame)
		var first string
		for s := int64(0); s < 200; s++ {
			turns := playTurns(t, e, s, 12)
			ref := playTurns(t, both, s, 12)
			for i, tu := range turns {
				p := tu.prompt
				if isFormula {
					g := e.g.(*formulaGame)
					if !strings.HasPrefix(tu.text, "Formula: ") || strings.Contains(tu.text, ";") {
						t.Fatalf("%s seed %d turn %d: text %q, want only the formula", game, s, i, tu.text)
					}
					// Only the formula line may vary; the cards must not
					// appear anywhere, so the line is cut and the rest compared.
					p = strings.Replace(p, "\nObservation: "+tu.text, "", 1)
					if i == len(turns)-1 && !strings.HasSuffix(tu.text, strings.Join(g.formula, "")) {
						t.Fatalf("%s seed %d: text %q does not end in the formula %q", game, s, tu.text, g.formula)
					}
				} else if tu.text != "" {
					t.Fatalf("%s seed %d turn %d: observation text %q, want none", game, s, i, tu.text)
				}
				for _, leak := range []string{"Target:", "Current:", "total", "Dealer shows", "your cards", "Cards:", "Observation:"} {
					if strings.Contains(p, leak) {
						t.Fatalf("%s seed %d turn %d: prompt holds %q:\n%s", game, s, i, leak, tu.prompt)
					}
				}
				if first == "" {
					first = p
				}
				if p != first {
					t.Fatalf("%s seed %d turn %d: prompt depends on the state:\n%s\nvs\n%s", game, s, i, p, first)
				}
				// The image still shows the state, so the facts stay
				// those of ObsBoth.
				if i < len(ref) && !reflect.DeepEqual(tu.facts, ref[i].facts) {
					t.Fatalf("%s seed %d turn %d: facts %v differ from ObsBoth's %v", game, s, i, tu.facts, ref[i].facts)
				}
			}
		}
	}
}

// ObsBoth is the behaviour from before the modes existed: the default and
// an explicit "both" agree on every turn, and first prompts are pinned.
func TestBothModeUnchanged(t *testing.T) {
	pinned := map[string]string{
		NumberLine: "Goal: Move the current number to the target number.\nActions: \"+\" adds 1 (up to 5), \"-\" subtracts 1 (down to 0). A step that does not get closer costs -1; reaching the target gives +1.\nAnswer in the form: [action] +\nObservation: Target: 4, Current: 2\nReply:",
		Blackjack:  "Goal: Win the hand of blackjack: finish closer to 21 than the dealer without going over. J, Q and K count 10, A counts 1 or 11. The dealer draws until reaching 17.\nActions: \"hit\" takes another card; \"stand\" ends your turn and the dealer plays. Win +1, draw 0, loss or bust -1.\nAnswer in the form: [action] stand\nObservation: Dealer shows 9; your cards: 7, K (total 17)\nReply:",
		// Before, the rules' last sentence read "... costs -1; a formula
		// longer than 5 tokens ends the episode with -1." (see formula.go).
		EZPoints: "Goal: Write a formula that equals 12 using each of the 2 cards in the image exactly once. J, Q and K count as 10 and A as 1.\nActions: Add one token per step: a card number 1-10 (each card once), or one of + *; \"=\" finishes and checks the formula (+10 if it equals 12 with every card used, else -1). Adjacent numbers join into one number (1 then 2 makes 12). A number that is not an unused card costs -1 and still takes a place in the formula; once the formula is longer than 5 tokens, the next step ends the episode with -1.\nAnswer in the form: [action] 7\nObservation: Cards: 7, 5; Formula: (empty)\nReply:",
		Points24: "Goal: Write a formula that equals 24 using each of the 4 cards in the image exactly once. J, Q and K count as 10 and A as 1.\nActions: Add one token per step: a card number 1-10 (each card once), or one of + - * / ( ); \"=\" finishes and checks the formula (+10 if it equals 24 with every card used, else -1). Adjacent numbers join into one number (1 then 2 makes 12). A number that is not an unused card costs -1 and still takes a place in the formula; once the formula is longer than 20 tokens, the next step ends the episode with -1.\nAnswer in the form: [action] 7\nObservation: Cards: 7, K, 9, 10; Formula: (empty)\nReply:",
	}
	for _, game := range Games {
		def := mustNew(t, game, Options{})
		both := mustNew(t, game, Options{Obs: ObsBoth})
		for s := int64(0); s < 20; s++ {
			a, b := playTurns(t, def, s, 12), playTurns(t, both, s, 12)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s seed %d: Obs \"both\" differs from the default", game, s)
			}
			if s == 0 && a[0].prompt != pinned[game] {
				t.Errorf("%s seed 0: first prompt\n%s\nwant\n%s", game, a[0].prompt, pinned[game])
			}
		}
	}
}

// ObsText keeps ObsBoth's prompts and facts but blanks the image.
func TestTextModeBlanksTheImage(t *testing.T) {
	for _, game := range Games {
		e := mustNew(t, game, Options{Obs: ObsText, ReuseImage: game == Blackjack})
		both := mustNew(t, game, Options{})
		bg := e.g.background()
		blank := render.NewRGBA(Size, Size, bg)
		for s := int64(0); s < 30; s++ {
			a, b := playTurns(t, e, s, 12), playTurns(t, both, s, 12)
			if len(a) != len(b) {
				t.Fatalf("%s seed %d: %d turns, ObsBoth %d", game, s, len(a), len(b))
			}
			for i := range a {
				if a[i].prompt != b[i].prompt || !reflect.DeepEqual(a[i].facts, b[i].facts) {
					t.Fatalf("%s seed %d turn %d: prompt or facts differ from ObsBoth", game, s, i)
				}
				if !slices.Equal(a[i].pix, blank.Pix) {
					t.Fatalf("%s seed %d turn %d: image is not a blank %v background", game, s, i, bg)
				}
			}
		}
	}
	if (&numberLine{}).background() != (color.RGBA{255, 255, 255, 255}) {
		t.Error("NumberLine's background is white")
	}
}

// Blackjack's ObsImage frame is ObsBoth's with the hand labels replaced by
// the plain "Dealer" and "Player" of RL4VLM: the label bands are the same
// picture in every state, and everything else matches ObsBoth pixel for
// pixel.
func TestBlackjackImageModePaintsNoTotals(t *testing.T) {
	bands := []image.Rectangle{
		image.Rect(0, 0, Size, bjDealerY),            // "Dealer shows 9" / "Dealer: 19"
		image.Rect(0, bjPlayerY-36, Size, bjPlayerY), // "Player: 17"
	}
	inBand := func(y int) bool {
		for _, b := range bands {
			if y >= b.Min.Y && y < b.Max.Y {
				return true
			}
		}
		return false
	}
	e := mustNew(t, Blackjack, Options{Obs: ObsImage})
	both := mustNew(t, Blackjack, Options{})
	var ref *image.RGBA
	bothBands := map[string]bool{}
	for s := int64(0); s < 200; s++ {
		a, b := playTurns(t, e, s, 12), playTurns(t, both, s, 12)
		for i := range a {
			img := &image.RGBA{Pix: a[i].pix, Stride: 4 * Size, Rect: image.Rect(0, 0, Size, Size)}
			if ref == nil {
				ref = img
			}
			for y := 0; y < Size; y++ {
				row := a[i].pix[y*4*Size : (y+1)*4*Size]
				if inBand(y) {
					if !slices.Equal(row, ref.Pix[y*4*Size:(y+1)*4*Size]) {
						t.Fatalf("seed %d turn %d: label row %d depends on the state (a total or card is painted)", s, i, y)
					}
				} else if !slices.Equal(row, b[i].pix[y*4*Size:(y+1)*4*Size]) {
					t.Fatalf("seed %d turn %d: row %d differs from ObsBoth outside the labels", s, i, y)
				}
			}
			var bb []byte
			for _, r := range bands {
				bb = append(bb, b[i].pix[r.Min.Y*4*Size:r.Max.Y*4*Size]...)
			}
			bothBands[string(bb)] = true
		}
	}
	// Guard the test itself: in ObsBoth the bands do carry the totals.
	if len(bothBands) < 20 {
		t.Errorf("ObsBoth's label bands took only %d distinct looks", len(bothBands))
	}
	checkGolden(t, "blackjack_image", ref)
}
