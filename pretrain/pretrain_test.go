package pretrain

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vlmq/env"
	"vlmq/model"
	"vlmq/model/modeltest"
	"vlmq/optim"
	"vlmq/vlm"
)

// TestPretrainLearnsVisualFacts: after a short pretrain the base model
// answers the colour question (visible only in the image) well above the
// 25% chance level on held-out episodes, and it does not produce valid
// action replies, having never been trained on them.
func TestPretrainLearnsVisualFacts(t *testing.T) {
	train, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 30, MaxSteps: 6, Seed: 1, NoCaptions: true})
	if err != nil {
		t.Fatal(err)
	}
	test, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 10, MaxSteps: 3, Seed: 99, NoCaptions: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(train, 340)
	if err != nil {
		t.Fatal(err)
	}
	m := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 1})
	before, err := Accuracy(m, test.QA, 32)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Pretrain(context.Background(), m, train.QA, Options{Steps: 120, BatchSize: 16, LR: 3e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(st.LastLoss < st.FirstLoss/3) {
		t.Errorf("loss %.3f -> %.3f", st.FirstLoss, st.LastLoss)
	}
	after, err := Accuracy(m, test.QA, 32)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accuracy before %.2f after %.2f on %d held-out questions (loss %.3f -> %.3f)", before, after, len(test.QA), st.FirstLoss, st.LastLoss)
	if after < 0.6 {
		t.Errorf("accuracy %.2f after pretraining, want >= 0.6 (chance 0.25)", after)
	}

	// Prompted for an action, the base model does not speak the syntax.
	e := &colourEnv{}
	valid := 0
	const n = 16
	var batch []vlm.GenInput
	for i := 0; i < n; i++ {
		obs, _ := e.Reset(int64(i))
		batch = append(batch, vlm.GenInput{Image: obs.Image, Prompt: tok.Encode(env.Prompt(e.Task(), obs, e.Syntax()))})
	}
	out, err := m.Generate(batch, vlm.GenOpts{MaxTokens: 12, StopAtEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if _, ok := e.Syntax().Choose(o.Text, []string{"next", "stop"}); ok {
			valid++
		}
	}
	t.Logf("valid action replies before RL: %d/%d (e.g. %q)", valid, n, out[0].Text)
	if valid > n/4 {
		t.Errorf("%d/%d replies already valid; the base model should not know the action syntax", valid, n)
	}
}

func TestPretrainRejectsActionAnswers(t *testing.T) {
	c, _ := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 1, MaxSteps: 1})
	tok, _ := TrainTokenizer(c, 300)
	m := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 1})
	bad := []QAExample{{Image: c.QA[0].Image, Question: "What now?", Answer: "[action] next"}}
	if _, err := Pretrain(context.Background(), m, bad, Options{Steps: 1, BatchSize: 1, LR: 1e-3}); err == nil {
		t.Error("Pretrain accepted an action reply as an answer")
	}
	if _, err := Pretrain(context.Background(), m, nil, Options{Steps: 1, BatchSize: 1, LR: 1e-3}); err == nil {
		t.Error("Pretrain accepted no examples")
	}
}

// TestPretrainResumeIsExact: a run stopped by cancellation, checkpointed
// and resumed takes the same steps as an uninterrupted one, bit for bit.
func TestPretrainResumeIsExact(t *testing.T) {
	c, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 6, MaxSteps: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(c, 320)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *model.VLM { return modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 3}) }
	train := func(ctx context.Context, m *model.VLM, o Options) error {
		_, err := Pretrain(ctx, m, c.QA, o)
		return err
	}
	checkResumeIsExact(t, fresh, train, Options{Steps: 12, BatchSize: 4, LR: 3e-3, Seed: 5}, []int{1, 5, 11})
}

