// Package experiment wires the parts into the jobs the CLI runs: building
// the base VLM, collecting datasets, resumable offline-to-online AFSFT runs,
// and evaluation on held-out seeds.
package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"vlmq/afsft"
	"vlmq/atomicfile"
	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/metrics"
	"vlmq/models"
	"vlmq/optim"
	"vlmq/pretrain"
	"vlmq/runlog"
	"vlmq/vlm"
)

// Seed ranges keep datasets, online rounds, evaluation and validation
// apart, so evaluation always runs on episodes no training data came from,
// and a checkpoint chosen on validation seeds is tested on others.
const (
	DataSeedBase   int64 = 0
	OnlineSeedBase int64 = 500_000_000
	EvalSeedBase   int64 = 1_000_000_000
	ValSeedBase    int64 = 1_500_000_000
)

// BaseEval is what a base is measured on (MeasureBase): the envs and
// their prompts, the held-out views and questions, the retrieval probe and
// the syntax episodes. The pretrain job and the qa command share it, so a
// checkpoint or any model folder is measured as a card measures its base.
type BaseEval struct {
	Envs []string `json:"envs" flag:"envs" help:"environments whose views the base learns from (pretrain) or is measured on (qa): names, family prefixes (\"babyai/\", \"miniwob/\"), family names (\"cards\", \"babyai\") or \"all\""`
	// Obs lists the Gym Cards observation modes whose prompts are shown in
	// front of questions (nil = the env default only); every other env
	// uses its one prompt.
	Obs      []string `json:"obs,omitempty" flag:"obs-modes" help:"Gym Cards observation modes whose prompts precede questions, e.g. both,image (default: the env default)"`
	MaxSteps int      `json:"max_steps,omitempty" flag:"walk-steps" help:"walk steps per corpus episode or curriculum view, at most (0 = 20)"`
	// Held bounds the held-out views per env (one episode each, 0 =
	// DefaultHeldViews); HeldPerType is how many held-out questions each
	// family, question type and mode gets (0 = DefaultHeldPerType).
	Held        int   `json:"held_episodes,omitempty" flag:"held-episodes" help:"held-out episodes per env for the accuracy report, one view each, at most: an env stops when its question types are full (0 = 400)"`
	HeldPerType int   `json:"held_per_type,omitempty" flag:"held-questions" help:"held-out questions per family, question type and mode (image only, with the prompt) (0 = 100)"`
	Seed        int64 `json:"seed" flag:"seed" help:"pretraining seed; the held-out episodes and questions follow from it"`
	// ProbeLists, when positive, runs the retrieval probe with this many
	// lists per task and distractor count and reports it on the card.
	ProbeLists int `json:"probe_lists,omitempty" flag:"probe-lists" help:"run the retrieval probe (key-value, where-is, several-word where-is and page-element lookups at 1, 4 and 16 distractors, from the text alone) with this many lists per cell and put it on the card"`
	// SyntaxEpisodes is how many greedy episodes per env, of at most
	// syntaxTurns turns, measure the base's syntax accuracy for its card
	// (0 = 10; negative skips it).
	SyntaxEpisodes int         `json:"syntax_episodes,omitempty" flag:"syntax-episodes" help:"greedy episodes per env, of at most 10 turns, that measure the base's syntax accuracy for its card (0 = 10, -1 skips it)"`
	EnvOpts        env.Options `json:"env_options" flag:"*"`
}

