package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"vlmq/agent"
	"vlmq/atomicfile"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/metrics"
	"vlmq/vlm"
)

// DefaultMaxReply is the reply token limit of training, evaluation and a
// base's syntax check unless a command sets another.
const DefaultMaxReply = 12

// EvalSpec describes an evaluation on held-out seeds: the eval job's spec
// (DefaultEval), with its flags in the flag and help tags (package
// cli/flagspec).
type EvalSpec struct {
	Env         string  `json:"env" flag:"env" help:"environment (see vlmq envs)"`
	Episodes    int     `json:"episodes" flag:"eval-episodes" help:"held-out episodes each evaluation plays (train evaluates after each phase when this is above 0)"`
	Parallel    int     `json:"parallel" flag:"parallel" help:"environments per generation batch"`
	Temperature float64 `json:"temperature" flag:"temperature" help:"sampling temperature (0 = greedy)"`
	MaxReply    int     `json:"max_reply" flag:"max-reply" help:"reply token limit"`
	// Chunk is how many episodes are played together (one rollout, with
	// its own sampling seed) and saved together by a resumable evaluation;
	// 0 = 16 per env (ChunkSize). Episode i's result depends only on i and
	// its chunk, so a resumed evaluation plays exactly what an
	// uninterrupted one would.
	Chunk   int         `json:"chunk,omitempty" flag:"chunk" help:"episodes played and kept together (0 = 16 per environment); an interrupted eval --out loses at most the chunk in progress"`
	EnvOpts env.Options `flag:"*"`
	// Slim keeps of each played episode only what summaries, reply counts
	// and listings read (no images, prompts or reply tokens): an
	// evaluation of many episodes then needs little memory.
	Slim bool `json:"-" flag:"-"`
	// Validation plays the validation seeds (ValSeed) instead of the
	// evaluation seeds: a run picks its checkpoint on them.
	Validation bool `json:"validation,omitempty" flag:"-"`
}

// DefaultEval is eval's defaults: 200 greedy episodes of env.
func DefaultEval(env string) EvalSpec {
	return EvalSpec{Env: env, Episodes: 200, Parallel: 16, MaxReply: DefaultMaxReply}
}

// seed is the env seed of the spec's i-th episode.
func (s EvalSpec) seed(i int) int64 {
	if s.Validation {
		return ValSeed(i)
	}
	return EvalSeed(i)
}

// Validate checks the spec before any work: a known env with valid
// options (ValidateEnv), at least one episode, parallel, chunk and reply
// limit >= 0 (0 = defaults) and a finite temperature >= 0.
func (s EvalSpec) Validate() error {
	switch {
	case s.Episodes < 1 || int64(s.Episodes) > MaxEvalEpisodes:
		return fmt.Errorf("experiment: eval episodes %d, want 1 to %d", s.Episodes, MaxEvalEpisodes)
	case s.Parallel < 0:
		return fmt.Errorf("experiment: eval parallel %d, want >= 0", s.Parallel)
	case s.Chunk < 0:
		return fmt.Errorf("experiment: eval chunk %d, want >= 0 (0 = 16 episodes per env)", s.Chunk)
	case s.MaxReply < 0:
		return fmt.Errorf("experiment: eval max reply %d, want >= 0", s.MaxReply)
	case !validTemperature(s.Temperature):
		return fmt.Errorf("experiment: eval temperature %v, want a finite number >= 0 (0 = greedy)", s.Temperature)
	}
	return ValidateEnv(s.Env, s.EnvOpts)
}

// ChunkSize is the episodes per chunk: Chunk, or 16 per env (at least
// one env), so that envs seldom wait at a chunk's end.
func (s EvalSpec) ChunkSize() int {
	if s.Chunk > 0 {
		return s.Chunk
	}
	return 16 * max(1, s.Parallel)
}

// Scripted policies an evaluation can play instead of a model.
const (
	PolicyExpert = "expert"
	PolicyRandom = "random"
	PolicyAlways = "always:" // always:CHOICE replies CHOICE on every turn
)

