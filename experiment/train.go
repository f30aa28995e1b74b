package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"vlmq/afsft"
	"vlmq/agent"
	"vlmq/atomicfile"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/metrics"
	"vlmq/models"
	"vlmq/runlog"
	"vlmq/vlm"
)

// TrainSpec describes a resumable offline-to-online AFSFT run: the train
// job's spec (DefaultTrain), with its flags in the flag and help tags
// (package cli/flagspec).
type TrainSpec struct {
	Env           string   `json:"env" flag:"env" help:"environment (see vlmq envs)"`
	Base          string   `json:"base" flag:"base" help:"base model: a vlmq checkpoint or a Hugging Face folder (PaliGemma, xGen-MM, Moondream 2; told apart by config.json), or hf:org/name[@revision] from the local Hugging Face cache (nothing is downloaded); default: the shipped base, vlmq-base"` // "" = the shipped base (ignored when InitFrom is set)
	InitFrom      string   `json:"init_from" flag:"init-from" help:"start from this checkpoint directory instead of the base model"`
	Data          []string `json:"data" flag:"data" help:"offline dataset directories"`
	Out           string   `json:"out" flag:"out" help:"run directory (checkpoints, online data, metrics)"`
	TrainSettings `flag:"*"`
	// LoRA, when its rank is set, freezes the base's trunk and trains
	// low-rank adapters and the critic heads (Hugging Face families);
	// otherwise the whole model is fine-tuned.
	LoRA     vlm.LoRA       `json:"lora,omitzero" flag:"lora-*"`
	Schedule afsft.Schedule `json:"schedule" flag:"*"`
	EnvOpts  env.Options    `flag:"*"`
	// AllowChanged lets a rerun continue a run whose stored spec differs
	// (listed in the message); otherwise such a rerun is refused.
	AllowChanged bool `json:"-" flag:"allow-changed-settings" help:"continue stored runs (and a demo's stages) even though their settings differ from these flags"`
	// StartedFrom is the model the run started from (the base, or
	// InitFrom's), as loaded: a record Train keeps in spec.json and
	// carries over on resume, not a setting.
	StartedFrom *ModelRef `json:"started_from,omitempty" flag:"-"`
}

// TrainSettings are the settings of a training run that a demo gives all
// of its runs; both specs embed them, so their JSON fields are the specs'
// own.
type TrainSettings struct {
	Train    afsft.Config `json:"train,omitzero" flag:"*"` // zero only in a demo.json without training runs
	MaxReply int          `json:"max_reply" flag:"max-reply" help:"reply token limit"`
	Parallel int          `json:"parallel" flag:"parallel" help:"environments per generation batch"` // online rounds and evaluation
	// Temperature for online collection (exploration); evaluation is greedy.
	Temperature float64 `json:"temperature" flag:"temperature" help:"sampling temperature of online collection"`
	// Explore is the share of online turns played by a random legal
	// choice instead of the policy's reply (agent.Agent.Explore).
	Explore float64 `json:"explore,omitempty" flag:"explore" help:"share of online turns played by a random legal choice instead of the policy"`
	// EvalEpisodes > 0 evaluates after the offline phase and each round.
	EvalEpisodes int `json:"eval_episodes" flag:"eval-episodes" help:"held-out episodes each evaluation plays (train evaluates after each phase when this is above 0)"`
	// ValEvery > 0 plays ValEpisodes greedy episodes on the validation
	// seeds every ValEvery offline steps, and keeps the weights of the
	// best one (success, then return; the earlier step on a tie) in
	// <out>/best: the offline evaluation and a demo's offline rows are of
	// that model. Online rounds continue from the last step.
	ValEvery    int `json:"val_every,omitempty" flag:"val-every" help:"every this many offline steps, play --val-episodes on validation seeds (disjoint from the evaluation's) and keep the best step's model in <out>/best, which the offline evaluation (and a demo's SFT and AFSFT rows) then measure"`
	ValEpisodes int `json:"val_episodes,omitempty" flag:"val-episodes" help:"validation episodes per --val-every check"`
}

// defaultTrainSettings are the demo's and train's.
func defaultTrainSettings() TrainSettings {
	return TrainSettings{Train: afsft.DefaultConfig(), MaxReply: DefaultMaxReply, Parallel: 16, Temperature: 1}
}

