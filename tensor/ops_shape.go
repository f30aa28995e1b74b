package tensor

import (
	"fmt"
	"slices"
)

// Sum returns the scalar sum of all elements.
func (tp *Tape) Sum(x *Tensor) *Tensor {
	out := tp.out([]int{1}, x)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	out.Data[0] = float32(s)
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			for i := range gx {
				gx[i] += g[0]
			}
		}
	})
	return out
}

// Mean returns the scalar mean of all elements.
func (tp *Tape) Mean(x *Tensor) *Tensor {
	if len(x.Data) == 0 {
		panic("tensor: Mean of an empty tensor")
	}
	return tp.Scale(tp.Sum(x), 1/float32(len(x.Data)))
}

// SumLast sums over the last dimension: [..., D] -> [...].
func (tp *Tape) SumLast(x *Tensor) *Tensor {
	n, d := x.rows2("SumLast")
	shape := x.Shape[:len(x.Shape)-1]
	if len(shape) == 0 {
		shape = []int{1}
	}
	out := tp.out(shape, x)
	for r := 0; r < n; r++ {
		var s float32
		for _, v := range x.Data[r*d : (r+1)*d] {
			s += v
		}
		out.Data[r] = s
	}
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			for r := 0; r < n; r++ {
				for j := r * d; j < (r+1)*d; j++ {
					gx[j] += g[r]
				}
			}
		}
	})
	return out
}

// WeightedSum returns the scalar sum_i w[i]*x[i] (w constant).
func (tp *Tape) WeightedSum(x *Tensor, w []float32) *Tensor {
	if len(w) != len(x.Data) {
		panic(fmt.Sprintf("tensor: WeightedSum has %d weights for %d values", len(w), len(x.Data)))
	}
	out := tp.out([]int{1}, x)
	var s float64
	for i, v := range x.Data {
		s += float64(v) * float64(w[i])
	}
	out.Data[0] = float32(s)
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			for i := range gx {
				gx[i] += g[0] * w[i]
			}
		}
	})
	return out
}

// Dot returns the scalar sum(a*b) of two same-shape tensors.
func (tp *Tape) Dot(a, b *Tensor) *Tensor {
	mustSame("Dot", a, b)
	out := tp.out([]int{1}, a, b)
	var s float64
	for i, v := range a.Data {
		s += float64(v) * float64(b.Data[i])
	}
	out.Data[0] = float32(s)
	tp.record(out, func(g []float32) {
		if ga := tp.grad(a); ga != nil {
			for i := range ga {
				ga[i] += g[0] * b.Data[i]
			}
		}
		if gb := tp.grad(b); gb != nil {
			for i := range gb {
				gb[i] += g[0] * a.Data[i]
			}
		}
	})
	return out
}

// Reshape returns a view of x with a new shape (data shared); one dimension
// may be -1 and is inferred.
func (tp *Tape) Reshape(x *Tensor, shape ...int) *Tensor {
	mustNotHalf([]*Tensor{x})
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range shape {
		if d == -1 {
			if infer >= 0 {
				panic(fmt.Sprintf("tensor: Reshape %v has more than one -1", shape))
			}
			infer = i
		} else {
			known *= d
		}
	}
	if infer >= 0 && known > 0 {
		shape[infer] = len(x.Data) / known
	}
	if shapeSize(shape) != len(x.Data) {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v", x.Shape, shape))
	}
	out := &Tensor{Shape: shape, Data: x.Data, requiresGrad: tp != nil && x.requiresGrad}
	tp.record(out, func(g []float32) { tp.accum(x, g) })
	return out
}

// rowsOf views x as [Shape[0], rest].
func rowsOf(op string, x *Tensor) (int, int) {
	if len(x.Shape) == 0 {
		panic(fmt.Sprintf("tensor: %s needs at least 1-D input", op))
	}
	if x.Shape[0] == 0 {
		return 0, 0
	}
	return x.Shape[0], x.Size() / x.Shape[0]
}

// SliceRows returns rows [from, to) along the first dimension (a copy).
func (tp *Tape) SliceRows(x *Tensor, from, to int) *Tensor {
	n, w := rowsOf("SliceRows", x)
	if from < 0 || to > n || from > to {
		panic(fmt.Sprintf("tensor: SliceRows [%d,%d) out of range for %v", from, to, x.Shape))
	}
	shape := append([]int{to - from}, x.Shape[1:]...)
	if x.half != nil { // a view of the frozen 16-bit rows (fused qkv, gate_up)
		return &Tensor{Shape: shape, half: x.half[from*w : to*w], halfKind: x.halfKind}
	}
	out := tp.out(shape, x)
	copy(out.Data, x.Data[from*w:to*w])
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			addInto(gx[from*w:to*w], g)
		}
	})
	return out
}

