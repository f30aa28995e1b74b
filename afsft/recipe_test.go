package afsft

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vlmq/model"
	"vlmq/model/modeltest"
	"vlmq/nn"
	"vlmq/tensor"
	"vlmq/vlm"
)

func TestLRAt(t *testing.T) {
	const peak = 1e-3
	cosAt := func(frac float64) float64 { return peak * (0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac))) }
	for _, c := range []struct {
		name     string
		warmup   int
		schedule string
		phase    Phase
		step     int
		want     float64
	}{
		{"constant", 0, "", Phase{Steps: 100}, 0, peak},
		{"constant, named", 0, ScheduleConstant, Phase{Steps: 100}, 99, peak},
		{"unbounded phase", 0, "", Phase{}, 12345, peak},
		{"warm-up first step", 4, "", Phase{Steps: 100}, 0, peak / 4},
		{"warm-up third step", 4, "", Phase{Steps: 100}, 2, peak * 3 / 4},
		{"warm-up done", 4, "", Phase{Steps: 100}, 3, peak},
		{"after warm-up", 4, "", Phase{Steps: 100}, 50, peak},
		{"cosine start", 0, ScheduleCosine, Phase{Steps: 100}, 0, peak},
		{"cosine middle", 0, ScheduleCosine, Phase{Steps: 100}, 50, cosAt(0.5)},
		{"cosine end", 0, ScheduleCosine, Phase{Steps: 100}, 100, peak * CosineFloor},
		{"cosine past the end", 0, ScheduleCosine, Phase{Steps: 100}, 150, peak * CosineFloor},
		{"warm-up then cosine: warm-up", 10, ScheduleCosine, Phase{Steps: 110}, 4, peak / 2},
		{"warm-up then cosine: peak", 10, ScheduleCosine, Phase{Steps: 110}, 10, peak},
		{"warm-up then cosine: quarter", 10, ScheduleCosine, Phase{Steps: 110}, 35, cosAt(0.25)},
		{"warm-up then cosine: last step", 10, ScheduleCosine, Phase{Steps: 110}, 109, cosAt(0.99)},
		{"phase shorter than warm-up", 10, ScheduleCosine, Phase{Steps: 5}, 4, peak / 2},
		{"online round: own peak, own warm-up", 10, "", Phase{Start: 500, Steps: 150, LR: 3e-4}, 500, 3e-5},
		{"online round: cosine", 0, ScheduleCosine, Phase{Start: 500, Steps: 150, LR: 3e-4}, 575, 3e-4 / peak * cosAt(0.5)},
	} {
		cfg := DefaultConfig()
		cfg.LR, cfg.LRWarmup, cfg.LRSchedule = peak, c.warmup, c.schedule
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := cfg.LRAt(c.phase, c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: step %d: lr %v, want %v", c.name, c.step, got, c.want)
		}
	}
	// Without warm-up or schedule the rate is the configured one exactly,
	// as before the schedule existed.
	cfg := DefaultConfig()
	for _, p := range []Phase{{}, {Steps: 7}, {Start: 3, Steps: 2, LR: 3e-4}} {
		want := cfg.LR
		if p.LR > 0 {
			want = p.LR
		}
		for step := range 12 {
			if got := cfg.LRAt(p, step); got != want {
				t.Errorf("constant schedule, phase %+v step %d: %v, want %v", p, step, got, want)
			}
		}
	}
}

