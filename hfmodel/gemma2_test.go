package hfmodel

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/hfload"
	"vlmq/tensor"
	"vlmq/vlm"
)

// TestPaliGemma2MatchesTorch compares the logits of the Gemma 2 decoder
// (the Tiny paligemma2 variant: a window shorter than its sequences, low
// caps) at every text position (a right-padded batch of two with different prompt
// lengths, with and without a tape) and the gradients of a random linear
// function of those logits for every checkpoint tensor with the float64
// PyTorch reference in testdata/reference.py.
func TestPaliGemma2MatchesTorch(t *testing.T) {
	haveTorch(t)
	dir := writeCheckpointConfig(t, configs["paligemma2"], 11)
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(4))
	lens, prompts := []int{6, 3}, []int{2, 3}
	var batch []vlm.Input
	var items []refItem
	var cot [][][]float64
	var cotFlat []float32
	for i, n := range lens {
		img := randomImage(r, m.Cfg.Vision.ImageSize)
		toks := make([]int, n)
		for j := range toks {
			toks[j] = r.Intn(m.Vocab)
		}
		tg := make([]int, n+1)
		for j := range tg {
			tg[j] = j
		}
		batch = append(batch, vlm.Input{Image: img, Tokens: toks, Targets: tg})
		it := refItem{Tokens: toks, PromptLen: prompts[i]}
		for p := 0; p < len(img.Pix); p += 4 {
			it.Image = append(it.Image, int(img.Pix[p]), int(img.Pix[p+1]), int(img.Pix[p+2]))
		}
		items = append(items, it)
		c := make([][]float64, n+1)
		for j := range c {
			c[j] = make([]float64, m.Vocab)
			for v := range c[j] {
				// Exactly representable in float32, so both sides use the
				// same cotangent.
				c[j][v] = float64(float32(r.NormFloat64()))
				cotFlat = append(cotFlat, float32(c[j][v]))
			}
		}
		cot = append(cot, c)
	}
	in := filepath.Join(t.TempDir(), "in.json")
	b, _ := json.Marshal(map[string]any{"items": items, "cotangent": cot})
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	outb, err := exec.Command(python, "testdata/reference.py", dir, in).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("reference failed: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var refs []struct {
		Logits [][][]float64
		Grads  map[string][]float64
	}
	if err := json.Unmarshal(outb, &refs); err != nil || len(refs) != 1 {
		t.Fatalf("reference output: %v (%d results)", err, len(refs))
	}
	ref := refs[0]
	var want []float64
	for _, it := range ref.Logits {
		for _, row := range it {
			want = append(want, row...)
		}
	}
	for _, tp := range []*tensor.Tape{nil, tensor.NewTape()} {
		out, err := m.ForwardPrompt(tp, batch, prompts)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Logits.Data) != len(want) {
			t.Fatalf("%d logits, reference %d", len(out.Logits.Data), len(want))
		}
		rel, maxAbs := relErr(out.Logits.Data, want)
		t.Logf("tape=%v logits: max |logit| %.3g (final cap %g), relative error %.3g", tp != nil, maxAbs, m.Cfg.Text.FinalSoftcap, rel)
		if rel > 1e-4 || math.IsNaN(rel) {
			t.Errorf("tape=%v: logits differ from the torch reference: relative error %.3g", tp != nil, rel)
		}
		if tp == nil {
			continue
		}
		c, _ := tensor.FromData(cotFlat, out.Logits.Shape...)
		if err := tp.Backward(tp.Sum(tp.Mul(out.Logits, c))); err != nil {
			t.Fatal(err)
		}
		// Tensors whose exact gradient is zero (the key biases: softmax
		// ignores a score shift shared by a row) are compared against
		// 1e-4 of the largest gradient anywhere instead of their own
		// rounding noise.
		global := 0.0
		for _, g := range ref.Grads {
			for _, v := range g {
				global = math.Max(global, math.Abs(v))
			}
		}
		checked, worst := 0, 0.0
		for _, p := range m.TrunkParams() {
			name := m.names[p.Name]
			g, ok := ref.Grads[name]
			if !ok {
				t.Errorf("reference has no gradient for %s (%s)", name, p.Name)
				continue
			}
			if p.T.Grad == nil || len(p.T.Grad) != len(g) {
				t.Errorf("%s: gradient of %d values, reference %d", p.Name, len(p.T.Grad), len(g))
				continue
			}
			rel, mx := relErr(p.T.Grad, g)
			if floor := 1e-4 * global; mx < floor {
				rel *= mx / floor
			}
			worst = math.Max(worst, rel)
			if rel > 1e-3 || math.IsNaN(rel) {
				t.Errorf("%s: gradient differs from the torch reference: relative error %.3g", name, rel)
			}
			checked++
		}
		t.Logf("gradients of %d tensors: worst relative error %.3g", checked, worst)
	}
}

// relErr is the largest absolute difference relative to the largest
// reference magnitude (and that magnitude).
func relErr(got []float32, want []float64) (rel, maxAbs float64) {
	maxErr := 0.0
	for i, w := range want {
		maxAbs = math.Max(maxAbs, math.Abs(w))
		maxErr = math.Max(maxErr, math.Abs(float64(got[i])-w))
	}
	return maxErr / maxAbs, maxAbs
}

// TestGemma2ConfigErrors: config.json values the Gemma 2 decoder cannot
// honour are refused with an error naming the key.
func TestGemma2ConfigErrors(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{`"query_pre_attn_scalar": 12`, `"query_pre_attn_scalar": 0`, "query_pre_attn_scalar"},
		{`"attn_logit_softcapping": 1.0`, `"attn_logit_softcapping": -1`, "attn_logit_softcapping"},
		{`"final_logit_softcapping": 5.0`, `"final_logit_softcapping": -2`, "final_logit_softcapping"},
		{`"sliding_window": 5`, `"sliding_window": -5`, "sliding_window"},
	} {
		raw := strings.Replace(configs["paligemma2"], tc.from, tc.to, 1)
		cfg, err := hfload.ParseConfigJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := supported(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: supported = %v, want an error naming %s", tc.to, err, tc.want)
		}
	}
	// null turns soft-capping and the window off.
	raw := strings.NewReplacer(`"attn_logit_softcapping": 1.0`, `"attn_logit_softcapping": null`,
		`"sliding_window": 5`, `"sliding_window": null`).Replace(configs["paligemma2"])
	cfg, err := hfload.ParseConfigJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := supported(cfg); err != nil {
		t.Errorf("null caps: %v", err)
	}
}
