package afsft

import (
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"vlmq/model"
	"vlmq/model/modeltest"
	"vlmq/vlm"
)

// bandit builds a one-turn dataset: the same prompt, replies "[action] good"
// (reward +1) and "[action] bad" (reward -1) in equal shares. Imitation
// learns both equally; advantage filtering must prefer "good".
func bandit(t *testing.T) (*model.VLM, []*Sample, []int, []int) {
	t.Helper()
	m := modeltest.New(t, modeltest.Spec{Corpus: []string{"choose: [action] good [action] bad"}, Seed: 7})
	tok, cfg := m.Tok, m.Cfg
	img := image.NewRGBA(image.Rect(0, 0, cfg.ImageSize, cfg.ImageSize))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	prompt := tok.Encode("choose:")
	good := append(tok.Encode(" [action] good"), tok.EOSID())
	bad := append(tok.Encode(" [action] bad"), tok.EOSID())
	var s []*Sample
	for i := 0; i < 8; i++ {
		s = append(s, &Sample{Image: img, Prompt: prompt, Reply: good, Reward: 1, Done: true},
			&Sample{Image: img, Prompt: prompt, Reply: bad, Reward: -1, Done: true})
	}
	return m, s, good, bad
}

// logProb returns log pi(reply | prompt) under m.
func logProb(t *testing.T, m vlm.Model, s *Sample, reply []int) float64 {
	t.Helper()
	x := *s
	x.Reply = reply
	out, err := m.Forward(nil, inputs([]*Sample{&x}, false))
	if err != nil {
		t.Fatal(err)
	}
	v := out.Logits.Shape[1]
	p := make([]float64, v)
	var lp float64
	for j, a := range reply {
		softmax64(out.Logits.Data[j*v:(j+1)*v], p)
		lp += math.Log(p[a])
	}
	return lp
}

func TestAFSFTPrefersGoodOverSFT(t *testing.T) {
	ctx := context.Background()
	gap := map[Mode]float64{}
	for _, mode := range []Mode{SFT, Binary, Exp} {
		m, samples, good, bad := bandit(t)
		cfg := DefaultConfig()
		cfg.Mode, cfg.Batch, cfg.LR, cfg.Tau, cfg.SFTWarmup = mode, 8, 3e-3, 0.1, 0
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Train(ctx, samples, 150, nil, 0, nil); err != nil {
			t.Fatal(err)
		}
		gap[mode] = logProb(t, m, samples[0], good) - logProb(t, m, samples[0], bad)
	}
	t.Logf("log pi(good) - log pi(bad): %v", gap)
	if math.Abs(gap[SFT]) > 1 {
		t.Errorf("SFT should imitate both replies about equally, gap %.2f", gap[SFT])
	}
	if gap[Binary] < 2 {
		t.Errorf("binary AFSFT should prefer the rewarded reply, gap %.2f", gap[Binary])
	}
	if gap[Exp] < 1 {
		t.Errorf("exp-weighted AFSFT should prefer the rewarded reply, gap %.2f", gap[Exp])
	}
}

func TestCriticLearnsTurnReward(t *testing.T) {
	m, samples, good, bad := bandit(t)
	cfg := DefaultConfig()
	cfg.Mode, cfg.Batch, cfg.LR, cfg.Tau = SFT, 8, 3e-3, 0.1
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), samples, 150, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	// Q of the last (EOS) token regresses to the reward: +1 after good, -1 after bad.
	for _, c := range []struct {
		reply []int
		want  float64
	}{{good, 1}, {bad, -1}} {
		x := *samples[0]
		x.Reply = c.reply
		out, err := m.Forward(nil, inputs([]*Sample{&x}, false))
		if err != nil {
			t.Fatal(err)
		}
		v := out.Q1.Shape[1]
		last := len(c.reply) - 1
		q := float64(out.Q1.Data[last*v+c.reply[last]])
		if math.Abs(q-c.want) > 0.35 {
			t.Errorf("Q(last token) = %.2f, want about %.0f", q, c.want)
		}
	}
}

