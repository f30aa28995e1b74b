package optim

import (
	"math"
	"testing"

	"vlmq/tensor"
)

func param(vals ...float32) *tensor.Tensor {
	p := tensor.Param(len(vals))
	copy(p.Data, vals)
	return p
}

// adamRef is a float64 transcription of the AdamW update rule.
func adamRef(p, g []float64, steps int, lr, b1, b2, eps, wd float64) []float64 {
	p = append([]float64(nil), p...)
	m := make([]float64, len(p))
	v := make([]float64, len(p))
	for t := 1; t <= steps; t++ {
		for i := range p {
			p[i] *= 1 - lr*wd
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(b1, float64(t)))
			vh := v[i] / (1 - math.Pow(b2, float64(t)))
			p[i] -= lr * mh / (math.Sqrt(vh) + eps)
		}
	}
	return p
}

func TestAdamWMatchesReference(t *testing.T) {
	cases := []struct {
		name      string
		lr, wd    float32
		steps     int
		p0, grads []float64
		scale     float32 // 0: no Scale entry
	}{
		{"one step", 0.1, 0, 1, []float64{1, -2, 0.5}, []float64{0.3, -0.1, 2}, 0},
		{"decay", 0.01, 0.1, 3, []float64{1, -2, 0.5}, []float64{0.3, -0.1, 0}, 0},
		{"many", 1e-3, 0.01, 10, []float64{0.2, 4}, []float64{-5, 1e-3}, 0},
		{"scaled", 1e-3, 0.1, 5, []float64{0.2, 4}, []float64{-5, 1e-3}, 3},
	}
	for _, c := range cases {
		p := tensor.Param(len(c.p0))
		for i, v := range c.p0 {
			p.Data[i] = float32(v)
		}
		p.Grad = make([]float32, len(c.grads))
		for i, v := range c.grads {
			p.Grad[i] = float32(v)
		}
		o := &AdamW{LR: c.lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: c.wd}
		lr := float64(c.lr)
		// A scaled tensor takes lr*scale; an unscaled one beside it, lr.
		other := param(0.5)
		other.Grad = []float32{1}
		if c.scale != 0 {
			o.Scale = map[*tensor.Tensor]float32{p: c.scale}
			lr *= float64(c.scale)
		}
		for s := 0; s < c.steps; s++ {
			o.Step([]*tensor.Tensor{p, other})
		}
		want := adamRef(c.p0, c.grads, c.steps, lr, 0.9, 0.999, 1e-8, float64(c.wd))
		if w := adamRef([]float64{0.5}, []float64{1}, c.steps, float64(c.lr), 0.9, 0.999, 1e-8, float64(c.wd)); math.Abs(float64(other.Data[0])-w[0]) > 1e-5 {
			t.Errorf("%s: the unscaled tensor is at %v, want %v", c.name, other.Data[0], w[0])
		}
		for i := range want {
			if math.Abs(float64(p.Data[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
				t.Errorf("%s: p[%d]=%v want %v", c.name, i, p.Data[i], want[i])
			}
		}
	}
	// First step with no decay moves each weight by exactly lr*sign(g).
	p := param(1, 1)
	p.Grad = []float32{0.5, -3}
	(&AdamW{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 0}).Step([]*tensor.Tensor{p})
	if math.Abs(float64(p.Data[0])-0.9) > 1e-6 || math.Abs(float64(p.Data[1])-1.1) > 1e-6 {
		t.Fatalf("first step %v, want [0.9 1.1]", p.Data)
	}
}

func TestAdamWStateRoundTrip(t *testing.T) {
	mk := func() []*tensor.Tensor {
		a, b := param(1, 2, 3), param(-1)
		a.Grad, b.Grad = []float32{0.1, 0.2, -0.3}, []float32{2}
		return []*tensor.Tensor{a, b}
	}
	ps1 := mk()
	o1 := NewAdamW(0.01)
	for i := 0; i < 4; i++ {
		o1.Step(ps1)
	}
	st := o1.State(ps1)
	// Resume on a fresh optimiser/param copy and compare one more step.
	ps2 := mk()
	for i := range ps2 {
		copy(ps2[i].Data, ps1[i].Data)
	}
	o2 := NewAdamW(0.01)
	if err := o2.LoadState(ps2, st); err != nil {
		t.Fatal(err)
	}
	o1.Step(ps1)
	o2.Step(ps2)
	for i := range ps1 {
		for j := range ps1[i].Data {
			if ps1[i].Data[j] != ps2[i].Data[j] {
				t.Fatalf("resumed step differs: %v vs %v", ps1[i].Data, ps2[i].Data)
			}
		}
	}
	if o2.StepCount() != 5 {
		t.Fatalf("step count %d", o2.StepCount())
	}
	bad := []State{
		{Step: 1, M: [][]float32{{1}}, V: [][]float32{{1}}},
		{Step: 1, M: [][]float32{{1}, nil}, V: [][]float32{{1, 2, 3}, nil}},
		{Step: -1, M: [][]float32{nil, nil}, V: [][]float32{nil, nil}},
	}
	for i, s := range bad {
		if err := NewAdamW(0.1).LoadState(ps2, s); err == nil {
			t.Errorf("bad state %d accepted", i)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	cases := []struct {
		grads   []float32
		max     float64
		norm    float64
		clipped bool
	}{
		{[]float32{3, 4}, 1, 5, true},
		{[]float32{3, 4}, 10, 5, false},
		{[]float32{0, 0}, 1, 0, false},
	}
	for _, c := range cases {
		p := param(0, 0)
		p.Grad = append([]float32(nil), c.grads...)
		n := ClipGradNorm([]*tensor.Tensor{p}, c.max)
		if math.Abs(n-c.norm) > 1e-6 {
			t.Errorf("norm %v want %v", n, c.norm)
		}
		after := GradNorm([]*tensor.Tensor{p})
		want := c.norm
		if c.clipped {
			want = c.max
		}
		if math.Abs(after-want) > 1e-5 {
			t.Errorf("post-clip norm %v want %v", after, want)
		}
	}
	p := param(0, 0)
	p.Grad = []float32{1, 2}
	ZeroGrad([]*tensor.Tensor{p})
	if p.Grad[0] != 0 || p.Grad[1] != 0 {
		t.Fatal("ZeroGrad left values")
	}
}

func TestPolyakAndHardCopy(t *testing.T) {
	dst := []*tensor.Tensor{param(0, 10)}
	src := []*tensor.Tensor{param(1, 20)}
	if err := Polyak(dst, src, 0.25); err != nil {
		t.Fatal(err)
	}
	if dst[0].Data[0] != 0.25 || dst[0].Data[1] != 12.5 {
		t.Fatalf("polyak got %v", dst[0].Data)
	}
	if err := HardCopy(dst, src); err != nil {
		t.Fatal(err)
	}
	if dst[0].Data[0] != 1 || dst[0].Data[1] != 20 {
		t.Fatalf("copy got %v", dst[0].Data)
	}
	if err := Polyak(dst, []*tensor.Tensor{param(1)}, 0.5); err == nil {
		t.Fatal("size mismatch accepted")
	}
	if err := HardCopy(dst, nil); err == nil {
		t.Fatal("count mismatch accepted")
	}
}