// BaseSpec describes the base model: a VLM that has learned to see the
// environments (image question answering) but never seen an action reply.
// It is the pretrain job's spec: DefaultBase gives its defaults, the flag
// and help tags its flags (package cli/flagspec).
type BaseSpec struct {
	BaseEval `flag:"*"`
	Preset   string `json:"preset" flag:"preset" help:"model size preset (tiny, small, medium, ...; an unknown name lists them all)"`
	// Arch overrides sizes of the preset by their config.json names
	// (image_size, dim, layers, ...), for architecture sweeps.
	Arch  map[string]int `json:"arch,omitempty" flag:"arch" help:"override sizes of the preset, as key=value pairs of config.json names, e.g. dim=256,layers=6 (an unknown name lists them all)"`
	Vocab int            `json:"vocab" flag:"vocab" help:"tokenizer vocabulary size"`
	Steps int            `json:"steps" flag:"steps" help:"pretraining steps"`
	Batch int            `json:"batch" flag:"batch" help:"examples per pretraining step"`
	LR    float64        `json:"lr" flag:"lr" help:"pretraining learning rate"`
	// EmbedLR scales the token embeddings' learning rate (0 = 1).
	EmbedLR  float64 `json:"embed_lr_scale,omitempty" flag:"embed-lr-scale" help:"multiply the token embeddings' pretraining learning rate by this (0 = 1); with tied embeddings it is the LM head's too"`
	Episodes int     `json:"episodes" flag:"corpus-episodes" help:"random-walk episodes per env for the QA corpus"`
	// Curriculum, when set, trains on a stream of many-question
	// sequences (fresh env views walked by random, expert and
	// noisy-expert policies, synthetic retrieval and copying tasks,
	// format questions; see pretrain.Curriculum) instead of single
	// questions from the collected corpus, with the tokenizer also
	// trained on synthetic text. Batch then counts sequences.
	Curriculum *pretrain.Curriculum `json:"curriculum,omitempty" flag:"curriculum" help:"train on sequences of many questions from a mix of sources instead of single questions: \"default\" (views=4,kv=1,word=1,match=2,format=1,walk-random=1,walk-expert=1,walk-noisy=1), or key=value pairs changing it: views, kv, word, match, span, page, copy, glyph, format (source weights), distractors (at most, 0 = 16), questions (per synthetic sequence, 0 = 8), format-share (0 = 0.5), walk-random, walk-expert, walk-noisy (weights of the policies that walk to each fresh env view: random actions, the expert, the expert with 30% random actions), synthetic-steps (the first N steps draw from the synthetic tasks alone, env views join after); --batch then counts sequences"`
	// ContinueFrom continues pretraining a saved small VLM instead of a fresh
	// one: its weights, tokenizer and architecture, a fresh optimiser and
	// this spec's schedule (so Preset, Arch and Vocab are unused).
	ContinueFrom string `json:"continue_from,omitempty" flag:"continue-from" help:"continue pretraining this small-VLM folder (a base, or a checkpoint's <out>.ckpt/model) instead of a fresh model: its weights, tokenizer and architecture, with a fresh optimiser and this run's steps and schedule; --preset and --vocab are then unused, and --arch changes its architecture: parameters of unchanged name and size keep their weights, the others start fresh"`
	// Facts is the version of the envs' facts the run was made with
	// (BuildBase sets 0 to FactsVersion), so a checkpoint made before
	// they changed, whose corpus and views they no longer give, is
	// refused rather than resumed on other data. An older version this
	// binary can still give (see factsKeep) rebuilds or resumes such a
	// run exactly.
	Facts int `json:"facts,omitempty" flag:"facts" help:"version of the env facts (questions) to train on: 0 = the newest; 3 leaves out BabyAI's lookups keyed by the mission, to rebuild or resume a run made before them"`
	// CheckpointEvery steps (0 = 100) when BuildBase is given a
	// checkpoint folder.
	CheckpointEvery int                          `json:"checkpoint_every,omitempty" flag:"checkpoint-every" help:"steps between checkpoints (0 = 100)"`
	OnStep          func(step int, loss float64) `json:"-" flag:"-"`
	// OnLoss, if set, is called with each point of the loss curve (at
	// every checkpoint).
	OnLoss    func(LossPoint) `json:"-" flag:"-"`
	OnCorpora func(qa int)    `json:"-" flag:"-"`
}

// DefaultBase is the base the demo pretrains for env (DefaultDemo), and
// pretrain's defaults.
func DefaultBase(env string) BaseSpec {
	return BaseSpec{BaseEval: BaseEval{Envs: []string{env}, Seed: 1}, Preset: "small", Vocab: 1024, Steps: 1500, Batch: 16, LR: 1e-3, Episodes: 40}
}

// FactsVersion counts the changes of the envs' facts that change what
// pretraining trains on: 2 added issue 24's skill questions; 3 answers
// lookups by quoting the entry (synthetic lists and BabyAI's "Where is
// the C K?"). base-v3's checkpoint records 2 although it was made with
// 3's facts (the bump came after its start): resume it with its own
// binary, as runs/base-v3/run.sh does. 4 asks BabyAI's lookups keyed by
// the mission ("Where is the object the mission names?"); base-v4 was
// made on 3 and resumes with --facts 3 (see factsKeep).
const FactsVersion = 4

// factsKeep is the filter that gives an older facts version from the
// newest facts (nil for the newest): version 3 is version 4 without the
// questions keyed by the mission's object, which 4 appended to BabyAI's
// facts and changed nothing else.
func factsKeep(version int) (func(env.QA) bool, error) {
	switch version {
	case FactsVersion:
		return nil, nil
	case 3:
		return func(q env.QA) bool { return !strings.Contains(q.Question, "the object the mission") }, nil
	}
	return nil, fmt.Errorf("experiment: facts version %d: this binary gives versions 3 and %d (the commit that made a run of another version rebuilds it)", version, FactsVersion)
}

