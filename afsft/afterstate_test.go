package afsft

import (
	"context"
	"math"
	"slices"
	"testing"

	"vlmq/model"
	"vlmq/vlm"
)

// handU is the afterstate value of s after prompt+reply[:j] from one
// forward of m on that sequence alone: min(Q1, Q2) at the column of the
// sequence's last token.
func handU(t *testing.T, m *model.VLM, s *Sample, j int) float64 {
	t.Helper()
	toks := append(slices.Clone(s.Prompt), s.Reply[:j]...)
	o, err := m.Forward(nil, []vlm.Input{{Image: s.Image, Tokens: toks, Targets: []int{len(toks)}}})
	if err != nil {
		t.Fatal(err)
	}
	c := toks[len(toks)-1]
	return math.Min(float64(o.Q1.Data[c]), float64(o.Q2.Data[c]))
}

// handFork reports whether the batch's replies continue reply[:j] with
// two or more different tokens.
func handFork(batch []*Sample, reply []int, j int) bool {
	next := map[int]bool{}
	for _, o := range batch {
		if len(o.Reply) > j && slices.Equal(o.Reply[:j], reply[:j]) {
			next[o.Reply[j]] = true
		}
	}
	return len(next) > 1
}

// TestAfterstateTargetsByHand checks every row's target against the
// definition: after the last token r + gamma U_tgt(next turn's first
// row), before it the value passed back, which is U_tgt where the data
// forks.
func TestAfterstateTargetsByHand(t *testing.T) {
	const gamma = 0.8
	on, tg, batch := tdFixture(t)
	cfg := DefaultConfig()
	cfg.Gamma, cfg.Critic = gamma, CriticAfterstate
	tr, err := NewTrainer(on, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.Target = tg
	var allowed [][]int
	for _, s := range batch {
		tr.sup.add(s.Reply)
	}
	for _, s := range batch {
		allowed = append(allowed, tr.sup.along(s.Reply)...)
	}
	var want []float64
	forks := 0
	for _, s := range batch {
		l := len(s.Reply)
		ys := make([]float64, l+1)
		ys[l] = s.Reward
		if !s.Done && s.Next != nil {
			ys[l] += gamma * handU(t, tg, s.Next, 0)
		}
		for j := l - 1; j >= 0; j-- {
			ys[j] = ys[j+1]
			if handFork(batch, s.Reply, j+1) {
				ys[j] = handU(t, tg, s, j+1)
				forks++
			}
		}
		want = append(want, ys...)
	}
	if forks == 0 {
		t.Fatal("the fixture has no fork after the first token")
	}
	got, err := tr.afterTargets(batch, afterInputs(batch), afterColumns(batch), func(r int) bool { return len(allowed[r]) > 1 })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d", len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
			t.Errorf("row %d: target %.6f, want %.6f", i, got[i], want[i])
		}
	}
	// The batched values are the ones of each sequence alone.
	us, err := AfterstateValues(tg, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range batch {
		for j := range len(s.Reply) + 1 {
			if d := math.Abs(us[i][j] - handU(t, tg, s, j)); d > 1e-4 {
				t.Errorf("sample %d row %d: batched U %.6f, alone %.6f", i, j, us[i][j], handU(t, tg, s, j))
			}
		}
	}
}

// TestAfterstateCritic trains on the bandit (one state, a good and a bad
// reply that fork after "[action]"): the values after the two tokens fit
// their rewards, the value before the fork fits the 0.9-expectile of the
// two (0.8 for +1 and -1 in equal shares), and the filter makes the actor
// prefer the good reply.
func TestAfterstateCritic(t *testing.T) {
	m, samples, good, bad := bandit(t)
	cfg := DefaultConfig()
	cfg.Critic, cfg.Batch, cfg.LR, cfg.Tau, cfg.SFTWarmup, cfg.HuberDelta = CriticAfterstate, 8, 3e-3, 0.1, 0, 10
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), samples, 300, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	j := 0 // the fork: the first token where the replies differ
	for good[j] == bad[j] {
		j++
	}
	us, err := AfterstateValues(m, []*Sample{samples[0], samples[1]})
	if err != nil {
		t.Fatal(err)
	}
	if samples[0].Reply[j] != good[j] || samples[1].Reply[j] != bad[j] {
		t.Fatal("fixture order changed")
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"after the good token", us[0][j+1], 1},
		{"after the bad token", us[1][j+1], -1},
		{"before the fork (good sample)", us[0][j], 0.8},
		{"before the fork (bad sample)", us[1][j], 0.8},
	} {
		if math.Abs(c.got-c.want) > 0.25 {
			t.Errorf("U %s = %.3f, want %.1f", c.name, c.got, c.want)
		}
	}
	if gap := logProb(t, m, samples[0], good) - logProb(t, m, samples[0], bad); gap < 2 {
		t.Errorf("log pi(good) - log pi(bad) = %.2f, want the filter to prefer the rewarded reply", gap)
	}
}

func TestAfterstateConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		ok   bool
	}{
		{"defaults", func(c *Config) {}, true},
		{"expectile", func(c *Config) { c.Expectile = 0.7 }, true},
		{"unknown critic", func(c *Config) { c.Critic = "after" }, false},
		{"expectile 1", func(c *Config) { c.Expectile = 1 }, false},
		{"negative expectile", func(c *Config) { c.Expectile = -0.1 }, false},
		{"no data support", func(c *Config) { c.DataSupport, c.TargetValue = false, TargetPolicy }, false},
		{"CQL", func(c *Config) { c.CQL = 0.1 }, false},
		{"lambda", func(c *Config) { c.Lambda = 0.5 }, false},
		{"choice lambda", func(c *Config) { c.ChoiceLambda = 1 }, false},
		{"turn lambda", func(c *Config) { c.TurnLambda = 0.5 }, false},
		{"policy value", func(c *Config) { c.TargetValue = TargetPolicy }, false},
	} {
		c := DefaultConfig()
		c.Critic = CriticAfterstate
		tc.mut(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