// checkResumeIsExact trains a fresh model whole, then again stopped (by
// cancelling) after each of stops steps, checkpointed, reloaded and
// resumed, and requires the resumed weights to be bit-identical.
func checkResumeIsExact(t *testing.T, fresh func() *model.VLM, train func(context.Context, *model.VLM, Options) error, opts Options, stops []int) {
	t.Helper()
	whole := fresh()
	if err := train(context.Background(), whole, opts); err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range stops {
		dir := t.TempDir()
		m := fresh()
		ctx, cancel := context.WithCancel(context.Background())
		o := opts
		saved := -1
		o.Log = func(step int, _ float64) {
			if step+1 == stopAt {
				cancel()
			}
		}
		o.Checkpoint = func(steps int, opt *optim.AdamW) error {
			saved = steps
			if err := model.Save(filepath.Join(dir, "model"), m); err != nil {
				return err
			}
			return vlm.SaveOptim(filepath.Join(dir, "optim.safetensors"), opt, append(m.TrunkParams(), m.LMParams()...))
		}
		err := train(ctx, m, o)
		cancel()
		if err == nil {
			t.Fatalf("stop at %d: no cancellation error", stopAt)
		}
		if saved != stopAt {
			t.Fatalf("checkpoint at %d, want %d", saved, stopAt)
		}
		r, err := model.Load(filepath.Join(dir, "model"))
		if err != nil {
			t.Fatal(err)
		}
		opt := optim.NewAdamW(o.LR)
		if err := vlm.LoadOptim(filepath.Join(dir, "optim.safetensors"), opt, append(r.TrunkParams(), r.LMParams()...)); err != nil {
			t.Fatal(err)
		}
		o = opts
		o.Opt, o.Start = opt, saved
		if err := train(context.Background(), r, o); err != nil {
			t.Fatal(err)
		}
		a, b := whole.Params(), r.Params()
		for i := range a {
			for j := range a[i].T.Data {
				if a[i].T.Data[j] != b[i].T.Data[j] {
					t.Fatalf("stop at %d: %s[%d] = %v resumed, %v uninterrupted", stopAt, a[i].Name, j, b[i].T.Data[j], a[i].T.Data[j])
				}
			}
		}
	}
}

func TestPretrainRefusesBadOptions(t *testing.T) {
	c, _ := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 1, MaxSteps: 1})
	tok, _ := TrainTokenizer(c, 300)
	m := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 1})
	good := Options{Steps: 1, BatchSize: 1, LR: 1e-3}
	for _, tc := range []struct {
		name string
		edit func(*Options)
	}{
		{"zero steps", func(o *Options) { o.Steps = 0 }},
		{"negative steps", func(o *Options) { o.Steps = -5 }},
		{"zero lr", func(o *Options) { o.LR = 0 }},
		{"negative lr", func(o *Options) { o.LR = -1 }},
		{"nan lr", func(o *Options) { o.LR = float32(math.NaN()) }},
		{"zero batch", func(o *Options) { o.BatchSize = 0 }},
		{"resume past the end", func(o *Options) { o.Start = 2 }},
		{"negative embedding scale", func(o *Options) { o.EmbedLRScale = -2 }},
		{"nan embedding scale", func(o *Options) { o.EmbedLRScale = float32(math.NaN()) }},
	} {
		o := good
		tc.edit(&o)
		before := append([]float32(nil), m.Params()[0].T.Data...)
		if _, err := Pretrain(context.Background(), m, c.QA, o); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
		if !slices.Equal(before, m.Params()[0].T.Data) {
			t.Errorf("%s: weights changed", tc.name)
		}
	}
}

// TestEmbedLRScale: one step with the embeddings' rate scaled moves the
// embeddings k times as far (no decay on the first step's direction, and
// the same gradients) and leaves every other parameter where the unscaled
// step puts it.
func TestEmbedLRScale(t *testing.T) {
	c, _ := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 2, MaxSteps: 2})
	tok, _ := TrainTokenizer(c, 300)
	for _, k := range []float32{2, 0.5} {
		a := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 1})
		b := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 1})
		init := vlm.ActorParams(modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 1}))
		o := Options{Steps: 1, BatchSize: 2, LR: 1e-2, WeightDecay: 1e-9}
		if _, err := Pretrain(context.Background(), a, c.QA, o); err != nil {
			t.Fatal(err)
		}
		o.EmbedLRScale = k
		if _, err := Pretrain(context.Background(), b, c.QA, o); err != nil {
			t.Fatal(err)
		}
		pa, pb := vlm.ActorParams(a), vlm.ActorParams(b)
		sawEmbed := false
		for i := range pa {
			if !strings.HasPrefix(pa[i].Name, EmbedParam) {
				if !slices.Equal(pa[i].T.Data, pb[i].T.Data) {
					t.Errorf("scale %v: %s moved differently", k, pa[i].Name)
				}
				continue
			}
			sawEmbed = true
			for j, w0 := range init[i].T.Data {
				da, db := float64(pa[i].T.Data[j]-w0), float64(pb[i].T.Data[j]-w0)
				if math.Abs(db-float64(k)*da) > 1e-6+1e-3*math.Abs(db) {
					t.Fatalf("scale %v: %s[%d] moved %g, unscaled %g", k, pa[i].Name, j, db, da)
				}
			}
		}
		if !sawEmbed {
			t.Fatalf("no %s parameter among %d", EmbedParam, len(pa))
		}
	}
}

