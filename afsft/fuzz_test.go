package afsft

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/model/modeltest"
)

// FuzzResume feeds arbitrary progress.json and train.json files to Resume
// in an otherwise sound checkpoint (a tiny model trained 3 steps). Resume
// fails with an error, or returns a trainer whose steps are the progress's,
// within what the optimiser took, at a round >= 0, with the stored
// settings, which are valid; resuming the same files twice gives the same
// result. Seeds: the files Checkpoint wrote, and the damaged progress
// files of issue 16 (steps -50 and 100000000).
//
// Longer: go test -run '^$' -fuzz=FuzzResume -fuzztime=5m ./afsft
func FuzzResume(f *testing.F) {
	m := modeltest.New(f, modeltest.Spec{Corpus: []string{"choose: [action] good [action] bad"}, Seed: 7})
	tok, mc := m.Tok, m.Cfg
	img := image.NewRGBA(image.Rect(0, 0, mc.ImageSize, mc.ImageSize))
	reply := append(tok.Encode(" [action] good"), tok.EOSID())
	samples := []*Sample{{Image: img, Prompt: tok.Encode("choose:"), Reply: reply, Reward: 1, Done: true}}
	tr, err := NewTrainer(m, DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	if err := tr.Train(context.Background(), samples, 3, nil, 0, nil); err != nil {
		f.Fatal(err)
	}
	dir := filepath.Join(f.TempDir(), "ckpt")
	if err := tr.Checkpoint(dir, Progress{Round: 1}); err != nil {
		f.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	prog, cfg := read("progress.json"), read("train.json")
	f.Add(prog, cfg)
	f.Add([]byte(`{"steps": -50}`), cfg)
	f.Add([]byte(`{"steps": 100000000}`), cfg)
	f.Add([]byte(`{"steps": 3, "round": -1}`), cfg)
	f.Add(prog, bytes.Replace(cfg, []byte(`"binary"`), []byte(`"bogus"`), 1))
	f.Add(prog, []byte(`{}`))
	f.Add([]byte(``), cfg)

	f.Fuzz(func(t *testing.T, progress, train []byte) {
		if err := os.WriteFile(filepath.Join(dir, "progress.json"), progress, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "train.json"), train, 0o644); err != nil {
			t.Fatal(err)
		}
		got, p, err := Resume(dir)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "afsft:") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if p.Steps < 0 || p.Steps > got.Opt.StepCount() || p.Round < 0 || got.Steps != p.Steps {
			t.Fatalf("resumed progress %+v, trainer at step %d, optimiser %d", p, got.Steps, got.Opt.StepCount())
		}
		if err := got.Cfg.Validate(); err != nil {
			t.Fatalf("resumed with invalid settings: %v", err)
		}
		var stored Config
		if err := json.Unmarshal(train, &stored); err != nil || got.Cfg != stored {
			t.Fatalf("resumed settings %+v, train.json says %+v (%v)", got.Cfg, stored, err)
		}
		again, p2, err := Resume(dir)
		if err != nil || p2 != p || again.Cfg != got.Cfg || again.Steps != got.Steps {
			t.Fatalf("second resume: %+v %v, first %+v", p2, err, p)
		}
	})
}
