package hfmodel

import (
	"math"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/vlm"
)

// bf16Configs are the fixtures of every variant stored in bfloat16.
func bf16Configs() map[string]string {
	out := map[string]string{}
	for name, raw := range configs {
		if !strings.Contains(raw, `"torch_dtype"`) {
			raw = strings.Replace(raw, `{`, `{"torch_dtype": "bfloat16", `, 1)
		}
		out[name] = raw
	}
	return out
}

// TestFrozenTrunkHalf: with FreezeTrunk the bf16 matrices stay in 16 bits
// (about half the trunk's bytes), the outputs, critic gradients and
// generated tokens are those of the float32 model, only the critics are
// trainable, a clone shares the frozen trunk, and Save writes the 16-bit
// tensors back unchanged.
func TestFrozenTrunkHalf(t *testing.T) {
	for name, raw := range bf16Configs() {
		t.Run(name, func(t *testing.T) {
			dir := writeCheckpointConfig(t, raw, 3)
			full, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := LoadWith(dir, Options{FreezeTrunk: true})
			if err != nil {
				t.Fatal(err)
			}
			halfBytes, fullBytes, halves := 0, 0, 0
			for _, p := range m.TrunkParams() {
				if p.T.RequiresGrad() {
					t.Errorf("frozen %s requires grad", p.Name)
				}
				fullBytes += 4 * p.T.Size()
				if p.T.IsHalf() {
					halfBytes += 2 * p.T.Size()
					halves++
				} else {
					halfBytes += 4 * p.T.Size()
				}
			}
			if ratio := float64(halfBytes) / float64(fullBytes); halves == 0 || ratio > 0.6 {
				t.Errorf("%d 16-bit tensors, trunk %d bytes vs %d in float32 (ratio %.2f)", halves, halfBytes, fullBytes, ratio)
			}
			if tr := m.Trainable(); len(tr) != 4 || tr[0].Name != q1W {
				t.Errorf("Trainable = %d params starting %s, want the 4 critic tensors", len(tr), tr[0].Name)
			}
			batch := fixedBatch(m, rand.New(rand.NewSource(1)))
			for i := range batch {
				batch[i].Image = randomImage(rand.New(rand.NewSource(int64(i))), m.Cfg.Vision.ImageSize)
			}
			var outs [2]vlm.Output
			var grads [2][]float32
			for i, mm := range []*Model{full, m} {
				tp := tensor.NewTape()
				out, err := mm.Forward(tp, batch)
				if err != nil {
					t.Fatal(err)
				}
				if err := tp.Backward(tp.Add(tp.Sum(tp.Mul(out.Q1, out.Q1)), tp.Sum(out.Logits))); err != nil {
					t.Fatal(err)
				}
				outs[i], grads[i] = out, slices.Clone(mm.W(q1W).Grad)
			}
			for what, p := range map[string][2][]float32{
				"logits":  {outs[0].Logits.Data, outs[1].Logits.Data},
				"q2":      {outs[0].Q2.Data, outs[1].Q2.Data},
				"q1 grad": {grads[0], grads[1]},
			} {
				for i := range p[0] {
					if d := math.Abs(float64(p[0][i] - p[1][i])); d > 1e-4*(1+math.Abs(float64(p[0][i]))) {
						t.Fatalf("%s[%d]: float32 %v, 16-bit %v", what, i, p[0][i], p[1][i])
					}
				}
			}
			gin := []vlm.GenInput{{Image: batch[0].Image, Prompt: []int{1, 2, 3}}, {Image: batch[1].Image}}
			g0, err := full.Generate(gin, vlm.GenOpts{MaxTokens: 5})
			if err != nil {
				t.Fatal(err)
			}
			g1, err := m.Generate(gin, vlm.GenOpts{MaxTokens: 5})
			if err != nil {
				t.Fatal(err)
			}
			for i := range g0 {
				if !slices.Equal(g0[i].Tokens, g1[i].Tokens) {
					t.Errorf("generation %d: float32 %v, 16-bit %v", i, g0[i].Tokens, g1[i].Tokens)
				}
			}
			cl := m.clone()
			for _, p := range m.TrunkParams() {
				if cl.W(p.Name) != p.T {
					t.Fatalf("clone copied frozen %s", p.Name)
				}
			}
			if cl.W(q1W) == m.W(q1W) {
				t.Fatal("clone shares the critic")
			}
			out := filepath.Join(t.TempDir(), "saved")
			if err := m.Save(out); err != nil {
				t.Fatal(err)
			}
			a, err := safetensors.Read(filepath.Join(dir, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := safetensors.Read(filepath.Join(out, WeightsFile))
			if err != nil {
				t.Fatal(err)
			}
			for n, ta := range a.Tensors {
				tb, ok := b.Tensors[n]
				if !ok {
					if !strings.Contains(n, "lm_head") && !strings.Contains(n, ".head.") {
						t.Errorf("saved folder lacks %s", n)
					}
					continue
				}
				// 16-bit weights go back byte for byte; the small float32
				// ones (norms, biases) keep their values.
				if tb.DType != safetensors.F32 {
					if ta.DType != tb.DType || !slices.Equal(ta.Data, tb.Data) {
						t.Errorf("%s: saved as %s (%d bytes), read as %s (%d bytes)", n, tb.DType, len(tb.Data), ta.DType, len(ta.Data))
					}
					continue
				}
				va, _ := ta.Float32s()
				vb, _ := tb.Float32s()
				if !slices.Equal(va, vb) {
					t.Errorf("%s: saved values differ", n)
				}
			}
		})
	}
}

// TestRandomBench: Random builds every family (and PaliGemma 2) from its
// config alone, with the same tensors as a checkpoint of that config, and
// Bench runs on it.
func TestRandomBench(t *testing.T) {
	for name, raw := range bf16Configs() {
		t.Run(name, func(t *testing.T) {
			m, err := Random([]byte(raw), 1, Options{FreezeTrunk: true})
			if err != nil {
				t.Fatal(err)
			}
			ref, err := Load(writeCheckpointConfig(t, raw, 1))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Keys(), ref.Keys()) || m.NumParams() != ref.NumParams() {
				t.Fatalf("Random: %d params %v\ncheckpoint: %d params %v", m.NumParams(), m.Keys(), ref.NumParams(), ref.Keys())
			}
			res, err := m.Bench(BenchOpts{Text: 3, Gen: 2, Seed: 1, Layers: 1})
			if err != nil {
				t.Fatal(err)
			}
			// (Decode is a difference of two timings: noise at this size.)
			if res.Forward <= 0 || res.Backward <= 0 || res.Prefill <= 0 || res.Positions != m.TextOffset()+3 || res.PeakRSS == 0 {
				t.Errorf("bench %+v", res)
			}
		})
	}
	if _, err := Random([]byte(`{"model_type": "paligemma", "text_config": {"model_type": "llama"}}`), 1, Options{}); err == nil {
		t.Error("Random accepted a llama text config")
	}
}
