package dataset

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"vlmq/env"
)

func TestCollectExpert(t *testing.T) {
	l := newLine()
	exp := &lineExpert{l: l}
	ss := seeds(0, 30)
	eps, err := Collect(l, ExpertPolicy(exp, l.Syntax()), ss, CollectOptions{FirstID: 10, Source: "expert"})
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != len(ss) || exp.resets != len(ss) || l.resets != len(ss) {
		t.Fatalf("%d episodes, %d expert resets, %d env resets; want %d each", len(eps), exp.resets, l.resets, len(ss))
	}
	for i, e := range eps {
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
		// Replay the seed to know the start: the expert needs exactly
		// |goal-start| steps and earns +1 once.
		probe := newLine()
		obs, _ := probe.Reset(ss[i])
		dist := abs(probe.pos - probe.goal)
		if e.ID != 10+int64(i) || e.Seed != ss[i] || e.Env != "line" || len(e.Turns) != dist || !e.Success || e.Return != 1 {
			t.Fatalf("episode %d: id %d seed %d turns %d (want %d) success %v return %v", i, e.ID, e.Seed, len(e.Turns), dist, e.Success, e.Return)
		}
		first := e.Turns[0]
		want, _ := EncodeImage(obs.Image)
		if !bytes.Equal(first.Image, want) {
			t.Fatalf("episode %d: first image is not the reset observation", i)
		}
		if first.Prompt != env.Prompt(probe.Task(), obs, probe.Syntax()) {
			t.Fatalf("episode %d: prompt %q", i, first.Prompt)
		}
		for j, tr := range e.Turns {
			if !tr.Valid || tr.Source != "expert" || tr.Done != (j == len(e.Turns)-1) || !strings.HasPrefix(tr.Reply, env.DefaultMarker) {
				t.Fatalf("episode %d turn %d: %+v", i, j, tr)
			}
		}
	}
}

func TestCollectRandomDeterministicAndCutOff(t *testing.T) {
	run := func(seed uint64, maxTurns int) []Episode {
		l := newLine()
		eps, err := Collect(l, RandomValid(l, rand.New(rand.NewPCG(seed, 0))), seeds(0, 20), CollectOptions{Source: "random", MaxTurns: maxTurns})
		if err != nil {
			t.Fatal(err)
		}
		return eps
	}
	a, b := run(1, 0), run(1, 0)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same rng seed gave different episodes")
	}
	if reflect.DeepEqual(a, run(2, 0)) {
		t.Fatal("different rng seeds gave identical episodes")
	}
	truncated := 0
	for _, e := range a {
		ret := 0.0
		for _, tr := range e.Turns {
			ret += tr.Reward
			if !tr.Valid {
				t.Fatal("random valid policy made an invalid reply")
			}
		}
		if math.Abs(ret-e.Return) > 1e-12 {
			t.Fatalf("return %v, rewards sum to %v", e.Return, ret)
		}
		if len(e.Turns) == 10 && !e.Success {
			truncated++
		}
	}
	if truncated == 0 {
		t.Fatal("no random episode hit the env's step limit; the fake env or collector is off")
	}
	for _, e := range run(1, 2) {
		if len(e.Turns) > 2 {
			t.Fatalf("MaxTurns 2 gave %d turns", len(e.Turns))
		}
	}
}

func TestCollectErrors(t *testing.T) {
	l := newLine()
	boom := errors.New("boom")
	failing := PolicyFunc(func(env.Observation, env.Task) (string, error) { return "", boom })
	if _, err := Collect(l, failing, seeds(0, 2), CollectOptions{}); !errors.Is(err, boom) {
		t.Fatalf("policy error not propagated: %v", err)
	}
	if _, err := Collect(nil, failing, seeds(0, 1), CollectOptions{}); err == nil {
		t.Fatal("nil env accepted")
	}
	if _, err := Collect(l, failing, seeds(0, 1), CollectOptions{MaxTurns: -1}); err == nil {
		t.Fatal("negative MaxTurns accepted")
	}
	if _, err := RandomValid(l, nil).Reply(env.Observation{}, env.Task{}); err == nil {
		t.Fatal("nil rng accepted")
	}
}

// staticEnv never changes state; it exists to measure reply noise.
type staticEnv struct {
	lineEnv
	legal []string
}