// Held-out defaults: views per env at most, and questions per family,
// question type and mode (the help of BaseSpec.Held and HeldPerType
// quotes them).
const (
	DefaultHeldViews   = 400
	DefaultHeldPerType = 100
)

// Validate checks the spec before any work.
func (s BaseSpec) Validate() error {
	if err := s.BaseEval.Validate(); err != nil {
		return err
	}
	switch {
	case s.Steps < 1:
		return fmt.Errorf("experiment: pretraining steps %d, want at least 1", s.Steps)
	case s.Batch < 1 || s.Batch > afsft.MaxBatch:
		return fmt.Errorf("experiment: pretraining batch %d, want 1 to %d", s.Batch, afsft.MaxBatch)
	case !(s.LR > 0) || math.IsInf(s.LR, 0):
		return fmt.Errorf("experiment: pretraining learning rate %v, want a finite positive number", s.LR)
	case !(s.EmbedLR >= 0) || math.IsInf(s.EmbedLR, 0):
		return fmt.Errorf("experiment: --embed-lr-scale %v, want a finite number > 0 (0 = 1)", s.EmbedLR)
	case s.Episodes < 1 || s.CheckpointEvery < 0:
		return fmt.Errorf("experiment: corpus episodes %d, checkpoint every %d", s.Episodes, s.CheckpointEvery)
	case s.Vocab < 1:
		return fmt.Errorf("experiment: vocabulary size %d", s.Vocab)
	}
	if s.Facts != 0 {
		if _, err := factsKeep(s.Facts); err != nil {
			return err
		}
	}
	if c := s.Curriculum; c != nil {
		if err := c.Check(); err != nil {
			return err
		}
	}
	if s.ContinueFrom != "" {
		// --arch then changes the parent's architecture, and is checked
		// against it when the parent is loaded, before any work.
		return nil
	}
	_, err := models.PresetImageSize(s.Preset, s.Arch)
	return err
}

