package tensor

import (
	"fmt"
	"math"
)

// elemMin is the per-goroutine minimum for parallel elementwise loops.
const elemMin = 1 << 15

// Add returns a+b (same shape).
func (tp *Tape) Add(a, b *Tensor) *Tensor {
	mustSame("Add", a, b)
	out := tp.out(a.Shape, a, b)
	o, x, y := out.Data, a.Data, b.Data
	parallelFor(len(o), elemMin, func(lo, hi int) { vkAdd(o[lo:hi], x[lo:hi], y[lo:hi]) })
	tp.record(out, func(g []float32) {
		tp.accum(a, g)
		tp.accum(b, g)
	})
	return out
}

// Sub returns a-b (same shape).
func (tp *Tape) Sub(a, b *Tensor) *Tensor {
	mustSame("Sub", a, b)
	out := tp.out(a.Shape, a, b)
	for i := range out.Data {
		out.Data[i] = a.Data[i] - b.Data[i]
	}
	tp.record(out, func(g []float32) {
		tp.accum(a, g)
		if gb := tp.grad(b); gb != nil {
			for i, v := range g {
				gb[i] -= v
			}
		}
	})
	return out
}

// Mul returns the elementwise product a*b (same shape).
func (tp *Tape) Mul(a, b *Tensor) *Tensor {
	mustSame("Mul", a, b)
	out := tp.out(a.Shape, a, b)
	for i := range out.Data {
		out.Data[i] = a.Data[i] * b.Data[i]
	}
	tp.record(out, func(g []float32) {
		if ga := tp.grad(a); ga != nil {
			for i, v := range g {
				ga[i] += v * b.Data[i]
			}
		}
		if gb := tp.grad(b); gb != nil {
			for i, v := range g {
				gb[i] += v * a.Data[i]
			}
		}
	})
	return out
}

// Minimum returns the elementwise min(a, b); the gradient goes to the
// smaller operand (to a on ties).
func (tp *Tape) Minimum(a, b *Tensor) *Tensor {
	mustSame("Minimum", a, b)
	out := tp.out(a.Shape, a, b)
	for i := range out.Data {
		out.Data[i] = min(a.Data[i], b.Data[i])
	}
	tp.record(out, func(g []float32) {
		ga, gb := tp.grad(a), tp.grad(b)
		for i, v := range g {
			if a.Data[i] <= b.Data[i] {
				if ga != nil {
					ga[i] += v
				}
			} else if gb != nil {
				gb[i] += v
			}
		}
	})
	return out
}

func addInto(dst, src []float32) {
	if dst == nil {
		return
	}
	parallelFor(len(src), elemMin, func(lo, hi int) { vkAcc(dst[lo:hi], src[lo:hi]) })
}

func rowVec(op string, x, v *Tensor) (int, int) {
	n, d := x.rows2(op)
	if len(v.Data) != d {
		panic(fmt.Sprintf("tensor: %s row vector has %d values, x has last dim %d", op, len(v.Data), d))
	}
	return n, d
}

// AddRow adds the vector b [D] to every row of x [..., D].
func (tp *Tape) AddRow(x, b *Tensor) *Tensor {
	n, d := rowVec("AddRow", x, b)
	out := tp.out(x.Shape, x, b)
	for r := 0; r < n; r++ {
		o, xr := out.Data[r*d:(r+1)*d], x.Data[r*d:(r+1)*d]
		for j := range o {
			o[j] = xr[j] + b.Data[j]
		}
	}
	tp.record(out, func(g []float32) {
		addInto(tp.grad(x), g)
		if gb := tp.grad(b); gb != nil {
			colSumInto(gb, g, n, d)
		}
	})
	return out
}

// colSumInto adds the column sums of g [n, d] to dst [d].
func colSumInto(dst, g []float32, n, d int) { colSumsInto(dst, g, nil, n, d) }

// colSumsInto adds to dst [d] the column sums of a [n, d], or of a*b
// elementwise when b is not nil. Workers split the columns, never the
// rows, at multiples of 16, so every column is summed in the same order
// whatever the thread count.
func colSumsInto(dst, a, b []float32, n, d int) {
	if n == 0 || d == 0 {
		return
	}
	blocks := (d + 15) / 16
	parallelFor(blocks, max(1, elemMin/16/n), func(lo, hi int) {
		c0, c1 := lo*16, min(hi*16, d)
		var bb []float32
		if b != nil {
			bb = b[c0:]
		}
		vkColSum(dst[c0:c1], a[c0:], bb, n, c1-c0, d)
	})
}

// MulRow multiplies every row of x [..., D] elementwise by g [D].
func (tp *Tape) MulRow(x, s *Tensor) *Tensor {
	n, d := rowVec("MulRow", x, s)
	out := tp.out(x.Shape, x, s)
	for r := 0; r < n; r++ {
		o, xr := out.Data[r*d:(r+1)*d], x.Data[r*d:(r+1)*d]
		for j := range o {
			o[j] = xr[j] * s.Data[j]
		}
	}
	tp.record(out, func(g []float32) {
		gx, gs := tp.grad(x), tp.grad(s)
		for r := 0; r < n; r++ {
			gr, xr := g[r*d:(r+1)*d], x.Data[r*d:(r+1)*d]
			if gx != nil {
				gxr := gx[r*d : (r+1)*d]
				for j := range gr {
					gxr[j] += gr[j] * s.Data[j]
				}
			}
			if gs != nil {
				for j := range gr {
					gs[j] += gr[j] * xr[j]
				}
			}
		}
	})
	return out
}

