package hfmodel

import (
	"math/rand"
	"testing"

	"vlmq/hfload"
	"vlmq/hfmodel/hftest"
	"vlmq/optim"
	"vlmq/tensor"
	"vlmq/vlm"
)

// BenchmarkTrainStep times forward+backward+AdamW on the tiny fixtures
// (batch of two); useful to compare families and catch regressions.
func BenchmarkTrainStep(b *testing.B) {
	for _, fam := range hfload.Families() {
		b.Run(string(fam), func(b *testing.B) {
			m := loadFixture(b, fam)
			batch := fixedBatch(m, rand.New(rand.NewSource(1)))
			ys := targetsOf(batch)
			params := nn_Tensors(m)
			opt := optim.NewAdamW(1e-3)
			tp := tensor.NewTape()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tp.Reset()
				optim.ZeroGrad(params)
				out, err := m.Forward(tp, batch)
				if err != nil {
					b.Fatal(err)
				}
				if err := tp.Backward(tp.CrossEntropy(out.Logits, ys, nil)); err != nil {
					b.Fatal(err)
				}
				opt.Step(params)
			}
		})
	}
}

// BenchmarkGenerate times greedy decoding of 12 tokens for 4 prompts of
// 100 tokens on hftest's trainable PaliGemma, with the KV cache and with
// the uncached reference (the decoder re-run per token).
func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	if err := hftest.WriteTrainable(dir, "paligemma", 1); err != nil {
		b.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	var gin []vlm.GenInput
	for i := 0; i < 4; i++ {
		p := make([]int, 100)
		for j := range p {
			p[j] = 4 + r.Intn(256)
		}
		gin = append(gin, vlm.GenInput{Image: randomImage(r, 32), Prompt: p})
	}
	for _, c := range []struct {
		name string
		gen  func([]vlm.GenInput, vlm.GenOpts) ([]vlm.GenOutput, error)
	}{{"cached", m.Generate}, {"uncached", m.generateUncached}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := c.gen(gin, vlm.GenOpts{MaxTokens: 12}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
