package tensor

import (
	"math"
	"math/rand"
	"os"
	"testing"
)

func TestFromDataErrors(t *testing.T) {
	cases := []struct {
		name  string
		n     int
		shape []int
		ok    bool
	}{
		{"match", 6, []int{2, 3}, true},
		{"scalar", 1, nil, true},
		{"too few", 5, []int{2, 3}, false},
		{"too many", 7, []int{2, 3}, false},
		{"negative", 0, []int{-1, 0}, false},
	}
	for _, c := range cases {
		_, err := FromData(make([]float32, c.n), c.shape...)
		if (err == nil) != c.ok {
			t.Errorf("%s: err=%v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = alpha*float32(s) + beta*c[i*ldc+j]
		}
	}
}

// eachGemm runs f once with every gemm backend compiled in.
func eachGemm(t *testing.T, f func(t *testing.T)) {
	defer selectGemm(os.Getenv("VLMQ_GEMM"))
	for _, b := range gemmBackends {
		selectGemm(b)
		t.Run(b, f)
	}
}

func TestSgemmMatchesNaive(t *testing.T) { eachGemm(t, testSgemmMatchesNaive) }

func testSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	// Sizes above gemmSplitFlops exercise the row and column splits.
	for _, sz := range [][3]int{{3, 5, 7}, {130, 140, 90}, {40, 200, 150}, {1, 1, 1}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a := make([]float32, m*k)
				b := make([]float32, k*n)
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				for i := range b {
					b[i] = float32(r.NormFloat64())
				}
				lda, ldb := k, n
				if ta {
					lda = m
				}
				if tb {
					ldb = k
				}
				c1 := make([]float32, m*n)
				for i := range c1 {
					c1[i] = float32(r.NormFloat64())
				}
				c2 := append([]float32(nil), c1...)
				Sgemm(ta, tb, m, n, k, 0.7, a, lda, b, ldb, 0.5, c1, n)
				naiveGemm(ta, tb, m, n, k, 0.7, a, lda, b, ldb, 0.5, c2, n)
				for i := range c1 {
					if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-3*(1+math.Abs(float64(c2[i]))) {
						t.Fatalf("%v ta=%v tb=%v: c[%d]=%v want %v", sz, ta, tb, i, c1[i], c2[i])
					}
				}
			}
		}
	}
}

func TestFastMathAccuracy(t *testing.T) {
	for x := -87.0; x <= 88.0; x += 0.01237 {
		got, want := float64(Exp(float32(x))), math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("Exp(%v)=%v want %v", x, got, want)
		}
	}
	if Exp(-200) != 0 || !math.IsInf(float64(Exp(200)), 1) {
		t.Fatal("Exp saturation wrong")
	}
	for x := -12.0; x <= 12.0; x += 0.00731 {
		xf := float64(float32(x))
		if d := math.Abs(float64(Tanh(float32(x))) - math.Tanh(xf)); d > 1e-6 {
			t.Fatalf("Tanh(%v) off by %v", x, d)
		}
		if d := math.Abs(float64(Sigmoid(float32(x))) - 1/(1+math.Exp(-xf))); d > 1e-6 {
			t.Fatalf("Sigmoid(%v) off by %v", x, d)
		}
		ref := 0.5 * xf * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(xf+0.044715*xf*xf*xf)))
		if d := math.Abs(float64(GELU(float32(x))) - ref); d > 2e-6*(1+math.Abs(ref)) {
			t.Fatalf("GELU(%v) off by %v", x, d)
		}
	}
	// Small-argument tanh must keep relative accuracy.
	for _, x := range []float32{1e-7, -3e-4, 0.01, 0.06} {
		if rel := math.Abs(float64(Tanh(x))-math.Tanh(float64(x))) / math.Abs(math.Tanh(float64(x))); rel > 1e-6 {
			t.Fatalf("Tanh(%v) relative error %v", x, rel)
		}
	}
}