// TestStepFollowsSchedule: each step trains at LRAt of the step count
// before it; the cosine schedule refuses an unbounded phase.
func TestStepFollowsSchedule(t *testing.T) {
	m, samples, _, _ := bandit(t)
	cfg := DefaultConfig()
	cfg.LRWarmup, cfg.LRSchedule = 2, ScheduleCosine
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(samples[:2]); err == nil || !strings.Contains(err.Error(), "phase") {
		t.Fatalf("cosine without a phase length: err = %v", err)
	}
	tr.Phase = Phase{Steps: 6}
	var lrs []float64
	err = tr.Train(context.Background(), samples, 6, func(_ int, s Stats) { lrs = append(lrs, s.LR) }, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, lr := range lrs {
		if want := cfg.LRAt(tr.Phase, i); lr != want {
			t.Errorf("step %d at lr %v, want %v", i, lr, want)
		}
	}
	if lrs[0] != cfg.LR/2 || lrs[1] != cfg.LR || !(lrs[5] < lrs[2]) {
		t.Errorf("learning rates %v: want a warm-up to %v, then a decay", lrs, cfg.LR)
	}
	if tr.Opt.LR != float32(lrs[5]) {
		t.Errorf("optimiser at %v after the last step, want %v", tr.Opt.LR, float32(lrs[5]))
	}
}

// TestResumeExactWithSchedule: a run checkpointed in the middle of a
// warm-up and cosine schedule, with choice weights and frozen lower
// layers, resumes to the same weights bit for bit as an uninterrupted
// run.
func TestResumeExactWithSchedule(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		mut    func(*Config)
		phases []Phase
	}{
		{"offline", func(*Config) {}, []Phase{{Steps: 8}}},
		{"offline then a round", func(*Config) {}, []Phase{{Steps: 5}, {Start: 5, Steps: 3, LR: 3e-4}}},
		{"choice weight, top layer", func(c *Config) { c.ChoiceWeight, c.TrainLayers = 4, 1 }, []Phase{{Steps: 8}}},
	} {
		cfg := DefaultConfig()
		cfg.LRWarmup, cfg.LRSchedule, cfg.Batch, cfg.SFTWarmup = 3, ScheduleCosine, 4, 2
		c.mut(&cfg)
		run := func(stopAt int) *Trainer {
			m, samples, _, _ := bandit(t)
			tr, err := NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range c.phases {
				tr.Phase = p
				end := p.Start + p.Steps
				if stopAt > tr.Steps && stopAt < end {
					if err := tr.Train(ctx, samples, stopAt-tr.Steps, nil, 0, nil); err != nil {
						t.Fatal(err)
					}
					dir := filepath.Join(t.TempDir(), "ckpt")
					if err := tr.Checkpoint(dir, Progress{}); err != nil {
						t.Fatal(err)
					}
					if tr, _, err = Resume(dir); err != nil {
						t.Fatal(err)
					}
					tr.Phase = p
				}
				if err := tr.Train(ctx, samples, end-tr.Steps, nil, 0, nil); err != nil {
					t.Fatal(err)
				}
			}
			return tr
		}
		whole, resumed := run(-1), run(2)
		a, b := whole.Model.Params(), resumed.Model.Params()
		for i := range a {
			if !slices.Equal(a[i].T.Data, b[i].T.Data) {
				t.Errorf("%s: %s differs after resuming", c.name, a[i].Name)
			}
		}
	}
}

// TestWeighChoices: at weight 1 the actor weights stay bit for bit what
// they were; otherwise CrossEntropy's mean over the n tokens becomes
// sum c w CE / sum c.
func TestWeighChoices(t *testing.T) {
	// Two replies of 3 and 2 tokens; sets hold len+1 entries per reply.
	batch := []*Sample{{Reply: []int{1, 2, 3}}, {Reply: []int{4, 5}}}
	sets := [][]int{{1}, {2, 7}, {3}, nil, {4, 9}, {5}, nil}
	choice := []bool{false, true, false, true, false}
	w0 := []float32{1, 0, 0.37, 2.5, 1}
	for _, cw := range []float64{1, 3, 0.5} {
		w := slices.Clone(w0)
		weighChoices(w, sets, batch, cw)
		if cw == 1 {
			if !slices.Equal(w, w0) {
				t.Errorf("weight 1 changed the actor weights: %v, want %v", w, w0)
			}
			continue
		}
		ce := []float64{0.3, 1.7, 0.2, 2.2, 0.9} // any per-token losses
		var got, num, den float64
		for i := range w {
			c := 1.0
			if choice[i] {
				c = cw
			}
			got += float64(w[i]) * ce[i] / float64(len(w))
			num += c * float64(w0[i]) * ce[i]
			den += c
		}
		if math.Abs(got-num/den) > 1e-6 {
			t.Errorf("weight %v: loss %v, want sum c w CE / sum c = %v", cw, got, num/den)
		}
	}
}