// DefaultTrain is train's defaults: the demo's AFSFT run (500 offline
// steps; online rounds when asked for, of the demo's size) on the dataset
// collect makes by default.
func DefaultTrain(env string) TrainSpec {
	return TrainSpec{Env: env, Data: []string{"data/" + env}, Out: "runs/afsft", TrainSettings: defaultTrainSettings(),
		Schedule: afsft.Schedule{OfflineSteps: 500, EpisodesPerRound: 64, StepsPerRound: 150, CheckpointEvery: 50, OnlineLR: 3e-4}}
}

// Validate checks the settings before any work is done.
func (s TrainSpec) Validate() error {
	if err := s.Train.Validate(); err != nil {
		return err
	}
	sc := s.Schedule
	// The env is checked even for an offline-only run: a mistyped name
	// must not train for an hour and then fail to evaluate.
	if err := ValidateEnv(s.Env, s.EnvOpts); err != nil {
		return err
	}
	if err := ValidateOnlineSeeds(sc.OnlineRounds, sc.EpisodesPerRound); err != nil {
		return err
	}
	if s.LoRA.Rank != 0 || s.LoRA.Alpha != 0 || len(s.LoRA.Targets) > 0 {
		if err := s.LoRA.Validate(); err != nil {
			return err
		}
	}
	switch {
	case s.Out == "":
		return errors.New("experiment: train needs an output directory")
	case sc.OfflineSteps < 0 || sc.OnlineRounds < 0 || sc.StepsPerRound < 0 || sc.CheckpointEvery < 0 || !(sc.OnlineLR >= 0) || math.IsInf(sc.OnlineLR, 0):
		return fmt.Errorf("experiment: negative schedule %+v", sc)
	case sc.OnlineRounds > 0 && sc.EpisodesPerRound <= 0:
		return errors.New("experiment: online rounds need episodes per round > 0")
	case s.MaxReply < 0 || s.Parallel < 0 || !(s.Temperature >= 0) || s.EvalEpisodes < 0:
		return errors.New("experiment: negative max reply, parallel, temperature or eval episodes")
	case s.LoRA.Rank > 0 && s.Train.TrainLayers > 0:
		return errors.New("experiment: --lora-rank and --train-layers are two ways to train part of a model: choose one")
	case s.ValEvery < 0 || s.ValEpisodes < 0 || (s.ValEvery > 0) != (s.ValEpisodes > 0):
		return fmt.Errorf("experiment: validation every %d steps on %d episodes: set both, or neither", s.ValEvery, s.ValEpisodes)
	case s.ValEvery > sc.OfflineSteps:
		return fmt.Errorf("experiment: validation every %d steps, more than the %d offline steps", s.ValEvery, sc.OfflineSteps)
	case int64(s.ValEpisodes) > MaxEvalEpisodes:
		return fmt.Errorf("experiment: %d validation episodes, at most %d", s.ValEpisodes, MaxEvalEpisodes)
	case !(s.Explore >= 0 && s.Explore <= 1):
		return fmt.Errorf("experiment: explore share %v outside [0, 1]", s.Explore)
	}
	return nil
}

// Hooks report progress to the caller (all optional).
type Hooks struct {
	Step    func(step, total int, s afsft.Stats)
	Phase   func(msg string)
	Episode func()
}

// Paths of a run directory.
func (s TrainSpec) ckpt() string   { return filepath.Join(s.Out, "ckpt") }
func (s TrainSpec) online() string { return filepath.Join(s.Out, "online") }

// FinalModel is where a finished run's model is (the last checkpoint).
func FinalModel(runDir string) string { return filepath.Join(runDir, "ckpt", "model") }

// BestModel is the model a run chose on its validation seeds (a whole
// model folder), or FinalModel when the run did not validate.
func BestModel(runDir string) string {
	p := filepath.Join(runDir, "best")
	if _, err := os.Stat(filepath.Join(p, "config.json")); err == nil {
		return p
	}
	return FinalModel(runDir)
}

// bestStep is what a run's validation chose so far (best.json).
type bestStep struct {
	Step    int             `json:"step"`
	Summary metrics.Summary `json:"summary"`
}

