package pretrain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"vlmq/model"
	"vlmq/nn"
	"vlmq/optim"
	"vlmq/tensor"
	"vlmq/tokenizer"
)

// TrainTokenizer learns a BPE vocabulary from the corpus text and QA pairs.
func TrainTokenizer(c *Corpus, vocabSize int) (*tokenizer.Tokenizer, error) {
	text := append([]string(nil), c.Text...)
	for _, qa := range c.QA {
		text = append(text, FormatQuestion(qa.Question)+" "+qa.Answer)
	}
	return tokenizer.Train(text, vocabSize, nil)
}

// Options controls Pretrain.
type Options struct {
	Steps       int     // optimiser steps (default 200)
	BatchSize   int     // examples per step (default 16)
	LR          float32 // peak AdamW learning rate (default 1e-3), cosine-decayed
	WeightDecay float32 // AdamW decay (default 0.01)
	ClipNorm    float64 // gradient-norm clip (default 1; <0 disables)
	Seed        uint64
	// Log, if set, is called after every step.
	Log func(step int, loss float64)
}

func (o *Options) defaults() {
	if o.Steps <= 0 {
		o.Steps = 200
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 16
	}
	if o.LR <= 0 {
		o.LR = 1e-3
	}
	if o.WeightDecay == 0 {
		o.WeightDecay = 0.01
	}
	if o.ClipNorm == 0 {
		o.ClipNorm = 1
	}
}

// Example turns a QA pair into a model input: the question prompt then
// " answer<eos>", with targets on the answer tokens and EOS only.
func Example(tok *tokenizer.Tokenizer, qa QAExample) model.Input {
	q := tok.Encode(qa.Prompt())
	a := append(tok.Encode(" "+qa.Answer), tok.EOSID())
	in := model.Input{Image: qa.Image, Tokens: append(q, a...)}
	for i := range a {
		in.Targets = append(in.Targets, len(q)+i)
	}
	return in
}

// Stats summarises a pretraining run.
type Stats struct {
	Steps     int
	FirstLoss float64
	LastLoss  float64 // mean over the last 10% of steps
}

// Pretrain trains the trunk and LM head on image QA (answer tokens only).
// The critic heads are untouched.
func Pretrain(m *model.VLM, examples []QAExample, opts Options) (Stats, error) {
	opts.defaults()
	if len(examples) == 0 {
		return Stats{}, fmt.Errorf("pretrain: no examples")
	}
	inputs := make([]model.Input, 0, len(examples))
	for i, qa := range examples {
		if qa.Image == nil {
			return Stats{}, fmt.Errorf("pretrain: example %d has no image", i)
		}
		if strings.Contains(qa.Answer, "[action]") {
			return Stats{}, fmt.Errorf("pretrain: example %d answer %q is an action reply", i, qa.Answer)
		}
		in := Example(m.Tok, qa)
		if len(in.Tokens) > m.Cfg.MaxText() {
			continue // too long for the model; skip rather than truncate the answer
		}
		inputs = append(inputs, in)
	}
	if len(inputs) == 0 {
		return Stats{}, fmt.Errorf("pretrain: every example is longer than %d tokens", m.Cfg.MaxText())
	}
	params := nn.Tensors(append(m.TrunkParams(), m.LMParams()...))
	opt := optim.NewAdamW(opts.LR)
	opt.WeightDecay = opts.WeightDecay
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e7))
	tp := tensor.NewTape()
	var st Stats
	tail := max(1, opts.Steps/10)
	var tailSum float64
	for step := 0; step < opts.Steps; step++ {
		batch := make([]model.Input, opts.BatchSize)
		var targets []int
		for i := range batch {
			batch[i] = inputs[rng.IntN(len(inputs))]
			for _, t := range batch[i].Targets {
				targets = append(targets, batch[i].Tokens[t])
			}
		}
		tp.Reset()
		out, err := m.Forward(tp, batch)
		if err != nil {
			return st, err
		}
		loss := tp.CrossEntropy(out.Logits, targets, nil)
		if err := tp.Backward(loss); err != nil {
			return st, err
		}
		if opts.ClipNorm > 0 {
			optim.ClipGradNorm(params, opts.ClipNorm)
		}
		// Short linear warmup, then cosine decay to 10% of the peak.
		frac := float64(step) / float64(opts.Steps)
		lr := 0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac))
		if w := max(1, opts.Steps/20); step < w {
			lr *= float64(step+1) / float64(w)
		}
		opt.LR = opts.LR * float32(lr)
		opt.Step(params)
		optim.ZeroGrad(params)
		l := float64(loss.Data[0])
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return st, fmt.Errorf("pretrain: loss diverged at step %d", step)
		}
		if step == 0 {
			st.FirstLoss = l
		}
		if step >= opts.Steps-tail {
			tailSum += l
		}
		st.Steps = step + 1
		if opts.Log != nil {
			opts.Log(step, l)
		}
	}
	st.LastLoss = tailSum / float64(tail)
	return st, nil
}

// Accuracy is the fraction of examples whose greedy answer (up to EOS)
// equals the true answer after trimming spaces.
func Accuracy(m *model.VLM, examples []QAExample, batchSize int) (float64, error) {
	if len(examples) == 0 {
		return 0, fmt.Errorf("pretrain: no examples")
	}
	if batchSize <= 0 {
		batchSize = 16
	}
	correct := 0
	for lo := 0; lo < len(examples); lo += batchSize {
		hi := min(lo+batchSize, len(examples))
		var batch []model.GenInput
		maxLen := 1
		for _, qa := range examples[lo:hi] {
			batch = append(batch, model.GenInput{Image: qa.Image, Prompt: m.Tok.Encode(qa.Prompt())})
			maxLen = max(maxLen, len(m.Tok.Encode(" "+qa.Answer))+1)
		}
		out, err := m.Generate(batch, model.GenOpts{MaxTokens: maxLen + 2, StopAtEOS: true})
		if err != nil {
			return 0, err
		}
		for i, o := range out {
			if strings.TrimSpace(o.Text) == strings.TrimSpace(examples[lo+i].Answer) {
				correct++
			}
		}
	}
	return float64(correct) / float64(len(examples)), nil
}
