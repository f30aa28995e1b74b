package experiment

import (
	"context"

	"vlmq/agent"
	"vlmq/dataset"
	"vlmq/envs"
	"vlmq/metrics"
	"vlmq/model"
)

// EvalSpec describes an evaluation on held-out seeds.
type EvalSpec struct {
	Env         string  `json:"env"`
	Episodes    int     `json:"episodes"`
	Parallel    int     `json:"parallel"`
	Temperature float64 `json:"temperature"` // 0 = greedy
	MaxReply    int     `json:"max_reply"`
	EnvOpts     envs.Options
}

// Evaluate plays spec.Episodes episodes with m on seeds from EvalSeedBase.
func Evaluate(ctx context.Context, m *model.VLM, spec EvalSpec, progress func()) (metrics.Summary, []dataset.Episode, error) {
	par := max(1, min(spec.Parallel, spec.Episodes))
	es, err := OpenEnvs([]string{spec.Env}, par, spec.EnvOpts)
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	defer CloseEnvs(es)
	seeds := make([]int64, spec.Episodes)
	for i := range seeds {
		seeds[i] = EvalSeedBase + int64(i)
	}
	a := &agent.Agent{Model: m, Tok: m.Tok, Temperature: spec.Temperature, MaxReply: spec.MaxReply, Seed: 1, Source: "eval"}
	eps, err := a.Rollout(ctx, es, seeds, 0, progress)
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	s, err := metrics.Summarize(eps)
	return s, eps, err
}
