package tensor

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"
)

// kernelSets are the instruction sets this CPU can run, narrowest first;
// each test runs on all of them and restores the default afterwards.
func kernelSets(t testing.TB) []string {
	def := KernelISA
	t.Cleanup(func() { useKernels(def) })
	var sets []string
	for _, want := range []string{"sse2", "avx2", "avx512"} {
		got := useKernels(want)
		if !slices.Contains(sets, got) {
			sets = append(sets, got)
		}
	}
	return sets
}

func randVec(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

// closeTo reports the first index where got and want differ by more than
// tol relative to max(1, |want|), or -1.
func closeTo(got, want []float32, tol float64) int {
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(w) != math.IsNaN(g) || math.IsInf(w, 0) && g != w {
			return i
		}
		if !math.IsNaN(w) && !math.IsInf(w, 0) && math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return i
		}
	}
	return -1
}

// kernelLengths cover empty input, pure tails, whole vectors of each width
// plus tails, and the model's widths (192, 768, vocabulary 1539).
var kernelLengths = []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 192, 200, 1539}

// TestKernelsMatchScalar holds every vector kernel, on every instruction
// set the CPU has, to its scalar Go reference (kernels_ref.go).
func TestKernelsMatchScalar(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	type kernel struct {
		name string
		tol  float64
		// run computes the kernel's outputs on inputs drawn from r, with
		// the vector (vec true) or the reference implementation.
		run func(r *rand.Rand, n int, vec bool) []float32
	}
	pick := func(vec bool, v, ref any) any {
		if vec {
			return v
		}
		return ref
	}
	kernels := []kernel{
		{"exp", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			x := randVec(r, n, 30)
			if n > 4 { // the edges: overflow, underflow, NaN, -Inf
				x[0], x[1], x[2], x[3] = 100, -100, float32(math.NaN()), float32(math.Inf(-1))
			}
			y := make([]float32, n)
			pick(vec, vkExp, refExp).(func(y, x []float32))(y, x)
			return y
		}},
		{"logsumexp", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			x := randVec(r, n, 5)
			return []float32{pick(vec, vkLogSumExp, refLogSumExp).(func([]float32) float32)(x)}
		}},
		{"softmax", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			x := randVec(r, n, 5)
			if n > 3 {
				x[1] = float32(math.Inf(-1)) // a masked key
			}
			l := pick(vec, vkSoftmax, refSoftmax).(func([]float32) float32)(x)
			return append(x, l)
		}},
		{"softmax fully masked", 0, func(r *rand.Rand, n int, vec bool) []float32 {
			x := randVec(r, n, 1)
			for i := range x {
				x[i] = float32(math.Inf(-1))
			}
			l := pick(vec, vkSoftmax, refSoftmax).(func([]float32) float32)(x)
			return append(x, l)
		}},
		{"attention softmax", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			tq, tk, ld := 5, n, n+3 // rows at a stride wider than the keys computed
			P := randVec(r, tq*ld, 3)
			vis := make([]int32, tq)
			for i := range vis {
				vis[i] = int32(r.Intn(tk + 1))
			}
			pick(vec, vkAttnSoftmax, refAttnSoftmax).(func([]float32, int, int, int, []int32, float32, int))(P, ld, tq, tk, vis, 0.25, tk-tq)
			return P
		}},
		{"attention softmax backward", 1e-5, func(r *rand.Rand, n int, vec bool) []float32 {
			tq, tk, dh := 4, n, 1+n%40
			ldd, ldp, ldo, ldg := tk+1, tk+2, dh+3, dh
			dP, P, O, G := randVec(r, tq*ldd, 1), randVec(r, tq*ldp, 1), randVec(r, tq*ldo, 1), randVec(r, tq*ldg, 1)
			pick(vec, vkAttnSoftmaxBwd, refAttnSoftmaxBwd).(func(a []float32, la int, b []float32, lb int, c []float32, lc int, d []float32, ld, tq, tk, dh int))(dP, ldd, P, ldp, O, ldo, G, ldg, tq, tk, dh)
			return dP
		}},
		{"gelu", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			x, y, sg := randVec(r, n, 3), make([]float32, n), make([]float32, n)
			pick(vec, vkGELUFwd, refGELUFwd).(func(y, sg, x []float32))(y, sg, x)
			y2 := make([]float32, n)
			pick(vec, vkGELUFwd, refGELUFwd).(func(y, sg, x []float32))(y2, nil, x)
			return append(append(y, sg...), y2...)
		}},
		{"gelu backward", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			x, g, gx := randVec(r, n, 3), randVec(r, n, 1), randVec(r, n, 1)
			sg := make([]float32, n)
			refGELUFwd(make([]float32, n), sg, x)
			pick(vec, vkGELUBwd, refGELUBwd).(func(gx, g, x, sg []float32))(gx, g, x, sg)
			return gx
		}},
		{"add", 0, func(r *rand.Rand, n int, vec bool) []float32 {
			a, b, o := randVec(r, n, 1), randVec(r, n, 1), make([]float32, n)
			pick(vec, vkAdd, refAdd).(func(o, a, b []float32))(o, a, b)
			pick(vec, vkAcc, refAcc).(func(d, s []float32))(a, b)
			return append(o, a...)
		}},
		{"column sums", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			rows, ld := 7, n+3
			a, b, dst := randVec(r, rows*ld, 1), randVec(r, rows*ld, 1), randVec(r, 2*n, 1)
			f := pick(vec, vkColSum, refColSum).(func(dst, a, b []float32, rows, d, ld int))
			f(dst[:n], a, nil, rows, n, ld)
			f(dst[n:], a, b, rows, n, ld)
			return dst
		}},
		{"layer norm", 2e-5, func(r *rand.Rand, n int, vec bool) []float32 {
			rows := 3
			x, g, b := randVec(r, rows*n, 2), randVec(r, n, 1), randVec(r, n, 1)
			for i := range x {
				x[i] += 4 // a mean far from 0
			}
			out, xh, rs := make([]float32, rows*n), make([]float32, rows*n), make([]float32, rows)
			f := pick(vec, vkLayerNormFwd, refLayerNormFwd).(func(out, xhat, rstd, x, g, b []float32, rows, d int, eps float32))
			f(out, xh, rs, x, g, b, rows, n, 1e-5)
			out2 := make([]float32, rows*n)
			f(out2, out2, nil, x, nil, nil, rows, n, 1e-5) // in place, no affine part
			return append(append(append(out, xh...), rs...), out2...)
		}},
		{"layer norm backward", 2e-5, func(r *rand.Rand, n int, vec bool) []float32 {
			rows := 3
			gy, xh, g, gx := randVec(r, rows*n, 1), randVec(r, rows*n, 1), randVec(r, n, 1), randVec(r, 2*rows*n, 1)
			rs := []float32{0.5, 2, 1.25}
			f := pick(vec, vkLayerNormBwd, refLayerNormBwd).(func(gx, gy, xhat, rstd, g []float32, rows, d int))
			f(gx[:rows*n], gy, xh, rs, g, rows, n)
			f(gx[rows*n:], gy, xh, rs, nil, rows, n)
			return gx
		}},
		{"cross-entropy gradient", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			x, gr := randVec(r, n, 3), randVec(r, n, 0.1)
			pick(vec, vkCEGrad, refCEGrad).(func(gr, x []float32, lse, w float32))(gr, x, refLogSumExp(x), 0.7)
			return gr
		}},
		{"adamw", 2e-6, func(r *rand.Rand, n int, vec bool) []float32 {
			p, g, m, v := randVec(r, n, 1), randVec(r, n, 1), randVec(r, n, 0.1), randVec(r, n, 0.01)
			for i := range v {
				v[i] = float32(math.Abs(float64(v[i])))
			}
			pick(vec, vkAdamW, refAdamW).(func(p, g, m, v []float32, b1, b2, eps, rbc2, step, decay float32))(p, g, m, v, 0.9, 0.999, 1e-8, 1.2, 1e-3, 0.9999)
			return append(append(p, m...), v...)
		}},
	}
	for _, set := range kernelSets(t) {
		useKernels(set)
		for _, k := range kernels {
			for _, n := range kernelLengths {
				seed := r.Int63()
				got := k.run(rand.New(rand.NewSource(seed)), n, true)
				want := k.run(rand.New(rand.NewSource(seed)), n, false)
				if len(got) != len(want) {
					t.Fatalf("%s/%s n=%d: %d outputs, want %d", set, k.name, n, len(got), len(want))
				}
				if i := closeTo(got, want, k.tol); i >= 0 {
					t.Errorf("%s/%s n=%d: output %d is %g, scalar reference %g (tolerance %g)", set, k.name, n, i, got[i], want[i], k.tol)
				}
			}
		}
	}
}

