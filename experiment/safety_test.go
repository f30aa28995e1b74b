package experiment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/dataset"
	"vlmq/jsonfile"
	"vlmq/metrics"
	"vlmq/vlm"
)

// smallTrainSpec pretrains FastDemo's tiny base into dir/base, collects its
// noisy dataset into dir/data and returns a train spec over them (output
// dir/run) with the given schedule, and the base's QA score.
func smallTrainSpec(t *testing.T, dir string, sc afsft.Schedule) (TrainSpec, QAScore) {
	t.Helper()
	spec := FastDemo("numberline", dir)
	base, rep, err := BuildBase(context.Background(), spec.Pretrain, "")
	if err != nil {
		t.Fatal(err)
	}
	baseDir := filepath.Join(dir, "base")
	if err := base.Save(baseDir); err != nil {
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
		TrainSettings: TrainSettings{Train: spec.Train, MaxReply: spec.MaxReply, Parallel: 2, Temperature: 1}, Schedule: sc}, rep.Score
}

// TestTrainRefusesChangedSettings: a finished run rerun with other flags
// is refused with the differences listed, and continues only when allowed.
// A damaged progress file is refused at resume.
func TestTrainRefusesChangedSettings(t *testing.T) {
	ts, _ := smallTrainSpec(t, t.TempDir(), afsft.Schedule{OfflineSteps: 4, CheckpointEvery: 2})
	if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
		t.Fatal(err)
	}
	// spec.json names the base the run started from.
	base, err := vlm.Load(ts.Base)
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(ts.Out, "spec.json")
	var stored TrainSpec
	if err := jsonfile.Read(specPath, &stored); err != nil {
		t.Fatal(err)
	}
	if want := (ModelRef{Path: ts.Base, ParamsSHA256: WeightsKey(base)}); stored.StartedFrom == nil || !reflect.DeepEqual(*stored.StartedFrom, want) {
		t.Errorf("spec.json started_from %+v, want %+v", stored.StartedFrom, want)
	}
	// A spec.json written before runs recorded it resumes as it did.
	stored.StartedFrom = nil
	if err := jsonfile.Write(specPath, stored); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
		t.Fatalf("rerun over a spec.json without started_from: %v", err)
	}
	changed := ts
	changed.Train.Mode, changed.Train.Gamma = afsft.SFT, 0.5
	_, err = Train(context.Background(), changed, Hooks{})
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
		if err := jsonfile.Write(p, afsft.Progress{Steps: steps}); err != nil {
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
	m, _, err := BuildBase(context.Background(), spec.Pretrain, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		m.Params()[3].T.Data[0] = v
		dir := filepath.Join(t.TempDir(), "m")
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := vlm.Load(dir); err == nil || !strings.Contains(err.Error(), "non-finite") {
			t.Errorf("weight %v: err = %v", v, err)
		}
		os.RemoveAll(dir)
	}
}

// TestEvalKey: a stored evaluation is reused only for the same weights
// and the same evaluation settings.
func TestEvalKey(t *testing.T) {
	spec := FastDemo("numberline", t.TempDir())
	m, _, err := BuildBase(context.Background(), spec.Pretrain, "")
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

// TestMetricRecordsOfStoredPhasesRestored: a run killed after storing an
// evaluation (or a round's episodes) but before its metrics log reached
// the disk skips that phase on the rerun; the rerun must still log the
// phase's record, once. Dropping the records from the log of a finished
// run and rerunning it stands for that kill.
func TestMetricRecordsOfStoredPhasesRestored(t *testing.T) {
	ts, _ := smallTrainSpec(t, t.TempDir(), afsft.Schedule{OfflineSteps: 4, OnlineRounds: 1, EpisodesPerRound: 3, StepsPerRound: 2, CheckpointEvery: 2})
	ts.EvalEpisodes = 2
	if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ts.Out, metrics.JSONLName)
	key := func(recs []metrics.Record) []string {
		var out []string
		for _, r := range recs {
			out = append(out, fmt.Sprintf("%d %s %v", r.Step, r.Phase, r.Values))
		}
		return out
	}
	whole, err := metrics.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The records of the last round: its collection (step 4) and its
	// evaluation (step 6, the checkpoint the rerun resumes at).
	var kept []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if !strings.Contains(line, `"phase":"eval"`) || !strings.Contains(line, `"step":6,`) {
			if !strings.Contains(line, `"phase":"collect"`) {
				kept = append(kept, line)
			}
		}
	}
	if len(kept) != len(whole)-2 {
		t.Fatalf("dropped %d records, want the round's collect and eval records", len(whole)-len(kept))
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for rerun := 0; rerun < 2; rerun++ { // the second rerun must add nothing
		if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := metrics.ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	count := func(recs []metrics.Record, phase string) int {
		n := 0
		for _, r := range recs {
			if r.Phase == phase {
				n++
			}
		}
		return n
	}
	for _, phase := range []string{"eval", "collect"} {
		if a, b := count(whole, phase), count(got, phase); a != b {
			t.Errorf("%d %s records after the reruns, the run logged %d", b, phase, a)
		}
	}
	// The restored ones carry the stored values (the order of records
	// logged at one step after a real kill is checked by the e2e test).
	sortStrings := func(s []string) []string { slices.Sort(s); return s }
	if a, b := sortStrings(key(whole)), sortStrings(key(got)); !slices.Equal(a, b) {
		t.Errorf("records after the reruns:\n%v\nthe run's:\n%v", b, a)
	}
}
