package tensor

import "fmt"

// RoPE rotates x [n, heads*dh] by position: out = x*c + swap(x)*s, where
// row r reads c and s from the tables cos and sin at row pos[r] (dh values
// a row, the same for every head) and swap exchanges dims [0,rot/2) and
// [rot/2,rot) of each head. It is one op in place of the five of the
// composed form (two products, a sum and the swap's views); building the
// tables once per position instead of calling cos and sin for every
// element, and skipping the intermediates' buffers, made it the larger
// part of a pretraining step's time. Each output and gradient element is
// the same float32 products and sums, added in the same order, as the
// composed form's, so a run gives bit-identical weights either way.
func (tp *Tape) RoPE(x *Tensor, cos, sin []float32, pos []int, heads, dh, rot int) *Tensor {
	n, w := rowsOf("RoPE", x)
	if n == 0 {
		return tp.out(x.Shape, x) // nothing to rotate, as the composed form
	}
	if w != heads*dh || rot < 0 || rot > dh || rot%2 != 0 || len(pos) != n {
		panic(fmt.Sprintf("tensor: RoPE of %v with %d heads of %d dims, %d rotated, %d positions", x.Shape, heads, dh, rot, len(pos)))
	}
	for _, p := range pos {
		if p < 0 || (p+1)*dh > len(cos) || (p+1)*dh > len(sin) {
			panic(fmt.Sprintf("tensor: RoPE position %d beyond tables of %d rows", p, min(len(cos), len(sin))/dh))
		}
	}
	half := rot / 2
	swap := func(j int) int {
		switch {
		case j < half:
			return j + half
		case j < rot:
			return j - half
		}
		return j
	}
	out := tp.out(x.Shape, x)
	for r := 0; r < n; r++ {
		c, s := cos[pos[r]*dh:(pos[r]+1)*dh], sin[pos[r]*dh:(pos[r]+1)*dh]
		for h := 0; h < heads; h++ {
			xr, o := x.Data[r*w+h*dh:r*w+(h+1)*dh], out.Data[r*w+h*dh:r*w+(h+1)*dh]
			for j := range o {
				o[j] = float32(xr[j]*c[j]) + float32(xr[swap(j)]*s[j])
			}
		}
	}
	tp.record(out, func(g []float32) {
		gx := tp.grad(x)
		if gx == nil {
			return
		}
		// The composed form's order: the swapped product's gradient
		// first, then the direct one's.
		for r := 0; r < n; r++ {
			c, s := cos[pos[r]*dh:(pos[r]+1)*dh], sin[pos[r]*dh:(pos[r]+1)*dh]
			for h := 0; h < heads; h++ {
				gr, gxr := g[r*w+h*dh:r*w+(h+1)*dh], gx[r*w+h*dh:r*w+(h+1)*dh]
				for j := range gxr {
					k := swap(j)
					gxr[j] += float32(gr[k] * s[k])
				}
				for j := range gxr {
					gxr[j] += float32(gr[j] * c[j])
				}
			}
		}
	})
	return out
}
