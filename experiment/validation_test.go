package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"vlmq/afsft"
	"vlmq/jsonfile"
	"vlmq/vlm"
)

// TestTrainValidationKeepsBest: --val-every plays validation seeds at its
// steps, keeps the best step's weights in <out>/best, and the offline
// evaluation measures that model; a run cancelled inside a validation
// resumes to exactly the files of an uninterrupted one.
func TestTrainValidationKeepsBest(t *testing.T) {
	dir := t.TempDir()
	ts, _ := smallTrainSpec(t, dir, afsft.Schedule{OfflineSteps: 6})
	ts.ValEvery, ts.ValEpisodes, ts.EvalEpisodes = 2, 3, 2

	whole := ts
	whole.Out = filepath.Join(dir, "whole")
	if _, err := Train(context.Background(), whole, Hooks{}); err != nil {
		t.Fatal(err)
	}
	var vals []Result
	for s := 2; s <= 6; s += 2 {
		var r Result
		if err := jsonfile.Read(filepath.Join(whole.Out, "evals", fmt.Sprintf("val-%d.json", s)), &r); err != nil {
			t.Fatal(err)
		}
		if r.Step != s || r.Summary.Episodes != 3 {
			t.Errorf("validation file of step %d says step %d, %d episodes", s, r.Step, r.Summary.Episodes)
		}
		vals = append(vals, r)
	}
	want := vals[0]
	for _, r := range vals[1:] {
		if better(r.Summary, want.Summary) {
			want = r
		}
	}
	var b bestStep
	if err := jsonfile.Read(filepath.Join(whole.Out, "best.json"), &b); err != nil {
		t.Fatal(err)
	}
	if b.Step != want.Step {
		t.Errorf("best step %d, want %d", b.Step, want.Step)
	}
	var off Result
	if err := jsonfile.Read(filepath.Join(whole.Out, "evals", "offline.json"), &off); err != nil {
		t.Fatal(err)
	}
	if off.Model != filepath.Join(whole.Out, "best") || BestModel(whole.Out) != off.Model {
		t.Errorf("offline evaluation of %s (best model %s), want %s/best", off.Model, BestModel(whole.Out), whole.Out)
	}
	if off.ModelStep != b.Step || off.Step != whole.Schedule.OfflineSteps {
		t.Errorf("offline evaluation at step %d of the weights of step %d, want %d of %d", off.Step, off.ModelStep, whole.Schedule.OfflineSteps, b.Step)
	}
	best, err := vlm.Load(BestModel(whole.Out))
	if err != nil {
		t.Fatal(err)
	}
	last, err := vlm.Load(FinalModel(whole.Out))
	if err != nil {
		t.Fatal(err)
	}
	if same := sameParams(best, last); same != (b.Step == 6) {
		t.Errorf("best step %d, yet its weights equal the last step's: %v", b.Step, same)
	}
	// The validation seeds are not the evaluation's.
	es := EvalSpec{Episodes: 3, Validation: true}
	for i := range 3 {
		if s := es.seed(i); s == EvalSeed(i) || s < ValSeedBase {
			t.Errorf("validation episode %d plays seed %d", i, s)
		}
	}

	// Cancelled while validating step 4 (the step hook at step 4 cancels;
	// the checkpoint and validation of that step follow in the same call).
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Train(ctx, ts, Hooks{Step: func(step, _ int, _ afsft.Stats) {
		if step == 4 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run ended with %v", err)
	}
	if _, err := os.Stat(filepath.Join(ts.Out, "evals", "val-4.json")); err == nil {
		t.Fatal("the cancelled validation left its file")
	}
	if _, err := Train(context.Background(), ts, Hooks{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"best.json", "best.safetensors", "evals/val-2.json", "evals/val-4.json", "evals/val-6.json", "best/model.safetensors"} {
		a, errA := os.ReadFile(filepath.Join(whole.Out, f))
		c, errC := os.ReadFile(filepath.Join(ts.Out, f))
		if errA != nil || errC != nil || (!bytes.Equal(a, c) && filepath.Ext(f) != ".json") {
			t.Errorf("%s differs after the resume (%v, %v)", f, errA, errC)
		}
	}
	var b2 bestStep
	if err := jsonfile.Read(filepath.Join(ts.Out, "best.json"), &b2); err != nil || !reflect.DeepEqual(b2, b) {
		t.Errorf("resumed run's best %+v (%v), uninterrupted %+v", b2, err, b)
	}
}

func sameParams(a, b vlm.Model) bool {
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		for j := range pa[i].T.Data {
			if pa[i].T.Data[j] != pb[i].T.Data[j] {
				return false
			}
		}
	}
	return true
}

func TestTrainValidationSettings(t *testing.T) {
	base := TrainSpec{Env: "numberline", Out: "x", TrainSettings: TrainSettings{Train: afsft.DefaultConfig()}, Schedule: afsft.Schedule{OfflineSteps: 10}}
	cases := []struct {
		every, episodes int
		err             string
	}{
		{0, 0, ""},
		{5, 10, ""},
		{5, 0, "set both, or neither"},
		{0, 10, "set both, or neither"},
		{-1, 10, "set both, or neither"},
		{20, 10, "more than the 10 offline steps"},
	}
	for _, c := range cases {
		s := base
		s.ValEvery, s.ValEpisodes = c.every, c.episodes
		err := s.Validate()
		if (c.err == "") != (err == nil) || (err != nil && !bytes.Contains([]byte(err.Error()), []byte(c.err))) {
			t.Errorf("every %d episodes %d: %v, want %q", c.every, c.episodes, err, c.err)
		}
	}
}
