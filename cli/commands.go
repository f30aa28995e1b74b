package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"vlmq/afsft"
	"vlmq/atomicfile"
	"vlmq/cli/flagspec"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/experiment"
	"vlmq/metrics"
	"vlmq/model"
	"vlmq/models"
	"vlmq/pretrain"
	"vlmq/safetensors"
	"vlmq/vlm"
)

// flagValues are the flag forms of the spec fields written as text of
// their own: --arch and --curriculum.
var flagValues = flagspec.Values{
	reflect.TypeFor[map[string]int]():       func(p any) pflag.Value { return archValue{p.(*map[string]int)} },
	reflect.TypeFor[*pretrain.Curriculum](): func(p any) pflag.Value { return curriculumValue{p.(**pretrain.Curriculum)} },
}

// bind registers a flag for every field of the spec struct v points to
// (flagspec.Bind), each flag the field's setting. The specs are fixed
// types, so a field the binder refuses is a programming error, which
// every test that builds the command line meets.
func bind(fs *pflag.FlagSet, v any) {
	if err := flagspec.Bind(fs, v, flagValues); err != nil {
		panic(err)
	}
}

// rename keeps an old flag name working (flagspec.Rename).
func rename(fs *pflag.FlagSet, old, name string) {
	if err := flagspec.Rename(fs, old, name); err != nil {
		panic(err)
	}
}

// pretrainArgs are pretrain's flags: the base's spec, and how and where
// the model is saved.
type pretrainArgs struct {
	experiment.BaseSpec `flag:"*"`
	DType               string `flag:"dtype" help:"weight storage: f32, f16 or bf16"`
	Out                 string `flag:"out" help:"output model directory"`
	// PauseAt stops a run at a step as an interruption would, so a
	// checkpoint mid-schedule (a continuation's parent) can be rebuilt.
	PauseAt int `flag:"pause-at" help:"stop after this step with the checkpoint saved, as an interruption does (0 = run to the end; a checkpoint already there is refused); rerun without it to resume"`
}