func (s *staticEnv) RandomValid(rng *rand.Rand) string { return s.legal[rng.IntN(len(s.legal))] }

func TestNoisyRates(t *testing.T) {
	legal := []string{"a", "b", "c", "d", "e"}
	cases := []struct {
		name                string
		pRand, pWrong, pInv float64
		legal               []string
	}{
		{"mixed", 0.2, 0.1, 0.3, legal},
		{"invalid only", 0, 0, 0.5, legal},
		{"random only", 0.4, 0, 0, legal},
		{"wrong only", 0, 0.4, 0, legal},
		{"clean", 0, 0, 0, legal},
		{"parametric", 0.1, 0.2, 0.4, nil},
	}
	const n = 20000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &staticEnv{legal: legal}
			syn := e.Syntax()
			inner := PolicyFunc(func(env.Observation, env.Task) (string, error) { return syn.Format("a"), nil })
			p, err := Noisy(inner, e, NoiseConfig{PRandomValid: c.pRand, PWrongValid: c.pWrong, PInvalid: c.pInv, Rng: rand.New(rand.NewPCG(5, 5))})
			if err != nil {
				t.Fatal(err)
			}
			obs := env.Observation{Legal: c.legal}
			invalid, other := 0, 0
			kinds := map[NoiseKind]bool{}
			for range n {
				r, err := p.Reply(obs, env.Task{})
				if err != nil {
					t.Fatal(err)
				}
				var ch string
				var ok bool
				if c.legal != nil {
					ch, ok = syn.Choose(r, c.legal)
				} else {
					ch, ok = syn.Extract(r)
				}
				switch {
				case !ok:
					invalid++
					kinds[p.Last()] = true
					if p.Last() == NoiseNone || p.Last() == NoiseRandomValid || p.Last() == NoiseWrongValid {
						t.Fatalf("reply %q is invalid but labelled %v", r, p.Last())
					}
				case ch != "a":
					other++
					if p.Last() == NoiseNone {
						t.Fatalf("reply %q is not the inner policy's but labelled %v", r, p.Last())
					}
				case p.Last() == NoiseWrongValid:
					t.Fatalf("wrong-valid reply %q is the inner policy's choice", r)
				}
				if ok && p.Last() != NoiseNone && p.Last() != NoiseRandomValid && p.Last() != NoiseWrongValid {
					t.Fatalf("reply %q labelled %v parses as %q", r, p.Last(), ch)
				}
			}
			// Random valid choices hit the expert's "a" 1 time in 5;
			// wrong ones never do.
			checkRate(t, "invalid", invalid, n, c.pInv)
			checkRate(t, "non-expert legal", other, n, c.pRand*4/5+c.pWrong)
			counts := p.Counts()
			total := 0
			for _, v := range counts {
				total += v
			}
			if total != n || counts[NoiseRandomValid]+counts[NoiseWrongValid]+counts[NoiseNone] != n-invalid {
				t.Fatalf("counts %v do not add up (invalid %d of %d)", counts, invalid, n)
			}
			if c.pInv > 0 {
				// Every malformation appears; parametric spaces only use
				// those that cannot parse at all.
				want := []NoiseKind{NoiseEmpty, NoiseTruncated, NoiseNoMarker, NoiseBadMarker, NoiseNoChoice, NoiseFreeText}
				if c.legal != nil {
					want = append(want, NoiseWrongChoice, NoiseTrailing)
				}
				for _, k := range want {
					if !kinds[k] {
						t.Errorf("no %v reply in %d invalid ones", k, invalid)
					}
				}
				if c.legal == nil && (kinds[NoiseWrongChoice] || kinds[NoiseTrailing]) {
					t.Error("parametric space got a reply that the syntax can extract")
				}
			}
		})
	}
}

// checkRate fails when k/n is more than 5 standard errors from p.
func checkRate(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	got := float64(k) / float64(n)
	tol := 5*math.Sqrt(p*(1-p)/float64(n)) + 1e-9
	if math.Abs(got-p) > tol {
		t.Errorf("%s rate %.4f, configured %.4f (tolerance %.4f)", what, got, p, tol)
	}
}

