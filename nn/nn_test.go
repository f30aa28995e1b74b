package nn

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"vlmq/tensor"
)

func TestParamNamesStableAndUnique(t *testing.T) {
	tr, err := NewTransformer(rand.New(rand.NewSource(1)), Config{Layers: 2, D: 8, Heads: 2, Hidden: 16})
	if err != nil {
		t.Fatal(err)
	}
	ps := tr.Params("model")
	m, err := ByName(ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"model.layers.0.attn.q_proj.weight", "model.layers.1.attn.o_proj.bias",
		"model.layers.0.ln_1.weight", "model.layers.1.ln_2.bias",
		"model.layers.0.mlp.fc1.weight", "model.layers.1.mlp.fc2.bias",
		"model.final_norm.weight",
	} {
		if _, ok := m[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
	// 2 layers x (2 LN x2 + 4 proj x2 + 2 fc x2) + final norm 2.
	if len(ps) != 2*(4+8+4)+2 {
		t.Errorf("%d params", len(ps))
	}
	for _, p := range ps {
		if !p.T.RequiresGrad() || strings.Contains(p.Name, "..") {
			t.Errorf("bad param %s", p.Name)
		}
	}
	if _, err := NewTransformer(rand.New(rand.NewSource(1)), Config{Layers: 1, D: 10, Heads: 3, Hidden: 4}); err == nil {
		t.Error("D not divisible by heads accepted")
	}
}

func TestInitStatistics(t *testing.T) {
	l := NewLinear(rand.New(rand.NewSource(2)), 256, 256, true)
	var s, ss float64
	for _, v := range l.W.Data {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	n := float64(len(l.W.Data))
	std := math.Sqrt(ss/n - (s/n)*(s/n))
	if math.Abs(std-InitStd) > 0.001 || math.Abs(s/n) > 0.001 {
		t.Fatalf("init mean %v std %v", s/n, std)
	}
	for _, v := range l.B.Data {
		if v != 0 {
			t.Fatal("bias not zero")
		}
	}
}

// TestTransformerTrains checks gradients reach every parameter and a few
// AdamW-free SGD steps reduce a regression loss.
func TestTransformerTrains(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	tr, _ := NewTransformer(r, Config{Layers: 2, D: 8, Heads: 2, Hidden: 16})
	B, T := 2, 5
	x := tensor.Zeros(B*T, 8)
	y := tensor.Zeros(B*T, 8)
	Normal(r, x, 1)
	Normal(r, y, 1)
	ps := Tensors(tr.Params(""))
	tp := tensor.NewTape()
	var first, last float32
	for step := 0; step < 30; step++ {
		loss := tp.MSE(tr.Forward(tp, x, B, T, tensor.AttnOpts{Causal: true, Prefix: 2}), y)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = loss.Item()
			for i, p := range ps {
				if p.Grad == nil {
					t.Fatalf("param %d got no gradient", i)
				}
			}
		}
		last = loss.Item()
		for _, p := range ps {
			for i := range p.Data {
				p.Data[i] -= 0.05 * p.Grad[i]
			}
			p.ZeroGrad()
		}
		tp.Reset()
	}
	if !(last < 0.9*first) {
		t.Fatalf("loss %v -> %v did not drop", first, last)
	}
}

// TestForwardCachedMatchesForward decodes items separately and together,
// in chunks of different sizes, through the KV cache and compares with one
// full causal (prefix-LM) forward pass.
func TestForwardCachedMatchesForward(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	tr, _ := NewTransformer(r, Config{Layers: 2, D: 8, Heads: 2, Hidden: 16})
	B, T, D := 2, 7, 8
	x := tensor.Zeros(B*T, D)
	Normal(r, x, 1)
	opts := tensor.AttnOpts{Causal: true, Prefix: 3}
	full := tr.Forward(nil, x, B, T, opts)
	c := tr.NewKVCache(B, 10)
	steps := []struct {
		items []int
		tn    int
	}{
		{[]int{0}, 4}, {[]int{1}, 4}, // prefills that cover the prefix
		{[]int{0, 1}, 1}, {[]int{1}, 2}, {[]int{0}, 2},
	}
	for _, s := range steps {
		xin := tensor.Zeros(len(s.items)*s.tn, D)
		for i, b := range s.items {
			pos := c.Lens[b]
			copy(xin.Data[i*s.tn*D:(i+1)*s.tn*D], x.Data[(b*T+pos)*D:(b*T+pos+s.tn)*D])
		}
		before := slices.Clone(c.Lens)
		out, err := tr.ForwardCached(xin, s.items, s.tn, c, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range s.items {
			for j := 0; j < s.tn; j++ {
				for d := 0; d < D; d++ {
					got := out.Data[(i*s.tn+j)*D+d]
					want := full.Data[(b*T+before[b]+j)*D+d]
					if math.Abs(float64(got-want)) > 1e-4 {
						t.Fatalf("items %v, item %d at %d: %v vs %v", s.items, b, before[b]+j, got, want)
					}
				}
			}
		}
	}
	if !slices.Equal(c.Lens, []int{T, T}) {
		t.Fatalf("cache lengths %v", c.Lens)
	}
	if _, err := tr.ForwardCached(tensor.Zeros(4, D), []int{0}, 4, c, opts); err == nil {
		t.Fatal("overflowing cache accepted")
	}
	if _, err := tr.ForwardCached(tensor.Zeros(1, D+1), []int{0}, 1, c, opts); err == nil {
		t.Fatal("bad width accepted")
	}
	if _, err := tr.ForwardCached(tensor.Zeros(1, D), []int{2}, 1, c, opts); err == nil {
		t.Fatal("an item the cache does not have accepted")
	}
}