// CheckPolicy refuses a scripted policy name other than expert, random
// and always:CHOICE.
func CheckPolicy(policy string) error {
	always, isAlways := strings.CutPrefix(policy, PolicyAlways)
	if policy != PolicyExpert && policy != PolicyRandom && (!isAlways || always == "") {
		return fmt.Errorf("experiment: unknown scripted policy %q (want expert, random or always:CHOICE)", policy)
	}
	return nil
}

// EvalOptions says what an evaluation keeps beyond its summary, and
// where it saves its progress.
type EvalOptions struct {
	// Keep is how many episodes, the first in seed order, the evaluation
	// returns (listings, a demo's replays); the rest are only counted.
	Keep int
	// Progress (optional) gets the number of finished episodes, resumed
	// ones included, as they finish.
	Progress func(done int)
	// Store, when set, receives each finished chunk (slim: the evaluation
	// is then slim whatever spec.Slim says), and the evaluation resumes
	// after the chunks it already holds. It must hold only episodes of
	// this evaluation (EvaluateToDir checks the settings).
	Store *dataset.Store
}

// Evaluation is what an evaluation keeps: the summary, counted episode by
// episode, and only the episodes and reply counts it was asked for.
type Evaluation struct {
	Summary  metrics.Summary
	Episodes []dataset.Episode     // the first EvalOptions.Keep
	Replies  *metrics.ReplyCounter // every reply, in bounded memory (nil when none came)
	// Done is the number of finished episodes (all of them, or on an
	// interruption those saved to the store), Resumed those read back
	// from the store.
	Done, Resumed int
	// MaxHeld is the most episodes held in memory at once: the chunk
	// being counted and the kept ones, whatever spec.Episodes is.
	MaxHeld int
}

// player plays the evaluation episodes first, first+1, ... on seeds as
// one chunk and returns them in seed order.
type player func(ctx context.Context, first int, seeds []int64, progress func()) ([]dataset.Episode, error)

// Evaluate plays spec.Episodes episodes with m on seeds from EvalSeedBase,
// after validating spec, and returns every episode: for callers that read
// them all. An evaluation of many episodes uses RunEval.
func Evaluate(ctx context.Context, m vlm.Model, spec EvalSpec, progress func()) (metrics.Summary, []dataset.Episode, error) {
	o := EvalOptions{Keep: spec.Episodes}
	if progress != nil {
		o.Progress = func(int) { progress() }
	}
	ev, err := RunEval(ctx, m, "", spec, o)
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	return ev.Summary, ev.Episodes, nil
}

// EvaluateScripted plays spec.Episodes episodes on the held-out seeds with
// a scripted policy instead of a model: the env's expert (the reference a
// model's success rate on the same seeds is read against; 100 seeds are a
// sample, and the expert's rate on them is not its long-run rate),
// uniformly random legal choices (seeded per chunk), or one fixed choice
// on every turn (a state-blind reference, such as always standing). It
// returns every episode, as Evaluate does.
func EvaluateScripted(policy string, spec EvalSpec) (metrics.Summary, []dataset.Episode, error) {
	if err := CheckPolicy(policy); err != nil {
		return metrics.Summary{}, nil, err
	}
	ev, err := RunEval(context.Background(), nil, policy, spec, EvalOptions{Keep: spec.Episodes})
	if err != nil {
		return metrics.Summary{}, nil, err
	}
	return ev.Summary, ev.Episodes, nil
}

// RunEval plays spec.Episodes episodes on the held-out seeds with m, or
// with the scripted policy when policy is set, chunk by chunk
// (spec.ChunkSize), after validating spec. Each chunk is counted and then
// dropped, except what o asks to keep, so memory does not grow with the
// episode count. With o.Store it appends each chunk there and resumes
// after the episodes the store holds.
func RunEval(ctx context.Context, m vlm.Model, policy string, spec EvalSpec, o EvalOptions) (*Evaluation, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if policy != "" {
		if err := CheckPolicy(policy); err != nil {
			return nil, err
		}
	} else if m == nil {
		return nil, fmt.Errorf("experiment: an evaluation needs a model or a scripted policy")
	}
	if o.Keep < 0 {
		return nil, fmt.Errorf("experiment: eval keeps %d episodes, want >= 0", o.Keep)
	}
	if o.Store != nil {
		// The store keeps what counting and listings read, no more.
		spec.Slim = true
	}
	var play player
	var err error
	var done func()
	if policy != "" {
		play, done, err = scriptedPlayer(policy, spec)
	} else {
		play, done, err = modelPlayer(m, spec)
	}
	if err != nil {
		return nil, err
	}
	defer done()
	return runEval(ctx, spec, play, o)
}

