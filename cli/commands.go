package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"vlmq/pretrain"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"vlmq/afsft"
	"vlmq/atomicfile"
	"vlmq/dataset"
	"vlmq/envs"
	"vlmq/experiment"
	"vlmq/metrics"
	"vlmq/model"
	"vlmq/models"
	"vlmq/safetensors"
	"vlmq/vlm"
)

func envFlags(fs *pflag.FlagSet, o *envs.Options) {
	fs.Float64Var(&o.SyntaxPenalty, "syntax-penalty", 0, "reward for a reply that does not parse (0 = the env default, -1)")
	fs.BoolVar(&o.ZeroPenalty, "zero-syntax-penalty", false, "give invalid replies a reward of exactly 0")
	fs.IntVar(&o.MaxSteps, "max-steps", 0, "episode step limit (0 = the env's own)")
	fs.StringVar(&o.MiniWoBDir, "miniwob-dir", "", "MiniWoB++ checkout whose tasks miniwob/<task> names (default: the project's own pages)")
	fs.StringVar(&o.Reward, "reward", "", "MiniWoB reward: raw (default) or decayed (MiniWoB++'s time decay); success is a raw reward of 1 either way")
	fs.StringVar(&o.Data, "data-mode", "", "MiniWoB++ data mode: train (default) or test")
	fs.StringVar(&o.Obs, "obs", "", "Gym Cards observation: both (default), image (state only in the image, RL4VLM's protocol) or text")
	fs.StringVar(&o.ObsText, "obs-text", "", "BabyAI observation text and action names: default, or balrog (BALROG's one fact per line and turn left/go forward/...)")
	fs.IntVar(&o.History, "history", 0, "show the last K turns' observation text and action in every prompt (BALROG uses 16; the oldest are cut first when a prompt is too long)")
}

func trainFlags(fs *pflag.FlagSet, c *afsft.Config) {
	fs.StringVar((*string)(&c.Mode), "mode", string(c.Mode), "actor weights: binary (AFSFT), exp, or sft")
	fs.Float64Var(&c.Beta, "beta", c.Beta, "exp mode: temperature of exp(beta*A)")
	fs.Float64Var(&c.Gamma, "gamma", c.Gamma, "discount between turns")
	fs.Float64Var(&c.Tau, "tau", c.Tau, "Polyak rate of the target network")
	fs.Float64Var(&c.LR, "lr", c.LR, "AdamW learning rate")
	fs.IntVar(&c.Batch, "batch", c.Batch, "turns per gradient step")
	fs.Float64Var(&c.CriticCoef, "critic-coef", c.CriticCoef, "weight of the critic loss")
	fs.Float64Var(&c.HuberDelta, "huber-delta", c.HuberDelta, "Huber loss threshold of the critic (beyond it the loss grows linearly)")
	fs.Float64Var(&c.SuccessShare, "success-share", c.SuccessShare, "share of each batch drawn from the turns of successful episodes (0 = uniform)")
	fs.Float64Var(&c.RewardScale, "reward-scale", c.RewardScale, "factor on every env reward (and syntax penalty) the critic regresses")
	fs.IntVar(&c.ActorWarmup, "actor-warmup", c.ActorWarmup, "critic-only steps before the actor trains")
	fs.IntVar(&c.SFTWarmup, "sft-warmup", c.SFTWarmup, "steps with unfiltered actor weights before advantage filtering starts")
	fs.Float64Var(&c.CQL, "cql", c.CQL, "weight of the conservative critic penalty (logsumexp Q - Q(data))")
	fs.BoolVar(&c.DataSupport, "data-support", c.DataSupport, "take V over the tokens the data holds after each reply prefix, not the whole vocabulary")
	fs.Float64Var(&c.Lambda, "lambda", c.Lambda, "inside a reply, mix the one-step target with the rest of the reply's return (0 = one-step, 1 = the turn's return)")
	fs.Float64Var(&c.ChoiceLambda, "choice-lambda", c.ChoiceLambda, "lambda at reply positions where the data holds several next tokens (with --data-support; 0 = V over the data's tokens, so values follow the actor)")
	fs.Float64Var(&c.TurnLambda, "turn-lambda", c.TurnLambda, "across turns, mix the one-step bootstrap with the lambda-return of the data's continuation (0 = one-step, 1 = the data's discounted return)")
	fs.IntVar(&c.ReturnRefresh, "return-refresh", c.ReturnRefresh, "steps between refreshes of the cached cross-turn lambda-returns (0 = 100)")
	fs.StringVar(&c.TargetValue, "target-value", c.TargetValue, "how TD targets value a state: policy (sum of pi Q over the data's tokens) or max (the best of them; needs --data-support)")
	fs.Float64Var(&c.CriticInit, "critic-init", c.CriticInit, "when starting from a base, add this times the LM head to both critic heads (0 = keep the base's heads)")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "training seed")
}

