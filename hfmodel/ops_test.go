package hfmodel

import (
	"math"
	"math/rand"
	"testing"

	"vlmq/tensor"
)

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Param(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

// checkGrad compares the taped gradient of sum(w ⊙ f(x)) with central
// finite differences.
func checkGrad(t *testing.T, x *tensor.Tensor, f func(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor, eps, tol float64) {
	t.Helper()
	r := rand.New(rand.NewSource(9))
	y := f(nil, x)
	w := make([]float32, y.Size())
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	loss := func() float64 {
		var s float64
		for i, v := range f(nil, x).Data {
			s += float64(v) * float64(w[i])
		}
		return s
	}
	tp := tensor.NewTape()
	x.ZeroGrad()
	if err := tp.Backward(tp.WeightedSum(f(tp, x), w)); err != nil {
		t.Fatal(err)
	}
	for i := range x.Data {
		old := x.Data[i]
		x.Data[i] = old + float32(eps)
		up := loss()
		x.Data[i] = old - float32(eps)
		down := loss()
		x.Data[i] = old
		num := (up - down) / (2 * eps)
		if d := math.Abs(num - float64(x.Grad[i])); d > tol*(1+math.Abs(num)) {
			t.Fatalf("grad[%d] = %v, finite difference %v", i, x.Grad[i], num)
		}
	}
}

func TestGeluErf(t *testing.T) {
	x := tensor.Param(9)
	copy(x.Data, []float32{-6, -2.5, -1, -0.3, 0, 0.2, 1, 2.2, 5})
	y := geluErf(nil, x)
	for i, v := range x.Data {
		want := 0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2))
		if math.Abs(float64(y.Data[i])-want) > 1e-6 {
			t.Errorf("gelu(%v) = %v, want %v", v, y.Data[i], want)
		}
	}
	// The taped form must give the same values as the untaped one.
	tp := tensor.NewTape()
	yt := geluErf(tp, x)
	for i := range y.Data {
		if math.Abs(float64(y.Data[i]-yt.Data[i])) > 1e-6 {
			t.Errorf("taped gelu(%v) = %v, untaped %v", x.Data[i], yt.Data[i], y.Data[i])
		}
	}
	checkGrad(t, x, geluErf, 1e-3, 1e-2)
}

func TestRepeatKVAndSlicedLinear(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	kv := randTensor(r, 2*2, 3, 4) // B=2, kv=2
	checkGrad(t, kv, func(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor { return repeatKV(tp, x, 2, 6, 2) }, 1e-2, 1e-3)
	got := repeatKV(nil, kv, 2, 6, 2)
	// Batch 1, query head 4 uses kv head 4/3 = 1 of batch 1: row 3.
	if got.Data[(6+4)*12] != kv.Data[3*12] {
		t.Errorf("repeatKV mapped the wrong head")
	}
	w := randTensor(r, 10, 4)
	b := randTensor(r, 10)
	x := randTensor(r, 3, 4)
	checkGrad(t, w, func(tp *tensor.Tape, w *tensor.Tensor) *tensor.Tensor { return linear(tp, x, w, b, 4, 9) }, 1e-2, 1e-3)
	checkGrad(t, b, func(tp *tensor.Tape, b *tensor.Tensor) *tensor.Tensor { return linear(tp, x, w, b, 4, 9) }, 1e-2, 1e-3)
}