// Validate checks what a base is measured on: known envs and counts in
// range.
func (s BaseEval) Validate() error {
	switch {
	case len(s.Envs) == 0:
		return fmt.Errorf("experiment: base model needs at least one env")
	case s.SyntaxEpisodes < -1:
		return fmt.Errorf("experiment: syntax episodes %d, want -1 (skip), 0 (10) or more", s.SyntaxEpisodes)
	case s.MaxSteps < 0 || s.Held < 0 || s.HeldPerType < 0:
		return fmt.Errorf("experiment: walk steps %d, held-out episodes %d and questions %d, want counts >= 0", s.MaxSteps, s.Held, s.HeldPerType)
	case s.ProbeLists < 0:
		return fmt.Errorf("experiment: retrieval probe lists %d", s.ProbeLists)
	}
	for _, e := range s.Envs {
		if !env.Known(e, s.EnvOpts) {
			return unknownEnv(e, s.EnvOpts)
		}
	}
	return nil
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

// QARow is the held-out accuracy of one env (and question type, "" for
// all of the env's questions), image only and with the prompt text. A
// Family row is over every env of the family Env names.
type QARow struct {
	Env        string  `json:"env"`
	Family     bool    `json:"family,omitempty"`
	Type       string  `json:"type,omitempty"`
	ImageOnly  float64 `json:"image_only"`
	NImageOnly int     `json:"n_image_only"`
	WithText   float64 `json:"with_text"`
	NWithText  int     `json:"n_with_text"`
}

// QAMistake is a held-out question answered wrong.
type QAMistake struct {
	Env, Type           string
	WithText            bool
	Question, Want, Got string
}

// BaseReport is what BuildBase measured.
type BaseReport struct {
	Score QAScore `json:"score"`
	Rows  []QARow `json:"rows"`
	// Steps trained and the wall time spent training them, summed over
	// resumed sessions.
	Steps       int     `json:"steps"`
	TrainSecond float64 `json:"train_seconds"`
	Params      int     `json:"params"`
	CorpusQA    int     `json:"corpus_qa"` // 0 when a curriculum run resumed (its tokenizer needs no corpus)
	// Retrieval is the retrieval probe's result (BaseSpec.ProbeLists).
	Retrieval *pretrain.RetrievalReport `json:"retrieval,omitempty"`
	// Syntax is the base's greedy syntax accuracy per env, in s.Envs'
	// order (BaseSpec.SyntaxEpisodes).
	Syntax []EnvSyntax `json:"syntax,omitempty"`
	// Losses is the training loss curve, one point per checkpoint (none
	// without a checkpoint folder).
	Losses []LossPoint `json:"losses,omitempty"`
	// Sessions are the recorded training sessions, this one last.
	Sessions []BaseSession `json:"sessions,omitempty"`
	// Wrong lists the held-out questions answered wrong, in the held-out
	// order (for vlmq qa --mistakes; not on the card).
	Wrong []QAMistake `json:"-"`
	// ContinueFrom is the model a continued pretraining started from.
	ContinueFrom *ModelRef `json:"continue_from,omitempty"`
}

// EnvSyntax is how often a base's greedy replies in one env parse.
type EnvSyntax struct {
	Env     string          `json:"env"`
	Summary metrics.Summary `json:"summary"`
}

// syntaxTurns bounds each syntax-accuracy episode: a base that never
// writes the format would otherwise play every episode to the env's own
// limit (up to a thousand turns on the large BabyAI levels).
const syntaxTurns = 10

// baseSyntax plays SyntaxEpisodes greedy episodes per env with m, on the
// evaluation seeds, and counts the replies that parse.
func baseSyntax(ctx context.Context, m vlm.Model, s BaseEval) ([]EnvSyntax, error) {
	n := s.SyntaxEpisodes
	if n < 0 {
		return nil, nil
	}
	if n == 0 {
		n = 10
	}
	o := s.EnvOpts
	if o.MaxSteps == 0 || o.MaxSteps > syntaxTurns {
		o.MaxSteps = syntaxTurns
	}
	var out []EnvSyntax
	for _, e := range s.Envs {
		sum, _, err := Evaluate(ctx, m, EvalSpec{Env: e, Episodes: n, Parallel: n, MaxReply: DefaultMaxReply, EnvOpts: o, Slim: true}, nil)
		if err != nil {
			return nil, fmt.Errorf("experiment: base syntax accuracy on %s: %w", e, err)
		}
		out = append(out, EnvSyntax{Env: e, Summary: sum})
	}
	return out, nil
}

// baseProgress is the pretraining checkpoint's position.
type baseProgress struct {
	Steps       int     `json:"steps"`
	TrainSecond float64 `json:"train_seconds"`
	// Losses is the loss curve so far, one point per checkpoint.
	Losses []LossPoint `json:"losses,omitempty"`
	// Sessions are the processes that trained it, as of their last
	// checkpoint (none in checkpoints made before they were recorded).
	Sessions []BaseSession `json:"sessions,omitempty"`
	// ContinueFrom is the model a continued pretraining started from
	// (BaseSpec.ContinueFrom), pinned by its weights.
	ContinueFrom *ModelRef `json:"continue_from,omitempty"`
}

// BaseSession is one process's stretch of pretraining: its code, machine
// and wall time, and the steps it trained.
type BaseSession struct {
	runlog.Session
	FromStep int `json:"from_step"`
	ToStep   int `json:"to_step"`
}

// LossPoint is the mean training loss over the steps since the previous
// point, up to Step.
type LossPoint struct {
	Step  int     `json:"step"`
	Loss  float64 `json:"loss"`
	Steps int     `json:"steps"`
}

// openBaseEnvs opens one instance of every env, and of every Gym Cards
// game once per observation mode of s.Obs.
func openBaseEnvs(s BaseEval) ([]env.Env, error) {
	var out []env.Env
	for _, name := range s.Envs {
		modes := []string{s.EnvOpts.Obs}
		if _, ok := env.OptionOf(name, "--obs"); ok && len(s.Obs) > 0 {
			modes = s.Obs
		}
		for _, mode := range modes {
			o := s.EnvOpts
			o.Obs = mode
			es, err := OpenEnvs([]string{name}, 1, o)
			if err != nil {
				CloseEnvs(out)
				return nil, err
			}
			out = append(out, es...)
		}
	}
	return out, nil
}

// BuildBase pretrains a fresh VLM: on the QA pairs of a corpus collected
// from the envs, or with a curriculum on a stream of fresh views (walked
// by random, expert and noisy-expert policies) and synthetic tasks, with
// the tokenizer trained on the corpus text. It returns the model and its
// held-out QA accuracy (on views of held-out episodes, see heldOut). With
// a checkpoint folder it saves its progress there every CheckpointEvery
// steps and on cancellation, and resumes from it exactly; a checkpoint
// made with other settings is refused.
func BuildBase(ctx context.Context, s BaseSpec, ckptDir string) (vlm.Model, BaseReport, error) {
	var rep BaseReport
	if err := s.Validate(); err != nil {
		return nil, rep, err
	}
	if s.Facts == 0 {
		s.Facts = FactsVersion
	}
	keep, err := factsKeep(s.Facts)
	if err != nil {
		return nil, rep, err
	}
	var prog baseProgress
	var m vlm.Model
	var opt *optim.AdamW
	if ckptDir != "" {
		if m, opt, prog, err = loadBaseCheckpoint(ckptDir, s); err != nil {
			return nil, rep, err
		}
	}
	if m == nil && s.ContinueFrom != "" {
		if m, prog.ContinueFrom, err = loadContinued(s.ContinueFrom, s.Arch, s.Seed); err != nil {
			return nil, rep, err
		}
	}
	rep.ContinueFrom = prog.ContinueFrom
	var imageSize int
	if m != nil {
		imageSize = m.ImageSize()
	} else if imageSize, err = models.PresetImageSize(s.Preset, s.Arch); err != nil {
		return nil, rep, err
	}
	es, err := openBaseEnvs(s.BaseEval)
	if err != nil {
		return nil, rep, err
	}
	defer CloseEnvs(es)
	experts, err := baseExperts(es)
	if err != nil {
		return nil, rep, err
	}
	// The corpus trains the model without a curriculum, and the tokenizer
	// of a fresh run; a curriculum run resumed needs neither.
	corpus := &pretrain.Corpus{}
	if s.Curriculum == nil || m == nil {
		if corpus, err = pretrain.Collect(es, pretrain.CorpusOptions{Episodes: s.Episodes, MaxSteps: s.MaxSteps, Seed: s.Seed, ImageSize: imageSize, Keep: keep}); err != nil {
			return nil, rep, err
		}
	}
	rep.CorpusQA = len(corpus.QA)
	if s.OnCorpora != nil {
		s.OnCorpora(len(corpus.QA))
	}
	if m == nil {
		tok, err := pretrain.TrainTokenizer(corpus, s.Vocab)
		if s.Curriculum != nil {
			// The synthetic tasks' words would otherwise cost several
			// tokens each.
			tok, err = pretrain.TrainTokenizerCurriculum(corpus, s.Vocab, uint64(s.Seed), curriculumText)
		}
		if err != nil {
			return nil, rep, err
		}
		if m, err = models.NewSmall(s.Preset, s.Arch, tok, s.Seed); err != nil {
			return nil, rep, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, rep, err
	}
	every := s.CheckpointEvery
	if every == 0 {
		every = 100
	}
	if opt == nil {
		// The one training would make, kept to checkpoint its end.
		opt = optim.NewAdamW(float32(s.LR))
	}
	started := time.Now()
	// This session's entry joins the recorded ones at each checkpoint.
	sess := BaseSession{Session: runlog.Start(started), FromStep: prog.Steps, ToStep: prog.Steps}
	sessions := func(steps int) []BaseSession {
		sess.Update(time.Now())
		sess.ToStep = steps
		switch {
		case steps >= s.Steps:
			sess.Ended = "finished"
		case ctx.Err() != nil:
			// The checkpoint an interrupt saves is this session's last.
			sess.Ended = "stopped: interrupted"
		}
		return append(slices.Clip(prog.Sessions), sess)
	}
	// The losses since the last checkpoint become one point of the curve.
	var lossSum float64
	var lossN int
	po := pretrain.Options{Steps: s.Steps, BatchSize: s.Batch, LR: float32(s.LR), Seed: uint64(s.Seed),
		EmbedLRScale: float32(s.EmbedLR), Opt: opt, Start: prog.Steps,
		Log: func(step int, loss float64) {
			lossSum += loss
			lossN++
			if s.OnStep != nil {
				s.OnStep(step, loss)
			}
		}}
	if ckptDir != "" {
		po.CheckpointEvery = every
		po.Checkpoint = func(steps int, opt *optim.AdamW) error {
			losses := prog.Losses
			if lossN > 0 {
				pt := LossPoint{Step: steps, Loss: lossSum / float64(lossN), Steps: lossN}
				losses = append(slices.Clip(losses), pt)
				if s.OnLoss != nil {
					s.OnLoss(pt)
				}
			}
			p := baseProgress{Steps: steps, TrainSecond: prog.TrainSecond + time.Since(started).Seconds(), Losses: losses, Sessions: sessions(steps), ContinueFrom: prog.ContinueFrom}
			if err := saveBaseCheckpoint(ckptDir, s, m, opt, p); err != nil {
				return err
			}
			prog.Losses, lossSum, lossN = losses, 0, 0
			return nil
		}
	}
	walks := pretrain.DefaultWalks()
	if s.Curriculum == nil {
		_, err = pretrain.Pretrain(ctx, m, corpus.QA, po)
	} else {
		if s.Curriculum.Walks != (pretrain.Walks{}) {
			walks = s.Curriculum.Walks
		}
		err = pretrainCurriculum(ctx, m, *s.Curriculum, es, pretrain.EnvSourceOptions{
			MaxSteps: walkSteps(s.BaseEval), ImageSize: imageSize, Experts: experts, Walks: walks, Keep: keep}, po)
	}
	if err != nil {
		return nil, rep, err
	}
	rep.Steps, rep.TrainSecond, rep.Params = s.Steps, prog.TrainSecond+time.Since(started).Seconds(), m.NumParams()
	if po.Checkpoint != nil && prog.Steps < s.Steps {
		// The held-out evaluation takes a while on many envs: a run
		// interrupted there resumes at its end instead of retraining.
		if err := po.Checkpoint(s.Steps, opt); err != nil {
			return nil, rep, err
		}
	}
	rep.Losses = prog.Losses
	if prog.Steps < s.Steps || len(prog.Sessions) == 0 {
		// A run that trained here (or has no checkpoint) ends with this
		// session; one resumed after its last step only evaluates.
		rep.Sessions = sessions(s.Steps)
	} else {
		rep.Sessions = prog.Sessions
	}
	if err := measureBase(ctx, m, s.BaseEval, es, experts, walks, keep, imageSize, &rep); err != nil {
		return nil, rep, err
	}
	return m, rep, nil
}

// MeasureBase measures a model as BuildBase measures the base it built,
// for its card: held-out QA per env and question type (on the held-out
// episodes of s's seed, walked by the default curriculum's policies), the
// retrieval probe (s.ProbeLists) and the syntax accuracy
// (s.SyntaxEpisodes). So a checkpoint's model, or any model folder, can
// be read against a card. It does not train: s's training sizes are
// unused.
func MeasureBase(ctx context.Context, m vlm.Model, s BaseEval) (BaseReport, error) {
	var rep BaseReport
	if err := s.Validate(); err != nil {
		return rep, err
	}
	es, err := openBaseEnvs(s)
	if err != nil {
		return rep, err
	}
	defer CloseEnvs(es)
	experts, err := baseExperts(es)
	if err != nil {
		return rep, err
	}
	rep.Params = m.NumParams()
	err = measureBase(ctx, m, s, es, experts, pretrain.DefaultWalks(), nil, m.ImageSize(), &rep)
	return rep, err
}

// measureBase fills rep's held-out QA, retrieval probe and syntax
// accuracy.
func measureBase(ctx context.Context, m vlm.Model, s BaseEval, es []env.Env, experts []env.Expert, walks pretrain.Walks, keep func(env.QA) bool, imageSize int, rep *BaseReport) error {
	heldSrc, err := pretrain.NewEnvSource(es, pretrain.EnvSourceOptions{
		MaxSteps: walkSteps(s), ImageSize: imageSize, Experts: experts, Walks: walks, HeldOut: true, Keep: keep})
	if err != nil {
		return err
	}
	views := s.Held
	if views == 0 {
		views = DefaultHeldViews
	}
	held, err := heldOut(ctx, heldSrc, uint64(s.Seed)+7919, heldPerType(s), views)
	if err != nil {
		return err
	}
	if rep.Score, rep.Rows, rep.Wrong, err = scoreBase(m, held); err != nil {
		return err
	}
	if s.ProbeLists > 0 {
		r, err := pretrain.RetrievalProbe(m, pretrain.ProbeSeed(s.Seed), s.ProbeLists)
		if err != nil {
			return err
		}
		rep.Retrieval = &r
	}
	rep.Syntax, err = baseSyntax(ctx, m, s)
	return err
}

// loadContinued loads the small VLM a continued pretraining starts from (a
// folder, or the shipped base by its name).
func loadContinued(path string, arch map[string]int, seed int64) (vlm.Model, *ModelRef, error) {
	m, err := models.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("experiment: --continue-from: %w", err)
	}
	if !models.IsSmall(m) {
		return nil, nil, fmt.Errorf("experiment: --continue-from %s is a %T, not the project's small VLM: pretraining continues only small VLMs", path, m)
	}
	ref := &ModelRef{Path: path, ParamsSHA256: WeightsKey(m)}
	if len(arch) > 0 {
		if m, ref.Fresh, err = models.Regrow(m, arch, seed); err != nil {
			return nil, nil, fmt.Errorf("experiment: --continue-from %s with --arch: %w", path, err)
		}
	}
	return m, ref, nil
}

// baseExperts is the expert of each env, for the expert and noisy-expert
// walks.
func baseExperts(es []env.Env) ([]env.Expert, error) {
	out := make([]env.Expert, len(es))
	for i, e := range es {
		x, err := env.NewExpert(e)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// curriculumText is how many synthetic samples the curriculum's tokenizer
// sees beside the corpus text.
const curriculumText = 2000

// pretrainCurriculum trains m on the curriculum's stream, whose env views
// are fresh ones from the envs (never a held-out episode's).
func pretrainCurriculum(ctx context.Context, m vlm.Model, c pretrain.Curriculum, es []env.Env, o pretrain.EnvSourceOptions, po pretrain.Options) error {
	var views pretrain.Source
	if c.Views > 0 {
		v, err := pretrain.NewEnvSource(es, o)
		if err != nil {
			return err
		}
		views = v
	}
	st, err := c.Stream(m, views)
	if err != nil {
		return err
	}
	_, err = pretrain.PretrainStream(ctx, m, st, po)
	return err
}

// heldCell is a cell of the held-out evaluation: a family, a question type
// and whether the env's prompt precedes the question.
type heldCell struct {
	family, typ string
	text        bool
}

// heldOut draws the held-out questions from src (whose episodes are the
// held-out seeds, walked as the training views are): one view per draw,
// round-robin over the envs, each draw's rng a function of (seed, round,
// env), so the set is fixed by the seed. It keeps up to perType questions
// of each family, question type and mode (image only, or after the
// prompt), and stops drawing from an env once every cell its views reached
// is full, or after maxViews views of it. A view whose questions are all
// left out is not kept, so memory holds at most the graded views.
func heldOut(ctx context.Context, src *pretrain.EnvSource, seed uint64, perType, maxViews int) ([]pretrain.QAExample, error) {
	n := src.Envs()
	count := map[heldCell]int{}
	reached := make([]map[heldCell]bool, n)
	for i := range reached {
		reached[i] = map[heldCell]bool{}
	}
	active := make([]bool, n)
	for i := range active {
		active[i] = true
	}
	var out []pretrain.QAExample
	for round := 0; round < maxViews; round++ {
		drew := false
		for i := range n {
			if !active[i] {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			drew = true
			rng := rand.New(rand.NewPCG(seed, uint64(round)*uint64(n)+uint64(i)))
			seq, err := src.DrawEnv(rng, i)
			if err != nil {
				return nil, err
			}
			fam := env.FamilyOf(seq.Source)
			for _, p := range seq.QA {
				c := heldCell{fam, pretrain.QuestionType(p.Question), seq.Context != ""}
				reached[i][c] = true
				if count[c] < perType {
					count[c]++
					out = append(out, pretrain.QAExample{Image: seq.Image, Question: p.Question, Answer: p.Answer, Context: seq.Context, Env: seq.Source})
				}
			}
		}
		if !drew {
			break
		}
		for i := range n {
			full := true
			for c := range reached[i] {
				full = full && count[c] >= perType
			}
			active[i] = active[i] && !full
		}
	}
	return out, nil
}

// scoreBase grades every held-out question, image only and with the
// prompt text, and breaks the result down by env, by env and question
// type, and by family and question type.
func scoreBase(m vlm.Model, held []pretrain.QAExample) (QAScore, []QARow, []QAMistake, error) {
	var score QAScore
	if len(held) == 0 {
		return score, nil, nil, fmt.Errorf("experiment: no held-out questions")
	}
	answers, err := pretrain.Answers(m, held, 16)
	if err != nil {
		return score, nil, nil, err
	}
	ok := make([]bool, len(held))
	var wrong []QAMistake
	for i, a := range answers {
		if ok[i] = pretrain.Right(held[i], a); !ok[i] {
			qa := held[i]
			wrong = append(wrong, QAMistake{Env: qa.Env, Type: pretrain.QuestionType(qa.Question), WithText: qa.Context != "",
				Question: qa.Question, Want: qa.Answer, Got: strings.TrimSpace(a)})
		}
	}
	type cell struct{ right, n [2]int }
	type key struct {
		env, typ string
		family   bool
	}
	cells := map[key]*cell{}
	var keys []key
	seen := map[string]int{} // env or family: order of first appearance
	var tot cell
	for i, qa := range held {
		k := 0
		if qa.Context != "" {
			k = 1
		}
		t := pretrain.QuestionType(qa.Question)
		for _, kk := range []key{{qa.Env, "", false}, {qa.Env, t, false}, {env.FamilyOf(qa.Env), t, true}} {
			c := cells[kk]
			if c == nil {
				c = &cell{}
				cells[kk] = c
				keys = append(keys, kk)
				if _, ok := seen[kk.env]; !ok {
					seen[kk.env] = len(seen)
				}
			}
			c.n[k]++
			if ok[i] {
				c.right[k]++
			}
		}
		tot.n[k]++
		if ok[i] {
			tot.right[k]++
		}
	}
	// Envs, then families, in order of appearance, each's types sorted
	// after its row over all types.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.family != b.family {
			return !a.family
		}
		if a.env != b.env {
			return seen[a.env] < seen[b.env]
		}
		return a.typ < b.typ
	})
	// A family of one env would repeat that env's rows.
	members := map[string]map[string]bool{}
	for _, qa := range held {
		f := env.FamilyOf(qa.Env)
		if members[f] == nil {
			members[f] = map[string]bool{}
		}
		members[f][qa.Env] = true
	}
	var rows []QARow
	for _, k := range keys {
		if k.family && len(members[k.env]) < 2 {
			continue
		}
		c := cells[k]
		rows = append(rows, QARow{Env: k.env, Family: k.family, Type: k.typ, ImageOnly: frac(c.right[0], c.n[0]), NImageOnly: c.n[0],
			WithText: frac(c.right[1], c.n[1]), NWithText: c.n[1]})
	}
	score.ImageOnly, score.WithText = frac(tot.right[0], tot.n[0]), frac(tot.right[1], tot.n[1])
	score.All = frac(tot.right[0]+tot.right[1], tot.n[0]+tot.n[1])
	return score, rows, wrong, nil
}

func frac(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(a) / float64(n)
}

// saveBaseCheckpoint publishes the pretraining state as one folder.
func saveBaseCheckpoint(dir string, s BaseSpec, m vlm.Model, opt *optim.AdamW, p baseProgress) error {
	return atomicfile.PublishDir(dir, atomicfile.KindCheckpoint, func(tmp string) error {
		if err := m.Save(filepath.Join(tmp, "model")); err != nil {
			return err
		}
		if err := vlm.SaveOptim(filepath.Join(tmp, "optim.safetensors"), opt, vlm.ActorParams(m)); err != nil {
			return err
		}
		if err := jsonfile.Write(filepath.Join(tmp, "spec.json"), s); err != nil {
			return err
		}
		return jsonfile.Write(filepath.Join(tmp, "progress.json"), p)
	})
}

// BaseCheckpointStep is the step a pretraining checkpoint folder has
// reached (0 when it holds none).
func BaseCheckpointStep(dir string) (int, error) {
	var p baseProgress
	err := jsonfile.Read(filepath.Join(dir, "progress.json"), &p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	return p.Steps, err
}

// loadBaseCheckpoint returns nil values when dir holds no checkpoint.
func loadBaseCheckpoint(dir string, s BaseSpec) (vlm.Model, *optim.AdamW, baseProgress, error) {
	var p baseProgress
	// Only pretrain's writer (holding the lock of its --out) gets here.
	if err := atomicfile.Recover(dir); err != nil {
		return nil, nil, p, err
	}
	if _, err := os.Stat(filepath.Join(dir, "progress.json")); errors.Is(err, os.ErrNotExist) {
		return nil, nil, p, nil
	}
	var old BaseSpec
	if err := jsonfile.Read(filepath.Join(dir, "spec.json"), &old); err != nil {
		return nil, nil, p, fmt.Errorf("experiment: pretraining checkpoint %s: %w", dir, err)
	}
	if diff := specDiff(old, s); diff != "" {
		hint := ""
		if old.Facts != s.Facts && old.Facts != 0 {
			hint = fmt.Sprintf(" (for the facts, --facts %d)", old.Facts)
		}
		return nil, nil, p, fmt.Errorf("experiment: pretraining checkpoint %s was made with other settings (%s); use the same flags%s, or another --out", dir, diff, hint)
	}
	if err := jsonfile.Read(filepath.Join(dir, "progress.json"), &p); err != nil {
		return nil, nil, p, fmt.Errorf("experiment: pretraining checkpoint %s: %w", dir, err)
	}
	if p.Steps < 1 || p.Steps > s.Steps || !(p.TrainSecond >= 0) {
		return nil, nil, p, fmt.Errorf("experiment: pretraining checkpoint %s: progress at step %d of %d (%v s) is impossible", dir, p.Steps, s.Steps, p.TrainSecond)
	}
	m, err := vlm.Load(filepath.Join(dir, "model"))
	if err != nil {
		return nil, nil, p, err
	}
	opt := optim.NewAdamW(float32(s.LR))
	if err := vlm.LoadOptim(filepath.Join(dir, "optim.safetensors"), opt, vlm.ActorParams(m)); err != nil {
		return nil, nil, p, err
	}
	// One optimiser step per pretraining step: a progress file that
	// disagrees would resume with the wrong bias correction, not exactly.
	if opt.StepCount() != p.Steps {
		return nil, nil, p, fmt.Errorf("experiment: pretraining checkpoint %s: progress says step %d but the optimiser took %d steps: the checkpoint is damaged", dir, p.Steps, opt.StepCount())
	}
	return m, opt, p, nil
}