// choiceGradShare is the share of the squared gradient of the actor loss,
// on the logits, that falls on the rows of choice tokens, for one step of
// a trainer with choice weight cw (SFT weights, no critic) on batch.
func choiceGradShare(t *testing.T, m *model.VLM, batch []*Sample, cw float64, dataSupport bool) (share, loss float64) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode, cfg.CriticCoef, cfg.ChoiceWeight, cfg.DataSupport = SFT, 0, cw, dataSupport
	if !dataSupport {
		cfg.TargetValue = TargetPolicy
	}
	tr, err := NewTrainer(m.Clone(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, tc, err := tr.TraceStep(batch)
	if err != nil {
		t.Fatal(err)
	}
	if (tc.Allowed != nil) != dataSupport {
		t.Errorf("trace support sets %v with data support %v", tc.Allowed != nil, dataSupport)
	}
	// The same loss by hand on the untrained model, with the weights the
	// step took: its gradient on the logits.
	tp := tensor.NewTape()
	out, err := m.Forward(tp, inputs(batch, false))
	if err != nil {
		t.Fatal(err)
	}
	var actions []int
	var isChoice []bool
	sup := newSupport()
	for _, s := range batch {
		sup.add(s.Reply)
	}
	for _, s := range batch {
		actions = append(actions, s.Reply...)
		for _, set := range sup.along(s.Reply)[:len(s.Reply)] {
			isChoice = append(isChoice, len(set) > 1)
		}
	}
	ce := tp.CrossEntropy(out.Logits, actions, tc.W)
	if got := float64(ce.Data[0]); got != st.ActorLoss {
		t.Errorf("weight %v: the step's actor loss %v, by hand %v", cw, st.ActorLoss, got)
	}
	if err := tp.Backward(ce); err != nil {
		t.Fatal(err)
	}
	v := out.Logits.Shape[1]
	var on, all float64
	for i, c := range isChoice {
		for _, g := range out.Logits.Grad[i*v : (i+1)*v] {
			all += float64(g) * float64(g)
			if c {
				on += float64(g) * float64(g)
			}
		}
	}
	if on == 0 {
		t.Fatal("no choice token in the batch")
	}
	return on / all, st.ActorLoss
}

// TestChoiceWeight: weight 1 (or 0) is today's actor loss bit for bit, the
// mean CE over reply tokens; a larger weight raises the choice token's
// share of the gradient, with or without data support.
func TestChoiceWeight(t *testing.T) {
	m, samples, good, bad := bandit(t)
	batch := samples[:4] // two good, two bad: they differ at the choice
	diverge := 0
	for good[diverge] == bad[diverge] {
		diverge++
	}
	if diverge == 0 || diverge >= len(good)-1 {
		t.Fatalf("good and bad replies differ at token %d of %d: not a choice between format tokens", diverge, len(good))
	}
	// Today's loss: the unweighted mean of CE over the reply tokens.
	tp := tensor.NewTape()
	out, err := m.Forward(tp, inputs(batch, false))
	if err != nil {
		t.Fatal(err)
	}
	var actions []int
	for _, s := range batch {
		actions = append(actions, s.Reply...)
	}
	today := float64(tp.CrossEntropy(out.Logits, actions, nil).Data[0])
	var base float64
	for _, cw := range []float64{0, 1} {
		share, loss := choiceGradShare(t, m, batch, cw, true)
		if loss != today {
			t.Errorf("choice weight %v: actor loss %v, today's %v", cw, loss, today)
		}
		base = share
	}
	prev := base
	for _, cw := range []float64{2, 8} {
		for _, ds := range []bool{true, false} {
			share, _ := choiceGradShare(t, m, batch, cw, ds)
			if !(share > prev) {
				t.Errorf("choice weight %v (data support %v): choice share of the gradient %.3f, not above %.3f", cw, ds, share, prev)
			}
			if ds {
				t.Logf("choice weight %v: choice share of the gradient %.3f (weight 1: %.3f)", cw, share, base)
			}
		}
		prev, _ = choiceGradShare(t, m, batch, cw, true)
	}
}

// hidden is a model without vlm.LayerTrainer.
type hidden struct{ vlm.Model }

func TestTrainLayers(t *testing.T) {
	m, samples, _, _ := bandit(t)
	init := m.Clone().Params()
	top, err := m.TopLayerParams(1)
	if err != nil {
		t.Fatal(err)
	}
	trained := map[string]bool{}
	for _, p := range top {
		trained[p.Name] = true
	}
	cfg := DefaultConfig()
	cfg.TrainLayers, cfg.SFTWarmup = 1, 0
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), samples, 4, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	check := func(who string, ps []nn.Param) {
		for i, p := range ps {
			switch same := slices.Equal(p.T.Data, init[i].T.Data); {
			case trained[p.Name] && same:
				t.Errorf("%s: %s did not train", who, p.Name)
			case !trained[p.Name] && !same:
				t.Errorf("%s: frozen %s changed", who, p.Name)
			}
		}
	}
	check("model", m.Params())
	check("target", tr.Target.Params())
	for _, p := range m.Params() {
		if !trained[p.Name] && (p.T.RequiresGrad() || p.T.Grad != nil) {
			t.Errorf("frozen %s takes gradient", p.Name)
		}
	}
	// Back to all layers: every parameter trains again.
	cfg.TrainLayers = 0
	if err := tr.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		if !p.T.RequiresGrad() {
			t.Errorf("%s stays frozen with every layer training", p.Name)
		}
	}
	if len(tr.params) != len(m.Params()) {
		t.Errorf("%d tensors train, want all %d", len(tr.params), len(m.Params()))
	}
}

