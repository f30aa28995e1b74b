package experiment

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/dataset"
	"vlmq/model"
	"vlmq/safetensors"
)

// smallTrainSpec pretrains FastDemo's tiny base into dir/base, collects its
// noisy dataset into dir/data and returns a train spec over them (output
// dir/run) with the given schedule, and the base's QA score.
func smallTrainSpec(t *testing.T, dir string, sc afsft.Schedule) (TrainSpec, QAScore) {
	t.Helper()
	spec := FastDemo("numberline", dir)
	base, rep, err := BuildBase(context.Background(), spec.Base, "")
	if err != nil {
		t.Fatal(err)
	}
	baseDir := filepath.Join(dir, "base")
	if err := model.Save(baseDir, base); err != nil {
		t.Fatal(err)
	}
	store, err := dataset.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := CollectData(context.Background(), spec.Data, store, nil, nil); err != nil {
		t.Fatal(err)
	}
	return TrainSpec{Env: "numberline", Base: baseDir, Data: []string{store.Dir()}, Out: filepath.Join(dir, "run"),
		Train: spec.Train, MaxReply: spec.MaxReply, Parallel: 2, Temperature: 1, Schedule: sc}, rep.Score
}

// TestTrainRefusesChangedSettings: a finished run rerun with other flags
// is refused with the differences listed, and continues only when allowed.
// A damaged progress file is refused at resume.
func TestTrainRefusesChangedSettings(t *testing.T) {
	ts, _ := smallTrainSpec(t, t.TempDir(), afsft.Schedule{OfflineSteps: 4, CheckpointEvery: 2})
	if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
		t.Fatal(err)
	}
	changed := ts
	changed.Train.Mode, changed.Train.Gamma = afsft.SFT, 0.5
	_, err := Train(context.Background(), changed, Hooks{})
	if err == nil || !strings.Contains(err.Error(), "gamma") || !strings.Contains(err.Error(), "allow-changed-settings") {
		t.Fatalf("changed rerun: err = %v", err)
	}
	changed.AllowChanged = true
	tr, err := Train(context.Background(), changed, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Cfg.Mode != afsft.SFT || tr.Cfg.Gamma != 0.5 {
		t.Errorf("allowed rerun kept the old settings: %+v", tr.Cfg)
	}
	// progress.json with an impossible step count.
	for _, steps := range []int{-50, 100000000} {
		p := filepath.Join(ts.Out, "ckpt", "progress.json")
		if err := safetensors.WriteJSON(p, afsft.Progress{Steps: steps}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := afsft.Resume(filepath.Join(ts.Out, "ckpt")); err == nil {
			t.Errorf("progress with %d steps accepted", steps)
		}
	}
}

// TestNonFiniteWeightsRefused: a model folder holding a NaN weight does
// not load (it would play and be trained on garbage).
func TestNonFiniteWeightsRefused(t *testing.T) {
	spec := FastDemo("numberline", t.TempDir())
	m, _, err := BuildBase(context.Background(), spec.Base, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		m.Params()[3].T.Data[0] = v
		dir := filepath.Join(t.TempDir(), "m")
		if err := model.Save(dir, m); err != nil {
			t.Fatal(err)
		}
		if _, err := model.Load(dir); err == nil || !strings.Contains(err.Error(), "non-finite") {
			t.Errorf("weight %v: err = %v", v, err)
		}
		os.RemoveAll(dir)
	}
}

// TestEvalKey: a stored evaluation is reused only for the same weights
// and the same evaluation settings.
func TestEvalKey(t *testing.T) {
	spec := FastDemo("numberline", t.TempDir())
	m, _, err := BuildBase(context.Background(), spec.Base, "")
	if err != nil {
		t.Fatal(err)
	}
	es := EvalSpec{Env: "numberline", Episodes: 10}
	k := EvalKey(m, es)
	if EvalKey(m, es) != k {
		t.Fatal("key not deterministic")
	}
	more := es
	more.Episodes = 20
	if EvalKey(m, more) == k {
		t.Error("other evaluation settings, same key")
	}
	m.Params()[0].T.Data[0] += 1e-3
	if EvalKey(m, es) == k {
		t.Error("other weights, same key")
	}
}

// TestKilledAfterAllowedChangeKeepsNewSettings: a run continued with
// --allow-changed-settings and killed before its next checkpoint has the
// new settings in spec.json but the old ones in the checkpoint; the rerun
// with the new flags must train with the new settings.
func TestKilledAfterAllowedChangeKeepsNewSettings(t *testing.T) {
	ts, _ := smallTrainSpec(t, t.TempDir(), afsft.Schedule{OfflineSteps: 4, CheckpointEvery: 2})
	if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
		t.Fatal(err)
	}
	changed := ts
	changed.Train.Gamma, changed.Schedule.OfflineSteps, changed.AllowChanged = 0.5, 8, true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Killed at step 5: the checkpoint (step 4) still holds gamma 0.9.
	_, err := Train(ctx, changed, Hooks{Step: func(int, int, afsft.Stats) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v", err)
	}
	changed.AllowChanged = false
	tr, err := Train(context.Background(), changed, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Cfg.Gamma != 0.5 || tr.Steps != 8 {
		t.Errorf("rerun trained to step %d with gamma %v, want 8 and 0.5", tr.Steps, tr.Cfg.Gamma)
	}
	back, _, err := afsft.Resume(filepath.Join(ts.Out, "ckpt"))
	if err != nil || back.Cfg.Gamma != 0.5 {
		t.Errorf("final checkpoint: %v, gamma %v", err, back.Cfg.Gamma)
	}
}
