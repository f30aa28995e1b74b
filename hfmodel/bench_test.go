package hfmodel

import (
	"math/rand"
	"testing"

	"vlmq/hfload"
	"vlmq/optim"
	"vlmq/tensor"
	"vlmq/vlm"
)

// BenchmarkTrainStep times forward+backward+AdamW on the tiny fixtures
// (batch of two); useful to compare families and catch regressions.
func BenchmarkTrainStep(b *testing.B) {
	for _, fam := range hfload.Families {
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

// BenchmarkGenerate times greedy decoding of 8 tokens (uncached decoder).
func BenchmarkGenerate(b *testing.B) {
	m := loadFixture(b, hfload.Moondream)
	img := randomImage(rand.New(rand.NewSource(1)), 16)
	for i := 0; i < b.N; i++ {
		if _, err := m.Generate([]vlm.GenInput{{Image: img, Prompt: []int{1, 2, 3}}}, vlm.GenOpts{MaxTokens: 8}); err != nil {
			b.Fatal(err)
		}
	}
}