// TestTrainLayersRefused: bad settings fail before any step, naming what
// is wrong, and leave the model as it was.
func TestTrainLayersRefused(t *testing.T) {
	m := modeltest.New(t, modeltest.Spec{Corpus: []string{"choose: [action] good [action] bad"}, Seed: 7})
	for _, c := range []struct {
		name  string
		model vlm.Model
		mut   func(*Config)
		want  string
	}{
		{"too many layers", m, func(c *Config) { c.TrainLayers = 3 }, "cannot train the top 3 layers of a decoder of 2"},
		{"no layer trainer", hidden{m}, func(c *Config) { c.TrainLayers = 1 }, "cannot"},
		{"negative layers", m, func(c *Config) { c.TrainLayers = -1 }, "train_layers"},
		{"negative warm-up", m, func(c *Config) { c.LRWarmup = -5 }, "lr_warmup"},
		{"unknown schedule", m, func(c *Config) { c.LRSchedule = "linear" }, `schedule "linear"`},
		{"negative choice weight", m, func(c *Config) { c.ChoiceWeight = -2 }, "choice_weight"},
		{"NaN choice weight", m, func(c *Config) { c.ChoiceWeight = math.NaN() }, "choice_weight"},
		{"infinite choice weight", m, func(c *Config) { c.ChoiceWeight = math.Inf(1) }, "choice_weight"},
	} {
		cfg := DefaultConfig()
		c.mut(&cfg)
		_, err := NewTrainer(c.model, cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if cfg.TrainLayers > 0 {
			if err := cfg.CheckModel(c.model); err == nil || !strings.Contains(err.Error(), "--train-layers") {
				t.Errorf("%s: CheckModel: %v", c.name, err)
			}
		}
	}
	for _, p := range m.Params() {
		if !p.T.RequiresGrad() {
			t.Errorf("a refused trainer froze %s", p.Name)
		}
	}
}
