package pretrain

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"

	"vlmq/env"
	"vlmq/nn"
	"vlmq/optim"
	"vlmq/tensor"
	"vlmq/tokenizer"
	"vlmq/vlm"
)

// TrainTokenizer learns a BPE vocabulary from the corpus text and QA pairs.
func TrainTokenizer(c *Corpus, vocabSize int) (*tokenizer.Tokenizer, error) {
	text := append([]string(nil), c.Text...)
	for _, qa := range c.QA {
		text = append(text, FormatQuestion(qa.Question)+" "+qa.Answer)
	}
	return tokenizer.Train(text, vocabSize, nil)
}

// TrainTokenizerCurriculum is TrainTokenizer with n samples of the
// synthetic tasks and format questions (SyntheticText) added, so a base
// pretrained on the curriculum gives their words few tokens (the shipped
// base's tokenizer, trained on env text alone, spends 3.4 tokens on a
// synthetic word on average).
func TrainTokenizerCurriculum(c *Corpus, vocabSize int, seed uint64, n int) (*tokenizer.Tokenizer, error) {
	if n < 0 {
		return nil, fmt.Errorf("pretrain: %d synthetic samples", n)
	}
	text := append([]string(nil), c.Text...)
	for _, qa := range c.QA {
		text = append(text, FormatQuestion(qa.Question)+" "+qa.Answer)
	}
	return tokenizer.Train(append(text, SyntheticText(seed, n)...), vocabSize, nil)
}

// Options controls Pretrain. Steps, BatchSize and LR must be set: a run
// that would save an untrained model is refused, not defaulted.
type Options struct {
	Steps       int     // optimiser steps in the whole run
	BatchSize   int     // examples per step
	LR          float32 // peak AdamW learning rate, cosine-decayed
	WeightDecay float32 // AdamW decay (0 = 0.01; negative is refused)
	ClipNorm    float64 // gradient-norm clip (0 = 1; negative disables)
	// EmbedLRScale multiplies the token embeddings' learning rate (0 =
	// 1). Lookups were learned far sooner with the (tied) embeddings at
	// four times the rate (results/base-sweep/2026-12-07/embed-lr).
	EmbedLRScale float32
	Seed         uint64
	// Log, if set, is called after every step.
	Log func(step int, loss float64)
	// Opt and Start resume a run: the optimiser with its moments, and the
	// number of steps already taken. Every step's batch and learning rate
	// are functions of (Seed, step) only, so a resumed run takes the same
	// steps as an uninterrupted one.
	Opt   *optim.AdamW
	Start int
	// Checkpoint, when set, is called every CheckpointEvery steps and when
	// ctx is cancelled (with the steps taken), so a killed run resumes.
	Checkpoint      func(steps int, opt *optim.AdamW) error
	CheckpointEvery int
}

// Validate reports the first invalid setting.
func (o Options) Validate() error {
	switch {
	case o.Steps < 1:
		return fmt.Errorf("pretrain: steps %d, want at least 1", o.Steps)
	case o.BatchSize < 1:
		return fmt.Errorf("pretrain: batch %d, want at least 1", o.BatchSize)
	case !(o.LR > 0) || math.IsInf(float64(o.LR), 0):
		return fmt.Errorf("pretrain: learning rate %v, want a finite positive number", o.LR)
	case o.WeightDecay < 0 || math.IsNaN(float64(o.WeightDecay)):
		return fmt.Errorf("pretrain: weight decay %v", o.WeightDecay)
	case math.IsNaN(o.ClipNorm):
		return fmt.Errorf("pretrain: clip norm NaN")
	case o.EmbedLRScale < 0 || math.IsNaN(float64(o.EmbedLRScale)) || math.IsInf(float64(o.EmbedLRScale), 0):
		return fmt.Errorf("pretrain: embedding learning-rate scale %v, want a finite number > 0 (0 = 1)", o.EmbedLRScale)
	case o.Start < 0 || o.Start > o.Steps:
		return fmt.Errorf("pretrain: resume at step %d of %d", o.Start, o.Steps)
	case o.CheckpointEvery < 0:
		return fmt.Errorf("pretrain: checkpoint every %d", o.CheckpointEvery)
	}
	return nil
}

