package envs

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
)

// TestFamilies checks the three families are registered and own their
// names: vlmq's Family answers and each family's option checks.
func TestFamilies(t *testing.T) {
	if got := env.Families(); !slices.Equal(got, []string{"babyai", "cards", "miniwob"}) {
		t.Errorf("families %v", got)
	}
	for _, tc := range []struct{ name, family string }{
		{"numberline", "cards"}, {"blackjack", "cards"},
		{"babyai/GoToObj", "babyai"}, {"babyai/Nope", "babyai"},
		{"miniwob/click-button", "miniwob"}, {"miniwob/click-dialog", "miniwob"},
		{"chess", "chess"}, {"synthetic/copy", "synthetic"}, // no family: as before, the prefix or the name
	} {
		if got := Family(tc.name); got != tc.family {
			t.Errorf("Family(%q) = %q, want %q", tc.name, got, tc.family)
		}
		if IsCards(tc.name) != (tc.family == "cards") {
			t.Errorf("IsCards(%q) = %v", tc.name, !IsCards(tc.name))
		}
	}
}

// TestOptionsCheck is each family's options against every family, checked
// before any env (or browser) starts.
func TestOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string // "" = passes
	}{
		{"numberline", Options{Obs: "image"}, ""},
		{"numberline", Options{Obs: "pixels"}, `observation mode "pixels", want one of both, image, text`},
		{"babyai/GoToObj", Options{Obs: "both"}, ""},
		{"babyai/GoToObj", Options{Obs: "text"}, `--obs applies to Gym Cards games only (got "text" for babyai/GoToObj)`},
		{"miniwob/click-button", Options{Obs: "pixels"}, "--obs applies to Gym Cards games only"},
		{"babyai/GoToObj", Options{ObsText: "balrog"}, ""},
		{"babyai/GoToObj", Options{ObsText: "x"}, `--obs-text "x", want one of default, balrog`},
		{"numberline", Options{ObsText: "default"}, ""},
		{"miniwob/click-button", Options{ObsText: "balrog"}, "--obs-text applies to BabyAI levels only"},
		{"miniwob/click-button", Options{Reward: "decayed", Data: "test"}, ""},
		{"miniwob/click-button", Options{Reward: "decay"}, `--reward "decay", want raw or decayed`},
		{"miniwob/click-button", Options{Data: "eval"}, `--data-mode "eval", want train or test`},
		{"numberline", Options{Reward: "raw"}, "--reward applies to MiniWoB tasks only"},
		{"babyai/GoToObj", Options{Data: "test"}, "--data-mode applies to MiniWoB tasks only"},
		{"numberline", Options{MiniWoBDir: "/nowhere"}, ""}, // ignored outside MiniWoB, as before
		{"numberline", Options{History: MaxHistory}, ""},
		{"numberline", Options{History: MaxHistory + 1}, "--history 65"},
		{"chess", Options{Obs: "image"}, ""}, // New reports the name
	} {
		err := tc.o.Check(tc.name)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %+v: %v, want %q", tc.name, tc.o, err, tc.want)
		}
	}
}

// TestUnknownNames is the names no family builds, and the answers of
// Known and NewExpert for them.
func TestUnknownNames(t *testing.T) {
	for _, n := range []string{"", "nope", "cards", "NumberLine", "babyai/", "babyai/Nope", "babyai/gotoobj", "miniwob/nope", "miniwob/"} {
		if Known(n, Options{}) {
			t.Errorf("Known(%q)", n)
		}
		if slices.Contains(Names(), n) {
			t.Errorf("Names() lists %q", n)
		}
	}
	for _, n := range []string{"", "nope", "cards", "babyai/Nope"} { // refused before any browser starts
		if _, err := New(n, Options{}); err == nil {
			t.Errorf("New(%q) succeeded", n)
		}
	}
	if _, err := New("chess", Options{}); err == nil || !strings.Contains(err.Error(), `unknown environment "chess" (known: babyai/`) {
		t.Errorf("New(chess): %v", err)
	}
	if _, err := NewExpert(nil); !errors.Is(err, env.ErrNoExpert) {
		t.Errorf("NewExpert(nil): %v", err)
	}
}