// better says whether validation summary a beats b: success, then
// return (a tie keeps the earlier step).
func better(a, b metrics.Summary) bool {
	if a.SuccessRate.Value != b.SuccessRate.Value {
		return a.SuccessRate.Value > b.SuccessRate.Value
	}
	return a.MeanReturn.Value > b.MeanReturn.Value
}

// TotalSteps is the gradient steps of a complete run.
func (s TrainSpec) TotalSteps() int {
	return s.Schedule.OfflineSteps + s.Schedule.OnlineRounds*s.Schedule.StepsPerRound
}

// Train runs (or resumes) the spec. Every stored episode survives a kill:
// online episodes are appended to the run's store in chunks before they
// are trained on, and the trainer is checkpointed atomically.
func Train(ctx context.Context, spec TrainSpec, h Hooks) (*afsft.Trainer, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	info, err := checkTrainData(spec)
	if err != nil {
		return nil, err
	}
	// One writer per run, and nothing in it is read or written before the
	// lock is held: a refused second train leaves the first one intact.
	lock, err := atomicfile.Claim(spec.Out, atomicfile.KindRun)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	r := &trainRun{ctx: ctx, spec: spec, h: h}
	defer r.close()
	if err := r.open(); err != nil {
		return nil, err
	}
	// run.json: each session's commit, machine and wall time.
	if r.rec, err = runlog.Begin(spec.Out); err != nil {
		return nil, err
	}
	err = r.run(info)
	if e := r.rec.End(err); err == nil {
		err = e
	}
	if err != nil {
		return nil, err
	}
	return r.tr, nil
}

// run is Train's phases, after the run folder is open.
func (r *trainRun) run(info dataset.Info) error {
	if err := r.loadReplay(info); err != nil {
		return err
	}
	if err := r.trainOffline(); err != nil {
		return err
	}
	if err := r.evalOffline(); err != nil {
		return err
	}
	for round := 1; round <= r.spec.Schedule.OnlineRounds; round++ {
		if err := r.onlineRound(round); err != nil {
			return err
		}
	}
	return r.log.Flush()
}

// trainRun is one Train call: its methods are the run's phases and the
// steps they share (checkpoint, validate, evaluate, log once).
type trainRun struct {
	ctx     context.Context
	spec    TrainSpec
	h       Hooks
	tr      *afsft.Trainer
	log     *metrics.Logger
	online  *dataset.Store // the run's own online episodes
	samples []*afsft.Sample
	rec     *runlog.Recorder
}

// checkTrainData checks the data is of this env, once each, and not empty
// when it is to be trained on: now, not after the model is loaded.
func checkTrainData(spec TrainSpec) (dataset.Info, error) {
	info := DataInfo(spec.Env, spec.EnvOpts)
	n, err := CheckData(spec.Data, &info)
	if err != nil {
		return info, err
	}
	if n == 0 && spec.Schedule.OfflineSteps > 0 {
		return info, fmt.Errorf("experiment: the datasets %s hold no episodes, and offline training needs some: collect them first (vlmq collect)", strings.Join(spec.Data, ", "))
	}
	return info, nil
}

// close releases what open and loadReplay opened.
func (r *trainRun) close() {
	if r.online != nil {
		r.online.Close()
	}
	if r.log != nil {
		r.log.Close()
	}
}

func (r *trainRun) phase(f string, a ...any) {
	if r.h.Phase != nil {
		r.h.Phase(fmt.Sprintf(f, a...))
	}
}