// TestElementwiseKernelsIgnoreCuts: an elementwise kernel gives the same
// bits for an element wherever a caller cuts the array (so a parallel loop
// gives the same bits on any thread count).
func TestElementwiseKernelsIgnoreCuts(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	n := 1000
	x, g := randVec(r, n, 3), randVec(r, n, 1)
	for _, set := range kernelSets(t) {
		useKernels(set)
		whole := func(f func(lo, hi int)) { f(0, n) }
		cut := func(f func(lo, hi int)) {
			for _, c := range [][2]int{{0, 5}, {5, 333}, {333, 334}, {334, n}} {
				f(c[0], c[1])
			}
		}
		run := func(split func(func(lo, hi int))) []float32 {
			y, sg, gx, e := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			split(func(lo, hi int) {
				vkGELUFwd(y[lo:hi], sg[lo:hi], x[lo:hi])
				vkGELUBwd(gx[lo:hi], g[lo:hi], x[lo:hi], sg[lo:hi])
				vkExp(e[lo:hi], x[lo:hi])
			})
			return slices.Concat(y, sg, gx, e)
		}
		if !slices.Equal(run(whole), run(cut)) {
			t.Errorf("%s: cutting the array changes the bits", set)
		}
	}
}

func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	const n = 1 << 16
	x, y, z, w := randVec(r, n, 2), randVec(r, n, 1), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i] = float32(math.Abs(float64(y[i]))) * 1e-3
	}
	rows, d := n/192, 192
	rs := make([]float32, rows)
	cases := []struct {
		name     string
		vec, ref func()
	}{
		{"exp", func() { vkExp(z, x) }, func() { refExp(z, x) }},
		{"softmax", func() { copy(z, x); vkSoftmax(z) }, func() { copy(z, x); refSoftmax(z) }},
		{"gelu", func() { vkGELUFwd(z, w, x) }, func() { refGELUFwd(z, w, x) }},
		{"gelu-bwd", func() { vkGELUBwd(z, y, x, w) }, func() { refGELUBwd(z, y, x, w) }},
		{"layernorm", func() { vkLayerNormFwd(z, z, rs, x, y[:d], y[d:2*d], rows, d, 1e-5) },
			func() { refLayerNormFwd(z, z, rs, x, y[:d], y[d:2*d], rows, d, 1e-5) }},
		{"layernorm-bwd", func() { vkLayerNormBwd(z, y, x, rs, y[:d], rows, d) }, func() { refLayerNormBwd(z, y, x, rs, y[:d], rows, d) }},
		{"ce-grad", func() { vkCEGrad(z, x, 3, 0.5) }, func() { refCEGrad(z, x, 3, 0.5) }},
		{"adamw", func() { vkAdamW(z, x, y, w, 0.9, 0.999, 1e-8, 1, 1e-3, 1) }, func() { refAdamW(z, x, y, w, 0.9, 0.999, 1e-8, 1, 1e-3, 1) }},
		{"colsum", func() { vkColSum(z[:d], x, y, rows, d, d) }, func() { refColSum(z[:d], x, y, rows, d, d) }},
	}
	for _, c := range cases {
		for _, v := range []struct {
			impl string
			f    func()
		}{{KernelISA, c.vec}, {"scalar", c.ref}} {
			b.Run(fmt.Sprintf("%s/%s", c.name, v.impl), func(b *testing.B) {
				b.SetBytes(4 * n)
				for i := 0; i < b.N; i++ {
					v.f()
				}
			})
		}
	}
}
