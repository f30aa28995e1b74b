// Package experiment wires the parts into the jobs the CLI runs: building
// the base VLM, collecting datasets, resumable offline-to-online AFSFT runs,
// and evaluation on held-out seeds.
package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"

	"vlmq/env"
	"vlmq/envs"
	"vlmq/model"
	"vlmq/pretrain"
)

// Seed ranges keep datasets, online rounds and evaluation apart, so
// evaluation always runs on episodes no training data came from.
const (
	DataSeedBase   int64 = 0
	OnlineSeedBase int64 = 500_000_000
	EvalSeedBase   int64 = 1_000_000_000
)

// BaseSpec describes the base model: a VLM that has learned to see the
// environments (image question answering) but never seen an action reply.
type BaseSpec struct {
	Envs      []string `json:"envs"`
	Preset    string   `json:"preset"`
	Vocab     int      `json:"vocab"`
	Steps     int      `json:"steps"`
	Batch     int      `json:"batch"`
	LR        float64  `json:"lr"`
	Episodes  int      `json:"episodes"` // corpus episodes per env
	Seed      int64    `json:"seed"`
	EnvOpts   envs.Options
	OnStep    func(step int, loss float64) `json:"-"`
	OnCorpora func(qa int)                 `json:"-"`
}

// OpenEnvs builds n instances of each named env; callers Close them.
func OpenEnvs(names []string, n int, o envs.Options) ([]env.Env, error) {
	var out []env.Env
	for _, name := range names {
		for i := 0; i < n; i++ {
			e, err := envs.New(name, o)
			if err != nil {
				CloseEnvs(out)
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// CloseEnvs closes every env, ignoring errors (used on cleanup paths).
func CloseEnvs(es []env.Env) {
	for _, e := range es {
		_ = e.Close()
	}
}

// QAScore is a base model's held-out question-answering accuracy, overall
// and split by whether the env's prompt text precedes the question (the
// answer can then be read from the text) or only the image is shown.
type QAScore struct {
	All, WithText, ImageOnly float64
}

func (q QAScore) String() string {
	return fmt.Sprintf("%.2f (with the prompt text %.2f, image only %.2f)", q.All, q.WithText, q.ImageOnly)
}

// BuildBase collects a QA corpus from the envs, trains the tokenizer and
// pretrains a fresh VLM on the QA pairs. It returns the model and its
// held-out QA accuracy (on a corpus from other seeds).
func BuildBase(ctx context.Context, s BaseSpec) (*model.VLM, QAScore, error) {
	var score QAScore
	if len(s.Envs) == 0 {
		return nil, score, fmt.Errorf("experiment: base model needs at least one env")
	}
	es, err := OpenEnvs(s.Envs, 1, s.EnvOpts)
	if err != nil {
		return nil, score, err
	}
	defer CloseEnvs(es)
	corpus, err := pretrain.Collect(es, pretrain.CorpusOptions{Episodes: s.Episodes, Seed: s.Seed})
	if err != nil {
		return nil, score, err
	}
	held, err := pretrain.Collect(es, pretrain.CorpusOptions{Episodes: 4, Seed: s.Seed + 7919, NoCaptions: true})
	if err != nil {
		return nil, score, err
	}
	if s.OnCorpora != nil {
		s.OnCorpora(len(corpus.QA))
	}
	tok, err := pretrain.TrainTokenizer(corpus, s.Vocab)
	if err != nil {
		return nil, score, err
	}
	cfg, err := model.Preset(s.Preset)
	if err != nil {
		return nil, score, err
	}
	m, err := model.New(cfg, tok, s.Seed)
	if err != nil {
		return nil, score, err
	}
	if err := ctx.Err(); err != nil {
		return nil, score, err
	}
	if _, err := pretrain.Pretrain(m, corpus.QA, pretrain.Options{Steps: s.Steps, BatchSize: s.Batch,
		LR: float32(s.LR), Seed: uint64(s.Seed), Log: s.OnStep}); err != nil {
		return nil, score, err
	}
	var withText, imageOnly []pretrain.QAExample
	for _, qa := range held.QA {
		if qa.Context != "" {
			withText = append(withText, qa)
		} else {
			imageOnly = append(imageOnly, qa)
		}
	}
	// Up to 100 questions of each kind, drawn at random.
	r := rand.New(rand.NewPCG(uint64(s.Seed), 3))
	accs, ns := [2]float64{}, [2]int{}
	for i, part := range [][]pretrain.QAExample{withText, imageOnly} {
		r.Shuffle(len(part), func(i, j int) { part[i], part[j] = part[j], part[i] })
		part = part[:min(len(part), 100)]
		if ns[i] = len(part); ns[i] == 0 {
			continue
		}
		if accs[i], err = pretrain.Accuracy(m, part, 16); err != nil {
			return nil, score, err
		}
	}
	score.WithText, score.ImageOnly = accs[0], accs[1]
	if n := ns[0] + ns[1]; n > 0 {
		score.All = (accs[0]*float64(ns[0]) + accs[1]*float64(ns[1])) / float64(n)
	}
	return m, score, nil
}
