package afsft

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"vlmq/atomicfile"
	"vlmq/jsonfile"
	"vlmq/vlm"
)

// Schedule says how much to train: offline steps on the stored data, then
// online rounds that collect with the current policy and train again.
type Schedule struct {
	OfflineSteps     int `json:"offline_steps" flag:"offline-steps" help:"offline gradient steps"`
	OnlineRounds     int `json:"online_rounds" flag:"online-rounds" help:"online rounds (collect with the policy, append, train)"`
	EpisodesPerRound int `json:"episodes_per_round" flag:"episodes-per-round" help:"episodes collected per online round"`
	StepsPerRound    int `json:"steps_per_round" flag:"steps-per-round" help:"gradient steps per online round"`
	CheckpointEvery  int `json:"checkpoint_every" flag:"checkpoint-every" help:"steps between checkpoints"`
	// OnlineLR is the learning rate of the online rounds (0 = the
	// config's). Fine-tuning on each round's fresh episodes at the offline
	// rate made the NumberLine policy swing from round to round (success
	// 53% offline, then 47, 78, 47, 62% at 1e-3; 95, 85, 85% at 3e-4).
	OnlineLR float64 `json:"online_lr" flag:"online-lr" help:"learning rate of the online rounds (0 = --lr)"`
}

// Progress is the resumable position of a run, saved with each checkpoint.
type Progress struct {
	Steps int `json:"steps"` // gradient steps taken in total
	Round int `json:"round"` // online rounds whose data is stored
}

// Checkpoint writes the trainer (online model, target, optimiser, progress)
// to dir atomically: everything goes to a fresh sibling directory that is
// renamed into place, so a crash leaves either the old or the new checkpoint.
func (t *Trainer) Checkpoint(dir string, p Progress) error {
	p.Steps = t.Steps
	return atomicfile.PublishDir(dir, atomicfile.KindCheckpoint, func(tmp string) error {
		if err := t.Model.Save(filepath.Join(tmp, "model")); err != nil {
			return fmt.Errorf("afsft: checkpoint model: %w", err)
		}
		if err := t.Target.Save(filepath.Join(tmp, "target")); err != nil {
			return fmt.Errorf("afsft: checkpoint target: %w", err)
		}
		if err := t.saveOptim(filepath.Join(tmp, "optim.safetensors")); err != nil {
			return err
		}
		if err := jsonfile.Write(filepath.Join(tmp, "progress.json"), p); err != nil {
			return err
		}
		return jsonfile.Write(filepath.Join(tmp, "train.json"), t.Cfg)
	})
}

// Resume loads a checkpoint written by Checkpoint. It only reads: the
// run's writer recovers an interrupted publish first (atomicfile.Recover).
func Resume(dir string) (*Trainer, Progress, error) {
	var p Progress
	var cfg Config
	if err := jsonfile.Read(filepath.Join(dir, "train.json"), &cfg); err != nil {
		return nil, p, fmt.Errorf("afsft: resume: %w", err)
	}
	if err := jsonfile.Read(filepath.Join(dir, "progress.json"), &p); err != nil {
		return nil, p, fmt.Errorf("afsft: resume: %w", err)
	}
	m, err := vlm.Load(filepath.Join(dir, "model"))
	if err != nil {
		return nil, p, fmt.Errorf("afsft: resume: %w", err)
	}
	tg, err := vlm.Load(filepath.Join(dir, "target"))
	if err != nil {
		return nil, p, fmt.Errorf("afsft: resume target: %w", err)
	}
	t, err := newTrainer(m, tg, cfg)
	if err != nil {
		return nil, p, err
	}
	if err := t.loadOptim(filepath.Join(dir, "optim.safetensors")); err != nil {
		return nil, p, err
	}
	// The optimiser counts every step, including those of a run this one
	// was initialised from, so it can only be ahead of the progress.
	if p.Steps < 0 || p.Steps > t.Opt.StepCount() || p.Round < 0 {
		return nil, p, fmt.Errorf("afsft: resume %s: progress says %d steps (round %d) but the optimiser took %d: the checkpoint is damaged", dir, p.Steps, p.Round, t.Opt.StepCount())
	}
	t.Steps = p.Steps
	return t, p, nil
}

// draw fills batch uniformly from samples, except that a SuccessShare of
// the slots come from wins (the turns of successful episodes) when any.
func (t *Trainer) draw(batch, samples, wins []*Sample) {
	for j := range batch {
		if len(wins) > 0 && t.Cfg.SuccessShare > 0 && t.rng.Float64() < t.Cfg.SuccessShare {
			batch[j] = wins[t.rng.IntN(len(wins))]
			continue
		}
		batch[j] = samples[t.rng.IntN(len(samples))]
	}
}

// Train takes n gradient steps on minibatches drawn uniformly from samples.
// log (optional) receives every step's stats; ckpt (optional) is called
// every `every` steps so long runs can resume.
func (t *Trainer) Train(ctx context.Context, samples []*Sample, n int, log func(step int, s Stats), every int, ckpt func() error) error {
	if len(samples) == 0 {
		return errors.New("afsft: no training samples")
	}
	if t.sup != nil {
		// The whole replay, not only the batches drawn so far, defines
		// which tokens each reply prefix has.
		for _, s := range samples {
			t.sup.add(s.Reply)
		}
	}
	refresh := t.Cfg.ReturnRefresh
	if refresh <= 0 {
		refresh = 100
	}
	if t.Cfg.TurnLambda > 0 {
		if err := t.RefreshReturns(samples); err != nil {
			return err
		}
	}
	var wins []*Sample
	for _, s := range samples {
		if s.Success {
			wins = append(wins, s)
		}
	}
	batch := make([]*Sample, t.Cfg.Batch)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if t.Cfg.TurnLambda > 0 && t.Steps-t.retSteps >= refresh {
			if err := t.RefreshReturns(samples); err != nil {
				return err
			}
		}
		// Each step's batch depends only on the seed and the step, so a
		// resumed run draws exactly the batches an uninterrupted one does.
		t.rng = rand.New(rand.NewPCG(uint64(t.Cfg.Seed), uint64(t.Steps)))
		t.draw(batch, samples, wins)
		st, err := t.Step(batch)
		if err != nil {
			return err
		}
		if log != nil {
			log(t.Steps, st)
		}
		if ckpt != nil && every > 0 && t.Steps%every == 0 {
			if err := ckpt(); err != nil {
				return err
			}
		}
	}
	return nil
}