// EmbedParam starts the names of the token embeddings' parameters, which
// EmbedLRScale scales.
const EmbedParam = "embed_tokens."

func (o *Options) defaults() {
	if o.WeightDecay == 0 {
		o.WeightDecay = 0.01
	}
	if o.ClipNorm == 0 {
		o.ClipNorm = 1
	}
}

// PromptTokens is the token sequence of an example's prompt: the context,
// the earlier pairs of its sequence (Before) and the question, encoded
// apart, so a context shared by many questions is tokenised once (enc
// caches it).
func PromptTokens(tok vlm.Tokenizer, enc func(string) []int, qa QAExample) []int {
	q := enc(FormatQuestion(qa.Question))
	if qa.Context == "" && len(qa.Before) == 0 {
		return q
	}
	var out []int
	if qa.Context != "" {
		out = append(out, enc(qa.Context+"\n")...)
	}
	for _, p := range qa.Before {
		bq, ba := pairTokens(tok, enc, p)
		out = append(append(out, bq...), ba...)
	}
	return append(out, q...)
}

// Example turns a QA pair into a model input: the question prompt then
// " answer<eos>", with targets on the answer tokens and EOS only.
func Example(tok vlm.Tokenizer, qa QAExample) vlm.Input {
	return example(tok, tok.Encode, qa)
}

func example(tok vlm.Tokenizer, enc func(string) []int, qa QAExample) vlm.Input {
	q := PromptTokens(tok, enc, qa)
	a := append(tok.Encode(" "+qa.Answer), tok.EOSID())
	in := vlm.Input{Image: qa.Image, Tokens: append(q, a...)}
	for i := range a {
		in.Targets = append(in.Targets, len(q)+i)
	}
	return in
}

// cachedEncoder memoises the encoding of repeated texts (the contexts).
// The slices it hands out are clipped to their length, so a caller that
// appends (an example adding its answer) gets a copy: with spare capacity
// every example of one question wrote its answer into the same shared
// array, and all of them trained on the last one's.
func cachedEncoder(tok vlm.Tokenizer) func(string) []int {
	cache := map[string][]int{}
	return func(s string) []int {
		if t, ok := cache[s]; ok {
			return t
		}
		t := slices.Clip(tok.Encode(s))
		cache[s] = t
		return t
	}
}

// Stats summarises a pretraining run.
type Stats struct {
	Steps     int
	FirstLoss float64
	LastLoss  float64 // mean over the last 10% of steps (of this call)
}

// Pretrain trains the trunk and LM head on image QA (answer tokens only),
// one pair per sequence from a fixed set of examples (PretrainStream
// trains on the many-questions form from a Stream). The critic heads are
// untouched. Batches are drawn from two pools, the questions with the
// env's prompt in front and those without, by a coin flip per step: this
// dates from padded batches (the forward pass now packs sequences) and is
// kept so that a run, and its resumption, take the same batches as before.
// On cancellation it checkpoints and returns ctx's error.
func Pretrain(ctx context.Context, m vlm.Model, examples []QAExample, opts Options) (Stats, error) {
	var st Stats
	if err := opts.Validate(); err != nil {
		return st, err
	}
	opts.defaults()
	if len(examples) == 0 {
		return st, fmt.Errorf("pretrain: no examples")
	}
	tok := m.Tokenizer()
	enc := cachedEncoder(tok)
	var pools [2][]int // indices into ins: without, with context
	// Each example is tokenised once, here; batches reuse the inputs
	// (Forward reads them and never writes).
	ins := make([]vlm.Input, len(examples))
	for i, qa := range examples {
		if qa.Image == nil {
			return st, fmt.Errorf("pretrain: example %d has no image", i)
		}
		if err := checkAnswer(qa.Answer); err != nil {
			return st, fmt.Errorf("pretrain: example %d: %w", i, err)
		}
		in := example(tok, enc, qa)
		ins[i] = in
		if len(in.Tokens) > m.MaxText() {
			continue // too long for the model; skip rather than truncate the answer
		}
		k := 0
		if qa.Context != "" {
			k = 1
		}
		pools[k] = append(pools[k], i)
	}
	if len(pools[0])+len(pools[1]) == 0 {
		return st, fmt.Errorf("pretrain: every example is longer than %d tokens", m.MaxText())
	}
	return train(ctx, m, opts, func(step int) ([]vlm.Input, error) {
		rng := rand.New(rand.NewPCG(opts.Seed, uint64(step)))
		pool := pools[rng.IntN(2)]
		if len(pool) == 0 {
			pool = pools[0]
			if len(pool) == 0 {
				pool = pools[1]
			}
		}
		batch := make([]vlm.Input, opts.BatchSize)
		for i := range batch {
			batch[i] = ins[pool[rng.IntN(len(pool))]]
		}
		return batch, nil
	})
}