// runEval is RunEval's loop over chunks, with the player given.
func runEval(ctx context.Context, spec EvalSpec, play player, o EvalOptions) (*Evaluation, error) {
	ev := &Evaluation{}
	var tally metrics.Tally
	count := func(ep dataset.Episode) error {
		if err := tally.Add(ep); err != nil {
			return err
		}
		if len(ev.Episodes) < o.Keep {
			ev.Episodes = append(ev.Episodes, ep)
		}
		return nil
	}
	chunk := spec.ChunkSize()
	if o.Store != nil {
		n := o.Store.Len()
		if n > spec.Episodes || (n%chunk != 0 && n != spec.Episodes) || o.Store.NextEpisodeID() != int64(n) {
			return nil, fmt.Errorf("experiment: %s holds %d episodes (IDs up to %d), which no evaluation of %d episodes in chunks of %d leaves: it is damaged; remove it to start over",
				o.Store.Dir(), n, o.Store.NextEpisodeID()-1, spec.Episodes, chunk)
		}
		// Read back one shard at a time: the finished chunks count as if
		// just played.
		i := 0
		err := o.Store.Each(func(ep dataset.Episode) error {
			if ep.ID != int64(i) || ep.Seed != spec.seed(i) || ep.Env != spec.Env {
				return fmt.Errorf("experiment: %s: episode %d is %s seed %d, want %s seed %d: the folder is damaged; remove it to start over", o.Store.Dir(), ep.ID, ep.Env, ep.Seed, spec.Env, spec.seed(i))
			}
			i++
			return count(ep)
		})
		if err != nil {
			return nil, err
		}
		ev.Done, ev.Resumed = n, n
		if o.Progress != nil && n > 0 {
			o.Progress(n)
		}
	}
	for ev.Done < spec.Episodes {
		if err := ctx.Err(); err != nil {
			return ev, err
		}
		first := ev.Done
		seeds := make([]int64, min(chunk, spec.Episodes-first))
		for i := range seeds {
			seeds[i] = spec.seed(first + i)
		}
		finished := first
		eps, err := play(ctx, first, seeds, func() {
			if finished++; o.Progress != nil {
				o.Progress(finished)
			}
		})
		if err != nil {
			return ev, err
		}
		if spec.Slim {
			for i := range eps {
				slim(&eps[i])
			}
		}
		ev.MaxHeld = max(ev.MaxHeld, len(eps)+len(ev.Episodes))
		if o.Store != nil {
			if err := o.Store.Append(eps); err != nil {
				return ev, err
			}
		}
		for _, ep := range eps {
			if err := count(ep); err != nil {
				return ev, err
			}
		}
		ev.Done += len(eps)
	}
	ev.Summary, ev.Replies = tally.Summary(), tally.Replies()
	return ev, nil
}

// modelPlayer plays chunks with m on spec.Parallel env. Each chunk is
// one rollout whose sampling seed is 1 + its first episode's index (1 for
// the first chunk, as before chunks), so a chunk plays the same whether
// or not an earlier one was played in this process.
func modelPlayer(m vlm.Model, spec EvalSpec) (player, func(), error) {
	par := max(1, min(spec.Parallel, spec.Episodes, spec.ChunkSize()))
	es, err := OpenEnvs([]string{spec.Env}, par, spec.EnvOpts)
	if err != nil {
		return nil, nil, err
	}
	play := func(ctx context.Context, first int, seeds []int64, progress func()) ([]dataset.Episode, error) {
		a := &agent.Agent{Model: m, Temperature: spec.Temperature, MaxReply: spec.MaxReply, Seed: 1 + int64(first), Source: "eval",
			History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts)}
		if spec.Slim {
			a.Finished = slim
		}
		return a.Rollout(ctx, es, seeds, int64(first), progress)
	}
	return play, func() { CloseEnvs(es) }, nil
}

