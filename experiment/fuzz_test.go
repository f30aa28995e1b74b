package experiment

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/jsonfile"
	"vlmq/model/modeltest"
	"vlmq/optim"
	"vlmq/tensor"
)

// FuzzSpecJSON feeds arbitrary bytes as a stored spec.json, read the way a
// resumed train (TrainSpec) or pretraining checkpoint (BaseSpec) reads it.
// Decoding and Validate never panic; a decoded spec writes and reads back
// to itself; specDiff finds no difference between a spec and itself, and
// finds one against a reference spec exactly when their JSON differs.
// Seeds: the specs a train run and FastDemo's base write, and edits.
//
// Longer: go test -run '^$' -fuzz=FuzzSpecJSON -fuzztime=5m ./experiment
func FuzzSpecJSON(f *testing.F) {
	ts := TrainSpec{Env: "numberline", Data: []string{"data/nl"}, Out: "runs/x", TrainSettings: TrainSettings{Train: afsft.DefaultConfig(), MaxReply: 12, Parallel: 2, Temperature: 1},
		Schedule: afsft.Schedule{OfflineSteps: 6, OnlineRounds: 2, EpisodesPerRound: 6, StepsPerRound: 4, CheckpointEvery: 2}}
	bs := FastDemo("numberline", "").Pretrain
	tj, _ := json.MarshalIndent(ts, "", "  ")
	bj, _ := json.MarshalIndent(bs, "", "  ")
	f.Add(tj)
	f.Add(bj)
	f.Add(bytes.Replace(tj, []byte(`"numberline"`), []byte(`"bogus"`), 1))
	f.Add(bytes.Replace(tj, []byte(`"gamma": 0.9`), []byte(`"gamma": 1e400`), 1))
	f.Add([]byte(`{"schedule": {"online_rounds": 100000000, "episodes_per_round": 100000000}}`))
	f.Add([]byte(`{"steps": -5, "lr": 0, "batch": 0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr TrainSpec
		if err := jsonfile.Decode(data, &tr, false); err == nil {
			_ = tr.Validate()
			checkSpecJSON(t, &tr, ts)
		}
		var b BaseSpec
		if err := jsonfile.Decode(data, &b, false); err == nil {
			_ = b.Validate()
			checkSpecJSON(t, &b, bs)
		}
	})
}

// checkSpecJSON asserts the round trip and specDiff properties of a
// decoded spec (a pointer) against a reference spec.
func checkSpecJSON[S any](t *testing.T, s *S, ref S) {
	t.Helper()
	if d := specDiff(*s, *s); d != "" {
		t.Fatalf("a spec differs from itself: %s", d)
	}
	b, err := json.Marshal(*s)
	if err != nil {
		t.Fatalf("a decoded spec does not encode: %v", err)
	}
	var back S
	if err := jsonfile.Decode(b, &back, false); err != nil || !reflect.DeepEqual(back, *s) {
		t.Fatalf("spec %s reads back as %+v, %v", b, back, err)
	}
	rb, _ := json.Marshal(ref)
	if d := specDiff(*s, ref); (d == "") != bytes.Equal(b, rb) {
		t.Fatalf("specDiff %q for specs\n%s\n%s", d, b, rb)
	}
}

// FuzzBaseCheckpoint feeds arbitrary spec.json and progress.json files to
// the pretraining resume (loadBaseCheckpoint) in an otherwise sound
// checkpoint. It fails with an error, or resumes a checkpoint made with
// the same settings, at a step in [1, steps], with a finite training time
// >= 0 and the optimiser at that step. Seeds: the files the checkpoint
// wrote, and issue 16's damaged progress (steps -50 and 100000000).
//
// Longer: go test -run '^$' -fuzz=FuzzBaseCheckpoint -fuzztime=5m ./experiment
func FuzzBaseCheckpoint(f *testing.F) {
	s := FastDemo("numberline", "").Pretrain
	m := modeltest.New(f, modeltest.Spec{Corpus: []string{"What is the target number? 3", "Current: 1"}, Preset: s.Preset, Seed: 1})
	// One optimiser step (on zero gradients), as after pretraining step 1.
	opt := optim.NewAdamW(float32(s.LR))
	var params []*tensor.Tensor
	for _, p := range append(m.TrunkParams(), m.LMParams()...) {
		p.T.Grad = make([]float32, len(p.T.Data))
		params = append(params, p.T)
	}
	opt.Step(params)
	dir := filepath.Join(f.TempDir(), "base.ckpt")
	if err := saveBaseCheckpoint(dir, s, m, opt, baseProgress{Steps: 1, TrainSecond: 1.5}); err != nil {
		f.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	spec, prog := read("spec.json"), read("progress.json")
	f.Add(spec, prog)
	// Regression: progress ahead of the optimiser was accepted.
	f.Add(spec, []byte(`{"steps": 2, "train_seconds": 2}`))
	f.Add(spec, []byte(`{"steps": -50}`))
	f.Add(spec, []byte(`{"steps": 100000000}`))
	f.Add(bytes.Replace(spec, []byte(`"tiny"`), []byte(`"small"`), 1), prog)
	f.Add([]byte(`{}`), prog)
	f.Fuzz(func(t *testing.T, specData, progData []byte) {
		if err := os.WriteFile(filepath.Join(dir, "spec.json"), specData, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "progress.json"), progData, 0o644); err != nil {
			t.Fatal(err)
		}
		got, o, p, err := loadBaseCheckpoint(dir, s)
		if err != nil {
			if !strings.Contains(err.Error(), "experiment:") && !strings.Contains(err.Error(), "model:") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if got == nil || o == nil {
			t.Fatal("resumed without a model or optimiser")
		}
		if p.Steps < 1 || p.Steps > s.Steps || !(p.TrainSecond >= 0) || math.IsInf(p.TrainSecond, 0) || o.StepCount() != p.Steps {
			t.Fatalf("resumed at %+v of %d steps, optimiser at %d", p, s.Steps, o.StepCount())
		}
		var stored BaseSpec
		if err := jsonfile.Decode(specData, &stored, false); err != nil || specDiff(stored, s) != "" {
			t.Fatalf("resumed a checkpoint whose spec differs: %v %s", err, specDiff(stored, s))
		}
	})
}