// Scale returns s*x.
func (tp *Tape) Scale(x *Tensor, s float32) *Tensor {
	out := tp.out(x.Shape, x)
	for i, v := range x.Data {
		out.Data[i] = v * s
	}
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			for i, v := range g {
				gx[i] += s * v
			}
		}
	})
	return out
}

// AddScalar returns x+s.
func (tp *Tape) AddScalar(x *Tensor, s float32) *Tensor {
	out := tp.out(x.Shape, x)
	for i, v := range x.Data {
		out.Data[i] = v + s
	}
	tp.record(out, func(g []float32) { addInto(tp.grad(x), g) })
	return out
}

// unary applies f elementwise; df(x, y) is the derivative given input and output.
func (tp *Tape) unary(x *Tensor, f func(float32) float32, df func(x, y float32) float32) *Tensor {
	out := tp.out(x.Shape, x)
	o, xd := out.Data, x.Data
	parallelFor(len(o), elemMin, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o[i] = f(xd[i])
		}
	})
	tp.record(out, func(g []float32) {
		gx := tp.grad(x)
		if gx == nil {
			return
		}
		parallelFor(len(g), elemMin, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				gx[i] += g[i] * df(xd[i], o[i])
			}
		})
	})
	return out
}

// GELU applies the tanh-approximate GELU.
func (tp *Tape) GELU(x *Tensor) *Tensor {
	out := tp.out(x.Shape, x)
	var sg []float32 // sigmoid(2u) kept for backward
	if out.requiresGrad {
		sg = tp.buf(len(x.Data))
	}
	o, xd := out.Data, x.Data
	parallelFor(len(o), elemMin, func(lo, hi int) {
		var s []float32
		if sg != nil {
			s = sg[lo:hi]
		}
		vkGELUFwd(o[lo:hi], s, xd[lo:hi])
	})
	tp.record(out, func(g []float32) {
		gx := tp.grad(x)
		if gx == nil {
			return
		}
		parallelFor(len(g), elemMin, func(lo, hi int) { vkGELUBwd(gx[lo:hi], g[lo:hi], xd[lo:hi], sg[lo:hi]) })
	})
	return out
}

// SiLU applies x*sigmoid(x).
func (tp *Tape) SiLU(x *Tensor) *Tensor {
	return tp.unary(x, func(v float32) float32 { return v * Sigmoid(v) },
		func(v, _ float32) float32 {
			s := Sigmoid(v)
			return s * (1 + v*(1-s))
		})
}

// Tanh applies tanh.
func (tp *Tape) Tanh(x *Tensor) *Tensor {
	return tp.unary(x, Tanh, func(_, y float32) float32 { return 1 - y*y })
}

// Sigmoid applies the logistic function.
func (tp *Tape) Sigmoid(x *Tensor) *Tensor {
	return tp.unary(x, Sigmoid, func(_, y float32) float32 { return y * (1 - y) })
}

// ReLU applies max(x, 0).
func (tp *Tape) ReLU(x *Tensor) *Tensor {
	return tp.unary(x, func(v float32) float32 { return max(v, 0) },
		func(v, _ float32) float32 {
			if v > 0 {
				return 1
			}
			return 0
		})
}

// Exp applies e^x.
func (tp *Tape) Exp(x *Tensor) *Tensor {
	return tp.unary(x, Exp, func(_, y float32) float32 { return y })
}

// Log applies the natural logarithm (inputs must be positive).
func (tp *Tape) Log(x *Tensor) *Tensor {
	return tp.unary(x, func(v float32) float32 { return float32(math.Log(float64(v))) },
		func(v, _ float32) float32 { return 1 / v })
}

// Clamp limits x to [lo, hi]; the gradient is zero outside the range.
func (tp *Tape) Clamp(x *Tensor, lo, hi float32) *Tensor {
	return tp.unary(x, func(v float32) float32 { return min(max(v, lo), hi) },
		func(v, _ float32) float32 {
			if v < lo || v > hi {
				return 0
			}
			return 1
		})
}

// MaskedFill sets x[i] = v where mask[i] (no gradient flows there).
func (tp *Tape) MaskedFill(x *Tensor, mask []bool, v float32) *Tensor {
	if len(mask) != len(x.Data) {
		panic(fmt.Sprintf("tensor: MaskedFill mask has %d entries, x has %d", len(mask), len(x.Data)))
	}
	out := tp.out(x.Shape, x)
	for i, xv := range x.Data {
		if mask[i] {
			out.Data[i] = v
		} else {
			out.Data[i] = xv
		}
	}
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			for i, gv := range g {
				if !mask[i] {
					gx[i] += gv
				}
			}
		}
	})
	return out
}

// StopGrad returns a copy of x that is cut from the graph (detach).
func (tp *Tape) StopGrad(x *Tensor) *Tensor {
	mustNotHalf([]*Tensor{x})
	out := &Tensor{Shape: append([]int(nil), x.Shape...), Data: tp.buf(len(x.Data))}
	copy(out.Data, x.Data)
	return out
}

// AdamWUpdate applies one AdamW update to the parameter values p with
// gradient g and moments m, v (all the same length), in place:
// m = b1·m + (1-b1)·g, v = b2·v + (1-b2)·g², p = p·decay - step·m/(√v·rbc2 + eps).
func AdamWUpdate(p, g, m, v []float32, b1, b2, eps, rbc2, step, decay float32) {
	if len(g) != len(p) || len(m) != len(p) || len(v) != len(p) {
		panic(fmt.Sprintf("tensor: AdamWUpdate lengths %d, %d, %d, %d differ", len(p), len(g), len(m), len(v)))
	}
	parallelFor(len(p), elemMin, func(lo, hi int) {
		vkAdamW(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], b1, b2, eps, rbc2, step, decay)
	})
}
