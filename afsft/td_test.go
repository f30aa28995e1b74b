package afsft

import (
	"fmt"
	"image"
	"math"
	"math/rand"
	"slices"
	"testing"

	"vlmq/model"
	"vlmq/model/modeltest"
	"vlmq/vlm"
)

// tdFixture is a batch of two episodes (three turns, then two) with
// replies of different lengths, on a tiny model whose target network is
// perturbed away from the online one so that a mix-up of the two shows.
func tdFixture(t *testing.T) (*model.VLM, *model.VLM, []*Sample) {
	t.Helper()
	m := modeltest.New(t, modeltest.Spec{Corpus: []string{"look at the card then play [action] one two three four"}, Seed: 11})
	tok, cfg := m.Tok, m.Cfg
	tg := m.Clone().(*model.VLM)
	r := rand.New(rand.NewSource(5))
	for _, p := range tg.Params() {
		for i := range p.T.Data {
			p.T.Data[i] += 0.05 * float32(r.NormFloat64())
		}
	}
	img := func(v uint8) *image.RGBA {
		im := image.NewRGBA(image.Rect(0, 0, cfg.ImageSize, cfg.ImageSize))
		for i := range im.Pix {
			im.Pix[i] = v + uint8(i%7)
		}
		return im
	}
	reply := func(s string) []int { return append(tok.Encode(s), tok.EOSID()) }
	a3 := &Sample{Image: img(90), Prompt: tok.Encode("play the card"), Reply: reply(" [action] four"), Reward: 2, Done: true}
	a2 := &Sample{Image: img(60), Prompt: tok.Encode("then play"), Reply: reply(" two"), Reward: -1, Next: a3}
	a1 := &Sample{Image: img(30), Prompt: tok.Encode("look at the card"), Reply: reply(" [action] one three"), Reward: 0.5, Next: a2}
	b2 := &Sample{Image: img(120), Prompt: tok.Encode("the card"), Reply: reply(" three"), Reward: 1, Done: true}
	b1 := &Sample{Image: img(150), Prompt: tok.Encode("look then play"), Reply: reply(" [action] two"), Reward: -0.5, Next: b2}
	return m, tg, []*Sample{a1, a2, a3, b1, b2}
}

