package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/experiment"
	"vlmq/hfmodel"
	"vlmq/hfmodel/hftest"
	"vlmq/models"
)

// TestTrainHFLoRA drives `vlmq train --base <HF folder> --lora-rank 8` on a
// tiny random bfloat16 checkpoint of each Hugging Face family (and
// PaliGemma 2) through offline AFSFT and one online NumberLine round, evaluates the
// result with `vlmq eval`, and reruns with a second round, which resumes
// from the adapter checkpoint instead of starting over. It checks the
// plumbing end to end (flags, HF base, PEFT checkpoints, online
// collection with the adapted model, resume), not learning: that is
// experiment's TestLoRALearnsSyntax.
func TestTrainHFLoRA(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, err := run("collect", "--env", "numberline", "--source", "noisy-expert", "--episodes", "8", "--out", data); err != nil {
		t.Fatal(err)
	}
	// The shipped base's tokenizer (<pad> 0, <eos> 1, <bos> 2, as hftest's
	// configs want): prompts of about 70 tokens instead of 300 bytes.
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
	for _, hm := range hftest.Models {
		t.Run(hm.Name, func(t *testing.T) {
			base, out := t.TempDir(), filepath.Join(t.TempDir(), "run")
			// In bfloat16, as released checkpoints are, so the frozen
			// trunk stays 16-bit through training, resume and eval.
			hm.Config = strings.Replace(hm.Config, "{", `{"torch_dtype": "bfloat16", `, 1)
			if err := hm.WriteTokenizer(base, 1, tokJSON, shipped.Tok.VocabSize()); err != nil {
				t.Fatal(err)
			}
			// 4 offline steps (a checkpoint every 2), then rounds of 2
			// episodes and 2 steps; small batches and replies keep it
			// to about a second a family.
			train := func(rounds int, extra ...string) string {
				t.Helper()
				args := append([]string{"train", "--base", base, "--lora-rank", "8", "--data", data, "--out", out,
					"--offline-steps", "4", "--checkpoint-every", "2", "--online-rounds", fmt.Sprint(rounds),
					"--episodes-per-round", "2", "--steps-per-round", "2", "--parallel", "2", "--batch", "8", "--max-reply", "8"}, extra...)
				o, err := run(args...)
				if err != nil {
					t.Fatalf("%v: %v\n%s", args, err, o)
				}
				return o
			}
			if o := train(1); !strings.Contains(o, "trained 6 steps") || !strings.Contains(o, "round 1: collecting 2 episodes") {
				t.Fatalf("first run: %s", o)
			}
			model := experiment.FinalModel(out)
			for _, f := range []string{hfmodel.AdapterWeightsFile, hfmodel.AdapterConfigFile, hfmodel.CriticFile} {
				if _, err := os.Stat(filepath.Join(model, f)); err != nil {
					t.Errorf("the final model is not a PEFT adapter: %v", err)
				}
			}
			o, err := run("eval", "--model", model, "--eval-episodes", "2", "--parallel", "2", "--max-reply", "8")
			if err != nil {
				t.Fatalf("eval: %v\n%s", err, o)
			}
			if !strings.Contains(o, "| "+model+" |") || !strings.Contains(o, "| 2 |") {
				t.Errorf("eval printed no row of 2 episodes for %s:\n%s", model, o)
			}
			o = train(2, "--allow-changed-settings")
			if !strings.Contains(o, "resumed at step 6") || !strings.Contains(o, "round 2: collecting") ||
				strings.Contains(o, "round 1:") || !strings.Contains(o, "trained 8 steps") {
				t.Errorf("the rerun did not resume after round 1:\n%s", o)
			}
		})
	}
}