func TestSoftmaxRow(t *testing.T) {
	row := []float32{1000, 1001, float32(math.Inf(-1)), 999}
	lse := SoftmaxRow(row)
	e := []float64{math.Exp(-1), 1, 0, math.Exp(-2)}
	s := e[0] + e[1] + e[3]
	for i := range row {
		if math.Abs(float64(row[i])-e[i]/s) > 1e-6 {
			t.Fatalf("softmax %v", row)
		}
	}
	if math.Abs(float64(lse)-(1001+math.Log(s))) > 1e-3 {
		t.Fatalf("lse %v", lse)
	}
	masked := []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	SoftmaxRow(masked)
	if masked[0] != 0 || masked[1] != 0 {
		t.Fatalf("fully masked row gave %v, want zeros", masked)
	}
}

// TestAttentionMatchesComposite checks the fused kernel's masking and output
// against the same computation built from separate ops.
func TestAttentionMatchesComposite(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	B, H, Tk, Dh := 2, 2, 6, 3
	for _, tc := range []struct {
		o  AttnOpts
		tq int
	}{
		{AttnOpts{H: H}, 6},
		{AttnOpts{Causal: true, H: H}, 6},
		{AttnOpts{Causal: true, Prefix: 4, H: H}, 6},
		{AttnOpts{Causal: true, Prefix: 2, KeyLen: []int{3, 6}, H: H}, 6},
		{AttnOpts{Causal: true, KeyLen: []int{0, 6}, H: H}, 6},
		{AttnOpts{Causal: true, Prefix: 3, H: H}, 1},
		{AttnOpts{Causal: true, H: H}, 3},
		{AttnOpts{Causal: true, H: H, KeyMask: []bool{false, true, false, false, true, false, false, false, false, false, false, true}}, 2},
		{AttnOpts{Causal: true, Prefix: 3, H: H, ALiBi: true}, 6},
		{AttnOpts{Causal: true, KeyLen: []int{4, 6}, H: H, ALiBi: true}, 2},
		{AttnOpts{Causal: true, H: H, Softcap: 0.4}, 6},
		{AttnOpts{Causal: true, Prefix: 4, H: H, Window: 2}, 6},
		{AttnOpts{Causal: true, KeyLen: []int{3, 6}, H: H, Window: 3, Softcap: 2}, 6},
		{AttnOpts{Causal: true, H: H, Window: 2}, 2},
	} {
		q, k, v := randConst(r, B*H, tc.tq, Dh), randConst(r, B*H, Tk, Dh), randConst(r, B*H, Tk, Dh)
		got := (*Tape)(nil).Attention(q, k, v, tc.o)
		scale := 1 / float32(math.Sqrt(float64(Dh)))
		for bh := 0; bh < B*H; bh++ {
			var tp *Tape
			qh := New(q.Data[bh*tc.tq*Dh:(bh+1)*tc.tq*Dh], tc.tq, Dh)
			kh := New(k.Data[bh*Tk*Dh:(bh+1)*Tk*Dh], Tk, Dh)
			vh := New(v.Data[bh*Tk*Dh:(bh+1)*Tk*Dh], Tk, Dh)
			s := tp.Scale(tp.MatMul(qh, kh, false, true), scale)
			if c := tc.o.Softcap; c > 0 {
				s = tp.Scale(tp.Tanh(tp.Scale(s, 1/c)), c)
			}
			if tc.o.ALiBi {
				// Slopes written out for H=2: 2^-4 and 2^-8.
				m := []float32{1.0 / 16, 1.0 / 256}[bh%H]
				for i := 0; i < tc.tq; i++ {
					for j := 0; j < Tk; j++ {
						s.Data[i*Tk+j] -= m * float32(math.Abs(float64(Tk-tc.tq+i-j)))
					}
				}
			}
			mask := make([]bool, tc.tq*Tk)
			allMasked := make([]bool, tc.tq)
			for i := 0; i < tc.tq; i++ {
				allMasked[i] = true
				for j := 0; j < Tk; j++ {
					mask[i*Tk+j] = !tc.o.Allowed(bh/H, Tk-tc.tq+i, j, Tk)
					if !mask[i*Tk+j] {
						allMasked[i] = false
					}
				}
			}
			want := tp.MatMul(tp.Softmax(tp.MaskedFill(s, mask, float32(math.Inf(-1)))), vh, false, false)
			for i := 0; i < tc.tq; i++ {
				for d := 0; d < Dh; d++ {
					w := want.Data[i*Dh+d]
					if allMasked[i] {
						w = 0
					}
					g := got.Data[(bh*tc.tq+i)*Dh+d]
					if math.Abs(float64(g-w)) > 1e-5 {
						t.Fatalf("%+v tq=%d head %d row %d: got %v want %v", tc.o, tc.tq, bh, i, g, w)
					}
				}
			}
		}
	}
}