// SelectRows gathers rows of x along the first dimension (repeats allowed).
func (tp *Tape) SelectRows(x *Tensor, rows []int) *Tensor {
	n, w := rowsOf("SelectRows", x)
	for _, r := range rows {
		if r < 0 || r >= n {
			panic(fmt.Sprintf("tensor: SelectRows row %d out of range for %v", r, x.Shape))
		}
	}
	shape := append([]int{len(rows)}, x.Shape[1:]...)
	out := tp.out(shape, x)
	for i, r := range rows {
		copy(out.Data[i*w:(i+1)*w], x.Data[r*w:(r+1)*w])
	}
	tp.record(out, func(g []float32) {
		gx := tp.grad(x)
		if gx == nil {
			return
		}
		for i, r := range rows {
			dst, src := gx[r*w:(r+1)*w], g[i*w:(i+1)*w]
			for j := range src {
				dst[j] += src[j]
			}
		}
	})
	return out
}

// ConcatRows concatenates tensors along the first dimension.
func (tp *Tape) ConcatRows(xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		panic("tensor: ConcatRows of nothing")
	}
	rest := xs[0].Shape[1:]
	total := 0
	for _, x := range xs {
		if len(x.Shape) == 0 || !slices.Equal(x.Shape[1:], rest) {
			panic(fmt.Sprintf("tensor: ConcatRows shape mismatch %v vs %v", x.Shape, xs[0].Shape))
		}
		total += x.Shape[0]
	}
	out := tp.out(append([]int{total}, rest...), xs...)
	off := 0
	for _, x := range xs {
		copy(out.Data[off:], x.Data)
		off += len(x.Data)
	}
	tp.record(out, func(g []float32) {
		off := 0
		for _, x := range xs {
			if gx := tp.grad(x); gx != nil {
				addInto(gx, g[off:off+len(x.Data)])
			}
			off += len(x.Data)
		}
	})
	return out
}

// ConcatLast concatenates tensors along the last dimension (leading
// dimensions must agree).
func (tp *Tape) ConcatLast(xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		panic("tensor: ConcatLast of nothing")
	}
	lead := xs[0].Shape[:len(xs[0].Shape)-1]
	n := shapeSize(lead)
	widths := make([]int, len(xs))
	total := 0
	for i, x := range xs {
		if len(x.Shape) == 0 || !slices.Equal(x.Shape[:len(x.Shape)-1], lead) {
			panic(fmt.Sprintf("tensor: ConcatLast shape mismatch %v vs %v", x.Shape, xs[0].Shape))
		}
		widths[i] = x.Shape[len(x.Shape)-1]
		total += widths[i]
	}
	out := tp.out(append(append([]int(nil), lead...), total), xs...)
	for r := 0; r < n; r++ {
		off := r * total
		for i, x := range xs {
			copy(out.Data[off:off+widths[i]], x.Data[r*widths[i]:(r+1)*widths[i]])
			off += widths[i]
		}
	}
	tp.record(out, func(g []float32) {
		for r := 0; r < n; r++ {
			off := r * total
			for i, x := range xs {
				if gx := tp.grad(x); gx != nil {
					dst, src := gx[r*widths[i]:(r+1)*widths[i]], g[off:off+widths[i]]
					for j := range src {
						dst[j] += src[j]
					}
				}
				off += widths[i]
			}
		}
	})
	return out
}

// permuteHeads copies between [B*T, H*Dh] (rows=b*T+t, cols=h*Dh+d) and
// [B*H, T, Dh]; toHeads selects the direction, add accumulates.
func permuteHeads(src, dst []float32, B, T, H, Dh int, toHeads, add bool) {
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			row := (b*T + t) * H * Dh
			for h := 0; h < H; h++ {
				hp := ((b*H+h)*T + t) * Dh
				var s, d []float32
				if toHeads {
					s, d = src[row+h*Dh:row+(h+1)*Dh], dst[hp:hp+Dh]
				} else {
					s, d = src[hp:hp+Dh], dst[row+h*Dh:row+(h+1)*Dh]
				}
				if add {
					for i := range s {
						d[i] += s[i]
					}
				} else {
					copy(d, s)
				}
			}
		}
	}
}

// SplitHeads turns x [B*T, H*Dh] into [B*H, T, Dh].
func (tp *Tape) SplitHeads(x *Tensor, B, T, H int) *Tensor {
	n, d := x.rows2("SplitHeads")
	if n != B*T || H <= 0 || d%H != 0 {
		panic(fmt.Sprintf("tensor: SplitHeads of %v with B=%d T=%d H=%d", x.Shape, B, T, H))
	}
	Dh := d / H
	out := tp.out([]int{B * H, T, Dh}, x)
	permuteHeads(x.Data, out.Data, B, T, H, Dh, true, false)
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			permuteHeads(g, gx, B, T, H, Dh, false, true)
		}
	})
	return out
}

// MergeHeads turns x [B*H, T, Dh] into [B*T, H*Dh] (inverse of SplitHeads).
func (tp *Tape) MergeHeads(x *Tensor, B, T, H int) *Tensor {
	if len(x.Shape) != 3 || x.Shape[0] != B*H || x.Shape[1] != T {
		panic(fmt.Sprintf("tensor: MergeHeads of %v with B=%d T=%d H=%d", x.Shape, B, T, H))
	}
	Dh := x.Shape[2]
	out := tp.out([]int{B * T, H * Dh}, x)
	permuteHeads(x.Data, out.Data, B, T, H, Dh, false, false)
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			permuteHeads(g, gx, B, T, H, Dh, true, true)
		}
	})
	return out
}