func pretrainCmd() *cobra.Command {
	a := pretrainArgs{BaseSpec: experiment.DefaultBase("numberline"), DType: "f32", Out: "models/base"}
	cmd := &cobra.Command{
		Use:   "pretrain",
		Short: "Build a base VLM that sees the environments but does not know the action syntax",
		Long: `Build a base VLM from image questions about environment views (never an action reply).
--envs takes names, family prefixes ("babyai/", "miniwob/"), family names ("cards", "babyai") or "all".
Progress is checkpointed in <out>.ckpt; rerun the same command to resume an interrupted run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, out := a.BaseSpec, a.Out
			var err error
			if s.Envs, err = expandEnvs(s.Envs, s.EnvOpts); err != nil {
				return err
			}
			dt, err := parseDType(a.DType)
			if err != nil {
				return err
			}
			if err := s.Validate(); err != nil {
				return err
			}
			if a.PauseAt < 0 || a.PauseAt > s.Steps {
				return fmt.Errorf("--pause-at %d, want 0 to --steps %d", a.PauseAt, s.Steps)
			}
			ckpt := filepath.Clean(out) + ".ckpt"
			// The lock of --out covers its checkpoint too, and is taken
			// before the checkpoint is read.
			lock, err := atomicfile.Claim(out, atomicfile.KindModel)
			if err != nil {
				return err
			}
			defer lock.Unlock()
			if err := atomicfile.CheckOut(ckpt, atomicfile.KindCheckpoint); err != nil {
				return err
			}
			if a.PauseAt > 0 {
				// A checkpoint already there must not train on: a rebuilt
				// parent would no longer match its hash.
				at, err := experiment.BaseCheckpointStep(ckpt)
				if err != nil {
					return err
				}
				if at >= a.PauseAt {
					return fmt.Errorf("--pause-at %d: the checkpoint %s is already at step %d; nothing to train", a.PauseAt, ckpt, at)
				}
			}
			ctx, pause := context.WithCancel(cmd.Context())
			defer pause()
			paused := false
			b := bar(cmd, s.Steps, "pretrain")
			s.OnStep = func(step int, _ float64) {
				_ = b.Set(step + 1)
				if a.PauseAt > 0 && step+1 >= a.PauseAt {
					paused = true
					pause()
				}
			}
			s.OnLoss = func(p experiment.LossPoint) {
				fmt.Fprintf(cmd.ErrOrStderr(), "\npretrain step %d: loss %.4f (mean of the last %d steps)\n", p.Step, p.Loss, p.Steps)
			}
			m, rep, err := experiment.BuildBase(ctx, s, ckpt)
			if err != nil {
				if errors.Is(err, context.Canceled) && paused {
					fmt.Fprintf(cmd.OutOrStdout(), "paused after step %d; the checkpoint is %s (its model: %s)\n", a.PauseAt, ckpt, filepath.Join(ckpt, "model"))
					return nil
				}
				if errors.Is(err, context.Canceled) {
					return fmt.Errorf("interrupted; progress is kept in %s: rerun the same command to resume", ckpt)
				}
				return err
			}
			_ = b.Finish()
			line := "vlmq " + strings.Join(os.Args[1:], " ")
			card := func(sha string) []byte { return []byte(experiment.ModelCard(s, rep, line, sha, m)) }
			small, ok := m.(*model.VLM)
			if !ok {
				return fmt.Errorf("pretraining built a %T, not the small VLM", m)
			}
			if err := model.SaveWith(out, small, model.SaveOptions{DType: dt, Card: card}); err != nil {
				return err
			}
			// As a whole: a kill during the deletion must not leave a
			// half-deleted checkpoint that the next run would try to resume.
			_ = atomicfile.RemoveDir(ckpt, atomicfile.KindCheckpoint)
			fmt.Fprintf(cmd.OutOrStdout(), "base model (%d parameters) saved to %s; held-out image QA accuracy %s\n", m.NumParams(), out, rep.Score)
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	// --episodes was pretrain's corpus, collect's dataset and eval's
	// evaluation; it is now only a dataset's.
	rename(cmd.Flags(), "episodes", "corpus-episodes")
	return cmd
}

// archValue is the flag form of model sizes (BaseSpec.Arch): key=value
// pairs of config.json names, nil when empty; the names and the
// resulting architecture are checked by the spec.
type archValue struct{ m *map[string]int }

func (v archValue) Type() string { return "key=value,..." }

func (v archValue) String() string {
	var kv []string
	for k, n := range *v.m {
		kv = append(kv, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func (v archValue) Set(s string) error {
	*v.m = nil
	if strings.TrimSpace(s) == "" {
		return nil
	}
	arch := map[string]int{}
	for _, p := range splitPairs(s) {
		n, err := strconv.Atoi(p.val)
		if !p.ok || err != nil {
			return fmt.Errorf("%q: want key=number pairs, such as dim=256,layers=6", p.item)
		}
		if _, dup := arch[p.key]; dup {
			return fmt.Errorf("names %s twice", p.key)
		}
		arch[p.key] = n
	}
	*v.m = arch
	return nil
}

// pair is one item of a key=value list flag (--arch, --curriculum).
type pair struct {
	item, key, val string
	ok             bool // the item has a "="
}

// splitPairs splits s at commas into items, each cut at its first "="
// after surrounding spaces are trimmed (item keeps them, for messages).
func splitPairs(s string) []pair {
	var ps []pair
	for _, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		ps = append(ps, pair{item, k, v, ok})
	}
	return ps
}

// curriculumValue is the flag form of BaseSpec.Curriculum: "" (none), or
// "default" and/or key=value pairs changing the default curriculum.
type curriculumValue struct{ c **pretrain.Curriculum }

func (v curriculumValue) Type() string { return "default|key=value,..." }

func (v curriculumValue) String() string {
	if *v.c == nil {
		return ""
	}
	return fmt.Sprintf("%+v", **v.c)
}

func (v curriculumValue) Set(s string) error {
	*v.c = nil
	if s == "" {
		return nil
	}
	c := pretrain.DefaultCurriculum()
	floats := map[string]*float64{"views": &c.Views, "kv": &c.KV, "word": &c.Word, "match": &c.Match, "span": &c.Span, "page": &c.Page, "copy": &c.Copy, "glyph": &c.Glyph, "format": &c.Format, "format-share": &c.FormatShare,
		"walk-random": &c.Walks.Random, "walk-expert": &c.Walks.Expert, "walk-noisy": &c.Walks.Noisy}
	ints := map[string]*int{"distractors": &c.MaxDistractors, "questions": &c.Questions, "synthetic-steps": &c.SyntheticSteps}
	for _, p := range splitPairs(s) {
		if !p.ok && p.key == "default" {
			continue
		}
		if f, known := floats[p.key]; p.ok && known {
			x, err := strconv.ParseFloat(p.val, 64)
			if err != nil {
				return fmt.Errorf("%s=%q: not a number", p.key, p.val)
			}
			*f = x
			continue
		}
		if n, known := ints[p.key]; p.ok && known {
			x, err := strconv.Atoi(p.val)
			if err != nil {
				return fmt.Errorf("%s=%q: not an integer", p.key, p.val)
			}
			*n = x
			continue
		}
		keys := slices.Concat(slices.Collect(maps.Keys(floats)), slices.Collect(maps.Keys(ints)))
		slices.Sort(keys)
		return fmt.Errorf("%q: want \"default\" or key=value pairs of %s", p.item, strings.Join(keys, ", "))
	}
	// A zero mix would read as the default one (pretrain.Walks).
	if c.Walks == (pretrain.Walks{}) {
		return fmt.Errorf("the walk weights weigh no policy; give walk-random, walk-expert or walk-noisy a positive weight")
	}
	*v.c = &c
	return nil
}

// expandEnvs resolves the --envs list of pretrain.
func expandEnvs(list []string, o env.Options) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, item := range list {
		item = strings.TrimSpace(item)
		n := 0
		for _, name := range env.Names() {
			if item == "all" || name == item || (strings.HasSuffix(item, "/") && strings.HasPrefix(name, item)) || env.FamilyOf(name) == item {
				add(name)
				n++
			}
		}
		if n == 0 && env.Known(item, o) {
			// A name only the options know: an official MiniWoB++ task of
			// --miniwob-dir.
			add(item)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("unknown environment %q (see vlmq envs)", item)
		}
	}
	return out, nil
}

func parseDType(s string) (safetensors.DType, error) {
	switch strings.ToLower(s) {
	case "f32", "":
		return safetensors.F32, nil
	case "f16":
		return safetensors.F16, nil
	case "bf16":
		return safetensors.BF16, nil
	}
	return "", fmt.Errorf("unknown --dtype %q (want f32, f16 or bf16)", s)
}

// collectArgs are collect's flags: the dataset's spec, the model of the
// base-model source, and the dataset folder.
type collectArgs struct {
	experiment.DataSpec `flag:"*"`
	Base                string `flag:"base" help:"the model of --source base-model: a vlmq checkpoint, a Hugging Face folder or hf:org/name[@revision], as for train (default: the shipped base, vlmq-base)"`
	Out                 string `flag:"out" help:"dataset directory (appended to)"`
}

func collectCmd() *cobra.Command {
	a := collectArgs{DataSpec: experiment.DefaultCollect("numberline"), Out: "data/numberline"}
	s, out := &a.DataSpec, &a.Out
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect a dataset of episodes (random, expert, noisy-expert, base-model) into Parquet shards",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.Validate(); err != nil {
				return err
			}
			// Only the base-model source plays a model: --base with any
			// other was ignored, and a mistyped one went unnoticed.
			if f := cmd.Flags(); (f.Changed("base") || f.Changed("model")) && s.Source != experiment.SourceBaseModel {
				return fmt.Errorf("--base names the model of --source base-model, and the %s source plays no model: drop --base, or add --source base-model", s.Source)
			}
			// The model first: a missing --base must not leave a new,
			// empty dataset folder behind.
			var m vlm.Model
			var err error
			if s.Source == experiment.SourceBaseModel {
				if m, err = models.Load(a.Base); err != nil {
					return err
				}
			}
			info := experiment.DataInfo(s.Env, s.EnvOpts)
			_, statErr := os.Lstat(*out)
			fresh := errors.Is(statErr, fs.ErrNotExist)
			store, err := dataset.OpenWith(*out, dataset.OpenOptions{Info: &info})
			if err != nil {
				return err
			}
			defer store.Close()
			have, err := store.CountSource(s.Source)
			if err != nil {
				return err
			}
			if have >= s.Episodes {
				// Nothing to do: say so from the footers, without decoding
				// the whole dataset for a summary.
				fmt.Fprintf(cmd.OutOrStdout(), "%s: already holds %d %s episodes (of %d asked); nothing collected\n", *out, have, s.Source, s.Episodes)
				return nil
			}
			b := bar(cmd, s.Episodes, "collect")
			if err := experiment.CollectData(cmd.Context(), *s, store, m, func(d, _ int) { _ = b.Set(d) }); err != nil {
				// A new dataset that failed before its first chunk (a
				// browser that cannot start) is not left behind empty.
				if fresh && store.Len() == 0 {
					_ = atomicfile.RemoveDir(*out, atomicfile.KindDataset)
				}
				return err
			}
			_ = b.Finish()
			eps, err := store.EpisodesBySource(s.Source)
			if err != nil {
				return err
			}
			sum, err := metrics.Summarize(eps)
			if err != nil {
				return err
			}
			partial := ""
			if n := partialEpisodes(eps); n > 0 {
				// MiniWoB++ tasks that grade answers give rewards in (0,1):
				// not a success, but not a failure either.
				partial = fmt.Sprintf(", partial reward %.1f%%", 100*float64(n)/float64(len(eps)))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d %s episodes, %d turns, syntax %.1f%%, success %.1f%%%s, mean return %.2f\n", *out, len(eps), s.Source,
				dataset.NumTurns(eps), 100*sum.SyntaxAccuracy.Value, 100*sum.SuccessRate.Value, partial, sum.MeanReturn.Value)
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	rename(cmd.Flags(), "model", "base")
	// --seed seeds training; a dataset's seed is --data-seed, as in demo.
	rename(cmd.Flags(), "seed", "data-seed")
	return cmd
}

// partialEpisodes counts the episodes that ended, unsolved, on a positive
// reward below 1.
func partialEpisodes(eps []dataset.Episode) int {
	n := 0
	for _, ep := range eps {
		if len(ep.Turns) == 0 || ep.Success {
			continue
		}
		if last := ep.Turns[len(ep.Turns)-1]; last.Done && last.Reward > 0 && last.Reward < 1 {
			n++
		}
	}
	return n
}

func trainCmd() *cobra.Command {
	s := experiment.DefaultTrain("numberline")
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Offline AFSFT on datasets, then online rounds; a rerun with the same --out resumes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := bar(cmd, s.TotalSteps(), "train")
			h := experiment.Hooks{
				Step:  func(step, _ int, _ afsft.Stats) { _ = b.Set(step) },
				Phase: func(msg string) { _ = b.Clear(); fmt.Fprintln(cmd.ErrOrStderr(), msg) },
			}
			tr, err := experiment.Train(cmd.Context(), s, h)
			if err != nil {
				return err
			}
			_ = b.Finish()
			fmt.Fprintf(cmd.OutOrStdout(), "trained %d steps; model in %s; metrics in %s/metrics.{jsonl,csv}\n", tr.Steps, experiment.FinalModel(s.Out), s.Out)
			return nil
		},
	}
	bind(cmd.Flags(), &s)
	return cmd
}

// evalArgs are eval's flags: the evaluation's spec, what plays, where
// it is kept and what is printed.
type evalArgs struct {
	experiment.EvalSpec `flag:"*"`
	Model               string `flag:"model" help:"model folder (vlmq-base or none: the shipped base)"`
	Policy              string `flag:"policy" help:"play a scripted policy instead of a model: expert (the env's expert), random (uniform legal choices) or always:CHOICE (the same choice every turn)"`
	Out                 string `flag:"out" help:"also write the evaluation as a run folder (eval.json, results.json) that vlmq table reads; finished chunks are kept in <out>.ckpt until then, and a rerun resumes"`
	Replies             int    `flag:"replies" help:"also list this many most common replies, with counts and validity"`
	Show                int    `flag:"show" help:"also print this many episodes move by move (replies and rewards)"`
}

func evalCmd() *cobra.Command {
	a := evalArgs{EvalSpec: experiment.DefaultEval("numberline"), Model: "runs/afsft/ckpt/model"}
	// Slim: the command prints summaries, reply counts and listings only.
	a.Slim = true
	s := &a.EvalSpec
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate a model on held-out seeds: syntax accuracy, success rate, mean return with 95% intervals",
		Long: `Evaluate a model (or a scripted policy) on held-out seeds, chunk by chunk, in memory that does not grow with --episodes.
With --out, finished chunks are kept in <out>.ckpt until the evaluation is published: rerun the same command to resume an interrupted one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.Validate(); err != nil {
				return err
			}
			switch {
			case a.Replies < 0 || a.Show < 0:
				return fmt.Errorf("--replies %d, --show %d: want numbers >= 0", a.Replies, a.Show)
			case a.Policy != "" && cmd.Flags().Changed("model"):
				return errors.New("--policy plays a scripted policy instead of --model: give one of them")
			case a.Policy != "":
				if err := experiment.CheckPolicy(a.Policy); err != nil {
					return err
				}
			}
			if a.Out != "" {
				lock, err := atomicfile.Claim(a.Out, atomicfile.KindEval)
				if err != nil {
					return err
				}
				defer lock.Unlock()
				if err := experiment.CheckEvalOut(a.Out); err != nil {
					return err
				}
			}
			name, model := a.Model, a.Model // the table's method and the model folder
			var m vlm.Model
			if a.Policy != "" {
				name, model = a.Policy, ""
			} else {
				var err error
				if m, err = models.Load(a.Model); err != nil {
					return err
				}
			}
			b := bar(cmd, s.Episodes, "eval")
			o := experiment.EvalOptions{Keep: a.Show, Progress: func(done int) { _ = b.Set(done) }}
			var ev *experiment.Evaluation
			var err error
			if a.Out != "" {
				ev, err = experiment.EvaluateToDir(cmd.Context(), a.Out, m, experiment.EvalRecord{Spec: *s, Model: model, Policy: a.Policy}, name, o)
			} else {
				ev, err = experiment.RunEval(cmd.Context(), m, a.Policy, *s, o)
			}
			if errors.Is(err, context.Canceled) {
				if a.Out == "" {
					return interrupted{"interrupted; an evaluation without --out keeps nothing: rerun it with --out to keep finished chunks"}
				}
				if ev == nil || ev.Done == 0 {
					return interrupted{"interrupted before the first chunk of episodes finished; nothing was kept"}
				}
				return interrupted{fmt.Sprintf("interrupted; %d of %d episodes are finished and kept in %s: rerun the same command to resume", ev.Done, s.Episodes, experiment.EvalCheckpoint(a.Out))}
			}
			if err != nil {
				return err
			}
			_ = b.Finish()
			if ev.Resumed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "resumed: %d of %d episodes were finished in %s\n", ev.Resumed, s.Episodes, experiment.EvalCheckpoint(a.Out))
			}
			rs := []experiment.Result{{Method: name, Summary: ev.Summary, Model: model}}
			fmt.Fprint(cmd.OutOrStdout(), experiment.Table(rs))
			if a.Replies > 0 && ev.Replies != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "\nmost common replies:\n%s", ev.Replies.Top(a.Replies))
			}
			if a.Show > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "\nfirst %d episodes:\n%s", len(ev.Episodes), experiment.Episodes(ev.Episodes, a.Show))
			}
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	// --episodes is a dataset's; evaluations count --eval-episodes, as
	// in train and demo.
	rename(cmd.Flags(), "episodes", "eval-episodes")
	return cmd
}