// TestExamplesShareNoTokens: examples asking the same question (one cached
// encoding) keep their own answers, however many are built.
func TestExamplesShareNoTokens(t *testing.T) {
	train, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 4, MaxSteps: 3, Seed: 1, NoCaptions: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(train, 340)
	if err != nil {
		t.Fatal(err)
	}
	enc := cachedEncoder(tok)
	var ins []vlm.Input
	var want [][]int
	for _, qa := range train.QA {
		in := example(tok, enc, qa)
		ins = append(ins, in)
		want = append(want, slices.Clone(in.Tokens))
	}
	if len(ins) < 2 || train.QA[0].Question != train.QA[1].Question || train.QA[0].Context != "" {
		t.Fatalf("want several context-free examples of one question, got %d", len(ins))
	}
	answers := map[string]bool{}
	for i, in := range ins {
		answers[train.QA[i].Answer] = true
		if !slices.Equal(in.Tokens, want[i]) {
			t.Errorf("example %d (answer %q) tokens changed after later examples were built: %v, was %v", i, train.QA[i].Answer, in.Tokens, want[i])
		}
	}
	if len(answers) < 2 {
		t.Fatalf("the examples have one answer %v; the test needs several", answers)
	}
}

// train draws the next step's batch while a step computes. The draws must
// stay in step order, one at a time (an EnvSource steps its envs), and
// none may outlive the run, whether it ends, fails or is cancelled.
func TestTrainDrawsBatchesInOrderOneAtATime(t *testing.T) {
	c, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 4, MaxSteps: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(c, 320)
	if err != nil {
		t.Fatal(err)
	}
	m := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 3})
	in := example(tok, tok.Encode, c.QA[0])
	for _, tc := range []struct {
		name      string
		start     int
		cancelAt  int // cancel in the Log of this step (-1: never)
		failAt    int // batchAt fails at this step (-1: never)
		panicAt   int // batchAt panics at this step (-1: never)
		wantSteps []int
		wantErr   bool
	}{
		{"whole run", 0, -1, -1, -1, []int{0, 1, 2, 3, 4, 5}, false},
		{"resumed", 3, -1, -1, -1, []int{3, 4, 5}, false},
		{"cancelled", 0, 2, -1, -1, []int{0, 1, 2, 3}, true},
		{"draw fails", 0, -1, 4, -1, []int{0, 1, 2, 3, 4}, true},
		{"draw panics", 0, -1, -1, 3, []int{0, 1, 2, 3}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var steps []int
			var busy atomic.Int32
			var overlap atomic.Bool
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := Options{Steps: 6, BatchSize: 2, LR: 1e-3, Seed: 1, Start: tc.start}
			opts.Log = func(step int, _ float64) {
				if step == tc.cancelAt {
					cancel()
				}
			}
			if err := opts.Validate(); err != nil {
				t.Fatal(err)
			}
			opts.defaults()
			_, err := train(ctx, m, opts, func(step int) ([]vlm.Input, error) {
				if busy.Add(1) > 1 {
					overlap.Store(true)
				}
				defer busy.Add(-1)
				time.Sleep(time.Millisecond)
				mu.Lock()
				steps = append(steps, step)
				mu.Unlock()
				if step == tc.failAt {
					return nil, fmt.Errorf("no view at step %d", step)
				}
				if step == tc.panicAt {
					panic("a broken source")
				}
				return []vlm.Input{in, in}, nil
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tc.wantErr)
			}
			if tc.panicAt >= 0 && !strings.Contains(fmt.Sprint(err), "a broken source") {
				t.Errorf("err = %v, want the panic as an error", err)
			}
			if busy.Load() != 0 {
				t.Fatal("a draw is still running after train returned")
			}
			mu.Lock()
			defer mu.Unlock()
			if overlap.Load() {
				t.Error("two draws ran at once")
			}
			if !slices.Equal(steps, tc.wantSteps) {
				t.Errorf("drew steps %v, want %v", steps, tc.wantSteps)
			}
		})
	}
}