// open starts or resumes the trainer, makes the run folder, settles its
// spec.json and opens the metrics log at the trainer's step.
func (r *trainRun) open() error {
	spec := r.spec
	if err := atomicfile.Recover(spec.ckpt()); err != nil {
		return err
	}
	// The model before the folder: a missing --base or --init-from is
	// refused without leaving a new, empty run folder behind.
	tr, from, err := startTrainer(spec)
	if err != nil {
		return err
	}
	r.tr = tr
	resumed := from == nil
	spec.StartedFrom = from
	if err := atomicfile.EnsureDir(spec.Out, atomicfile.KindRun, nil); err != nil {
		return err
	}
	specPath := filepath.Join(spec.Out, "spec.json")
	if resumed {
		var old TrainSpec
		if err := jsonfile.Read(specPath, &old); err != nil {
			return fmt.Errorf("experiment: resuming %s: %w", spec.Out, err)
		}
		// What the run started from is the stored spec's (none in one
		// written before it was recorded).
		spec.StartedFrom = old.StartedFrom
		if diff := specDiff(old, spec); diff != "" {
			if !spec.AllowChanged {
				return fmt.Errorf("experiment: %s was started with other settings (%s); rerun with the same flags, or add --allow-changed-settings to continue with the new ones", spec.Out, diff)
			}
			r.phase("continuing with changed settings: %s", diff)
		}
		// The flags, now equal to spec.json or allowed to differ, are the
		// settings. The checkpoint's own copy (train.json) lags behind
		// spec.json when a run was killed after an allowed change and
		// before its next checkpoint; resuming with it would silently
		// train on with the old settings.
		if tr.Cfg != spec.Train {
			if err := tr.SetConfig(spec.Train); err != nil {
				return err
			}
		}
		r.phase("resumed at step %d", tr.Steps)
	}
	if !resumed || spec.AllowChanged {
		if err := jsonfile.Write(specPath, spec); err != nil {
			return err
		}
	}
	if r.log, err = metrics.OpenLogger(spec.Out); err != nil {
		return err
	}
	// Forget metrics logged after the checkpoint we resumed from; those
	// steps are about to be redone.
	return r.log.DropAfter(int64(tr.Steps))
}

// loadReplay reads the offline data and the run's online episodes into
// the training samples.
func (r *trainRun) loadReplay(info dataset.Info) error {
	eps, err := LoadEpisodes(r.spec.Data)
	if err != nil {
		return err
	}
	if r.online, err = dataset.OpenWith(r.spec.online(), dataset.OpenOptions{Info: &info}); err != nil {
		return err
	}
	oeps, err := r.online.Episodes()
	if err != nil {
		return err
	}
	eps = append(eps, oeps...)
	if n := fitPrompts(eps, r.tr.Model, r.spec.MaxReply); n > 0 {
		r.phase("made %d cuts to prompts too long for the model (earlier turns first, then observation lines)", n)
	}
	if r.samples, err = afsft.Prepare(eps, r.tr.Model, r.spec.MaxReply); err != nil {
		return err
	}
	if n, longest := afsft.CutReplies(r.samples); n > 0 {
		r.phase("warning: %d of %d replies are longer than the reply limit of %d tokens and were cut, as generation would cut them (the longest has %d tokens with EOS; raise --max-reply to keep them whole)", n, len(r.samples), r.spec.MaxReply, longest)
	}
	r.phase("%d episodes, %d turns in the replay", len(eps), len(r.samples))
	return nil
}

// trainOffline trains on the replay to the end of the offline phase,
// validating on the way when the spec asks for it.
func (r *trainRun) trainOffline() error {
	if end := r.spec.Schedule.OfflineSteps; r.tr.Steps < end {
		r.phase("offline training to step %d", end)
		r.tr.Phase = afsft.Phase{Steps: end}
		return r.trainTo(end)
	}
	return nil
}

// evalOffline evaluates the offline phase's model: the best validation
// step's when the run validates, else the last step's.
func (r *trainRun) evalOffline() error {
	end := r.spec.Schedule.OfflineSteps
	if r.tr.Steps != end || end == 0 {
		return nil
	}
	m, dir, modelStep := r.tr.Model, r.spec.ckpt(), 0
	if r.spec.ValEvery > 0 {
		var err error
		if m, err = publishBest(r.spec); err != nil {
			return err
		}
		var b bestStep
		if err := jsonfile.Read(filepath.Join(r.spec.Out, "best.json"), &b); err != nil {
			return err
		}
		dir, modelStep = filepath.Join(r.spec.Out, "best"), b.Step
	}
	return r.evaluate("offline", m, dir, modelStep)
}

