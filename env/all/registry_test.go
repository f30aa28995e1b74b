package all_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
	_ "vlmq/env/all"
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
		if got := env.FamilyOf(tc.name); got != tc.family {
			t.Errorf("env.FamilyOf(%q) = %q, want %q", tc.name, got, tc.family)
		}
	}
}

// TestOptionsCheck is each family's options against every family, checked
// before any env (or browser) starts.
func TestOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    env.Options
		want string // "" = passes
	}{
		{"numberline", env.Options{Obs: "image"}, ""},
		{"numberline", env.Options{Obs: "pixels"}, `observation mode "pixels", want one of both, image, text`},
		{"babyai/GoToObj", env.Options{Obs: "both"}, ""},
		{"babyai/GoToObj", env.Options{Obs: "text"}, `--obs applies to Gym Cards games only (got "text" for babyai/GoToObj)`},
		{"miniwob/click-button", env.Options{Obs: "pixels"}, "--obs applies to Gym Cards games only"},
		{"babyai/GoToObj", env.Options{ObsText: "balrog"}, ""},
		{"babyai/GoToObj", env.Options{ObsText: "x"}, `--obs-text "x", want one of default, balrog`},
		{"numberline", env.Options{ObsText: "default"}, ""},
		{"miniwob/click-button", env.Options{ObsText: "balrog"}, "--obs-text applies to BabyAI levels only"},
		{"miniwob/click-button", env.Options{Reward: "decayed", Data: "test"}, ""},
		{"miniwob/click-button", env.Options{Reward: "decay"}, `--reward "decay", want raw or decayed`},
		{"miniwob/click-button", env.Options{Data: "eval"}, `--data-mode "eval", want train or test`},
		{"numberline", env.Options{Reward: "raw"}, "--reward applies to MiniWoB tasks only"},
		{"babyai/GoToObj", env.Options{Data: "test"}, "--data-mode applies to MiniWoB tasks only"},
		{"numberline", env.Options{MiniWoBDir: "/nowhere"}, ""}, // ignored outside MiniWoB, as before
		{"numberline", env.Options{History: env.MaxHistory}, ""},
		{"numberline", env.Options{History: env.MaxHistory + 1}, "--history 65"},
		{"chess", env.Options{Obs: "image"}, ""}, // New reports the name
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
		if env.Known(n, env.Options{}) {
			t.Errorf("env.Known(%q)", n)
		}
		if slices.Contains(env.Names(), n) {
			t.Errorf("env.Names() lists %q", n)
		}
	}
	for _, n := range []string{"", "nope", "cards", "babyai/Nope"} { // refused before any browser starts
		if _, err := env.New(n, env.Options{}); err == nil {
			t.Errorf("env.New(%q) succeeded", n)
		}
	}
	if _, err := env.New("chess", env.Options{}); err == nil || !strings.Contains(err.Error(), `unknown environment "chess" (known: babyai/`) {
		t.Errorf("env.New(chess): %v", err)
	}
	if _, err := env.NewExpert(nil); !errors.Is(err, env.ErrNoExpert) {
		t.Errorf("env.NewExpert(nil): %v", err)
	}
}

// TestOptionOf: an env takes exactly its own family's options, with the
// neutral value the family gives them.
func TestOptionOf(t *testing.T) {
	for _, tc := range []struct {
		name, flag, neutral string
		ok                  bool
	}{
		{"numberline", "--obs", "both", true},
		{"points24", "--obs", "both", true},
		{"babyai/GoToLocal", "--obs", "", false},
		{"miniwob/click-button", "--obs", "", false},
		{"numberline", "--obs-text", "", false},
		{"no-such-env", "--obs", "", false},
	} {
		o, ok := env.OptionOf(tc.name, tc.flag)
		if ok != tc.ok || o.Neutral != tc.neutral {
			t.Errorf("OptionOf(%q, %q) = %q, %v; want %q, %v", tc.name, tc.flag, o.Neutral, ok, tc.neutral, tc.ok)
		}
	}
}