func TestNoisyThroughCollect(t *testing.T) {
	l := newLine()
	exp := &lineExpert{l: l}
	p, err := Noisy(ExpertPolicy(exp, l.Syntax()), l, NoiseConfig{PRandomValid: 0.1, PInvalid: 0.25, Rng: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	eps, err := Collect(l, p, seeds(0, 1500), CollectOptions{Source: "noisy-expert"})
	if err != nil {
		t.Fatal(err)
	}
	if exp.resets != 1500 {
		t.Fatalf("expert reset %d times through Noisy, want 1500", exp.resets)
	}
	invalid, n := 0, 0
	for _, e := range eps {
		for _, tr := range e.Turns {
			n++
			if !tr.Valid {
				invalid++
				if tr.Reward != env.DefaultSyntaxPenalty {
					t.Fatalf("invalid turn rewarded %v", tr.Reward)
				}
			}
		}
	}
	if exp.acts != n {
		t.Fatalf("expert consulted %d times for %d turns", exp.acts, n)
	}
	checkRate(t, "invalid turns", invalid, n, 0.25)
}

func TestNoisyDeterministicAndConfig(t *testing.T) {
	l := newLine()
	replies := func(seed uint64) []string {
		l.Reset(1)
		p, err := Noisy(ExpertPolicy(&lineExpert{l: l}, l.Syntax()), l, NoiseConfig{PRandomValid: 0.3, PInvalid: 0.5, Rng: rand.New(rand.NewPCG(seed, 0))})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for range 200 {
			r, _ := p.Reply(env.Observation{Legal: l.legal()}, env.Task{})
			out = append(out, r)
		}
		return out
	}
	if !reflect.DeepEqual(replies(4), replies(4)) {
		t.Fatal("same rng seed gave different replies")
	}
	if reflect.DeepEqual(replies(4), replies(5)) {
		t.Fatal("different seeds gave the same replies")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	inner := ExpertPolicy(&lineExpert{l: l}, l.Syntax())
	bad := []NoiseConfig{
		{PRandomValid: -0.1, Rng: rng},
		{PInvalid: 1.2, Rng: rng},
		{PRandomValid: 0.6, PInvalid: 0.6, Rng: rng},
		{PRandomValid: 0.4, PWrongValid: 0.4, PInvalid: 0.4, Rng: rng},
		{PWrongValid: -0.1, Rng: rng},
		{PInvalid: math.NaN(), Rng: rng},
		{PInvalid: 0.1},
	}
	for _, cfg := range bad {
		if _, err := Noisy(inner, l, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// With History, each turn's prompt shows the earlier turns' observations
// and actions (an invalid reply as such), at most History of them, and a
// new episode starts with none.
func TestCollectHistory(t *testing.T) {
	l := newLine()
	replies := []string{"[action] +", "oops", "[action] -", "[action] +"}
	i := 0
	pol := PolicyFunc(func(env.Observation, env.Task) (string, error) {
		r := replies[i%len(replies)]
		i++
		return r, nil
	})
	eps, err := Collect(l, pol, seeds(0, 2), CollectOptions{History: 2, MaxTurns: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps {
		probe := newLine()
		obs, _ := probe.Reset(ep.Seed)
		var past []env.Past
		for j, tr := range ep.Turns {
			want := env.PromptWithHistory(probe.Task(), obs, probe.Syntax(), past)
			if tr.Prompt != want {
				t.Fatalf("episode %d turn %d prompt\n%s\nwant\n%s", ep.ID, j, tr.Prompt, want)
			}
			st, _ := probe.Step(tr.Reply)
			a := st.Info.Action
			if !st.Info.Valid {
				a = env.InvalidAction
			}
			past = append(past, env.Past{Obs: obs.Text, Action: a})
			if len(past) > 2 {
				past = past[1:]
			}
			obs = st.Obs
		}
		if len(ep.Turns) < 4 || !strings.Contains(ep.Turns[2].Prompt, "Turn -1 action: (invalid reply)") ||
			!strings.Contains(ep.Turns[2].Prompt, "Turn -2 action: ") || strings.Contains(ep.Turns[0].Prompt, "Turn -") ||
			strings.Contains(ep.Turns[3].Prompt, "Turn -3") {
			t.Errorf("episode %d prompts:\n%s", ep.ID, ep.Turns[2].Prompt)
		}
	}
	if _, err := Collect(l, pol, seeds(0, 1), CollectOptions{History: -1}); err == nil {
		t.Error("negative History accepted")
	}
}
