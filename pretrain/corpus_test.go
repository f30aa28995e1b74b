package pretrain

import (
	"strings"
	"testing"

	"vlmq/env"
)

func TestCollect(t *testing.T) {
	envs := []env.Env{&colourEnv{}, &leakyEnv{}, plainEnv{&colourEnv{}}}
	c, err := Collect(envs, CorpusOptions{Episodes: 5, MaxSteps: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.QA) == 0 || len(c.Text) == 0 {
		t.Fatalf("empty corpus: %d QA, %d text", len(c.QA), len(c.Text))
	}
	seen := map[string]bool{}
	captions := 0
	for _, qa := range c.QA {
		if strings.Contains(qa.Answer, env.DefaultMarker) {
			t.Errorf("action reply leaked into QA: %+v", qa)
		}
		if qa.Image == nil {
			t.Error("QA without image")
		}
		if qa.Question == CaptionQuestion {
			captions++
			continue
		}
		// The answer must be the colour actually shown.
		p := qa.Image.Pix
		want := ""
		for i, rgb := range colourRGB {
			if p[0] == rgb.R && p[1] == rgb.G && p[2] == rgb.B {
				want = colourNames[i]
			}
		}
		if qa.Answer != want {
			t.Errorf("answer %q for image showing %q", qa.Answer, want)
		}
		seen[qa.Answer] = true
	}
	if captions == 0 {
		t.Error("no caption questions")
	}
	if len(seen) < 3 {
		t.Errorf("random walks visited only colours %v", seen)
	}
	// Tokenizer text includes prompts and replies (for the vocabulary only).
	joined := strings.Join(c.Text, "\n")
	for _, want := range []string{"Goal: stop on the blue card", "[action] next", "What colour is the card?"} {
		if !strings.Contains(joined, want) {
			t.Errorf("tokenizer text lacks %q", want)
		}
	}
	// Same seed, same corpus.
	c2, _ := Collect([]env.Env{&colourEnv{}, &leakyEnv{}, plainEnv{&colourEnv{}}}, CorpusOptions{Episodes: 5, MaxSteps: 4, Seed: 1})
	if len(c2.QA) != len(c.QA) || strings.Join(c2.Text, "\n") != joined {
		t.Error("Collect is not deterministic for a fixed seed")
	}
}

func TestCollectNoCaptions(t *testing.T) {
	c, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 2, MaxSteps: 2, NoCaptions: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, qa := range c.QA {
		if qa.Question == CaptionQuestion {
			t.Fatal("caption present with NoCaptions")
		}
	}
}