// scriptedPlayer plays chunks with a scripted policy (CheckPolicy) on one
// env; a random policy's generator is seeded by the chunk's first index.
func scriptedPlayer(policy string, spec EvalSpec) (player, func(), error) {
	e, err := env.New(spec.Env, spec.EnvOpts)
	if err != nil {
		return nil, nil, err
	}
	always, isAlways := strings.CutPrefix(policy, PolicyAlways)
	play := func(ctx context.Context, first int, seeds []int64, progress func()) ([]dataset.Episode, error) {
		var pol dataset.Policy
		switch {
		case isAlways:
			reply := e.Syntax().Format(always)
			pol = dataset.PolicyFunc(func(env.Observation, env.Task) (string, error) { return reply, nil })
		case policy == PolicyExpert:
			x, err := env.NewExpert(e)
			if err != nil {
				return nil, err
			}
			pol = dataset.ExpertPolicy(x, e.Syntax())
		default:
			pol = dataset.RandomValid(e, rand.New(rand.NewPCG(1, uint64(first))))
		}
		eps, err := dataset.Collect(e, pol, seeds, dataset.CollectOptions{FirstID: int64(first), Source: policy, History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts)})
		for range eps {
			progress()
		}
		return eps, err
	}
	return play, func() { e.Close() }, nil
}

// slim drops an episode's images, prompts and reply tokens (Slim).
func slim(ep *dataset.Episode) {
	for i := range ep.Turns {
		t := &ep.Turns[i]
		t.Image, t.Prompt, t.ReplyTokens = nil, "", nil
	}
}

// EvalRecord is the spec of an evaluation written as a run folder.
type EvalRecord struct {
	Spec  EvalSpec `json:"spec"`
	Model string   `json:"model,omitempty"`
	// ParamsSHA256 is the model's WeightsKey (ModelRef), which
	// EvaluateToDir sets.
	ParamsSHA256 string `json:"params_sha256,omitempty"`
	Policy       string `json:"policy,omitempty"`
}

// WriteEval publishes dir whole with eval.json (rec) and results.json (rs),
// the layout vlmq table reads beside demo runs.
func WriteEval(dir string, rec EvalRecord, rs []Result) error {
	return atomicfile.PublishDir(dir, atomicfile.KindEval, func(tmp string) error {
		if err := jsonfile.Write(filepath.Join(tmp, "eval.json"), rec); err != nil {
			return err
		}
		return jsonfile.Write(filepath.Join(tmp, "results.json"), rs)
	})
}

// EvalCheckpoint is the folder beside an eval --out that keeps the
// finished episodes of an evaluation until it is published: <out>.ckpt.
func EvalCheckpoint(out string) string { return filepath.Clean(out) + ".ckpt" }

// CheckEvalOut refuses, before any work, an eval --out whose checkpoint
// folder is something else (a user's folder, a pretrain's checkpoint of
// the same name). Out itself is checked by atomicfile.Claim.
func CheckEvalOut(out string) error {
	return atomicfile.CheckOut(EvalCheckpoint(out), atomicfile.KindEvalCheckpoint)
}

// evalProgress is what an evaluation checkpoint records: a rerun resumes
// only an evaluation with all of it unchanged, as its chunks would
// otherwise mix two evaluations.
type evalProgress struct {
	Spec    EvalSpec `json:"spec"`
	Policy  string   `json:"policy,omitempty"`
	Weights string   `json:"weights,omitempty"` // WeightsKey of the model
}

// The files of an evaluation checkpoint: its settings and its episodes.
const (
	evalProgressFile = "evaluation.json"
	evalEpisodesDir  = "episodes"
)

