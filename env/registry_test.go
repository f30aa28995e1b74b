package env_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
)

// coin is the smallest env family, the one docs/extending.md shows: its
// own package would hold the env and this init, and env/all/all.go one blank
// import of it. One flip per episode: call the coin's side.
type coin struct {
	name           string
	syntax         env.Syntax
	penalty        float64
	side           string
	started, done  bool
	steps, maxStep int
}

func (c *coin) Name() string { return c.name }
func (c *coin) Reset(seed int64) (env.Observation, error) {
	c.side = []string{"heads", "tails"}[rand.New(rand.NewPCG(uint64(seed), 1)).IntN(2)]
	c.started, c.done, c.steps = true, false, 0
	return env.Observation{Text: "a coin spins", Legal: []string{"heads", "tails"}}, nil
}
func (c *coin) Task() env.Task {
	return env.Task{Goal: "call the coin", Actions: "heads or tails", Example: "heads"}
}
func (c *coin) Step(reply string) (env.Step, error) {
	if err := env.StepGuard(c.started, c.done); err != nil {
		return env.Step{}, err
	}
	c.steps++
	var st env.Step
	if choice, ok := c.syntax.Choose(reply, []string{"heads", "tails"}); ok {
		st.Info.Valid, st.Info.Action = true, choice
		st.Done, st.Info.Success = true, choice == c.side
		if st.Info.Success {
			st.Reward = 1
		}
	} else {
		st.Reward, st.Info.Reason = c.penalty, "no call"
	}
	env.CutOff(&st, c.steps, c.maxStep)
	c.done = st.Done
	return st, nil
}
func (c *coin) RandomValid(rng *rand.Rand) string { return []string{"heads", "tails"}[rng.IntN(2)] }
func (c *coin) Syntax() env.Syntax                { return c.syntax }
func (c *coin) Close() error                      { return nil }

// coinExpert peeks.
type coinExpert struct{ c *coin }

func (x coinExpert) Reset()               {}
func (x coinExpert) Act() (string, error) { return x.c.side, nil }

// coinFamily is what the family's init registers. Its one option reuses
// Options.Reward: a family with options of its own adds fields to
// env.Options and flags to cli's envFlags.
func coinFamily() env.Family {
	return env.Family{
		Name:   "coin",
		Prefix: "coin/",
		Title:  "coin flips",
		Names:  func() []string { return []string{"coin/fair", "coin/quick"} },
		New: func(name string, o env.Options) (env.Env, error) {
			c := &coin{name: name, syntax: o.Syntax, penalty: env.Penalty(o.SyntaxPenalty, o.ZeroPenalty), maxStep: o.MaxSteps}
			if name != "coin/fair" && name != "coin/quick" {
				return nil, fmt.Errorf("coin: no game %q", name)
			}
			if c.syntax.Marker == "" {
				c.syntax = env.DefaultSyntax()
			}
			if c.maxStep == 0 {
				c.maxStep = 3
			}
			return c, nil
		},
		NewExpert: func(e env.Env) (env.Expert, bool) {
			c, ok := e.(*coin)
			return coinExpert{c}, ok
		},
		Options: []env.Option{{
			Flag:    "--reward",
			Value:   func(o env.Options) string { return o.Reward },
			Neutral: "raw",
			Check: func(v string) error {
				if v != "raw" {
					return fmt.Errorf("coin: --reward %q, want raw", v)
				}
				return nil
			},
		}},
	}
}

// A family's whole wiring.
func init() { env.Register(coinFamily()) }

