package nn

import (
	"math"

	"vlmq/tensor"
)

// RoPE applies rotary position embeddings to x [N, heads*dh] (row r at
// position pos[r]): within each head the first rot dims rotate in the
// "rotate half" pairing (i, i+rot/2) used by Gemma, Phi-3 and Phi-1.5;
// the rest pass through. Written as x⊙cos + swap(x)⊙sin', where swap
// exchanges the two rotating halves and sin' carries the sign, it is linear
// in x, so its gradient is the inverse rotation.
func RoPE(tp *tensor.Tape, x *tensor.Tensor, pos []int, heads, dh, rot int, theta float64) *tensor.Tensor {
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