// probeArgs are probe's flags: the model, the datasets whose states it
// probes, and the probe's spec.
type probeArgs struct {
	Model                   string   `flag:"model" help:"model folder (vlmq-base or none: the shipped base)"`
	Data                    []string `flag:"data" help:"offline dataset directories"`
	experiment.ProbeOptions `flag:"*"`
}

func probeCmd() *cobra.Command {
	a := probeArgs{Model: "runs/afsft/ckpt/model", Data: []string{"data/numberline"}, ProbeOptions: experiment.DefaultProbe()}
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Show how a model's critic (Q) and actor (pi) rank the valid replies a dataset holds at each state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := models.Load(a.Model)
			if err != nil {
				return err
			}
			eps, err := experiment.LoadEpisodes(a.Data)
			if err != nil {
				return err
			}
			if len(eps) == 0 {
				return fmt.Errorf("the datasets %s hold no episodes: nothing to probe", strings.Join(a.Data, ", "))
			}
			ps, sum, err := experiment.Probe(m, eps, a.ProbeOptions)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), experiment.ProbeTable(ps, sum))
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}

// demoArgs are demo's flags: the demo's spec and the preset it starts
// from.
type demoArgs struct {
	experiment.DemoSpec `flag:"*"`
	Fast                bool `flag:"fast" help:"a much smaller run (tiny model) for a smoke test"`
}

