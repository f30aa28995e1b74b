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

// TestQuestionType: questions that differ only in what they name share a
// type, and different skills keep theirs.
func TestQuestionType(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"Where is the red ball?", "Where is the C K?"},
		{"Where is the grey box?", "Where is the C K?"},
		{"What is at 2 ahead 1 left?", "What is at P?"},
		{"What is at 3 ahead?", "What is at P?"},
		{"What is at 2 right?", "What is at P?"},
		{"Is the door at 6 ahead 2 right open, closed or locked?", "Is the K at P open, closed or locked?"},
		{"Which way should you turn to face the blue key?", "Which way should you turn to face the C K?"},
		{"How many steps away is the purple door?", "How many steps away is the C K?"},
		{"Is 7 among the unused card values?", "Is N among the unused card values?"},
		{"What is the rank of card 3 from the left?", "What is the rank of card N from the left?"},
		{"What is the rank of the dealer's card 1 from the left?", "What is the rank of the dealer's card N from the left?"},
		{`Which element says "Submit"?`, "Which element says X?"},
		{"What should you type into #username?", "What should you type into X?"},
		{"Where is the centre of #7?", "Where is the centre of X?"},
		{"What does quote 2 of the instruction say?", "What does quote N of the instruction say?"},
		{"What is the target number?", "What is the target number?"},
	} {
		if got := QuestionType(tc.q); got != tc.want {
			t.Errorf("QuestionType(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
