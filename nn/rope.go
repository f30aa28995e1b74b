package nn

import (
	"math"
	"sync"

	"vlmq/tensor"
)

// RoPE applies rotary position embeddings to x [N, heads*dh] (row r at
// position pos[r]): within each head the first rot dims rotate in the
// "rotate half" pairing (i, i+rot/2) used by Gemma, Phi-3 and Phi-1.5;
// the rest pass through. Written as x⊙cos + swap(x)⊙sin', where swap
// exchanges the two rotating halves and sin' carries the sign, it is linear
// in x, so its gradient is the inverse rotation.
func RoPE(tp *tensor.Tape, x *tensor.Tensor, pos []int, heads, dh, rot int, theta float64) *tensor.Tensor {
	top := 0
	for _, p := range pos {
		top = max(top, p+1)
	}
	cos, sin := ropeTables(top, dh, rot, theta)
	return tp.RoPE(x, cos, sin, pos, heads, dh, rot)
}

// ropeTable holds cos and sin' for positions [0, n), dh values a row.
type ropeTable struct {
	n        int
	cos, sin []float32
}

type ropeKey struct {
	dh, rot int
	theta   float64
}

var ropeCache = struct {
	sync.Mutex
	m map[ropeKey]*ropeTable
}{m: map[ropeKey]*ropeTable{}}

// ropeTables returns tables for at least positions [0, n): built once per
// size and grown by doubling, as model calls from many goroutines share
// them (a table is never written after it is published).
func ropeTables(n, dh, rot int, theta float64) (cos, sin []float32) {
	k := ropeKey{dh, rot, theta}
	ropeCache.Lock()
	defer ropeCache.Unlock()
	t := ropeCache.m[k]
	if t == nil || t.n < n {
		size := max(n, 512)
		if t != nil {
			size = max(n, 2*t.n)
		}
		t = newRopeTable(size, dh, rot, theta)
		ropeCache.m[k] = t
	}
	return t.cos, t.sin
}

func newRopeTable(n, dh, rot int, theta float64) *ropeTable {
	half := rot / 2
	inv := make([]float64, half)
	for i := range inv {
		inv[i] = 1 / math.Pow(theta, float64(2*i)/float64(rot))
	}
	t := &ropeTable{n: n, cos: make([]float32, n*dh), sin: make([]float32, n*dh)}
	for p := 0; p < n; p++ {
		for j := 0; j < dh; j++ {
			c, s := 1.0, 0.0
			if j < rot {
				ang := float64(p) * inv[j%half]
				c, s = math.Cos(ang), math.Sin(ang)
				if j < half {
					s = -s
				}
			}
			t.cos[p*dh+j] = float32(c)
			t.sin[p*dh+j] = float32(s)
		}
	}
	return t
}