func pretrainCmd() *cobra.Command {
	s := experiment.DefaultDemo("numberline", "").Base
	var envList, obsList, out, dtype, curriculum, arch string
	cmd := &cobra.Command{
		Use:   "pretrain",
		Short: "Build a base VLM that sees the environments but does not know the action syntax",
		Long: `Build a base VLM from image questions about environment views (never an action reply).
--envs takes names, family prefixes ("babyai/", "miniwob/", "cards") or "all".
Progress is checkpointed in <out>.ckpt; rerun the same command to resume an interrupted run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if s.Envs, err = expandEnvs(envList, s.EnvOpts); err != nil {
				return err
			}
			s.Obs = nil
			if obsList != "" {
				s.Obs = strings.Split(obsList, ",")
			}
			dt, err := parseDType(dtype)
			if err != nil {
				return err
			}
			if s.Curriculum, err = parseCurriculum(curriculum); err != nil {
				return err
			}
			if s.Arch, err = parseArch(arch); err != nil {
				return err
			}
			if err := s.Validate(); err != nil {
				return err
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
			b := bar(cmd, s.Steps, "pretrain")
			s.OnStep = func(step int, _ float64) { _ = b.Set(step + 1) }
			m, rep, err := experiment.BuildBase(cmd.Context(), s, ckpt)
			if err != nil {
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
	f := cmd.Flags()
	f.StringVar(&envList, "envs", "numberline", `environments whose images the model learns to describe: names, family prefixes ("babyai/", "miniwob/", "cards") or "all"`)
	f.StringVar(&obsList, "obs-modes", "", "Gym Cards observation modes whose prompts precede questions, e.g. both,image (default: the env default)")
	f.StringVar(&s.Preset, "preset", s.Preset, fmt.Sprintf("model size %v", model.Presets()))
	f.StringVar(&arch, "arch", "", fmt.Sprintf("override sizes of the preset, as key=value pairs of config.json names: %v", strings.Join(model.ArchKeys(), ", ")))
	f.IntVar(&s.Vocab, "vocab", s.Vocab, "tokenizer vocabulary size")
	f.IntVar(&s.Steps, "steps", s.Steps, "pretraining steps")
	f.IntVar(&s.Batch, "batch", s.Batch, "examples per step")
	f.Float64Var(&s.LR, "lr", s.LR, "learning rate")
	f.IntVar(&s.Episodes, "episodes", s.Episodes, "random-walk episodes per env for the QA corpus")
	f.IntVar(&s.MaxSteps, "walk-steps", 0, "walk steps per corpus episode or curriculum view, at most (0 = 20)")
	f.IntVar(&s.Held, "held-episodes", 0, fmt.Sprintf("held-out episodes per env for the accuracy report, one view each, at most: an env stops when its question types are full (0 = %d)", experiment.DefaultHeldViews))
	f.IntVar(&s.HeldPerType, "held-questions", 0, fmt.Sprintf("held-out questions per family, question type and mode (image only, with the prompt) (0 = %d)", experiment.DefaultHeldPerType))
	f.IntVar(&s.CheckpointEvery, "checkpoint-every", 0, "steps between checkpoints (0 = 100)")
	f.Int64Var(&s.Seed, "seed", s.Seed, "seed")
	f.StringVar(&dtype, "dtype", "f32", "weight storage: f32, f16 or bf16")
	f.StringVar(&curriculum, "curriculum", "", `train on sequences of many questions from a mix of sources instead of single questions: "default" (views=4,kv=1,word=1,match=2,format=1,walk-random=1,walk-expert=1,walk-noisy=1), or key=value pairs changing it: views, kv, word, match, format (source weights), distractors (at most, 0 = 16), questions (per synthetic sequence, 0 = 8), format-share (0 = 0.5), walk-random, walk-expert, walk-noisy (weights of the policies that walk to each fresh env view: random actions, the expert, the expert with 30% random actions); --batch then counts sequences`)
	f.IntVar(&s.SyntaxEpisodes, "syntax-episodes", 0, "greedy episodes per env, of at most 10 turns, that measure the base's syntax accuracy for its card (0 = 10, -1 skips it)")
	f.IntVar(&s.ProbeLists, "probe-lists", 0, "run the retrieval probe (key-value and which-entry lookups at 1, 4 and 16 distractors, from the text alone) with this many lists per cell and put it on the card")
	f.StringVar(&out, "out", "models/base", "output model directory")
	envFlags(f, &s.EnvOpts)
	return cmd
}

// parseArch reads --arch: key=value pairs of model sizes (nil when empty);
// the names and the resulting architecture are checked by the spec.
func parseArch(v string) (map[string]int, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	arch := map[string]int{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil {
			return nil, fmt.Errorf("--arch %q: want key=number pairs, such as dim=256,layers=6", kv)
		}
		if _, dup := arch[k]; dup {
			return nil, fmt.Errorf("--arch names %s twice", k)
		}
		arch[k] = n
	}
	return arch, nil
}

// parseCurriculum reads --curriculum: "" (none), or "default" and/or
// key=value pairs changing the default curriculum.
func parseCurriculum(v string) (*pretrain.Curriculum, error) {
	if v == "" {
		return nil, nil
	}
	c := pretrain.DefaultCurriculum()
	floats := map[string]*float64{"views": &c.Views, "kv": &c.KV, "word": &c.Word, "match": &c.Match, "format": &c.Format, "format-share": &c.FormatShare,
		"walk-random": &c.Walks.Random, "walk-expert": &c.Walks.Expert, "walk-noisy": &c.Walks.Noisy}
	ints := map[string]*int{"distractors": &c.MaxDistractors, "questions": &c.Questions}
	for _, kv := range strings.Split(v, ",") {
		if strings.TrimSpace(kv) == "default" {
			continue
		}
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if f, known := floats[k]; ok && known {
			x, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return nil, fmt.Errorf("--curriculum %s=%q: not a number", k, val)
			}
			*f = x
			continue
		}
		if n, known := ints[k]; ok && known {
			x, err := strconv.Atoi(val)
			if err != nil {
				return nil, fmt.Errorf("--curriculum %s=%q: not an integer", k, val)
			}
			*n = x
			continue
		}
		return nil, fmt.Errorf("--curriculum %q: want \"default\" or key=value pairs of views, kv, word, match, format, distractors, questions, format-share, walk-random, walk-expert, walk-noisy", kv)
	}
	// A zero mix would read as the default one (pretrain.Walks).
	if c.Walks == (pretrain.Walks{}) {
		return nil, fmt.Errorf("--curriculum: the walk weights weigh no policy; give walk-random, walk-expert or walk-noisy a positive weight")
	}
	return &c, nil
}

// expandEnvs resolves the --envs list of pretrain.
func expandEnvs(list string, o envs.Options) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		n := 0
		for _, name := range envs.Names() {
			if item == "all" || name == item || (strings.HasSuffix(item, "/") && strings.HasPrefix(name, item)) || (item == "cards" && envs.IsCards(name)) {
				add(name)
				n++
			}
		}
		if n == 0 && envs.Known(item, o) {
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

func collectCmd() *cobra.Command {
	s := experiment.DefaultDemo("numberline", "").Data
	var out, modelDir string
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
				if m, err = models.Load(modelDir); err != nil {
					return err
				}
			}
			info := experiment.DataInfo(s.Env, s.EnvOpts)
			_, statErr := os.Lstat(out)
			fresh := errors.Is(statErr, fs.ErrNotExist)
			store, err := dataset.OpenWith(out, dataset.OpenOptions{Info: &info})
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
				fmt.Fprintf(cmd.OutOrStdout(), "%s: already holds %d %s episodes (of %d asked); nothing collected\n", out, have, s.Source, s.Episodes)
				return nil
			}
			b := bar(cmd, s.Episodes, "collect")
			if err := experiment.CollectData(cmd.Context(), s, store, m, func(d, _ int) { _ = b.Set(d) }); err != nil {
				// A new dataset that failed before its first chunk (a
				// browser that cannot start) is not left behind empty.
				if fresh && store.Len() == 0 {
					_ = atomicfile.RemoveDir(out, atomicfile.KindDataset)
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
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d %s episodes, %d turns, syntax %.1f%%, success %.1f%%%s, mean return %.2f\n", out, len(eps), s.Source,
				dataset.NumTurns(eps), 100*sum.SyntaxAccuracy.Value, 100*sum.SuccessRate.Value, partial, sum.MeanReturn.Value)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.Env, "env", s.Env, "environment (see `vlmq envs`)")
	f.StringVar(&s.Source, "source", s.Source, "random, expert, noisy-expert or base-model")
	f.IntVar(&s.Episodes, "episodes", s.Episodes, "episodes of this source the dataset should hold")
	f.Float64Var(&s.PRandom, "p-random", s.PRandom, "noisy-expert: share of random legal replies")
	f.Float64Var(&s.PWrong, "p-wrong", s.PWrong, "noisy-expert: share of legal replies other than the expert's (systematic mistakes)")
	f.Float64Var(&s.PInvalid, "p-invalid", s.PInvalid, "noisy-expert and random: share of malformed replies")
	f.Float64Var(&s.Temperature, "temperature", 1, "base-model: sampling temperature")
	f.IntVar(&s.Parallel, "parallel", 16, "base-model: environments per generation batch")
	f.Int64Var(&s.Seed, "seed", s.Seed, "seed (selects the episode seeds)")
	f.StringVar(&modelDir, "base", "", "for --source base-model, the "+baseHelp)
	f.StringVar(&modelDir, "model", "", "same as --base")
	f.StringVar(&out, "out", "data/numberline", "dataset directory (appended to)")
	envFlags(f, &s.EnvOpts)
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

// baseHelp describes what --base accepts (models.Load).
const baseHelp = `base model: a vlmq checkpoint or a Hugging Face folder (PaliGemma, xGen-MM, Moondream 2; told apart by config.json), ` +
	`or hf:org/name[@revision] from the local Hugging Face cache (nothing is downloaded); default: the shipped base, vlmq-base`

func trainCmd() *cobra.Command {
	d := experiment.DefaultDemo("numberline", "")
	s := experiment.TrainSpec{Env: "numberline", Train: d.Train, MaxReply: d.MaxReply, Parallel: d.Parallel, Temperature: d.Temperature,
		Schedule: afsft.Schedule{OfflineSteps: d.Offline, CheckpointEvery: 50, EpisodesPerRound: d.Online.EpisodesPerRound, StepsPerRound: d.Online.StepsPerRound, OnlineLR: d.Online.OnlineLR}}
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
	f := cmd.Flags()
	f.StringVar(&s.Env, "env", s.Env, "environment")
	f.StringVar(&s.Base, "base", "", baseHelp)
	f.StringVar(&s.InitFrom, "init-from", "", "start from this checkpoint directory instead of the base model")
	f.StringSliceVar(&s.Data, "data", []string{"data/numberline"}, "offline dataset directories")
	f.StringVar(&s.Out, "out", "runs/afsft", "run directory (checkpoints, online data, metrics)")
	f.IntVar(&s.Schedule.OfflineSteps, "offline-steps", s.Schedule.OfflineSteps, "offline gradient steps")
	f.IntVar(&s.Schedule.OnlineRounds, "online-rounds", 0, "online rounds (collect with the policy, append, train)")
	f.IntVar(&s.Schedule.EpisodesPerRound, "episodes-per-round", s.Schedule.EpisodesPerRound, "episodes collected per online round")
	f.IntVar(&s.Schedule.StepsPerRound, "steps-per-round", s.Schedule.StepsPerRound, "gradient steps per online round")
	f.Float64Var(&s.Schedule.OnlineLR, "online-lr", s.Schedule.OnlineLR, "learning rate of the online rounds (0 = --lr)")
	f.IntVar(&s.Schedule.CheckpointEvery, "checkpoint-every", s.Schedule.CheckpointEvery, "steps between checkpoints")
	f.IntVar(&s.EvalEpisodes, "eval-episodes", 0, "evaluate on this many held-out episodes after each phase")
	f.IntVar(&s.ValEvery, "val-every", 0, "every this many offline steps, play --val-episodes on validation seeds (disjoint from the evaluation's) and keep the best step's model in <out>/best, which the offline evaluation then measures")
	f.IntVar(&s.ValEpisodes, "val-episodes", 0, "validation episodes per --val-every check")
	f.IntVar(&s.MaxReply, "max-reply", s.MaxReply, "reply token limit")
	f.IntVar(&s.Parallel, "parallel", s.Parallel, "environments per generation batch")
	f.Float64Var(&s.Temperature, "temperature", s.Temperature, "sampling temperature for online collection")
	f.Float64Var(&s.Explore, "explore", s.Explore, "share of online turns played by a random legal choice instead of the policy")
	f.BoolVar(&s.AllowChanged, "allow-changed-settings", false, "continue a stored run even though its settings differ from these flags")
	f.IntVar(&s.LoRA.Rank, "lora-rank", 0, "Hugging Face base: freeze the trunk and train LoRA adapters of this rank and the critic heads (0 = full fine-tuning); saved in PEFT's format")
	f.Float64Var(&s.LoRA.Alpha, "lora-alpha", 0, "LoRA scale alpha/rank (0 = alpha 2·rank)")
	f.StringSliceVar(&s.LoRA.Targets, "lora-targets", nil, "decoder projections to adapt: attn, mlp, neutral names (q,k,v,o,qkv,gate,up,down,gate_up,fc1,fc2) or the checkpoint's module names (q_proj, ...); default attn,mlp")
	trainFlags(f, &s.Train)
	envFlags(f, &s.EnvOpts)
	return cmd
}

func evalCmd() *cobra.Command {
	// Slim: the command prints summaries, reply counts and listings only.
	s := experiment.EvalSpec{Env: "numberline", Episodes: 200, Parallel: 16, MaxReply: experiment.DefaultMaxReply, Slim: true}
	var modelDir, policy, out string
	var replies, show int
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
			case replies < 0 || show < 0:
				return fmt.Errorf("--replies %d, --show %d: want numbers >= 0", replies, show)
			case policy != "" && cmd.Flags().Changed("model"):
				return errors.New("--policy plays a scripted policy instead of --model: give one of them")
			case policy != "":
				if err := experiment.CheckPolicy(policy); err != nil {
					return err
				}
			}
			if out != "" {
				lock, err := atomicfile.Claim(out, atomicfile.KindEval)
				if err != nil {
					return err
				}
				defer lock.Unlock()
				if err := experiment.CheckEvalOut(out); err != nil {
					return err
				}
			}
			name, model := modelDir, modelDir // the table's method and the model folder
			var m vlm.Model
			if policy != "" {
				name, model = policy, ""
			} else {
				var err error
				if m, err = models.Load(modelDir); err != nil {
					return err
				}
			}
			b := bar(cmd, s.Episodes, "eval")
			o := experiment.EvalOptions{Keep: show, Replies: replies > 0, Progress: func(done int) { _ = b.Set(done) }}
			var ev *experiment.Evaluation
			var err error
			if out != "" {
				ev, err = experiment.EvaluateToDir(cmd.Context(), out, m, experiment.EvalRecord{Spec: s, Model: model, Policy: policy}, name, o)
			} else {
				ev, err = experiment.RunEval(cmd.Context(), m, policy, s, o)
			}
			if errors.Is(err, context.Canceled) {
				if out == "" {
					return interrupted{"interrupted; an evaluation without --out keeps nothing: rerun it with --out to keep finished chunks"}
				}
				if ev == nil || ev.Done == 0 {
					return interrupted{"interrupted before the first chunk of episodes finished; nothing was kept"}
				}
				return interrupted{fmt.Sprintf("interrupted; %d of %d episodes are finished and kept in %s: rerun the same command to resume", ev.Done, s.Episodes, experiment.EvalCheckpoint(out))}
			}
			if err != nil {
				return err
			}
			_ = b.Finish()
			if ev.Resumed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "resumed: %d of %d episodes were finished in %s\n", ev.Resumed, s.Episodes, experiment.EvalCheckpoint(out))
			}
			rs := []experiment.Result{{Method: name, Summary: ev.Summary, Model: model}}
			fmt.Fprint(cmd.OutOrStdout(), experiment.Table(rs))
			if replies > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "\nmost common replies:\n%s", ev.Replies.Top(replies))
			}
			if show > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "\nfirst %d episodes:\n%s", len(ev.Episodes), experiment.Episodes(ev.Episodes, show))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelDir, "model", "runs/afsft/ckpt/model", "model folder (vlmq-base: the shipped base)")
	f.StringVar(&out, "out", "", "also write the evaluation as a run folder (eval.json, results.json) that vlmq table reads; finished chunks are kept in <out>.ckpt until then, and a rerun resumes")
	f.StringVar(&policy, "policy", "", "play a scripted policy instead of a model: expert (the env's expert), random (uniform legal choices) or always:CHOICE (the same choice every turn)")
	f.IntVar(&replies, "replies", 0, "also list this many most common replies, with counts and validity")
	f.IntVar(&show, "show", 0, "also print this many episodes move by move (replies and rewards)")
	f.StringVar(&s.Env, "env", s.Env, "environment")
	f.IntVar(&s.Episodes, "episodes", s.Episodes, "episodes (held-out seeds)")
	f.IntVar(&s.Parallel, "parallel", s.Parallel, "environments per generation batch")
	f.IntVar(&s.Chunk, "chunk", 0, "episodes played and kept together (0 = 16 per environment); an interrupted eval --out loses at most the chunk in progress")
	f.Float64Var(&s.Temperature, "temperature", 0, "sampling temperature (0 = greedy)")
	f.IntVar(&s.MaxReply, "max-reply", s.MaxReply, "reply token limit")
	envFlags(f, &s.EnvOpts)
	return cmd
}

func probeCmd() *cobra.Command {
	var modelDir string
	var data []string
	var states, maxReply int
	var score []string
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Show how a model's critic (Q) and actor (pi) rank the valid replies a dataset holds at each state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := models.Load(modelDir)
			if err != nil {
				return err
			}
			eps, err := experiment.LoadEpisodes(data)
			if err != nil {
				return err
			}
			if len(eps) == 0 {
				return fmt.Errorf("the datasets %s hold no episodes: nothing to probe", strings.Join(data, ", "))
			}
			ps, sum, err := experiment.Probe(m, eps, experiment.ProbeOptions{MaxStates: states, MaxReply: maxReply, Replies: score})
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), experiment.ProbeTable(ps, sum))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelDir, "model", "runs/afsft/ckpt/model", "model folder (vlmq-base: the shipped base)")
	f.StringSliceVar(&data, "data", []string{"data/numberline"}, "dataset directories")
	f.IntVar(&states, "states", 0, "show at most this many states (0 = all)")
	f.IntVar(&maxReply, "max-reply", 12, "reply token limit (as in training)")
	f.StringArrayVar(&score, "score", nil, "score this reply at every state with a valid reply in the data, taken there or not (repeat the flag; e.g. --score '[action] stand' --score '[action] hit')")
	return cmd
}

func demoCmd() *cobra.Command {
	var envName, out string
	var fast, allowChanged bool
	var o struct {
		preset                                    string
		pretrain, episodes, offline, rounds, eval int
		valEvery, valEpisodes                     int
		epr, spr, maxSteps                        int
		pRandom, pWrong, pInvalid, onlineLR       float64
		explore, temperature                      float64
		source, obs, obsText, base, methods       string
		history                                   int
		miniwobDir, reward, dataMode              string
	}
	// Training flags are parsed into a scratch config and the ones given
	// are copied onto the chosen preset (--fast or the default demo).
	scratch := afsft.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Base vs SFT vs AFSFT vs AFSFT+online on a noisy dataset (NumberLine by default); reruns resume",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec := experiment.DefaultDemo(envName, out)
			if fast {
				spec = experiment.FastDemo(envName, out)
			}
			// Flags given explicitly override the preset budget.
			f := cmd.Flags()
			set := func(name string, apply func()) {
				if f.Changed(name) {
					apply()
				}
			}
			set("preset", func() { spec.Base.Preset = o.preset })
			set("pretrain-steps", func() { spec.Base.Steps = o.pretrain })
			set("episodes", func() { spec.Data.Episodes = o.episodes })
			set("p-random", func() { spec.Data.PRandom = o.pRandom })
			set("p-wrong", func() { spec.Data.PWrong = o.pWrong })
			set("p-invalid", func() { spec.Data.PInvalid = o.pInvalid })
			set("offline-steps", func() { spec.Offline = o.offline })
			set("online-rounds", func() { spec.Online.OnlineRounds = o.rounds })
			set("episodes-per-round", func() { spec.Online.EpisodesPerRound = o.epr })
			set("steps-per-round", func() { spec.Online.StepsPerRound = o.spr })
			set("online-lr", func() { spec.Online.OnlineLR = o.onlineLR })
			set("eval-episodes", func() { spec.Eval = o.eval })
			set("val-every", func() { spec.ValEvery = o.valEvery })
			set("val-episodes", func() { spec.ValEpisodes = o.valEpisodes })
			set("source", func() { spec.Data.Source = o.source })
			set("explore", func() { spec.Explore = o.explore })
			set("temperature", func() { spec.Temperature = o.temperature })
			set("obs", func() { spec.EnvOpts.Obs = o.obs })
			set("obs-text", func() { spec.EnvOpts.ObsText = o.obsText })
			set("history", func() { spec.EnvOpts.History = o.history })
			set("miniwob-dir", func() { spec.EnvOpts.MiniWoBDir = o.miniwobDir })
			set("reward", func() { spec.EnvOpts.Reward = o.reward })
			set("data-mode", func() { spec.EnvOpts.Data = o.dataMode })
			set("base", func() { spec.BaseModel = o.base })
			set("methods", func() { spec.Methods = strings.Split(o.methods, ",") })
			spec.AllowChanged = allowChanged
			tf := pflag.NewFlagSet("train", pflag.ContinueOnError)
			trainFlags(tf, &spec.Train)
			var ferr error
			f.Visit(func(fl *pflag.Flag) {
				if tf.Lookup(fl.Name) != nil && ferr == nil {
					ferr = tf.Set(fl.Name, fl.Value.String())
				}
			})
			if ferr != nil {
				return ferr
			}
			set("max-steps", func() { spec.EnvOpts.MaxSteps = o.maxSteps })
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
			fmt.Fprintf(cmd.OutOrStdout(), "\n%s on held-out seeds (%d episodes each; 95%% intervals):\n\n%s\nartefacts in %s\n", envName, spec.Eval, experiment.Table(rs), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&envName, "env", "numberline", "environment")
	f.StringVar(&out, "out", "runs/demo", "output directory (a rerun resumes)")
	f.BoolVar(&fast, "fast", false, "a much smaller run (tiny model) for a smoke test")
	f.StringVar(&o.preset, "preset", "", "model size (default small)")
	f.IntVar(&o.pretrain, "pretrain-steps", 0, "base-model pretraining steps")
	f.IntVar(&o.episodes, "episodes", 0, "noisy-expert dataset episodes")
	f.Float64Var(&o.pRandom, "p-random", 0, "dataset share of random legal replies")
	f.Float64Var(&o.pWrong, "p-wrong", 0, "dataset share of legal replies other than the expert's")
	f.Float64Var(&o.pInvalid, "p-invalid", 0, "dataset share of malformed replies")
	f.IntVar(&o.offline, "offline-steps", 0, "offline gradient steps (SFT and AFSFT)")
	f.IntVar(&o.rounds, "online-rounds", 0, "online rounds after AFSFT")
	f.IntVar(&o.epr, "episodes-per-round", 0, "episodes collected per online round")
	f.IntVar(&o.spr, "steps-per-round", 0, "gradient steps per online round")
	f.Float64Var(&o.onlineLR, "online-lr", 0, "learning rate of the online rounds (default 3e-4)")
	f.IntVar(&o.eval, "eval-episodes", 0, "held-out evaluation episodes per method")
	f.IntVar(&o.valEvery, "val-every", 0, "every this many offline steps, SFT and AFSFT play --val-episodes on validation seeds, and their rows are of the best step's model")
	f.IntVar(&o.valEpisodes, "val-episodes", 0, "validation episodes per --val-every check")
	trainFlags(f, &scratch) // --mode exp makes the filtered arm exp-weighted
	f.IntVar(&o.maxSteps, "max-steps", 0, "episode step limit for every stage (0 = the env's own)")
	f.StringVar(&o.source, "source", "", "dataset source: noisy-expert (default), random or base-model")
	f.Float64Var(&o.explore, "explore", 0, "share of online turns played by a random legal choice")
	f.Float64Var(&o.temperature, "temperature", 0, "sampling temperature of online collection (default 1)")
	f.StringVar(&o.obs, "obs", "", "Gym Cards observation mode: both, image or text")
	f.StringVar(&o.obsText, "obs-text", "", "BabyAI observation text and action names: default or balrog")
	f.IntVar(&o.history, "history", 0, "earlier turns (observation text and action) shown in every prompt")
	f.StringVar(&o.miniwobDir, "miniwob-dir", "", "MiniWoB++ checkout whose tasks miniwob/<task> names (default: the project's own pages)")
	f.StringVar(&o.reward, "reward", "", "MiniWoB reward: raw (default) or decayed")
	f.StringVar(&o.dataMode, "data-mode", "", "MiniWoB++ data mode: train (default) or test")
	f.StringVar(&o.base, "base", "", `base model folder (default: the shipped base, vlmq-base; "pretrain" pretrains one on --env)`)
	f.BoolVar(&allowChanged, "allow-changed-settings", false, "continue stored stages even though their settings differ from these flags")
	f.StringVar(&o.methods, "methods", "", "comma-separated rows to run after the dataset: base, SFT, AFSFT, AFSFT+online (default all)")
	return cmd
}
