package tensor

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func randParam(r *rand.Rand, shape ...int) *Tensor {
	t := Param(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

func randConst(r *rand.Rand, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

// gradCheck compares Backward's gradients with central finite differences of
// L = sum(w ⊙ f(inputs)) for fixed random w.
func gradCheck(t *testing.T, name string, ins []*Tensor, f func(tp *Tape, in []*Tensor) *Tensor) {
	t.Helper()
	r := rand.New(rand.NewSource(7))
	probe := f(nil, ins)
	w := make([]float32, probe.Size())
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	loss := func(tp *Tape) *Tensor { return tp.WeightedSum(f(tp, ins), w) }
	for _, in := range ins {
		if in.RequiresGrad() {
			in.Grad = nil
		}
	}
	tp := NewTape()
	if err := tp.Backward(loss(tp)); err != nil {
		t.Fatalf("%s: backward: %v", name, err)
	}
	const eps = 1e-2
	checked := 0
	for k, in := range ins {
		if !in.RequiresGrad() {
			continue
		}
		if in.Grad == nil {
			t.Fatalf("%s: input %d got no gradient", name, k)
		}
		step := 1
		if in.Size() > 60 {
			step = in.Size()/60 + 1
		}
		for i := 0; i < in.Size(); i += step {
			old := in.Data[i]
			in.Data[i] = old + eps
			lp := float64(loss(nil).Data[0])
			in.Data[i] = old - eps
			lm := float64(loss(nil).Data[0])
			in.Data[i] = old
			num := (lp - lm) / (2 * eps)
			ana := float64(in.Grad[i])
			if math.Abs(ana-num) > 3e-2*math.Max(math.Abs(ana), math.Abs(num))+3e-3 {
				t.Errorf("%s: input %d elem %d: analytic %.6g numeric %.6g", name, k, i, ana, num)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatalf("%s: nothing checked", name)
	}
}

func TestGradients(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	p := func(s ...int) *Tensor { return randParam(r, s...) }
	c := func(s ...int) *Tensor { return randConst(r, s...) }
	posP := func(s ...int) *Tensor {
		x := p(s...)
		for i := range x.Data {
			x.Data[i] = float32(math.Abs(float64(x.Data[i]))) + 0.5
		}
		return x
	}
	mask := make([]bool, 12)
	for i := range mask {
		mask[i] = i%3 == 0
	}
	// Attention scenarios: B=2, H=2, T=5, Dh=4.
	attn := func(o AttnOpts, tq int) (string, []*Tensor, func(*Tape, []*Tensor) *Tensor) {
		return fmt.Sprintf("Attention%+v/tq%d", o, tq), []*Tensor{p(4, tq, 4), p(4, 5, 4), p(4, 5, 4)},
			func(tp *Tape, in []*Tensor) *Tensor { return tp.Attention(in[0], in[1], in[2], o) }
	}
	type tc struct {
		name string
		ins  []*Tensor
		f    func(*Tape, []*Tensor) *Tensor
	}
	cases := []tc{
		{"Add", []*Tensor{p(3, 4), p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Add(in[0], in[1]) }},
		{"Sub", []*Tensor{p(3, 4), p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Sub(in[0], in[1]) }},
		{"Mul", []*Tensor{p(3, 4), p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Mul(in[0], in[1]) }},
		{"Minimum", []*Tensor{p(3, 4), p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Minimum(in[0], in[1]) }},
		{"AddRow", []*Tensor{p(3, 4), p(4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.AddRow(in[0], in[1]) }},
		{"MulRow", []*Tensor{p(3, 4), p(4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MulRow(in[0], in[1]) }},
		{"Scale", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Scale(in[0], -1.7) }},
		{"AddScalar", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.AddScalar(in[0], 0.3) }},
		{"GELU", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.GELU(in[0]) }},
		{"SiLU", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.SiLU(in[0]) }},
		{"Tanh", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Tanh(in[0]) }},
		{"Sigmoid", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Sigmoid(in[0]) }},
		{"ReLU", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.ReLU(in[0]) }},
		{"Exp", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Exp(in[0]) }},
		{"Log", []*Tensor{posP(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Log(in[0]) }},
		{"Clamp", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Clamp(in[0], -0.5, 0.7) }},
		{"Softmax", []*Tensor{p(3, 5)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Softmax(in[0]) }},
		{"LogSoftmax", []*Tensor{p(3, 5)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.LogSoftmax(in[0]) }},
		{"LayerNorm", []*Tensor{p(3, 6), p(6), p(6)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.LayerNorm(in[0], in[1], in[2], 1e-5) }},
		{"LayerNormNoAffine", []*Tensor{p(3, 6)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.LayerNorm(in[0], nil, nil, 1e-5) }},
		{"RMSNorm", []*Tensor{p(3, 6), p(6)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.RMSNorm(in[0], in[1], 1e-6) }},
		{"Embedding", []*Tensor{p(5, 3)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Embedding(in[0], []int{4, 0, 4, 2}) }},
		{"Gather", []*Tensor{p(4, 5)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Gather(in[0], []int{1, 4, 0, 1}) }},
		{"MaskedFill", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MaskedFill(in[0], mask, -3) }},
		{"Sum", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Sum(in[0]) }},
		{"Mean", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Mean(in[0]) }},
		{"SumLast", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.SumLast(in[0]) }},
		{"Dot", []*Tensor{p(3, 4), p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Dot(in[0], in[1]) }},
		{"Reshape", []*Tensor{p(3, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.GELU(tp.Reshape(in[0], 2, -1)) }},
		{"SliceRows", []*Tensor{p(5, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.SliceRows(in[0], 1, 4) }},
		{"SelectRows", []*Tensor{p(5, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.SelectRows(in[0], []int{3, 0, 3}) }},
		{"ConcatRows", []*Tensor{p(2, 3), p(1, 3), c(2, 3)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.ConcatRows(in...) }},
		{"ConcatLast", []*Tensor{p(2, 3), p(2, 1), c(2, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.ConcatLast(in...) }},
		{"SplitHeads", []*Tensor{p(6, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.SplitHeads(in[0], 2, 3, 2) }},
		{"MergeHeads", []*Tensor{p(4, 3, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MergeHeads(in[0], 2, 3, 2) }},
		{"MatMul", []*Tensor{p(3, 4), p(4, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], false, false) }},
		{"MatMulTA", []*Tensor{p(4, 3), p(4, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], true, false) }},
		{"MatMulTB", []*Tensor{p(3, 4), p(2, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], false, true) }},
		{"MatMulTT", []*Tensor{p(4, 3), p(2, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MatMul(in[0], in[1], true, true) }},
		{"Linear", []*Tensor{p(2, 3, 4), p(5, 4), p(5)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Linear(in[0], in[1], in[2]) }},
		{"LinearNoBias", []*Tensor{p(3, 4), p(5, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Linear(in[0], in[1], nil) }},
		{"BMM", []*Tensor{p(2, 3, 4), p(2, 4, 2)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.BMM(in[0], in[1], false, false) }},
		{"BMMTT", []*Tensor{p(2, 4, 3), p(2, 2, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.BMM(in[0], in[1], true, true) }},
		{"CrossEntropy", []*Tensor{p(4, 6)}, func(tp *Tape, in []*Tensor) *Tensor {
			return tp.CrossEntropy(in[0], []int{1, 5, -1, 0}, nil)
		}},
		{"CrossEntropyW", []*Tensor{p(4, 6)}, func(tp *Tape, in []*Tensor) *Tensor {
			return tp.CrossEntropy(in[0], []int{1, 5, 2, 0}, []float32{1, 0, 2.5, -0.5})
		}},
		// Rows wider than a vector, so the kernels' full vectors are
		// checked as well as their tails.
		{"GELUWide", []*Tensor{p(2, 37)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.GELU(in[0]) }},
		{"SoftmaxWide", []*Tensor{p(2, 37)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Softmax(in[0]) }},
		{"LogSoftmaxWide", []*Tensor{p(2, 37)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.LogSoftmax(in[0]) }},
		{"LayerNormWide", []*Tensor{p(3, 41), p(41), p(41)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.LayerNorm(in[0], in[1], in[2], 1e-5) }},
		{"CrossEntropyWide", []*Tensor{p(3, 37)}, func(tp *Tape, in []*Tensor) *Tensor {
			return tp.CrossEntropy(in[0], []int{36, 0, 17}, []float32{1, 0.5, 2})
		}},
		{"AttentionWide", []*Tensor{p(4, 21, 4), p(4, 21, 4), p(4, 21, 4)}, func(tp *Tape, in []*Tensor) *Tensor {
			return tp.Attention(in[0], in[1], in[2], AttnOpts{Causal: true, Prefix: 6, KeyLen: []int{21, 13}, H: 2, ALiBi: true})
		}},
		{"Huber", []*Tensor{p(8), p(8)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.Huber(in[0], in[1], 0.7) }},
		{"MSE", []*Tensor{p(2, 4), p(2, 4)}, func(tp *Tape, in []*Tensor) *Tensor { return tp.MSE(in[0], in[1]) }},
	}
	for _, o := range []struct {
		o  AttnOpts
		tq int
	}{
		{AttnOpts{}, 5},
		{AttnOpts{Causal: true}, 5},
		{AttnOpts{Causal: true, Prefix: 3}, 5},
		{AttnOpts{Causal: true, KeyLen: []int{5, 3}, H: 2}, 5},
		{AttnOpts{Causal: true, Prefix: 2, KeyLen: []int{4, 5}, H: 2, Scale: 0.3}, 5},
		{AttnOpts{Causal: true}, 2},
		{AttnOpts{KeyMask: []bool{false, true, false, false, true, false, false, false, false, true}, H: 2}, 3},
		{AttnOpts{Causal: true, Prefix: 2, H: 2, ALiBi: true}, 5},
		{AttnOpts{Causal: true, KeyLen: []int{5, 4}, H: 2, ALiBi: true}, 3},
		// Soft-capping at a cap the scores reach, so tanh bends.
		{AttnOpts{Causal: true, Prefix: 2, KeyLen: []int{5, 4}, H: 2, Softcap: 0.5}, 5},
		{AttnOpts{Causal: true, Window: 2, Softcap: 1.5}, 5},
		{AttnOpts{Causal: true, Prefix: 3, Window: 2, Scale: 0.7}, 3},
	} {
		n, ins, f := attn(o.o, o.tq)
		cases = append(cases, tc{n, ins, f})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { gradCheck(t, tc.name, tc.ins, tc.f) })
	}
}

func TestStopGradBlocksGradient(t *testing.T) {
	x := Param(2)
	x.Data[0], x.Data[1] = 1, 2
	tp := NewTape()
	if err := tp.Backward(tp.Sum(tp.Add(x, tp.StopGrad(x)))); err != nil {
		t.Fatal(err)
	}
	if x.Grad[0] != 1 || x.Grad[1] != 1 {
		t.Fatalf("grad %v, want [1 1] (detached branch must not contribute)", x.Grad)
	}
}
