package pretrain

import (
	"testing"

	"vlmq/env"
	"vlmq/model"
)

// TestPretrainLearnsVisualFacts: after a short pretrain the base model
// answers the colour question (visible only in the image) well above the
// 25% chance level on held-out episodes, and it does not produce valid
// action replies, having never been trained on them.
func TestPretrainLearnsVisualFacts(t *testing.T) {
	train, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 30, MaxSteps: 6, Seed: 1, NoCaptions: true})
	if err != nil {
		t.Fatal(err)
	}
	test, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 10, MaxSteps: 3, Seed: 99, NoCaptions: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := TrainTokenizer(train, 340)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := model.Preset("tiny")
	m, err := model.New(cfg, tok, 1)
	if err != nil {
		t.Fatal(err)
	}
	before, err := Accuracy(m, test.QA, 32)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Pretrain(m, train.QA, Options{Steps: 120, BatchSize: 16, LR: 3e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(st.LastLoss < st.FirstLoss/3) {
		t.Errorf("loss %.3f -> %.3f", st.FirstLoss, st.LastLoss)
	}
	after, err := Accuracy(m, test.QA, 32)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accuracy before %.2f after %.2f on %d held-out questions (loss %.3f -> %.3f)", before, after, len(test.QA), st.FirstLoss, st.LastLoss)
	if after < 0.6 {
		t.Errorf("accuracy %.2f after pretraining, want >= 0.6 (chance 0.25)", after)
	}

	// Prompted for an action, the base model does not speak the syntax.
	e := &colourEnv{}
	valid := 0
	const n = 16
	var batch []model.GenInput
	for i := 0; i < n; i++ {
		obs, _ := e.Reset(int64(i))
		batch = append(batch, model.GenInput{Image: obs.Image, Prompt: tok.Encode(env.Prompt(e.Task(), obs, e.Syntax()))})
	}
	out, err := m.Generate(batch, model.GenOpts{MaxTokens: 12, StopAtEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if _, ok := e.Syntax().Choose(o.Text, []string{"next", "stop"}); ok {
			valid++
		}
	}
	t.Logf("valid action replies before RL: %d/%d (e.g. %q)", valid, n, out[0].Text)
	if valid > n/4 {
		t.Errorf("%d/%d replies already valid; the base model should not know the action syntax", valid, n)
	}
}

func TestPretrainRejectsActionAnswers(t *testing.T) {
	c, _ := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 1, MaxSteps: 1})
	tok, _ := TrainTokenizer(c, 300)
	cfg, _ := model.Preset("tiny")
	m, _ := model.New(cfg, tok, 1)
	bad := []QAExample{{Image: c.QA[0].Image, Question: "What now?", Answer: "[action] next"}}
	if _, err := Pretrain(m, bad, Options{Steps: 1}); err == nil {
		t.Error("Pretrain accepted an action reply as an answer")
	}
	if _, err := Pretrain(m, nil, Options{Steps: 1}); err == nil {
		t.Error("Pretrain accepted no examples")
	}
}