func TestTDTargetsBootstrapAcrossTurns(t *testing.T) {
	m, samples, _, _ := bandit(t)
	cfg := DefaultConfig()
	// The spec's one-step target over the whole vocabulary, recomputed by hand below.
	cfg.Gamma, cfg.Lambda, cfg.DataSupport, cfg.TargetValue = 0.5, 0, false, TargetPolicy
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := *samples[0]
	second := *samples[1]
	first.Done, first.Next, first.Reward = false, &second, 0.25
	out, err := m.Forward(nil, inputs([]*Sample{&first}, false))
	if err != nil {
		t.Fatal(err)
	}
	y, err := tr.tdTargets([]*Sample{&first}, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(y) != len(first.Reply) {
		t.Fatalf("%d targets for %d tokens", len(y), len(first.Reply))
	}
	// The last target is r + gamma * V(next first state); recompute V by hand.
	on, _ := m.Forward(nil, inputs([]*Sample{&second}, true))
	tg, _ := tr.Target.Forward(nil, inputs([]*Sample{&second}, true))
	v := on.Logits.Shape[1]
	p := make([]float64, v)
	softmax64(on.Logits.Data[:v], p)
	var val float64
	for a := range p {
		val += p[a] * math.Min(float64(tg.Q1.Data[a]), float64(tg.Q2.Data[a]))
	}
	want := 0.25 + 0.5*val
	if got := float64(y[len(y)-1]); math.Abs(got-want) > 1e-4 {
		t.Errorf("bootstrapped target %.5f, want %.5f", got, want)
	}
	// Done turns do not bootstrap.
	first.Done = true
	y, _ = tr.tdTargets([]*Sample{&first}, out, nil)
	if got := y[len(y)-1]; got != 0.25 {
		t.Errorf("terminal target %v, want the reward 0.25", got)
	}
	// Inside the reply: one-step V_tgt(s_{j+1}) at lambda 0, the turn's
	// return at lambda 1, their recursive mix in between.
	y0 := append([]float32(nil), y...)
	for _, lam := range []float64{1, 0.5} {
		tr.Cfg.Lambda = lam
		yl, err := tr.tdTargets([]*Sample{&first}, out, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := len(yl) - 2; j >= 0; j-- {
			want := (1-lam)*float64(y0[j]) + lam*float64(yl[j+1])
			if math.Abs(float64(yl[j])-want) > 1e-5 {
				t.Errorf("lambda %v token %d: target %.5f, want %.5f", lam, j, yl[j], want)
			}
		}
		if lam == 1 && yl[0] != 0.25 {
			t.Errorf("lambda 1: first token's target %v, want the turn's reward 0.25", yl[0])
		}
	}
}

func TestCheckpointResume(t *testing.T) {
	m, samples, good, _ := bandit(t)
	cfg := DefaultConfig()
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tr.Train(ctx, samples, 3, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := tr.Checkpoint(dir, Progress{Round: 2}); err != nil {
		t.Fatal(err)
	}
	// A second checkpoint replaces the first atomically.
	if err := tr.Checkpoint(dir, Progress{Round: 2}); err != nil {
		t.Fatal(err)
	}
	back, p, err := Resume(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Steps != 3 || p.Round != 2 || back.Steps != 3 || back.Opt.StepCount() != tr.Opt.StepCount() {
		t.Fatalf("progress %+v steps %d opt %d", p, back.Steps, back.Opt.StepCount())
	}
	a, b := logProb(t, tr.Model, samples[0], good), logProb(t, back.Model, samples[0], good)
	if a != b {
		t.Errorf("resumed model differs: %v vs %v", a, b)
	}
	// Both continue identically for a step with the same batch.
	sa, err := tr.Step(samples[:4])
	if err != nil {
		t.Fatal(err)
	}
	sb, err := back.Step(samples[:4])
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sa.Loss-sb.Loss) > 1e-6 {
		t.Errorf("losses after resume differ: %v vs %v", sa.Loss, sb.Loss)
	}
	// Resume only reads: a sibling named like an old swap's leftover is
	// neither taken for the checkpoint nor removed.
	if err := os.Mkdir(dir+".old", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Resume(dir); err != nil {
		t.Errorf("resume: %v", err)
	}
	if _, err := os.Stat(dir + ".old"); err != nil {
		t.Errorf("resume removed %s.old: %v", dir, err)
	}
	// A corrupt optimiser file is a clear error, not a panic.
	if err := os.WriteFile(filepath.Join(dir, "optim.safetensors"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Resume(dir); err == nil {
		t.Error("corrupt optimiser state accepted")
	}
}

func TestSFTWarmupWeights(t *testing.T) {
	m, samples, _, _ := bandit(t)
	cfg := DefaultConfig()
	cfg.SFTWarmup = 2
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for step := 0; step < 4; step++ {
		st, err := tr.Step(samples)
		if err != nil {
			t.Fatal(err)
		}
		if step < 2 && st.Kept != 1 {
			t.Errorf("warm-up step %d kept %.2f of tokens, want all", step, st.Kept)
		}
		if got := tr.weight(-1, false); (step+1 < 2) != (got == 1) {
			t.Errorf("after step %d weight of a negative advantage is %v", step, got)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, mut := range []func(*Config){
		func(c *Config) { c.Mode = "ppo" },
		func(c *Config) { c.Gamma = 1.5 },
		func(c *Config) { c.Tau = 0 },
		func(c *Config) { c.Lambda = 1.5 },
		func(c *Config) { c.Lambda = math.NaN() },
		func(c *Config) { c.LR = math.NaN() },
		func(c *Config) { c.Batch = 0 },
		func(c *Config) { c.Batch = MaxBatch + 1 },
		func(c *Config) { c.HuberDelta = 0 },
		func(c *Config) { c.Mode, c.Beta = Exp, 0 },
		func(c *Config) { c.SFTWarmup = -1 },
		func(c *Config) { c.CriticInit = -0.1 },
		func(c *Config) { c.CriticInit = math.Inf(1) },
		func(c *Config) { c.CriticInit = math.NaN() },
	} {
		c := DefaultConfig()
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("accepted invalid config %+v", c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
}

func TestSetConfig(t *testing.T) {
	m, _, _, _ := bandit(t)
	cfg := DefaultConfig()
	cfg.DataSupport, cfg.TargetValue = false, TargetPolicy
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		mut     func(*Config)
		wantErr bool
		support bool
	}{
		{"support on", func(c *Config) { c.DataSupport, c.LR = true, 5e-4 }, false, true},
		{"support off", func(c *Config) { c.DataSupport, c.TargetValue = false, TargetPolicy }, false, false},
		{"invalid", func(c *Config) { c.Gamma = 2 }, true, false},
	} {
		c := DefaultConfig()
		tc.mut(&c)
		err := tr.SetConfig(c)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%s: error %v", tc.name, err)
		}
		if err != nil {
			continue
		}
		if (tr.sup != nil) != tc.support || tr.Opt.LR != float32(c.LR) || tr.Cfg != c {
			t.Errorf("%s: support %v, lr %v, cfg %+v", tc.name, tr.sup != nil, tr.Opt.LR, tr.Cfg)
		}
	}
}
