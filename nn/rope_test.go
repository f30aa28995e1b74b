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
