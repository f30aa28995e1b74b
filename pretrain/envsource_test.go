package pretrain

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"vlmq/env"
	"vlmq/env/babyai"
	"vlmq/model"
)

// lineSource is an EnvSource over one lineEnv with its expert.
func lineSource(t *testing.T, w Walks, held bool) (*EnvSource, *lineEnv) {
	t.Helper()
	e := &lineEnv{}
	s, err := NewEnvSource([]env.Env{e}, EnvSourceOptions{MaxSteps: 12, ImageSize: 16,
		Experts: []env.Expert{&lineExpert{e: e}}, Walks: w, HeldOut: held})
	if err != nil {
		t.Fatal(err)
	}
	return s, e
}

// position is a line view's answer to where it is, checked against the
// grey level its image shows.
func position(t *testing.T, seq Sequence) int {
	t.Helper()
	for _, p := range seq.QA {
		if p.Question == "Where are you on the line?" {
			n, err := strconv.Atoi(p.Answer)
			if err != nil || int(seq.Image.Pix[0]) != 20*n {
				t.Fatalf("answer %q for an image of grey %d", p.Answer, seq.Image.Pix[0])
			}
			return n
		}
	}
	t.Fatalf("no position question in %+v", seq.QA)
	return 0
}

// TestEnvSourceWalks: expert walks climb the line (the expert goes up at
// every step), random walks stay near its foot and noisy ones fall in
// between, as NoisyRandom says; every walk resets its expert; training
// draws use even reset seeds and held-out ones odd; facts the image does
// not show are asked only after the prompt.
func TestEnvSourceWalks(t *testing.T) {
	const draws = 400
	mean := map[string]float64{}
	for _, tc := range []struct {
		name string
		w    Walks
		held bool
	}{{"random", Walks{Random: 1}, false}, {"expert", Walks{Expert: 1}, true}, {"noisy", Walks{Noisy: 1}, false}} {
		s, e := lineSource(t, tc.w, tc.held)
		rng := rand.New(rand.NewPCG(1, 2))
		sum, high, asked, prompts := 0, 0, 0, 0
		for range draws {
			seq, err := s.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			n := position(t, seq)
			sum += n
			if n >= 8 {
				high++
			}
			for _, p := range seq.QA {
				if p.Question == "What is the goal?" {
					asked++
					if seq.Context == "" {
						t.Errorf("%s: a text-only fact asked of the image alone", tc.name)
					}
				}
			}
			if seq.Context != "" {
				prompts++
			}
		}
		if asked != prompts || prompts < draws/3 || prompts > 2*draws/3 {
			t.Errorf("%s: the goal asked %d times in %d draws with the prompt", tc.name, asked, prompts)
		}
		for _, seed := range e.seeds {
			if (seed&1 == 1) != tc.held {
				t.Fatalf("%s: reset seed %d in the %v half", tc.name, seed, map[bool]string{true: "held-out", false: "training"}[tc.held])
			}
		}
		mean[tc.name] = float64(sum) / draws
		if tc.name == "expert" && high < draws/4 {
			t.Errorf("expert walks reached 8 or more in %d of %d draws", high, draws)
		}
	}
	// Steps are uniform on 0..12, and the 12th ends the episode (its view
	// is the one before): the expert's mean is (0+1+...+11+11)/13; the
	// noisy expert climbs about 0.7 of its steps net (0.85 up, 0.15 down),
	// random walks about the square root of theirs.
	expert := 77.0 / 13
	if math.Abs(mean["expert"]-expert) > 0.6 || math.Abs(mean["noisy"]-0.7*expert) > 0.8 || mean["random"] > 3 {
		t.Errorf("mean positions %v, want expert %.2f, noisy %.2f, random below 3", mean, expert, 0.7*expert)
	}
}