// onlineRound collects round's episodes with the current policy, logs
// their figures, trains on the grown replay and evaluates. Each part a
// rerun finds done is skipped.
func (r *trainRun) onlineRound(round int) error {
	sc := r.spec.Schedule
	want := round * sc.EpisodesPerRound
	target := sc.OfflineSteps + round*sc.StepsPerRound
	if r.tr.Steps > target && r.online.Len() >= want {
		return nil
	}
	if r.online.Len() < want {
		if err := r.collect(round, want); err != nil {
			return err
		}
	}
	if err := r.logCollect(round); err != nil {
		return err
	}
	if r.tr.Steps < target {
		// Each round is a phase of the learning-rate schedule, at the
		// online rate (0 = the config's).
		r.tr.Phase = afsft.Phase{Start: target - sc.StepsPerRound, Steps: sc.StepsPerRound, LR: sc.OnlineLR}
		r.phase("round %d: training on %d turns", round, len(r.samples))
		if err := r.trainTo(target); err != nil {
			return err
		}
	}
	// Cached when this step's evaluation is stored already.
	return r.evaluate(fmt.Sprintf("round %d", round), r.tr.Model, r.spec.ckpt(), 0)
}

// collect plays episodes with the current policy until the online store
// holds want, and adds them to the replay.
func (r *trainRun) collect(round, want int) error {
	// A diverged policy would fill the replay with garbage.
	if err := vlm.CheckFinite(r.tr.Model); err != nil {
		return fmt.Errorf("experiment: round %d: the policy is not finite, not collecting: %w", round, err)
	}
	r.phase("round %d: collecting %d episodes with the current policy", round, want-r.online.Len())
	fresh, err := r.play(want)
	if err != nil {
		return err
	}
	more, err := afsft.Prepare(fresh, r.tr.Model, r.spec.MaxReply)
	if err != nil {
		return err
	}
	r.samples = append(r.samples, more...)
	return nil
}

// play appends episodes of the current policy to the online store in
// chunks until it holds want, and returns them.
func (r *trainRun) play(want int) ([]dataset.Episode, error) {
	spec := r.spec
	par := max(1, spec.Parallel)
	es, err := OpenEnvs([]string{spec.Env}, par, spec.EnvOpts)
	if err != nil {
		return nil, err
	}
	defer CloseEnvs(es)
	perRound := max(1, spec.Schedule.EpisodesPerRound)
	var fresh []dataset.Episode
	err = appendChunks(r.online, r.online.Len(), want, 2*par, func(done, n int) ([]dataset.Episode, error) {
		seeds := make([]int64, n)
		for i := range seeds {
			seeds[i] = OnlineSeedBase + int64(done+i)
		}
		first := r.online.NextEpisodeID()
		a := &agent.Agent{Model: r.tr.Model, Temperature: spec.Temperature, MaxReply: spec.MaxReply, Explore: spec.Explore, History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts),
			Seed: first, Source: fmt.Sprintf("online-%d", (done+n+spec.Schedule.EpisodesPerRound-1)/perRound)}
		return a.Rollout(r.ctx, es, seeds, first, r.h.Episode)
	}, func(_ int, eps []dataset.Episode) { fresh = append(fresh, eps...) })
	return fresh, err
}

// logCollect logs the figures of the whole round, not only what this
// session collected after a kill.
func (r *trainRun) logCollect(round int) error {
	eps, err := r.online.EpisodesBySource(fmt.Sprintf("online-%d", round))
	if err != nil {
		return err
	}
	s, err := metrics.Summarize(eps)
	if err != nil {
		return nil // nothing to log
	}
	// At the round's first step, where it was collected, and matched by
	// round: a rerun may resume inside the round's training.
	sc := r.spec.Schedule
	rf, start := float64(round), int64(sc.OfflineSteps+(round-1)*sc.StepsPerRound)
	return r.logOnce(start, "collect", func(x metrics.Record) bool { return x.Values["round"] == rf }, map[string]float64{"round": rf,
		"syntax": s.SyntaxAccuracy.Value, "success": s.SuccessRate.Value, "return": s.MeanReturn.Value})
}

func (r *trainRun) logStep(step int, s afsft.Stats) {
	_ = r.log.Log(int64(step), "train", map[string]float64{"loss": s.Loss, "actor_loss": s.ActorLoss,
		"critic_loss": s.CriticLoss, "mean_q": s.MeanQ, "mean_adv": s.MeanAdv, "kept": s.Kept, "grad_norm": s.GradNorm, "lr": s.LR})
	if r.h.Step != nil {
		r.h.Step(step, r.spec.TotalSteps(), s)
	}
}

