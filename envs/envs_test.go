package envs

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
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
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "miniwob/") && !haveChromium && os.Getenv("VLMQ_REQUIRE_CHROMIUM") == "" {
				t.Skip("chromium not installed")
			}
			e, err := New(name, Options{})
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
			x, err := NewExpert(e)
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
		if _, err := New(n, Options{}); err == nil {
			t.Errorf("New(%q) succeeded", n)
		}
	}
}
