package hfmodel

import (
	"math"

	"vlmq/tensor"
)

// The tensor package has no public hook for recording new ops, so the ops
// below are compositions of taped tensor ops (whose backward passes are
// tested there) arranged to have exactly the wanted value and Jacobian.

// pointwise applies f elementwise with derivative df. On a live tape it is
// recorded as x⊙f'(x₀) + (f(x₀) - x₀⊙f'(x₀)) with the two factors held
// constant: the same value, and the gradient g⊙f'(x₀).
func pointwise(tp *tensor.Tape, x *tensor.Tensor, f, df func(float64) float64) *tensor.Tensor {
	y := tensor.Zeros(x.Shape...)
	if tp == nil || !x.RequiresGrad() {
		for i, v := range x.Data {
			y.Data[i] = float32(f(float64(v)))
		}
		return y
	}
	d := tensor.Zeros(x.Shape...)
	for i, v := range x.Data {
		dv := float32(df(float64(v)))
		d.Data[i] = dv
		y.Data[i] = float32(f(float64(v))) - v*dv
	}
	return tp.Add(tp.Mul(x, d), y)
}

// geluErf is the exact GELU x·Φ(x) (torch.nn.GELU() default).
func geluErf(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return pointwise(tp, x,
		func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) },
		func(v float64) float64 {
			return 0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-0.5*v*v)/math.Sqrt(2*math.Pi)
		})
}

// activation applies a Hugging Face activation by name.
func activation(tp *tensor.Tape, name string, x *tensor.Tensor) *tensor.Tensor {
	switch name {
	case "gelu":
		return geluErf(tp, x)
	case "silu", "swish":
		return tp.SiLU(x)
	default: // gelu_pytorch_tanh, gelu_new, gelu_fast: checked by supportedAct
		return tp.GELU(x)
	}
}

func supportedAct(name string) bool {
	switch name {
	case "gelu", "silu", "swish", "gelu_pytorch_tanh", "gelu_new", "gelu_fast":
		return true
	}
	return false
}

// repeatKV expands key/value heads [B*kv, T, dh] to [B*heads, T, dh] for
// grouped-query attention (query head h uses kv head h/(heads/kv)).
func repeatKV(tp *tensor.Tape, x *tensor.Tensor, B, heads, kv int) *tensor.Tensor {
	if heads == kv {
		return x
	}
	rows := make([]int, B*heads)
	for b := 0; b < B; b++ {
		for h := 0; h < heads; h++ {
			rows[b*heads+h] = b*kv + h/(heads/kv)
		}
	}
	return tp.SelectRows(x, rows)
}

// linear is tp.Linear over rows [lo,hi) of a (possibly fused) weight and
// bias, so fused qkv / gate_up matrices stay single trainable tensors.
func linear(tp *tensor.Tape, x, w, b *tensor.Tensor, lo, hi int) *tensor.Tensor {
	if lo == 0 && hi == w.Shape[0] {
		return tp.Linear(x, w, b)
	}
	ws := tp.SliceRows(w, lo, hi)
	var bs *tensor.Tensor
	if b != nil {
		bs = tp.SliceRows(b, lo, hi)
	}
	return tp.Linear(x, ws, bs)
}