// logOnce puts a phase's record (an evaluation, a round's collection)
// into the metrics log once, flushed at once. The stored evaluation
// file and the stored episodes are the records: a run killed after
// writing them but before the log reached the disk logs them on the
// rerun, which skips the evaluation or collection itself.
func (r *trainRun) logOnce(step int64, phase string, logged func(metrics.Record) bool, values map[string]float64) error {
	if err := r.log.Flush(); err != nil {
		return err
	}
	recs, err := metrics.ReadLog(filepath.Join(r.spec.Out, metrics.JSONLName))
	if err != nil {
		return err
	}
	for _, x := range recs {
		if x.Phase == phase && logged(x) {
			return nil
		}
	}
	if err := r.log.Log(step, phase, values); err != nil {
		return err
	}
	return r.log.Flush()
}

func (r *trainRun) save() error {
	if err := r.log.Flush(); err != nil {
		return err
	}
	if err := r.rec.Save(); err != nil {
		return err
	}
	return r.tr.Checkpoint(r.spec.ckpt(), afsft.Progress{Round: r.online.Len() / max(1, r.spec.Schedule.EpisodesPerRound)})
}

// validate runs at a checkpointed validation step: a run killed during
// it resumes at that checkpoint and validates again (greedy, so the
// same figures), before training on.
func (r *trainRun) validate() error {
	spec, step := r.spec, r.tr.Steps
	if spec.ValEvery <= 0 || step == 0 || step > spec.Schedule.OfflineSteps || step%spec.ValEvery != 0 {
		return nil
	}
	path := filepath.Join(spec.Out, "evals", fmt.Sprintf("val-%d.json", step))
	var res Result
	if err := jsonfile.Read(path, &res); err != nil || res.Step != step {
		es := EvalSpec{Env: spec.Env, Episodes: spec.ValEpisodes, Parallel: spec.Parallel, MaxReply: spec.MaxReply, EnvOpts: spec.EnvOpts, Slim: true, Validation: true}
		s, _, err := Evaluate(r.ctx, r.tr.Model, es, nil)
		if err != nil {
			return err
		}
		r.phase("validation at step %d: syntax %s success %s return %s", step, s.SyntaxAccuracy, s.SuccessRate, s.MeanReturn)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		res = Result{Method: fmt.Sprintf("validation at step %d", step), Summary: s, Model: spec.ckpt(), Step: step, Key: EvalKey(r.tr.Model, es)}
		if err := jsonfile.Write(path, res); err != nil {
			return err
		}
	}
	if err := r.logOnce(int64(step), "val", func(x metrics.Record) bool { return x.Step == int64(step) }, map[string]float64{"syntax": res.Summary.SyntaxAccuracy.Value,
		"success": res.Summary.SuccessRate.Value, "return": res.Summary.MeanReturn.Value}); err != nil {
		return err
	}
	// The best weights are written before best.json names their step:
	// a kill between the two rewrites them on the rerun.
	var b bestStep
	bestJSON := filepath.Join(spec.Out, "best.json")
	if err := jsonfile.Read(bestJSON, &b); err == nil && (b.Step == step || !better(res.Summary, b.Summary)) {
		return nil
	}
	if err := vlm.SaveParams(filepath.Join(spec.Out, "best.safetensors"), r.tr.Model.Params()); err != nil {
		return err
	}
	return jsonfile.Write(bestJSON, bestStep{Step: step, Summary: res.Summary})
}

// checkpoint is the trainer's periodic hook: it saves at checkpoint and
// validation steps and validates at the latter.
func (r *trainRun) checkpoint() error {
	spec, steps := r.spec, r.tr.Steps
	v := spec.ValEvery > 0 && steps%spec.ValEvery == 0 && steps <= spec.Schedule.OfflineSteps
	if !v && (spec.Schedule.CheckpointEvery <= 0 || steps%spec.Schedule.CheckpointEvery != 0) {
		return nil
	}
	if err := r.save(); err != nil {
		return err
	}
	return r.validate()
}

func (r *trainRun) trainTo(target int) error {
	// A run resumed at a validation step's checkpoint validates first.
	if err := r.validate(); err != nil {
		return err
	}
	if r.tr.Steps >= target {
		return nil
	}
	every := r.spec.Schedule.CheckpointEvery
	if r.spec.ValEvery > 0 {
		every = gcd(every, r.spec.ValEvery)
	}
	if err := r.tr.Train(r.ctx, r.samples, target-r.tr.Steps, r.logStep, every, r.checkpoint); err != nil {
		return err
	}
	return r.save()
}

