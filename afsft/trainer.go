package afsft

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"vlmq/nn"
	"vlmq/optim"
	"vlmq/tensor"
	"vlmq/vlm"
)

// Sample is one prepared turn: the observation image (already resized for
// the model), prompt and reply token ids, and the turn's outcome. Next links
// the following turn of the same episode (nil at the end) for bootstrapping.
type Sample struct {
	Image  *image.RGBA
	Prompt []int
	Reply  []int // ends with EOS unless cut at the reply length limit
	// FullLen is the reply's length in tokens (with EOS) before any cut:
	// a cut reply (FullLen > len(Reply)) is one the policy can never
	// write whole, so training reports them (CutReplies).
	FullLen int
	Reward  float64
	Done    bool
	Next    *Sample
	// Success marks the turns of an episode that succeeded (for
	// Config.SuccessShare).
	Success bool

	// ret is the cached lambda-return of the data's continuation from this
	// turn (Config.TurnLambda), valid when retOK.
	ret   float64
	retOK bool
}

func (s *Sample) tokens() []int {
	t := make([]int, 0, len(s.Prompt)+len(s.Reply))
	return append(append(t, s.Prompt...), s.Reply...)
}

// Input is the model input that reads the turn teacher-forced: prompt and
// reply tokens, with an output row at every reply token.
func (s *Sample) Input() vlm.Input {
	tg := make([]int, len(s.Reply))
	for j := range tg {
		tg[j] = len(s.Prompt) + j
	}
	return vlm.Input{Image: s.Image, Tokens: s.tokens(), Prompt: len(s.Prompt), Targets: tg}
}

// Trainer owns the online model, its Polyak target copy and the optimiser.
type Trainer struct {
	Model  vlm.Model
	Target vlm.Model
	Cfg    Config
	Opt    *optim.AdamW
	Steps  int // gradient steps taken (persisted in checkpoints)
	// Phase is the stretch of steps the learning-rate schedule spans
	// (Config.LRAt); its zero value is one unbounded phase at Cfg.LR.
	Phase Phase

	params, targetParams []*tensor.Tensor // what the optimiser and the Polyak average update
	frozen               []*tensor.Tensor // the model's parameters Cfg.TrainLayers froze
	tape                 *tensor.Tape
	rng                  *rand.Rand
	sup                  *support   // replies seen, with Cfg.DataSupport or a choice weight
	retSteps             int        // Steps at the last RefreshReturns
	trace                *StepTrace // filled by the step under TraceStep
}

// NewTrainer wraps m; the target network starts as an exact copy.
func NewTrainer(m vlm.Model, cfg Config) (*Trainer, error) {
	return newTrainer(m, nil, cfg)
}

// newTrainer wraps m with target as its target network (nil: a copy of m).
func newTrainer(m, target vlm.Model, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if target == nil {
		target = m.Clone()
	}
	t := &Trainer{Model: m, Target: target, tape: tensor.NewTape(), Opt: optim.NewAdamW(float32(cfg.LR)),
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))}
	if err := t.SetConfig(cfg); err != nil { // settings, parameters, learning rate, data support
		return nil, err
	}
	return t, nil
}

// SetConfig switches the trainer to cfg (continuing a run with other
// settings); the optimiser keeps its moments, the learning rate follows
// cfg and Phase.
func (t *Trainer) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := t.bindParams(cfg); err != nil {
		return err
	}
	t.Cfg = cfg
	t.Opt.LR, t.Opt.WeightDecay = float32(cfg.LR), float32(cfg.WD)
	t.sup = nil
	if cfg.DataSupport || cfg.choiceWeight() != 1 {
		t.sup = newSupport()
	}
	return nil
}

// CheckModel reports a setting m cannot train with (TrainLayers on a
// model that cannot train its top layers alone, or more layers than it
// has), so a job can refuse it before any work.
func (c Config) CheckModel(m vlm.Model) error {
	_, err := c.trained(m)
	return err
}

// trained is what training updates in m: its Trainable, or with
// TrainLayers its top layers and heads.
func (c Config) trained(m vlm.Model) ([]nn.Param, error) {
	if c.TrainLayers == 0 {
		return m.Trainable(), nil
	}
	ps, err := vlm.TopLayerParams(m, c.TrainLayers)
	if err != nil {
		return nil, fmt.Errorf("afsft: --train-layers %d: %w", c.TrainLayers, err)
	}
	return ps, nil
}