// train runs the optimiser steps [opts.Start, opts.Steps) on the batches
// batchAt gives (a function of the step alone, so resuming is exact),
// with the LM loss on every input's targets. opts must be validated and
// defaulted. On cancellation it checkpoints and returns ctx's error.
func train(ctx context.Context, m vlm.Model, opts Options, batchAt func(step int) ([]vlm.Input, error)) (Stats, error) {
	var st Stats
	named := vlm.ActorParams(m)
	params := nn.Tensors(named)
	opt := opts.Opt
	if opt == nil {
		opt = optim.NewAdamW(opts.LR)
	}
	opt.WeightDecay = opts.WeightDecay
	opt.Scale = nil
	if k := opts.EmbedLRScale; k != 0 && k != 1 {
		opt.Scale = map[*tensor.Tensor]float32{}
		for _, p := range named {
			if strings.HasPrefix(p.Name, EmbedParam) {
				opt.Scale[p.T] = k
			}
		}
		if len(opt.Scale) == 0 {
			return st, fmt.Errorf("pretrain: an embedding learning-rate scale, but the model has no %s parameter", EmbedParam)
		}
	}
	tp := tensor.NewTape()
	tail := max(1, (opts.Steps-opts.Start)/10)
	var tailSum float64
	var tailN int
	st.Steps = opts.Start
	// The next step's batch is drawn while this step computes: drawing
	// env views (walks, renders, Chromium) is serial work that would leave
	// a core idle. batchAt still runs once per step, in step order, one
	// call at a time, so every batch and the run itself are unchanged.
	type drawn struct {
		batch []vlm.Input
		err   error
	}
	draw := func(step int) chan drawn {
		ch := make(chan drawn, 1)
		go func() {
			// A panic here would pass every recover of the caller's.
			defer func() {
				if r := recover(); r != nil {
					ch <- drawn{err: fmt.Errorf("pretrain: drawing the batch of step %d: %v\n%s", step, r, debug.Stack())}
				}
			}()
			b, err := batchAt(step)
			ch <- drawn{b, err}
		}()
		return ch
	}
	var next chan drawn
	if opts.Start < opts.Steps {
		next = draw(opts.Start)
	}
	defer func() {
		if next != nil {
			<-next // no draw outlives the run: the sources are not shared
		}
	}()
	for step := opts.Start; step < opts.Steps; step++ {
		if err := ctx.Err(); err != nil {
			if opts.Checkpoint != nil && step > opts.Start {
				if cerr := opts.Checkpoint(step, opt); cerr != nil {
					return st, cerr
				}
			}
			return st, err
		}
		d := <-next
		next = nil
		if d.err != nil {
			return st, d.err
		}
		batch := d.batch
		if step+1 < opts.Steps {
			next = draw(step + 1)
		}
		var targets []int
		for _, in := range batch {
			for _, t := range in.Targets {
				targets = append(targets, in.Tokens[t])
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
		opt.LR = opts.LR * float32(lrFactor(step, opts.Steps))
		opt.Step(params)
		optim.ZeroGrad(params)
		l := float64(loss.Data[0])
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return st, fmt.Errorf("pretrain: loss diverged at step %d", step)
		}
		if step == opts.Start {
			st.FirstLoss = l
		}
		if step >= opts.Steps-tail {
			tailSum += l
			tailN++
		}
		st.Steps = step + 1
		if opts.Log != nil {
			opts.Log(step, l)
		}
		if opts.Checkpoint != nil && opts.CheckpointEvery > 0 && st.Steps%opts.CheckpointEvery == 0 && st.Steps < opts.Steps {
			if err := opts.Checkpoint(st.Steps, opt); err != nil {
				return st, err
			}
		}
	}
	if tailN > 0 {
		st.LastLoss = tailSum / float64(tailN)
	}
	return st, nil
}

// lrFactor is a short linear warmup, then cosine decay to 10% of the peak.
func lrFactor(step, steps int) float64 {
	frac := float64(step) / float64(steps)
	lr := 0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac))
	if w := max(1, steps/20); step < w {
		lr *= float64(step+1) / float64(w)
	}
	return lr
}

