package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"

	"vlmq/agent"
	"vlmq/atomicfile"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/envs"
	"vlmq/metrics"
	"vlmq/safetensors"
	"vlmq/vlm"
)

// EvalSpec describes an evaluation on held-out seeds.
type EvalSpec struct {
	Env         string  `json:"env"`
	Episodes    int     `json:"episodes"`
	Parallel    int     `json:"parallel"`
	Temperature float64 `json:"temperature"` // 0 = greedy
	MaxReply    int     `json:"max_reply"`
	EnvOpts     envs.Options
	// Slim keeps of each played episode only what summaries, reply counts
	// and listings read (no images, prompts or reply tokens): an
	// evaluation of many episodes then needs little memory.
	Slim bool `json:"-"`
}

// Validate checks the spec before any work: a known env with valid
// options (ValidateEnv), at least one episode, parallel and reply limit
// >= 0 (0 = defaults) and a finite temperature >= 0.
func (s EvalSpec) Validate() error {
	switch {
	case s.Episodes < 1:
		return fmt.Errorf("experiment: eval episodes %d, want at least 1", s.Episodes)
	case s.Parallel < 0:
		return fmt.Errorf("experiment: eval parallel %d, want >= 0", s.Parallel)
	case s.MaxReply < 0:
		return fmt.Errorf("experiment: eval max reply %d, want >= 0", s.MaxReply)
	case !validTemperature(s.Temperature):
		return fmt.Errorf("experiment: eval temperature %v, want a finite number >= 0 (0 = greedy)", s.Temperature)
	}
	return ValidateEnv(s.Env, s.EnvOpts)
}

// evalSeeds is the env seeds of the first n evaluation episodes.
func evalSeeds(n int) []int64 {
	seeds := make([]int64, n)
	for i := range seeds {
		seeds[i] = EvalSeed(i)
	}
	return seeds
}

// Evaluate plays spec.Episodes episodes with m on seeds from EvalSeedBase,
// after validating spec.
func Evaluate(ctx context.Context, m vlm.Model, spec EvalSpec, progress func()) (metrics.Summary, []dataset.Episode, error) {
	if err := spec.Validate(); err != nil {
		return metrics.Summary{}, nil, err
	}
	par := max(1, min(spec.Parallel, spec.Episodes))
	es, err := OpenEnvs([]string{spec.Env}, par, spec.EnvOpts)
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	defer CloseEnvs(es)
	seeds := evalSeeds(spec.Episodes)
	a := &agent.Agent{Model: m, Temperature: spec.Temperature, MaxReply: spec.MaxReply, Seed: 1, Source: "eval", History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts)}
	if spec.Slim {
		a.Finished = slim
	}
	eps, err := a.Rollout(ctx, es, seeds, 0, progress)
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	s, err := metrics.Summarize(eps)
	return s, eps, err
}

// slim drops an episode's images, prompts and reply tokens (Slim).
func slim(ep *dataset.Episode) {
	for i := range ep.Turns {
		t := &ep.Turns[i]
		t.Image, t.Prompt, t.ReplyTokens = nil, "", nil
	}
}

// Scripted policies EvaluateScripted plays.
const (
	PolicyExpert = "expert"
	PolicyRandom = "random"
	PolicyAlways = "always:" // always:CHOICE replies CHOICE on every turn
)

// EvaluateScripted plays spec.Episodes episodes on the held-out seeds with
// a scripted policy instead of a model: the env's expert (the reference a
// model's success rate on the same seeds is read against; 100 seeds are a
// sample, and the expert's rate on them is not its long-run rate),
// uniformly random legal choices (seeded by 1), or one fixed choice on
// every turn (a state-blind reference, such as always standing).
func EvaluateScripted(policy string, spec EvalSpec) (metrics.Summary, []dataset.Episode, error) {
	always, isAlways := strings.CutPrefix(policy, PolicyAlways)
	if policy != PolicyExpert && policy != PolicyRandom && (!isAlways || always == "") {
		return metrics.Summary{}, nil, fmt.Errorf("experiment: unknown scripted policy %q (want expert, random or always:CHOICE)", policy)
	}
	if err := spec.Validate(); err != nil {
		return metrics.Summary{}, nil, err
	}
	e, err := envs.New(spec.Env, spec.EnvOpts)
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	defer e.Close()
	var pol dataset.Policy
	switch {
	case isAlways:
		reply := e.Syntax().Format(always)
		pol = dataset.PolicyFunc(func(env.Observation, env.Task) (string, error) { return reply, nil })
	case policy == PolicyExpert:
		x, err := envs.NewExpert(e)
		if err != nil {
			return metrics.Summary{}, nil, err
		}
		pol = dataset.ExpertPolicy(x, e.Syntax())
	default:
		pol = dataset.RandomValid(e, rand.New(rand.NewPCG(1, 0)))
	}
	seeds := evalSeeds(spec.Episodes)
	eps, err := dataset.Collect(e, pol, seeds, dataset.CollectOptions{Source: policy, History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts)})
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	if spec.Slim {
		for i := range eps {
			slim(&eps[i])
		}
	}
	s, err := metrics.Summarize(eps)
	return s, eps, err
}

// EvalRecord is the spec of an evaluation written as a run folder.
type EvalRecord struct {
	Spec   EvalSpec `json:"spec"`
	Model  string   `json:"model,omitempty"`
	Policy string   `json:"policy,omitempty"`
}

// WriteEval publishes dir whole with eval.json (rec) and results.json (rs),
// the layout vlmq table reads beside demo runs.
func WriteEval(dir string, rec EvalRecord, rs []Result) error {
	return atomicfile.PublishDir(dir, atomicfile.KindEval, func(tmp string) error {
		if err := safetensors.WriteJSON(filepath.Join(tmp, "eval.json"), rec); err != nil {
			return err
		}
		return safetensors.WriteJSON(filepath.Join(tmp, "results.json"), rs)
	})
}

// ReplyCounts lists the n most common replies of eps with their counts and
// whether they parsed (ties by text, valid first): the first place to look
// when syntax accuracy drops.
func ReplyCounts(eps []dataset.Episode, n int) string {
	type key struct {
		reply string
		valid bool
	}
	counts := map[key]int{}
	for _, ep := range eps {
		for _, t := range ep.Turns {
			counts[key{t.Reply, t.Valid}]++
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		if keys[i].reply != keys[j].reply {
			return keys[i].reply < keys[j].reply
		}
		return keys[i].valid
	})
	var b strings.Builder
	for _, k := range keys[:min(n, len(keys))] {
		v := "valid"
		if !k.valid {
			v = "invalid"
		}
		fmt.Fprintf(&b, "%6d  %-7s  %q\n", counts[k], v, k.reply)
	}
	return b.String()
}

// Episodes prints the first n episodes move by move: seed, then each
// turn's reply (quoted, "!" when it did not parse) and reward, then the
// return. It is how a user sees what a policy actually does.
func Episodes(eps []dataset.Episode, n int) string {
	var b strings.Builder
	for _, ep := range eps[:min(n, len(eps))] {
		fmt.Fprintf(&b, "seed %d:", ep.Seed)
		for _, t := range ep.Turns {
			mark := ""
			if !t.Valid {
				mark = "!"
			}
			fmt.Fprintf(&b, " %q%s %+g", strings.TrimSpace(t.Reply), mark, t.Reward)
		}
		status := "failed"
		if ep.Success {
			status = "succeeded"
		}
		fmt.Fprintf(&b, " -> return %g, %s\n", ep.Return, status)
	}
	return b.String()
}
