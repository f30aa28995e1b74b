package afsft

import (
	"image"
	"testing"

	"vlmq/env"
	"vlmq/env/cards"
	"vlmq/model/modeltest"
	"vlmq/vlm"
)

// BenchmarkStep times one AFSFT gradient step (online forward+backward,
// target and bootstrap forwards, AdamW, Polyak) on NumberLine turns with
// the default "small" model and batch.
func BenchmarkStep(b *testing.B) {
	e, err := cards.New("numberline", cards.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var corpus []string
	var obs []env.Observation
	for s := int64(0); s < 50; s++ {
		o, err := e.Reset(s)
		if err != nil {
			b.Fatal(err)
		}
		corpus = append(corpus, env.Prompt(e.Task(), o, e.Syntax()), "[action] +", "[action] -")
		obs = append(obs, o)
	}
	m := modeltest.New(b, modeltest.Spec{Corpus: corpus, Vocab: 768, Preset: "small", Seed: 1})
	tok, cfg := m.Tok, m.Cfg
	tc := DefaultConfig()
	var samples []*Sample
	for i, o := range obs {
		s := &Sample{Image: mustDownscale(o.Image, cfg.ImageSize), Prompt: tok.Encode(corpus[3*i]),
			Reply: append(tok.Encode("[action] +"), tok.EOSID()), Done: i%2 == 1}
		if len(samples) > 0 && !samples[len(samples)-1].Done {
			samples[len(samples)-1].Next = s
		}
		samples = append(samples, s)
	}
	b.Logf("prompt tokens %d, reply tokens %d, visual tokens %d", len(samples[0].Prompt), len(samples[0].Reply), cfg.Patches())
	tr, err := NewTrainer(m, tc)
	if err != nil {
		b.Fatal(err)
	}
	batch := samples[:tc.Batch]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
}

func mustDownscale(im *image.RGBA, size int) *image.RGBA {
	out, err := vlm.Downscale(im, size)
	if err != nil {
		panic(err)
	}
	return out
}
