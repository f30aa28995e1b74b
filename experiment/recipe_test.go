package experiment

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/dataset"
	"vlmq/hfmodel/hftest"
	"vlmq/model/modeltest"
	"vlmq/vlm"
)

// TestTrainLayersRefusedBeforeWork: --train-layers above the base's
// decoder depth, on a model that cannot train its top layers alone, or
// beside LoRA is refused by train and demo before their folder is made.
func TestTrainLayersRefusedBeforeWork(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	small := filepath.Join(dir, "small") // a 2-layer decoder
	if err := modeltest.New(t, modeltest.Spec{Corpus: []string{"[action] + -"}, Seed: 1}).Save(small); err != nil {
		t.Fatal(err)
	}
	hf := filepath.Join(dir, "hf")
	if err := os.MkdirAll(hf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := hftest.Models[0].Write(hf, 1); err != nil {
		t.Fatal(err)
	}
	store, err := dataset.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	data := DataSpec{Env: "numberline", Source: SourceRandom, Episodes: 2, MaxReply: DefaultMaxReply}
	if err := CollectData(ctx, data, store, nil, nil); err != nil {
		t.Fatal(err)
	}
	store.Close()
	for _, c := range []struct {
		name, base string
		layers     int
		lora       vlm.LoRA
		want       string
	}{
		{"too many layers", small, 3, vlm.LoRA{}, "cannot train the top 3 layers of a decoder of 2"},
		{"Hugging Face model", hf, 1, vlm.LoRA{}, "cannot"},
		{"with LoRA", hf, 1, vlm.LoRA{Rank: 2}, "choose one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			ts := DefaultTrain("numberline")
			ts.Base, ts.Data, ts.Out, ts.LoRA = c.base, []string{store.Dir()}, out, c.lora
			ts.Schedule.OfflineSteps = 2
			ts.Train.TrainLayers = c.layers
			if _, err := Train(ctx, ts, Hooks{}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("train: err = %v, want %q", err, c.want)
			}
			if c.lora.Rank > 0 {
				return // a demo has no LoRA
			}
			d := DefaultDemo("numberline", filepath.Join(t.TempDir(), "demo"))
			d.BaseModel, d.Train.TrainLayers = c.base, c.layers
			if _, err := RunDemo(ctx, d, DemoHooks{}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("demo: err = %v, want %q", err, c.want)
			}
			for _, p := range []string{out, d.Out} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("a refused command left %s behind (%v)", p, err)
				}
			}
		})
	}
	// A demo pretraining its base knows the depth from the preset.
	d := FastDemo("numberline", filepath.Join(dir, "demo"))
	d.Train.TrainLayers = 3
	if err := d.Validate(); err == nil || !strings.Contains(err.Error(), "--train-layers 3") {
		t.Errorf("demo --base pretrain: err = %v", err)
	}
	d.Train.TrainLayers = 2
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
}