// handValue is V(s) after prompt+prefix, computed from one forward pass
// of each network on that sequence alone: sum_a pi(a) min(Q1, Q2)(a)
// over the whole vocabulary.
func handValue(t *testing.T, on, tg *model.VLM, s *Sample, prefix []int) float64 {
	t.Helper()
	toks := append(append([]int(nil), s.Prompt...), prefix...)
	in := []vlm.Input{{Image: s.Image, Tokens: toks, Targets: []int{len(toks)}}}
	o, err := on.Forward(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	q, err := tg.Forward(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	mx := math.Inf(-1)
	for _, x := range o.Logits.Data {
		mx = math.Max(mx, float64(x))
	}
	var z, v float64
	for a, x := range o.Logits.Data {
		p := math.Exp(float64(x) - mx)
		z += p
		v += p * math.Min(float64(q.Q1.Data[a]), float64(q.Q2.Data[a]))
	}
	return v / z
}

// checkTargets compares tr's TD targets on batch (support sets allowed,
// nil = whole vocabulary) with want, within 1e-4 relative; it returns the
// online output and the targets.
func checkTargets(t *testing.T, label string, tr *Trainer, batch []*Sample, allowed [][]int, want []float64) (vlm.Output, []float32) {
	t.Helper()
	out, err := tr.Model.Forward(nil, inputs(batch, false))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.tdTargets(batch, out, allowed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d targets, want %d", label, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
			t.Errorf("%s: target %d = %.6f, want %.6f", label, i, got[i], want[i])
		}
	}
	return out, got
}

// TestTDTargetsByHand checks tdTargets against targets computed here from
// the definitions, for lambda 0 and 1 inside a reply and across turns.
func TestTDTargetsByHand(t *testing.T) {
	const gamma = 0.8
	for _, tc := range []struct{ lambda, turn float64 }{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {1, 0.5}} {
		on, tg, batch := tdFixture(t)
		cfg := DefaultConfig()
		cfg.Gamma, cfg.Lambda, cfg.TurnLambda, cfg.DataSupport, cfg.TargetValue = gamma, tc.lambda, tc.turn, false, TargetPolicy
		tr, err := NewTrainer(on, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.Target = tg
		if err := tr.RefreshReturns(batch); err != nil {
			t.Fatal(err)
		}
		// G(s): the data's lambda-return from turn s on, by its definition.
		var G func(s *Sample) float64
		G = func(s *Sample) float64 {
			if s.Done || s.Next == nil {
				return s.Reward
			}
			v := handValue(t, on, tg, s.Next, nil)
			return s.Reward + gamma*((1-tc.turn)*v+tc.turn*G(s.Next))
		}
		var want []float64
		for _, s := range batch {
			l := len(s.Reply)
			ys := make([]float64, l)
			ys[l-1] = G(s)
			for j := l - 2; j >= 0; j-- {
				ys[j] = (1-tc.lambda)*handValue(t, on, tg, s, s.Reply[:j+1]) + tc.lambda*ys[j+1]
			}
			want = append(want, ys...)
		}
		checkTargets(t, fmt.Sprintf("lambda %v turn lambda %v", tc.lambda, tc.turn), tr, batch, nil, want)
	}
}

// TestTurnLambdaNeedsReturns: a trainer asked for cross-turn returns it
// has not computed says so instead of using zeros.
func TestTurnLambdaNeedsReturns(t *testing.T) {
	on, _, batch := tdFixture(t)
	cfg := DefaultConfig()
	cfg.TurnLambda = 0.5
	tr, err := NewTrainer(on, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(batch); err == nil {
		t.Fatal("Step used cross-turn returns that were never computed")
	}
}

// TestSuccessShare: the share of batch slots drawn from successful
// episodes' turns follows Config.SuccessShare, and without wins the draw
// stays uniform.
func TestSuccessShare(t *testing.T) {
	var samples, wins []*Sample
	for i := 0; i < 100; i++ {
		s := &Sample{Success: i < 5}
		samples = append(samples, s)
		if s.Success {
			wins = append(wins, s)
		}
	}
	for _, tc := range []struct {
		share    float64
		wins     []*Sample
		min, max float64
	}{{0, wins, 0.02, 0.08}, {0.5, wins, 0.47, 0.58}, {1, wins, 1, 1}, {1, nil, 0.02, 0.08}} {
		cfg := DefaultConfig()
		cfg.SuccessShare = tc.share
		m, _, _, _ := bandit(t)
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		batch := make([]*Sample, 16)
		n, hit := 0, 0
		for i := 0; i < 400; i++ {
			tr.draw(batch, samples, tc.wins)
			for _, s := range batch {
				n++
				if s.Success {
					hit++
				}
			}
		}
		if f := float64(hit) / float64(n); f < tc.min || f > tc.max {
			t.Errorf("share %v (wins %d): %.3f of slots from successes, want [%v, %v]", tc.share, len(tc.wins), f, tc.min, tc.max)
		}
	}
}

// TestNoCriticStep: with a critic coefficient of 0 a step computes no TD
// target and trains the actor alone.
func TestNoCriticStep(t *testing.T) {
	m, samples, good, _ := bandit(t)
	cfg := DefaultConfig()
	cfg.Mode, cfg.CriticCoef, cfg.LR = SFT, 0, 3e-3
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	q1 := append([]float32(nil), m.Q1.W.Data...)
	before := logProb(t, m, samples[0], good)
	for i := 0; i < 20; i++ {
		st, err := tr.Step(samples[:4])
		if err != nil {
			t.Fatal(err)
		}
		if st.CriticLoss != 0 {
			t.Fatalf("critic loss %v with coefficient 0", st.CriticLoss)
		}
	}
	if after := logProb(t, m, samples[0], good); !(after > before) {
		t.Errorf("actor did not learn: log pi %v -> %v", before, after)
	}
	moved := 0.0
	for i, w := range m.Q1.W.Data {
		moved = math.Max(moved, math.Abs(float64(w-q1[i])))
	}
	if moved > 0.01 {
		t.Errorf("critic head moved by %v with coefficient 0", moved)
	}
}

// handMax is max over the tokens the batch's replies hold after prefix of
// min(Q1, Q2) of the target network after prompt+prefix: the "max" target
// value, from its definition.
func handMax(t *testing.T, tg *model.VLM, batch []*Sample, s *Sample, prefix []int) float64 {
	t.Helper()
	toks := append(append([]int(nil), s.Prompt...), prefix...)
	q, err := tg.Forward(nil, []vlm.Input{{Image: s.Image, Tokens: toks, Targets: []int{len(toks)}}})
	if err != nil {
		t.Fatal(err)
	}
	best, seen := math.Inf(-1), false
	for _, o := range batch {
		if len(o.Reply) <= len(prefix) || !slices.Equal(o.Reply[:len(prefix)], prefix) {
			continue
		}
		a := o.Reply[len(prefix)]
		best, seen = math.Max(best, math.Min(float64(q.Q1.Data[a]), float64(q.Q2.Data[a]))), true
	}
	if !seen {
		t.Fatalf("no reply continues prefix %v", prefix)
	}
	return best
}

// TestTDTargetsMaxByHand: with --target-value max every target takes the
// best supported token's Q at the next state, inside replies and across
// turns.
func TestTDTargetsMaxByHand(t *testing.T) {
	const gamma = 0.8
	on, tg, batch := tdFixture(t)
	cfg := DefaultConfig()
	cfg.Gamma, cfg.Lambda, cfg.ChoiceLambda, cfg.TargetValue = gamma, 0, 0, TargetMax
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
	for _, s := range batch {
		l := len(s.Reply)
		ys := make([]float64, l)
		ys[l-1] = s.Reward
		if !s.Done && s.Next != nil {
			ys[l-1] += gamma * handMax(t, tg, batch, s.Next, nil)
		}
		for j := l - 2; j >= 0; j-- {
			ys[j] = handMax(t, tg, batch, s, s.Reply[:j+1])
		}
		want = append(want, ys...)
	}
	out, got := checkTargets(t, "max", tr, batch, allowed, want)
	// The max is the policy value's upper bound, and differs from it here.
	cfg.TargetValue = TargetPolicy
	if err := tr.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	for _, s := range batch { // SetConfig starts a new support record
		tr.sup.add(s.Reply)
	}
	pol, err := tr.tdTargets(batch, out, allowed)
	if err != nil {
		t.Fatal(err)
	}
	differ := false
	for i := range pol {
		if float64(pol[i]) > float64(got[i])+1e-5 {
			t.Errorf("target %d: policy value %.6f above the max %.6f", i, pol[i], got[i])
		}
		differ = differ || math.Abs(float64(pol[i]-got[i])) > 1e-4
	}
	if !differ {
		t.Error("max and policy targets are equal everywhere: the fixture does not test the choice")
	}
}

func TestTargetValueNeedsSupport(t *testing.T) {
	for _, tc := range []struct {
		value   string
		support bool
		ok      bool
	}{{"", false, true}, {"policy", false, true}, {"max", true, true}, {"max", false, false}, {"maximum", true, false}} {
		cfg := DefaultConfig()
		cfg.TargetValue, cfg.DataSupport = tc.value, tc.support
		if err := cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("target value %q, data support %v: Validate() = %v, want ok %v", tc.value, tc.support, err, tc.ok)
		}
	}
}