func TestTapeResetReusesBuffers(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	w := randParam(r, 8, 8)
	x := randConst(r, 4, 8)
	tp := NewTape()
	step := func() float32 {
		loss := tp.Mean(tp.GELU(tp.Linear(x, w, nil)))
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		v := loss.Item()
		tp.Reset()
		return v
	}
	first := step()
	g1 := append([]float32(nil), w.Grad...)
	w.ZeroGrad()
	allocs := testing.AllocsPerRun(5, func() {
		if got := step(); got != first {
			t.Fatalf("loss changed across Reset: %v vs %v", got, first)
		}
	})
	for i := range g1 {
		// AllocsPerRun ran 1 warm-up + 5 steps without zeroing: 6x the gradient.
		if math.Abs(float64(w.Grad[i]-6*g1[i])) > 1e-4*(1+math.Abs(float64(g1[i]))) {
			t.Fatalf("grad accumulation wrong at %d", i)
		}
	}
	// Tensor headers and closures still allocate; data buffers must not.
	if allocs > 40 {
		t.Fatalf("%v allocations per step after warm-up", allocs)
	}
}

func TestBackwardErrors(t *testing.T) {
	tp := NewTape()
	x := Param(2)
	if err := tp.Backward(tp.Add(x, x)); err == nil {
		t.Error("non-scalar loss accepted")
	}
	if err := tp.Backward(tp.Sum(Zeros(3))); err == nil {
		t.Error("loss without parameters accepted")
	}
	var nilTape *Tape
	if err := nilTape.Backward(x); err == nil {
		t.Error("nil tape backward accepted")
	}
	out := nilTape.Add(x, x)
	if out.RequiresGrad() || nilTape.Len() != 0 {
		t.Error("nil tape recorded something")
	}
}

func TestSizeClass(t *testing.T) {
	prev := 0
	for n := 1; n < 1<<22; n = n*5/4 + 1 {
		c := sizeClass(n)
		if c < n || c > n*3/2+64 || c < prev {
			t.Fatalf("sizeClass(%d) = %d", n, c)
		}
		prev = c
	}
}

// TestTapePoolBounded: batches of varying shapes must not make the tape
// keep every size it ever saw (training batches are padded to different
// lengths each step).
func TestTapePoolBounded(t *testing.T) {
	tp := NewTape()
	pooled := func() (n int) {
		for _, l := range tp.free {
			for _, b := range l {
				n += cap(b)
			}
		}
		return n
	}
	var first int
	for step := 0; step < 200; step++ {
		rows := 50 + step%37*3
		x := Param(rows, 64)
		y := tp.GELU(tp.Scale(x, 2))
		if err := tp.Backward(tp.Sum(y)); err != nil {
			t.Fatal(err)
		}
		tp.Reset()
		if step == 0 {
			first = pooled()
		}
	}
	if got := pooled(); got > 2*first+4096 {
		t.Errorf("tape pool grew to %d floats (first pass %d)", got, first)
	}
}
