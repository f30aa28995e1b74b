package all_test

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
	_ "vlmq/env/all"
	"vlmq/env/cards"
)

// TestEveryEnv builds each registered env, plays one random legal step and
// asks its expert for a move: the registry, the constructors and the
// experts agree on names and types.
func TestEveryEnv(t *testing.T) {
	chromium := os.Getenv("VLMQ_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err := os.Stat(chromium)
	haveChromium := err == nil
	for _, name := range env.Names() {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "miniwob/") && !haveChromium && os.Getenv("VLMQ_REQUIRE_CHROMIUM") == "" {
				t.Skip("chromium not installed")
			}
			e, err := env.New(name, env.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.Name() == "" {
				t.Error("empty name")
			}
			if _, err := e.Reset(3); err != nil {
				t.Fatal(err)
			}
			x, err := env.NewExpert(e)
			if err != nil {
				t.Fatal(err)
			}
			x.Reset()
			if c, err := x.Act(); err != nil || c == "" {
				t.Errorf("expert act %q, %v", c, err)
			}
			st, err := e.Step(e.Syntax().Format(e.RandomValid(rand.New(rand.NewPCG(1, 2)))))
			if err != nil {
				t.Fatal(err)
			}
			if !st.Info.Valid {
				t.Errorf("random valid choice judged invalid: %+v", st.Info)
			}
		})
	}
}

func TestUnknownEnv(t *testing.T) {
	for _, n := range []string{"", "nope", "babyai/Nope", "miniwob/"} {
		if _, err := env.New(n, env.Options{}); err == nil {
			t.Errorf("env.New(%q) succeeded", n)
		}
	}
}

func TestObsOption(t *testing.T) {
	for _, tc := range []struct {
		name, obs, wantErr string // wantErr "" means success
	}{
		{"numberline", "", ""},
		{"blackjack", "image", ""},
		{"points24", "text", ""},
		{"ezpoints", "both", ""},
		{"ezpoints", "pixels", "observation mode"},
		{"babyai/GoToObj", "", ""},
		{"babyai/GoToObj", "both", ""},
		{"babyai/GoToObj", "image", "--obs applies to Gym Cards games only"},
		{"miniwob/click-button", "text", "--obs applies to Gym Cards games only"}, // refused before Chromium starts
		{"chess", "image", "unknown environment"},
	} {
		e, err := env.New(tc.name, env.Options{Obs: tc.obs})
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s --obs %q: %v", tc.name, tc.obs, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s --obs %q: error %v, want one mentioning %q", tc.name, tc.obs, err, tc.wantErr)
		}
		if err != nil {
			continue
		}
		if c, ok := e.(*cards.Env); ok && tc.obs != "" && c.Obs() != tc.obs {
			t.Errorf("%s --obs %q: env mode %q", tc.name, tc.obs, c.Obs())
		}
		e.Close()
	}
}

func TestObsTextAndHistoryOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       env.Options
		wantErr string // "" means success
	}{
		{"babyai/GoToObj", env.Options{ObsText: "balrog"}, ""},
		{"babyai/GoToObj", env.Options{ObsText: "default"}, ""},
		{"numberline", env.Options{ObsText: "default"}, ""},
		{"babyai/GoToObj", env.Options{ObsText: "babyai-text"}, `--obs-text "babyai-text"`},
		{"numberline", env.Options{ObsText: "balrog"}, "--obs-text applies to BabyAI levels only"},
		{"miniwob/click-button", env.Options{ObsText: "balrog"}, "--obs-text applies to BabyAI levels only"}, // before Chromium starts
		{"numberline", env.Options{History: 16}, ""},
		{"babyai/GoToObj", env.Options{History: -1}, "--history -1"},
		{"numberline", env.Options{History: env.MaxHistory + 1}, "--history"},
	} {
		e, err := env.New(tc.name, tc.o)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s %+v: %v", tc.name, tc.o, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s %+v: error %v, want one mentioning %q", tc.name, tc.o, err, tc.wantErr)
		}
		if err != nil {
			continue
		}
		obs, err := e.Reset(1)
		if err != nil {
			t.Fatal(err)
		}
		if tc.o.ObsText == "balrog" && !strings.HasPrefix(obs.Legal[0], "turn left") {
			t.Errorf("%s balrog: legal %v", tc.name, obs.Legal)
		}
		e.Close()
	}
}

// TestMiniWoBAliases checks the old names of our renamed MiniWoB pages
// are known (results and commands name them) but not listed twice.
func TestMiniWoBAliases(t *testing.T) {
	for _, n := range []string{"miniwob/click-dialog", "miniwob/click-tab", "miniwob/focus-text"} {
		if !env.Known(n, env.Options{}) {
			t.Errorf("%s not known", n)
		}
		if slices.Contains(env.Names(), n) {
			t.Errorf("%s listed in Names", n)
		}
	}
	if env.Known("miniwob/click-dialog-3", env.Options{}) {
		t.Error("an unknown task is known")
	}
}
