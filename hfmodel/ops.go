package hfmodel

import (
	"math"

	"vlmq/tensor"
)

// The tensor package has no public hook for recording new ops, so the ops
// below are compositions of taped tensor ops (whose backward passes are
// tested there) arranged to have exactly the wanted value and Jacobian.

// rope applies rotary position embeddings to x [N, heads*dh] (row r at
// position pos[r]): within each head the first rot dims rotate in the
// "rotate half" pairing (i, i+rot/2) used by Gemma, Phi-3 and Phi-1.5;
// the rest pass through. Written as x⊙cos + swap(x)⊙sin', where swap
// exchanges the two rotating halves and sin' carries the sign, it is linear
// in x, so its gradient is the inverse rotation.
func rope(tp *tensor.Tape, x *tensor.Tensor, pos []int, heads, dh, rot int, theta float64) *tensor.Tensor {
	n, w := x.Shape[0], heads*dh
	half := rot / 2
	cos := tensor.Zeros(n, w)
	sin := tensor.Zeros(n, w)
	inv := make([]float64, half)
	for i := range inv {
		inv[i] = 1 / math.Pow(theta, float64(2*i)/float64(rot))
	}
	for r := 0; r < n; r++ {
		for h := 0; h < heads; h++ {
			base := r*w + h*dh
			for j := 0; j < dh; j++ {
				c, s := 1.0, 0.0
				if j < rot {
					ang := float64(pos[r]) * inv[j%half]
					c, s = math.Cos(ang), math.Sin(ang)
					if j < half {
						s = -s
					}
				}
				cos.Data[base+j] = float32(c)
				sin.Data[base+j] = float32(s)
			}
		}
	}
	return tp.Add(tp.Mul(x, cos), tp.Mul(swapHalves(tp, x, heads, dh, rot), sin))
}

// swapHalves returns x with dims [0,rot/2) and [rot/2,rot) of every head
// exchanged (other dims unchanged): the row-permutation of a view whose
// rows are chunks of g = gcd(rot/2, dh) values.
func swapHalves(tp *tensor.Tape, x *tensor.Tensor, heads, dh, rot int) *tensor.Tensor {
	n := x.Shape[0]
	g := gcd(rot/2, dh)
	per, hc := dh/g, rot/2/g // chunks per head, chunks per half
	rows := make([]int, n*heads*per)
	for i := range rows {
		c := i % per
		src := c
		switch {
		case c < hc:
			src = c + hc
		case c < 2*hc:
			src = c - hc
		}
		rows[i] = i - c + src
	}
	v := tp.Reshape(x, n*heads*per, g)
	return tp.Reshape(tp.SelectRows(v, rows), n, heads*dh)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

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