// bindParams chooses what training under cfg updates in the model and,
// for the Polyak average, in the target, and freezes the model's other
// parameters so that the backward pass skips them. It changes nothing
// when it fails.
func (t *Trainer) bindParams(cfg Config) error {
	params, err := cfg.trained(t.Model)
	if err != nil {
		return err
	}
	targetParams, err := cfg.trained(t.Target)
	if err != nil {
		return err
	}
	if len(targetParams) != len(params) {
		return fmt.Errorf("afsft: the target network trains %d tensors, the model %d", len(targetParams), len(params))
	}
	for _, x := range t.frozen {
		x.AsParam()
	}
	t.frozen = nil
	if cfg.TrainLayers > 0 {
		train := map[*tensor.Tensor]bool{}
		for _, p := range params {
			train[p.T] = true
		}
		for _, p := range t.Model.Trainable() {
			if !train[p.T] && p.T.RequiresGrad() {
				p.T.Freeze()
				t.frozen = append(t.frozen, p.T)
			}
		}
	}
	t.params, t.targetParams = nn.Tensors(params), nn.Tensors(targetParams)
	return nil
}

// Stats summarises one gradient step.
type Stats struct {
	Loss, ActorLoss, CriticLoss float64
	MeanQ, MeanAdv              float64
	Kept                        float64 // share of reply tokens with actor weight > 0
	GradNorm                    float64
	Tokens                      int
	LR                          float64 // the step's learning rate
}

