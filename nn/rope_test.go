package nn

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"vlmq/tensor"
)

// ropeDirect is the textbook rotate-half RoPE, element by element.
func ropeDirect(x []float32, pos []int, heads, dh, rot int, theta float64) []float32 {
	out := append([]float32(nil), x...)
	half := rot / 2
	for r, p := range pos {
		for h := 0; h < heads; h++ {
			b := r*heads*dh + h*dh
			for i := 0; i < half; i++ {
				ang := float64(p) / math.Pow(theta, float64(2*i)/float64(rot))
				c, s := math.Cos(ang), math.Sin(ang)
				x1, x2 := float64(x[b+i]), float64(x[b+i+half])
				out[b+i] = float32(x1*c - x2*s)
				out[b+i+half] = float32(x2*c + x1*s)
			}
		}
	}
	return out
}

// TestRope: RoPE matches the textbook form for full and partial rotary
// dims, and so does its gradient. RoPE is linear in x, so the gradient g
// of L(x) = <w, RoPE(x)> is right when <g, v> = <w, RoPE(v)> for every v.
func TestRope(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	normal := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	for _, c := range []struct{ n, heads, dh, rot int }{
		{3, 2, 8, 8},  // full rotary
		{4, 3, 8, 4},  // Phi-1.5-style half rotary
		{2, 2, 10, 6}, // halves of 3 in a head of 10: single-value chunks
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			x := tensor.Param(c.n, c.heads*c.dh)
			copy(x.Data, normal(x.Size()))
			pos := make([]int, c.n)
			for i := range pos {
				pos[i] = r.Intn(50)
			}
			got := RoPE(nil, x, pos, c.heads, c.dh, c.rot, 10000)
			want := ropeDirect(x.Data, pos, c.heads, c.dh, c.rot, 10000)
			for i := range want {
				if math.Abs(float64(got.Data[i]-want[i])) > 1e-5 {
					t.Fatalf("rope[%d] = %v, want %v", i, got.Data[i], want[i])
				}
			}
			w := normal(x.Size())
			tp := tensor.NewTape()
			if err := tp.Backward(tp.WeightedSum(RoPE(tp, x, pos, c.heads, c.dh, c.rot, 10000), w)); err != nil {
				t.Fatal(err)
			}
			for k := range 3 {
				v := normal(x.Size())
				rv := ropeDirect(v, pos, c.heads, c.dh, c.rot, 10000)
				var gv, wr float64
				for i := range v {
					gv += float64(x.Grad[i]) * float64(v[i])
					wr += float64(w[i]) * float64(rv[i])
				}
				if math.Abs(gv-wr) > 1e-4*(1+math.Abs(wr)) {
					t.Fatalf("direction %d: <grad, v> = %v, <w, RoPE(v)> = %v", k, gv, wr)
				}
			}
		})
	}
}

// ropeComposed is RoPE as tape ops were composed before the fused op:
// x⊙cos + swap(x)⊙sin', with the tables computed per element. The fused
// op must match it bit for bit, forward and backward, so a run resumed
// across the change gives the weights it would have given.
func ropeComposed(tp *tensor.Tape, x *tensor.Tensor, pos []int, heads, dh, rot int, theta float64) *tensor.Tensor {
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
	g := gcdInt(rot/2, dh)
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

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// TestRopeMatchesComposedBitForBit: the fused op gives the composed
// form's outputs and gradients exactly, at positions past the first
// table (which then grows).
func TestRopeMatchesComposedBitForBit(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, c := range []struct{ n, heads, dh, rot int }{
		{40, 6, 32, 32}, // the medium preset's heads
		{9, 3, 8, 4},
		{7, 2, 10, 6},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			pos := make([]int, c.n)
			for i := range pos {
				pos[i] = r.Intn(1500)
			}
			w := make([]float32, c.n*c.heads*c.dh)
			for i := range w {
				w[i] = float32(r.NormFloat64())
			}
			run := func(f func(*tensor.Tape, *tensor.Tensor, []int, int, int, int, float64) *tensor.Tensor) (out, grad []float32) {
				x := tensor.Param(c.n, c.heads*c.dh)
				rr := rand.New(rand.NewSource(3))
				for i := range x.Data {
					x.Data[i] = float32(rr.NormFloat64())
				}
				tp := tensor.NewTape()
				// A Linear-like input that is not a leaf, as q and k are.
				h := tp.Scale(x, 1.5)
				y := f(tp, h, pos, c.heads, c.dh, c.rot, 10000)
				out = append([]float32(nil), y.Data...)
				if err := tp.Backward(tp.WeightedSum(y, w)); err != nil {
					t.Fatal(err)
				}
				return out, append([]float32(nil), x.Grad...)
			}
			o1, g1 := run(RoPE)
			o2, g2 := run(ropeComposed)
			for i := range o1 {
				if math.Float32bits(o1[i]) != math.Float32bits(o2[i]) {
					t.Fatalf("out[%d] = %v fused, %v composed", i, o1[i], o2[i])
				}
				if math.Float32bits(g1[i]) != math.Float32bits(g2[i]) {
					t.Fatalf("grad[%d] = %v fused, %v composed", i, g1[i], g2[i])
				}
			}
		})
	}
}

// An empty batch rotates to an empty tensor, as the composed form did.
func TestRopeNoRows(t *testing.T) {
	x := tensor.Param(0, 16)
	if got := RoPE(tensor.NewTape(), x, nil, 2, 8, 8, 10000); len(got.Data) != 0 || got.Shape[1] != 16 {
		t.Fatalf("RoPE of no rows = %v", got.Shape)
	}
}