// TestExampleFamily builds, lists, validates and plays the registered
// example family through the package's registry, as envs does for real
// families.
func TestExampleFamily(t *testing.T) {
	if got := env.Names(); !slices.Equal(got, []string{"coin/fair", "coin/quick"}) {
		t.Errorf("Names() = %v", got)
	}
	if f, ok := env.Lookup("coin/fair"); !ok || f.Name != "coin" {
		t.Errorf("Lookup = %v, %v", f, ok)
	}
	if !env.Known("coin/fair", env.Options{}) || env.Known("coin/loaded", env.Options{}) || env.Known("dice", env.Options{}) {
		t.Error("Known is wrong")
	}
	e, err := env.New("coin/fair", env.Options{SyntaxPenalty: -2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Step("[action] heads"); !errors.Is(err, env.ErrNotStarted) {
		t.Errorf("Step before Reset: %v", err)
	}
	if _, err := e.Reset(7); err != nil {
		t.Fatal(err)
	}
	x, err := env.NewExpert(e)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.Step("no marker")
	if st.Reward != -2 || st.Info.Valid || st.Done {
		t.Errorf("invalid reply: %+v", st)
	}
	c, _ := x.Act()
	st, _ = e.Step(e.Syntax().Format(c))
	if !st.Done || !st.Info.Success || st.Reward != 1 {
		t.Errorf("the expert's call: %+v", st)
	}
	if _, err := e.Step("[action] heads"); !errors.Is(err, env.ErrEpisodeDone) {
		t.Errorf("Step after the end: %v", err)
	}
	for _, tc := range []struct {
		name string
		o    env.Options
		want string // "" = built
	}{
		{"coin/quick", env.Options{Reward: "raw"}, ""},
		{"coin/quick", env.Options{Reward: "decayed"}, `coin: --reward "decayed"`},
		{"coin/quick", env.Options{History: -1}, "--history -1"},
		{"coin/loaded", env.Options{}, `coin: no game "coin/loaded"`},
		{"dice", env.Options{}, `unknown environment "dice" (known: coin/fair, coin/quick)`},
	} {
		_, err := env.New(tc.name, tc.o)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("New(%s, %+v): %v, want %q", tc.name, tc.o, err, tc.want)
		}
	}
	if _, err := env.NewExpert(nil); !errors.Is(err, env.ErrNoExpert) {
		t.Errorf("NewExpert(nil): %v", err)
	}
}

// TestRegister checks what Register refuses: incomplete families and two
// families claiming one name, prefix or env.
func TestRegister(t *testing.T) {
	noPrefix := func(names ...string) env.Family {
		f := coinFamily()
		f.Name, f.Prefix, f.Names = "games", "", func() []string { return names }
		return f
	}
	for _, tc := range []struct {
		name string
		mod  func(f *env.Family)
		want string // "" = registered
	}{
		{"another family", func(f *env.Family) {
			f.Name, f.Prefix, f.Names = "dice", "dice/", func() []string { return []string{"dice/d6"} }
		}, ""},
		{"a family without a prefix", func(f *env.Family) { *f = noPrefix("chess", "go") }, ""},
		{"the same name", func(f *env.Family) { f.Prefix = "coin2/"; f.Names = func() []string { return nil } }, `"coin" registered twice`},
		{"the same prefix", func(f *env.Family) { f.Name = "coin2" }, `both claim the prefix "coin/"`},
		{"an env another family owns", func(f *env.Family) { *f = noPrefix("chess", "coin/fair") }, `both name "coin/fair"`},
		{"a name outside the prefix", func(f *env.Family) { f.Name, f.Prefix = "pure", "pure/" }, `lists "coin/fair", outside its prefix "pure/"`},
		{"no name", func(f *env.Family) { f.Name = "" }, "needs a Name"},
		{"no New", func(f *env.Family) { f.Name, f.New = "x", nil }, "needs a Name, Title, Names and New"},
		{"a prefix without a slash", func(f *env.Family) { f.Name, f.Prefix = "x", "x" }, `prefix "x" does not end in /`},
		{"an option without a value", func(f *env.Family) { f.Name, f.Options = "x", []env.Option{{Flag: "--x"}} }, "an option needs a Flag and a Value"},
	} {
		var r env.Registry
		if err := r.Register(coinFamily()); err != nil {
			t.Fatal(err)
		}
		f := coinFamily()
		tc.mod(&f)
		err := r.Register(f)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A prefix that covers a prefix-less family's env is refused too.
	var r env.Registry
	if err := r.Register(noPrefix("coin/fair2")); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(coinFamily()); err == nil || !strings.Contains(err.Error(), `covers "coin/fair2"`) {
		t.Errorf("a prefix over another family's env: %v", err)
	}
	// The package's Register panics: a broken family is a programming error.
	defer func() {
		if recover() == nil {
			t.Error("registering coin twice did not panic")
		}
	}()
	env.Register(coinFamily())
}

// TestCheck checks options against families: another family's option is
// refused unless it has its neutral value, the owner checks values, and a
// name no family owns is left to New.
func TestCheck(t *testing.T) {
	var r env.Registry
	dice := env.Family{
		Name: "dice", Prefix: "dice/", Title: "dice games",
		Names:   func() []string { return []string{"dice/d6"} },
		New:     func(string, env.Options) (env.Env, error) { return nil, errors.New("no dice") },
		Options: []env.Option{{Flag: "--obs", Value: func(o env.Options) string { return o.Obs }, Neutral: "both"}},
	}
	for _, f := range []env.Family{coinFamily(), dice} {
		if err := r.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		o    env.Options
		want string // "" = passes
	}{
		{"coin/fair", env.Options{}, ""},
		{"coin/fair", env.Options{Reward: "raw"}, ""},
		{"coin/fair", env.Options{Reward: "x"}, `coin: --reward "x"`},
		{"coin/fair", env.Options{Obs: "both"}, ""}, // dice's neutral value
		{"coin/fair", env.Options{Obs: "image"}, `envs: --obs applies to dice games only (got "image" for coin/fair)`},
		{"dice/d6", env.Options{Obs: "anything"}, ""}, // no Check: any value
		{"dice/d6", env.Options{Reward: "raw"}, ""},
		{"dice/d6", env.Options{Reward: "decayed"}, "--reward applies to coin flips only"},
		{"chess", env.Options{Obs: "image", Reward: "x"}, ""},
	} {
		err := r.Check(tc.name, tc.o)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%s, %+v): %v, want %q", tc.name, tc.o, err, tc.want)
		}
	}
	if got := r.Families(); !slices.Equal(got, []string{"coin", "dice"}) {
		t.Errorf("Families() = %v", got)
	}
	if got := r.Names(); !slices.Equal(got, []string{"coin/fair", "coin/quick", "dice/d6"}) {
		t.Errorf("Names() = %v", got)
	}
}
