package experiment

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vlmq/afsft"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/hfmodel/hftest"
	"vlmq/models"
	"vlmq/vlm"
)

// wellFormed is the share of turns whose reply is a NumberLine action in
// the env's syntax ("[action] +" or "[action] -"), legal in that state or
// not (metrics' syntax accuracy also counts illegal moves as invalid).
func wellFormed(eps []dataset.Episode) float64 {
	n, ok := 0, 0
	for _, ep := range eps {
		for _, t := range ep.Turns {
			n++
			if _, valid := env.DefaultSyntax().Choose(t.Reply, []string{"+", "-"}); valid {
				ok++
			}
		}
	}
	return float64(ok) / float64(max(n, 1))
}

// TestLoRALearnsSyntax: on a small random checkpoint of each Hugging Face
// family (and of PaliGemma 2's Gemma 2 decoder), offline AFSFT with LoRA adapters (trunk frozen, critics trained)
// on NumberLine noisy-expert data takes the share of well-formed replies
// from about 0 to at least 90% within 120 steps; the run's checkpoints are
// PEFT adapters, and a rerun resumes from them.
func TestLoRALearnsSyntax(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	store, err := dataset.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	ds := DataSpec{Env: "numberline", Source: SourceNoisyExpert, Episodes: 40, PRandom: 0.2, PWrong: 0.4, PInvalid: 0.25, Seed: 1, Chunk: 40}
	if err := CollectData(ctx, ds, store, nil, nil); err != nil {
		t.Fatal(err)
	}
	store.Close()
	// The shipped base's tokenizer (its specials are <pad> 0, <eos> 1,
	// <bos> 2, as hftest's configs say): NumberLine prompts of about 70
	// tokens rather than 300 bytes.
	shipped, err := models.Default()
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := shipped.Tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	tokJSON, err := os.ReadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	es := EvalSpec{Env: "numberline", Episodes: 8, Parallel: 8, MaxReply: 12}
	for _, hm := range hftest.Models {
		t.Run(hm.Name, func(t *testing.T) {
			base := t.TempDir()
			if err := hm.WriteTokenizer(base, 1, tokJSON, shipped.Tok.VocabSize()); err != nil {
				t.Fatal(err)
			}
			m, err := models.Load(base)
			if err != nil {
				t.Fatal(err)
			}
			_, eps, err := Evaluate(ctx, m, es, nil)
			if err != nil {
				t.Fatal(err)
			}
			before := wellFormed(eps)
			cfg := afsft.DefaultConfig()
			cfg.LR, cfg.SFTWarmup = 2e-3, 40
			spec := TrainSpec{Env: "numberline", Base: base, Data: []string{data}, Out: filepath.Join(t.TempDir(), "run"), TrainSettings: TrainSettings{Train: cfg, MaxReply: 12, Parallel: 8},
				Schedule: afsft.Schedule{OfflineSteps: 100, CheckpointEvery: 50},
				LoRA:     vlm.LoRA{Rank: 16, Alpha: 32}}
			start := time.Now()
			if _, err := Train(ctx, spec, Hooks{}); err != nil {
				t.Fatal(err)
			}
			// A rerun with more steps resumes the adapter checkpoint.
			spec.Schedule.OfflineSteps = 120
			spec.AllowChanged = true
			resumed := 0
			tr, err := Train(ctx, spec, Hooks{Step: func(int, int, afsft.Stats) { resumed++ }})
			if err != nil {
				t.Fatal(err)
			}
			if resumed != 20 {
				t.Errorf("the rerun took %d steps, want the 20 after the checkpoint", resumed)
			}
			if _, err := os.Stat(filepath.Join(spec.ckpt(), "model", "adapter_model.safetensors")); err != nil {
				t.Errorf("the checkpoint is not a PEFT adapter: %v", err)
			}
			sum, eps, err := Evaluate(ctx, tr.Model, es, nil)
			if err != nil {
				t.Fatal(err)
			}
			after := wellFormed(eps)
			t.Logf("%s: well-formed replies %.0f%% before, %.0f%% after %d LoRA steps (legal %.0f%%, success %.0f%%; %.1fs)",
				hm.Name, 100*before, 100*after, tr.Steps, 100*sum.SyntaxAccuracy.Value, 100*sum.SuccessRate.Value, time.Since(start).Seconds())
			if tr.Steps != 120 || before > 0.1 || after < 0.9 {
				t.Errorf("%d steps; well-formed replies %.2f before, %.2f after, want 120 steps, <= 0.1 and >= 0.9", tr.Steps, before, after)
			}
		})
	}
}