// Step takes one gradient step on a minibatch of turns.
func (t *Trainer) Step(batch []*Sample) (Stats, error) {
	var st Stats
	if len(batch) == 0 {
		return st, errors.New("afsft: empty batch")
	}
	if t.Cfg.LRSchedule == ScheduleCosine && t.Phase.Steps <= 0 {
		return st, errors.New("afsft: the cosine schedule needs the phase's length (Trainer.Phase)")
	}
	st.LR = t.Cfg.LRAt(t.Phase, t.Steps)
	var actions []int
	// sets holds, per reply token (and one past each reply), the tokens
	// the data holds after the same reply prefix; allowed is the same
	// when V is taken over them (nil = whole vocabulary).
	var sets, allowed [][]int
	for _, s := range batch {
		if len(s.Reply) == 0 {
			return st, errors.New("afsft: sample with empty reply")
		}
		actions = append(actions, s.Reply...)
		if t.sup != nil {
			t.sup.add(s.Reply)
		}
	}
	if t.sup != nil {
		// After the whole batch is recorded, so a sample's sets do not
		// depend on its place in the batch.
		for _, s := range batch {
			sets = append(sets, t.sup.along(s.Reply)...)
		}
	}
	if t.Cfg.DataSupport {
		allowed = sets
	}
	n := len(actions)
	st.Tokens = n

	t.tape.Reset()
	tp := t.tape
	out, err := t.Model.Forward(tp, inputs(batch, false))
	if err != nil {
		return st, err
	}
	v := out.Logits.Shape[1]
	if out.Logits.Shape[0] != n {
		return st, fmt.Errorf("afsft: model returned %d rows for %d reply tokens", out.Logits.Shape[0], n)
	}
	// With a critic coefficient of 0 (the SFT baseline's), no TD target
	// is needed: tdTargets' bootstrap forwards were 17% of an SFT step's
	// CPU time (measured with vlmq train --cpuprofile).
	noCritic := t.Cfg.CriticCoef == 0 && t.Cfg.CQL == 0
	var y []float32
	if !noCritic {
		if y, err = t.tdTargets(batch, out, allowed); err != nil {
			return st, err
		}
	}

	// Advantages with the online critic, detached: A = Qmin(s,a) - V(s).
	w := make([]float32, n)
	var kept, sumA, sumQ float64
	pi := make([]float64, v)
	i := 0
	for bi, s := range batch {
		for range s.Reply {
			var set []int
			if allowed != nil {
				set = allowed[i+bi] // each reply has len+1 sets
			}
			softmax64(out.Logits.Data[i*v:(i+1)*v], pi)
			q1, q2 := out.Q1.Data[i*v:(i+1)*v], out.Q2.Data[i*v:(i+1)*v]
			qa := math.Min(float64(q1[actions[i]]), float64(q2[actions[i]]))
			adv := qa - value(pi, q1, q2, set)
			sumA += adv
			sumQ += qa
			// A token that is the only one the data holds after its
			// prefix is not a choice: it is kept, not filtered on A = 0.
			w[i] = t.weight(adv, len(set) == 1)
			if w[i] > 0 {
				kept++
			}
			i++
		}
	}
	st.MeanAdv, st.MeanQ, st.Kept = sumA/float64(n), sumQ/float64(n), kept/float64(n)
	if cw := t.Cfg.choiceWeight(); cw != 1 {
		weighChoices(w, sets, batch, cw)
	}
	if t.trace != nil {
		sup := t.sup
		if !t.Cfg.DataSupport {
			sup = nil
		}
		t.trace.record(w, y, allowed, sup)
	}

	var loss *tensor.Tensor
	if !noCritic {
		target := tensor.New(y, n)
		critic := tp.Add(
			tp.Huber(tp.Gather(out.Q1, actions), target, float32(t.Cfg.HuberDelta)),
			tp.Huber(tp.Gather(out.Q2, actions), target, float32(t.Cfg.HuberDelta)))
		st.CriticLoss = float64(critic.Data[0])
		if t.Cfg.CQL > 0 {
			// logsumexp_a Q - Q(a_data) is the cross-entropy of Q read as logits.
			cql := tp.Add(tp.CrossEntropy(out.Q1, actions, nil), tp.CrossEntropy(out.Q2, actions, nil))
			critic = tp.Add(critic, tp.Scale(cql, float32(t.Cfg.CQL)))
		}
		loss = tp.Scale(critic, float32(t.Cfg.CriticCoef))
	}
	if t.Steps >= t.Cfg.ActorWarmup || noCritic {
		actor := tp.CrossEntropy(out.Logits, actions, w)
		st.ActorLoss = float64(actor.Data[0])
		if loss == nil {
			loss = actor
		} else {
			loss = tp.Add(loss, actor)
		}
	}
	st.Loss = float64(loss.Data[0])
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, fmt.Errorf("afsft: non-finite loss at step %d", t.Steps)
	}
	optim.ZeroGrad(t.params)
	if err := tp.Backward(loss); err != nil {
		return st, err
	}
	if t.trace != nil {
		t.trace.GradNorm = optim.GradNorm(t.params)
	}
	if t.Cfg.ClipNorm > 0 {
		st.GradNorm = optim.ClipGradNorm(t.params, t.Cfg.ClipNorm)
	}
	t.Opt.LR = float32(st.LR)
	t.Opt.Step(t.params)
	if err := optim.Polyak(t.targetParams, t.params, float32(t.Cfg.Tau)); err != nil {
		return st, err
	}
	t.Steps++
	return st, nil
}

// weighChoices scales the actor weights w so that CrossEntropy's
// sum_i w_i CE_i / n becomes sum_i c_i w_i CE_i / sum_i c_i, with c_i = cw
// where the data holds several tokens before reply token i (sets, as in
// Step) and 1 elsewhere. Dividing by sum c_i rather than sum c_i w_i
// keeps the advantage filter's weights as they are: a filtered token
// lowers the loss, as without choice weights.
func weighChoices(w []float32, sets [][]int, batch []*Sample, cw float64) {
	c := make([]float64, len(w))
	var sum float64
	i := 0
	for bi, s := range batch {
		for range s.Reply {
			c[i] = 1
			if len(sets[i+bi]) > 1 {
				c[i] = cw
			}
			sum += c[i]
			i++
		}
	}
	scale := float64(len(w)) / sum
	for i := range w {
		w[i] = float32(float64(w[i]) * c[i] * scale)
	}
}

func (t *Trainer) rewardScale() float64 {
	if t.Cfg.RewardScale == 0 {
		return 1
	}
	return t.Cfg.RewardScale
}

func (t *Trainer) weight(adv float64, forced bool) float32 {
	if t.Steps < t.Cfg.SFTWarmup {
		return 1
	}
	switch t.Cfg.Mode {
	case SFT:
		return 1
	case Exp:
		return float32(math.Min(math.Exp(t.Cfg.Beta*adv), t.Cfg.MaxWeight))
	default:
		if adv > 0 || forced {
			return 1
		}
		return 0
	}
}