// evaluate stores each phase's evaluation as its own file next to the
// checkpoint, so a run killed during or just before an evaluation runs
// it on the rerun instead of skipping it.
// modelStep is the step of m's weights when they are not the run's
// current ones (the best validation step), else 0.
func (r *trainRun) evaluate(label string, m vlm.Model, modelDir string, modelStep int) error {
	spec := r.spec
	if spec.EvalEpisodes <= 0 {
		return nil
	}
	path := filepath.Join(spec.Out, "evals", slug(label)+".json")
	var res Result
	if err := jsonfile.Read(path, &res); err == nil && res.Step == r.tr.Steps {
		return r.logEval(res.Summary)
	}
	es := EvalSpec{Env: spec.Env, Episodes: spec.EvalEpisodes, Parallel: spec.Parallel, MaxReply: spec.MaxReply, EnvOpts: spec.EnvOpts}
	ev, err := RunEval(r.ctx, m, "", es, EvalOptions{})
	if err != nil {
		return err
	}
	s := ev.Summary
	r.phase("eval %s: syntax %s success %s return %s", label, s.SyntaxAccuracy, s.SuccessRate, s.MeanReturn)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := jsonfile.Write(path, Result{Method: label, Summary: s, Model: modelDir, Step: r.tr.Steps, ModelStep: modelStep, Key: EvalKey(m, es)}); err != nil {
		return err
	}
	return r.logEval(s)
}

func (r *trainRun) logEval(s metrics.Summary) error {
	step := int64(r.tr.Steps)
	return r.logOnce(step, "eval", func(x metrics.Record) bool { return x.Step == step }, map[string]float64{"syntax": s.SyntaxAccuracy.Value,
		"success": s.SuccessRate.Value, "return": s.MeanReturn.Value})
}

// publishBest writes the model of the best validation step as the whole
// model folder <out>/best (the last checkpoint's model with the best
// step's weights) and returns it.
func publishBest(spec TrainSpec) (vlm.Model, error) {
	m, err := vlm.Load(FinalModel(spec.Out))
	if err != nil {
		return nil, err
	}
	if err := vlm.LoadParams(filepath.Join(spec.Out, "best.safetensors"), m.Params()); err != nil {
		return nil, err
	}
	dir := filepath.Join(spec.Out, "best")
	if err := atomicfile.PublishDir(dir, atomicfile.KindModel, m.Save); err != nil {
		return nil, err
	}
	return m, nil
}

// startTrainer resumes the run's checkpoint, or starts from InitFrom's
// checkpoint or the base model, which from names (nil on a resume).
func startTrainer(spec TrainSpec) (tr *afsft.Trainer, from *ModelRef, err error) {
	if _, err := os.Stat(spec.ckpt()); err == nil {
		tr, _, err := afsft.Resume(spec.ckpt())
		return tr, nil, err
	}
	if spec.InitFrom != "" {
		tr, _, err := afsft.Resume(spec.InitFrom)
		if err != nil {
			return nil, nil, err
		}
		// Continue with this run's settings but the earlier weights,
		// target and optimiser moments.
		if err := tr.SetConfig(spec.Train); err != nil {
			return nil, nil, err
		}
		tr.Steps = 0
		return tr, refOf(spec.InitFrom, tr.Model), nil
	}
	m, err := models.Load(spec.Base)
	if err != nil {
		return nil, nil, err
	}
	// Hashed as loaded, before critics are seeded or adapters added.
	from = refOf(spec.Base, m)
	if c := spec.Train.CriticInit; c > 0 {
		m.SeedCriticsFromLM(float32(c))
	}
	if spec.LoRA.Rank > 0 {
		if err := vlm.AddLoRA(m, spec.LoRA); err != nil {
			return nil, nil, err
		}
	}
	tr, err = afsft.NewTrainer(m, spec.Train)
	return tr, from, err
}

// gcd is the greatest common divisor of a and b (0 counts as no bound).
func gcd(a, b int) int {
	if a <= 0 {
		return b
	}
	for b > 0 {
		a, b = b, a%b
	}
	return a
}