// Accuracy is the fraction of examples whose greedy answer (up to EOS)
// equals the true answer after trimming spaces.
func Accuracy(m vlm.Model, examples []QAExample, batchSize int) (float64, error) {
	ok, err := Grade(m, examples, batchSize)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range ok {
		if c {
			n++
		}
	}
	return float64(n) / float64(len(ok)), nil
}

// Grade answers every example greedily and says which answers are right.
func Grade(m vlm.Model, examples []QAExample, batchSize int) ([]bool, error) {
	answers, err := Answers(m, examples, batchSize)
	if err != nil {
		return nil, err
	}
	right := make([]bool, len(examples))
	for i, a := range answers {
		right[i] = Right(examples[i], a)
	}
	return right, nil
}

// Right reports whether answer is the example's answer (spaces trimmed).
func Right(qa QAExample, answer string) bool {
	return strings.TrimSpace(answer) == strings.TrimSpace(qa.Answer)
}

// Answers answers every example greedily (up to EOS).
func Answers(m vlm.Model, examples []QAExample, batchSize int) ([]string, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("pretrain: no examples")
	}
	if batchSize <= 0 {
		batchSize = 16
	}
	answers := make([]string, len(examples))
	enc := cachedEncoder(m.Tokenizer())
	for lo := 0; lo < len(examples); lo += batchSize {
		hi := min(lo+batchSize, len(examples))
		var batch []vlm.GenInput
		maxLen := 1
		for _, qa := range examples[lo:hi] {
			ans := len(m.Tokenizer().Encode(" "+qa.Answer)) + 1
			p := PromptTokens(m.Tokenizer(), enc, qa)
			if len(p)+ans > m.MaxText() && qa.Context != "" {
				// A view whose prompt the model cannot hold (a large web
				// page): its context is cut by env.FitPrompt's policy, as
				// the agent's prompts are, rather than failing the run.
				cut := qa
				cut.Context, _ = env.FitPrompt(qa.Context, func(c string) bool {
					cut.Context = c
					return len(PromptTokens(m.Tokenizer(), enc, cut))+ans <= m.MaxText()
				})
				p = PromptTokens(m.Tokenizer(), enc, cut)
			}
			batch = append(batch, vlm.GenInput{Image: qa.Image, Prompt: p})
			maxLen = max(maxLen, ans)
		}
		out, err := m.Generate(batch, vlm.GenOpts{MaxTokens: maxLen + 2, StopAtEOS: true})
		if err != nil {
			return nil, err
		}
		for i, o := range out {
			answers[lo+i] = o.Text
		}
	}
	return answers, nil
}