// EvaluateToDir runs the evaluation rec describes, with m or the scripted
// rec.Policy, and publishes it to out as WriteEval does, with method as
// its row. Until then each finished chunk is kept in EvalCheckpoint(out),
// so a rerun of an interrupted evaluation plays only the rest and ends
// with the same files; the checkpoint is removed, as a whole, after the
// publish. A checkpoint of other settings or other weights is refused
// before anything is written. The caller holds out's lock
// (atomicfile.Claim); ev.Done tells, on an interruption, how many
// episodes are kept.
func EvaluateToDir(ctx context.Context, out string, m vlm.Model, rec EvalRecord, method string, o EvalOptions) (*Evaluation, error) {
	if err := rec.Spec.Validate(); err != nil {
		return nil, err
	}
	want := evalProgress{Spec: rec.Spec, Policy: rec.Policy}
	switch {
	case rec.Policy != "":
		if err := CheckPolicy(rec.Policy); err != nil {
			return nil, err
		}
		m = nil
	case m == nil:
		return nil, fmt.Errorf("experiment: an evaluation needs a model or a scripted policy")
	default:
		want.Weights = WeightsKey(m)
		rec.ParamsSHA256 = want.Weights
	}
	ckpt := EvalCheckpoint(out)
	if err := CheckEvalOut(out); err != nil {
		return nil, err
	}
	// A removal of the checkpoint that a kill cut short is finished here,
	// under the lock.
	if err := atomicfile.Recover(ckpt); err != nil {
		return nil, err
	}
	path, epsDir := filepath.Join(ckpt, evalProgressFile), filepath.Join(ckpt, evalEpisodesDir)
	kept := 0 // episodes in the checkpoint
	if st, err := dataset.OpenReadOnly(epsDir); err == nil {
		kept = st.Len()
	} else if _, serr := os.Stat(epsDir); !errors.Is(serr, fs.ErrNotExist) {
		return nil, err
	}
	var have evalProgress
	switch err := jsonfile.Read(path, &have); {
	case err == nil && kept > 0:
		if diff := evalDiff(have, want); diff != "" {
			return nil, fmt.Errorf("experiment: %s holds %d finished episodes of an evaluation with other settings (%s): rerun with the same settings to resume it, or remove %s to start over", ckpt, kept, diff, ckpt)
		}
	case err == nil || errors.Is(err, fs.ErrNotExist):
		// The settings are written before any episode: episodes without
		// them are not this command's.
		if kept > 0 {
			return nil, fmt.Errorf("experiment: %s holds episodes but not the settings they were played with (%s): remove it to start over", ckpt, evalProgressFile)
		}
		// No episode is kept yet: these settings start it (over).
		if err := atomicfile.EnsureDir(ckpt, atomicfile.KindEvalCheckpoint, nil); err != nil {
			return nil, err
		}
		if err := jsonfile.Write(path, want); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("experiment: resuming the evaluation in %s: %w", ckpt, err)
	}
	info := DataInfo(rec.Spec.Env, rec.Spec.EnvOpts)
	store, err := dataset.OpenWith(epsDir, dataset.OpenOptions{Info: &info})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	o.Store = store
	ev, err := RunEval(ctx, m, rec.Policy, rec.Spec, o)
	if err != nil {
		// A checkpoint without episodes (envs that would not start, an
		// interrupt in the first chunk) keeps nothing worth a folder.
		if store.Len() == 0 {
			store.Close()
			_ = atomicfile.RemoveDir(ckpt, atomicfile.KindEvalCheckpoint)
		}
		return ev, err
	}
	if err := WriteEval(out, rec, []Result{{Method: method, Summary: ev.Summary, Model: rec.Model}}); err != nil {
		return ev, err
	}
	store.Close()
	// After the publish: a kill before this point leaves a complete
	// checkpoint, whose rerun publishes the same files again.
	return ev, atomicfile.RemoveDir(ckpt, atomicfile.KindEvalCheckpoint)
}

// evalDiff says how two evaluation records differ ("" when they match).
func evalDiff(then, now evalProgress) string {
	var d []string
	if s := specDiff(then.Spec, now.Spec); s != "" {
		d = append(d, s)
	}
	if then.Policy != now.Policy {
		d = append(d, fmt.Sprintf("policy: %q then, %q now", then.Policy, now.Policy))
	}
	if then.Weights != now.Weights {
		d = append(d, "the model's weights differ")
	}
	return strings.Join(d, "; ")
}

// ReplyCounts lists the n most common replies of eps with their counts and
// whether they parsed (ties by text, valid first): the first place to look
// when syntax accuracy drops.
func ReplyCounts(eps []dataset.Episode, n int) string {
	c := metrics.NewReplyCounter(0)
	for _, ep := range eps {
		c.AddEpisode(ep)
	}
	return c.Top(n)
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
