package afsft

import (
	"context"
	"image"
	"math"
	"testing"

	"vlmq/model"
	"vlmq/tokenizer"
)

// TestLearnsStateConditionalChoice: the right reply depends on a digit in
// the prompt; SFT on the right replies must learn it.
func TestLearnsStateConditionalChoice(t *testing.T) {
	var corpus []string
	for d := 0; d < 6; d++ {
		corpus = append(corpus, "Goal: move. Observation: Target: 3, Current: "+string(rune('0'+d))+"\nReply:", " [action] +", " [action] -")
	}
	tok, err := tokenizer.Train(corpus, 300, tokenizer.DefaultSpecial)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := model.Preset("tiny")
	m, err := model.New(cfg, tok, 3)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, cfg.ImageSize, cfg.ImageSize))
	plus := append(tok.Encode(" [action] +"), tok.EOSID())
	minus := append(tok.Encode(" [action] -"), tok.EOSID())
	var samples []*Sample
	wrong := map[*Sample][]int{}
	for d := 0; d < 6; d++ {
		if d == 3 {
			continue
		}
		r, w := plus, minus
		if d > 3 {
			r, w = minus, plus
		}
		s := &Sample{Image: img, Prompt: tok.Encode(corpus[3*d]), Reply: r, Reward: 1, Done: true}
		samples = append(samples, s)
		wrong[s] = w
	}
	c := DefaultConfig()
	c.Mode, c.Batch, c.LR = SFT, 5, 3e-3
	tr, err := NewTrainer(m, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), samples, 150, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		gap := logProb(t, m, s, s.Reply) - logProb(t, m, s, wrong[s])
		if math.IsNaN(gap) || gap < 1 {
			t.Errorf("prompt %q: log-prob gap of the right reply %.2f", tok.DecodeText(s.Prompt), gap)
		}
	}
}