func demoCmd() *cobra.Command {
	a := demoArgs{DemoSpec: experiment.DefaultDemo("numberline", "runs/demo")}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Base vs SFT vs AFSFT vs AFSFT+online on a noisy dataset (NumberLine by default); reruns resume",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The preset of the env (--fast or the default demo), with
			// every flag given explicitly on top.
			preset := demoArgs{DemoSpec: experiment.DefaultDemo(a.Env, a.Out)}
			if a.Fast {
				preset.DemoSpec = experiment.FastDemo(a.Env, a.Out)
			}
			if err := flagspec.CopyChanged(cmd.Flags(), &a, &preset); err != nil {
				return err
			}
			spec := preset.DemoSpec
			var b *progressbar.ProgressBar
			stage := func(msg string) {
				if b != nil {
					_ = b.Finish()
					b = nil
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "==>", msg)
			}
			count := func(done, total int) {
				if b == nil {
					b = bar(cmd, total, "")
				}
				_ = b.Set(done)
			}
			h := experiment.DemoHooks{Stage: stage, Count: count, Train: experiment.Hooks{
				Step:  func(step, total int, _ afsft.Stats) { count(step, total) },
				Phase: stage,
			}}
			rs, err := experiment.RunDemo(cmd.Context(), spec, h)
			if err != nil {
				return err
			}
			stage("done")
			fmt.Fprintf(cmd.OutOrStdout(), "\n%s on held-out seeds (%d episodes each; 95%% intervals):\n\n%s\nartefacts in %s\n", spec.Env, spec.EvalEpisodes, experiment.Table(rs), spec.Out)
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	// The base's settings are the pretrain- flags.
	rename(cmd.Flags(), "preset", "pretrain-preset")
	return cmd
}