// tdTargets computes y_j for every reply token of the batch: inside a turn
// the reward is 0 with no discount, y_j = V_tgt(s_{j+1}) (mixed with the
// rest of the reply's return when Cfg.Lambda > 0); the last token
// receives the turn reward and bootstraps with gamma to the first reply
// state of the next turn, or to 0 at episode end. V_tgt(s) = sum_a pi(a|s)
// min(Q1_tgt, Q2_tgt)(s, a) with pi from the online actor.
// onOut is the online model's output on the batch (its logits give pi);
// allowed (nil for the whole vocabulary) restricts V to data support.
func (t *Trainer) tdTargets(batch []*Sample, onOut vlm.Output, allowed [][]int) ([]float32, error) {
	// The target network's Q inside the replies is only read below a
	// lambda of 1; otherwise its forward pass is skipped.
	var tgtOut vlm.Output
	var err error
	if t.Cfg.Lambda < 1 || (allowed != nil && t.Cfg.ChoiceLambda < 1) {
		if tgtOut, err = t.Target.Forward(nil, inputs(batch, false)); err != nil {
			return nil, err
		}
	}
	var nexts []*Sample
	for _, s := range batch {
		if !s.Done && s.Next != nil {
			nexts = append(nexts, s.Next)
		}
	}
	var tgtNext, onNext vlm.Output
	if len(nexts) > 0 {
		if tgtNext, err = t.Target.Forward(nil, inputs(nexts, true)); err != nil {
			return nil, err
		}
		if onNext, err = t.Model.Forward(nil, inputs(nexts, true)); err != nil {
			return nil, err
		}
	}
	v := onOut.Logits.Shape[1]
	pi := make([]float64, v)
	val := func(on, tg vlm.Output, row int, set []int) float64 { return t.rowValue(on, tg, row, set, pi) }
	var first []int // tokens the data starts replies with
	if t.Cfg.DataSupport {
		first = t.sup.root.keys()
	}
	var y []float32
	row, nextRow := 0, 0
	for bi, s := range batch {
		l := len(s.Reply)
		ys := make([]float64, l)
		ys[l-1] = s.Reward * t.rewardScale()
		if !s.Done && s.Next != nil {
			boot := val(onNext, tgtNext, nextRow, first)
			if lt := t.Cfg.TurnLambda; lt > 0 {
				if !s.Next.retOK {
					return nil, errors.New("afsft: turn lambda-returns not computed (call RefreshReturns)")
				}
				boot = (1-lt)*boot + lt*s.Next.ret
			}
			ys[l-1] += t.Cfg.Gamma * boot
			nextRow++
		}
		// Inside the turn: G_j = (1-lambda) V(s_{j+1}) + lambda G_{j+1}
		// (no reward, no discount); lambda = 0 is the one-step target.
		for j := l - 2; j >= 0; j-- {
			var set []int
			if allowed != nil {
				set = allowed[row+bi+j+1]
			}
			lam := t.Cfg.Lambda
			if len(set) > 1 {
				lam = t.Cfg.ChoiceLambda // the data forks here
			}
			ys[j] = ys[j+1]
			if lam < 1 {
				ys[j] = (1-lam)*val(onOut, tgtOut, row+j+1, set) + lam*ys[j+1]
			}
		}
		for _, x := range ys {
			y = append(y, float32(x))
		}
		row += l
	}
	return y, nil
}

// inputs builds model inputs. With firstOnly, only the state before the
// first reply token is requested (bootstrapping into the next turn).
func inputs(batch []*Sample, firstOnly bool) []vlm.Input {
	in := make([]vlm.Input, len(batch))
	for i, s := range batch {
		if firstOnly {
			in[i] = vlm.Input{Image: s.Image, Tokens: s.Prompt, Prompt: len(s.Prompt), Targets: []int{len(s.Prompt)}}
		} else {
			in[i] = s.Input()
		}
	}
	return in
}

// softmax64 writes softmax(logits) into p in float64 for stable sums.
func softmax64(logits []float32, p []float64) {
	m := math.Inf(-1)
	for _, x := range logits {
		m = math.Max(m, float64(x))
	}
	var z float64
	for i, x := range logits {
		p[i] = math.Exp(float64(x) - m)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
}