// TestEnvSourceExpertDrawsArePure: draws with expert and noisy walks are
// a function of the rng alone: two sources over their own envs agree, and
// a draw is the same whatever was drawn before it.
func TestEnvSourceExpertDrawsArePure(t *testing.T) {
	mk := func() *EnvSource {
		a, b := &lineEnv{}, &colourEnv{}
		s, err := NewEnvSource([]env.Env{a, b}, EnvSourceOptions{MaxSteps: 12, ImageSize: 16,
			Experts: []env.Expert{&lineExpert{e: a}, nil}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1, s2 := mk(), mk()
	first := make([]Sequence, 30)
	for i := range first {
		var err error
		if first[i], err = s1.Draw(rand.New(rand.NewPCG(7, uint64(i)))); err != nil {
			t.Fatal(err)
		}
	}
	for i := len(first) - 1; i >= 0; i-- {
		if _, err := s2.Draw(rand.New(rand.NewPCG(99, uint64(i)))); err != nil {
			t.Fatal(err)
		}
		again, err := s2.Draw(rand.New(rand.NewPCG(7, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, first[i]) {
			t.Fatalf("draw %d differs when drawn again after others", i)
		}
	}
	for name, o := range map[string]EnvSourceOptions{
		"experts for other envs": {MaxSteps: 1, ImageSize: 16, Experts: []env.Expert{nil}},
		"negative weight":        {MaxSteps: 1, ImageSize: 16, Walks: Walks{Random: 1, Expert: -1}},
		"nan weight":             {MaxSteps: 1, ImageSize: 16, Walks: Walks{Noisy: math.NaN()}},
	} {
		if _, err := NewEnvSource([]env.Env{&lineEnv{}, &colourEnv{}}, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEnvSourceBabyAIExpert: on a BabyAI level the bot's walks give other
// views than random walks from the same rng, reproducibly.
func TestEnvSourceBabyAIExpert(t *testing.T) {
	mk := func(w Walks) *EnvSource {
		e, err := babyai.New("GoToLocal", babyai.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewEnvSource([]env.Env{e}, EnvSourceOptions{MaxSteps: 8, ImageSize: 32,
			Experts: []env.Expert{babyai.NewBot(e)}, Walks: w})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	random, expert, expert2 := mk(Walks{Random: 1}), mk(Walks{Expert: 1}), mk(Walks{Expert: 1})
	differ := 0
	for i := range 20 {
		r, err := random.Draw(rand.New(rand.NewPCG(3, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		x, err := expert.Draw(rand.New(rand.NewPCG(3, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		x2, err := expert2.Draw(rand.New(rand.NewPCG(3, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(x, x2) {
			t.Fatalf("draw %d: two expert sources disagree", i)
		}
		if !reflect.DeepEqual(r.Image.Pix, x.Image.Pix) {
			differ++
		}
	}
	// The walks share the seed and step count; only the moves differ
	// (a walk of 0 steps shows the same first view).
	if differ < 10 {
		t.Errorf("expert and random walks gave other views in %d of 20 draws", differ)
	}
}

// TestPretrainStreamEnvSourceResumeIsExact: a curriculum stream over fresh
// views walked by random, expert and noisy-expert policies resumes bit for
// bit.
func TestPretrainStreamEnvSourceResumeIsExact(t *testing.T) {
	tok := synthTokenizer(t)
	fresh := func() *model.VLM { return tinyModel(t, tok, 3) }
	train := func(ctx context.Context, m *model.VLM, o Options) error {
		a, b := &lineEnv{}, &colourEnv{}
		views, err := NewEnvSource([]env.Env{a, b}, EnvSourceOptions{MaxSteps: 12, ImageSize: m.ImageSize(),
			Experts: []env.Expert{&lineExpert{e: a}, nil}})
		if err != nil {
			return err
		}
		st, err := DefaultCurriculum().Stream(m, views)
		if err != nil {
			return err
		}
		_, err = PretrainStream(ctx, m, st, o)
		return err
	}
	checkResumeIsExact(t, fresh, train, Options{Steps: 8, BatchSize: 3, LR: 3e-3, Seed: 5}, []int{1, 5})
}
