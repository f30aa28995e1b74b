//go:build cgo && !noblas

package tensor

import (
	"math"
	"math/rand"
	"os"
	"testing"
)

func TestBF16Rounding(t *testing.T) {
	for _, c := range []struct {
		name string
		in   uint32
		want uint16
	}{
		{"one", 0x3f800000, 0x3f80},
		{"tie rounds to even (down)", 0x3f808000, 0x3f80},
		{"tie rounds to even (up)", 0x3f818000, 0x3f82},
		{"above the tie", 0x3f808001, 0x3f81},
		{"below the tie", 0x3f807fff, 0x3f80},
		{"negative", 0xbf818000, 0xbf82},
		{"negative zero", 0x80000000, 0x8000},
		{"largest float overflows to infinity", 0x7f7fffff, 0x7f80},
		{"infinity", 0x7f800000, 0x7f80},
		{"minus infinity", 0xff800000, 0xff80},
		{"quiet NaN", 0x7fc00000, 0x7fc0},
		{"signalling NaN stays NaN", 0x7f800001, 0x7fc0},
		{"subnormal flushed to zero", 0x00018000, 0x0000},
		{"negative subnormal flushed to minus zero", 0x80018000, 0x8000},
		{"smallest normal kept", 0x00800000, 0x0080},
	} {
		// Alone (the scalar tail) and at every place of a 16-wide block
		// (the vector instruction) it rounds alike.
		for _, n := range []int{1, 16, 33} {
			x := make([]float32, n)
			for i := range x {
				x[i] = math.Float32frombits(c.in)
			}
			for i, got := range bfRound(x) {
				if got != c.want {
					t.Errorf("%s: %#08x at %d of %d rounds to %#04x, want %#04x", c.name, c.in, i, n, got, c.want)
				}
			}
		}
	}
	// Random bit patterns: the vector blocks and the scalar tail agree.
	r := rand.New(rand.NewSource(9))
	x := make([]float32, 16*64+5)
	for i := range x {
		x[i] = math.Float32frombits(r.Uint32())
	}
	all := bfRound(x)
	for i := range x {
		if one := bfRound(x[i : i+1])[0]; one != all[i] {
			t.Fatalf("%#08x: %#04x in a block, %#04x alone", math.Float32bits(x[i]), all[i], one)
		}
	}
}

// useBF16 selects the bfloat16 backend for the test, or checks that a CPU
// without native bfloat16 refuses it with a reason and keeps its backend;
// it reports whether the backend runs.
func useBF16(t *testing.T) bool {
	t.Helper()
	before := BLASBackend
	desc, err := UseGemm(gemmBF16)
	if err != nil {
		if BLASBackend != before {
			t.Errorf("a refused backend changed BLASBackend from %q to %q", before, BLASBackend)
		}
		if err != bfAvailable() {
			t.Errorf("UseGemm's error %v is not the CPU check's %v", err, bfAvailable())
		}
		t.Logf("bfloat16 refused here, as it must be without native support: %v", err)
		return false
	}
	t.Cleanup(func() { BLASBackend = selectGemm(os.Getenv("VLMQ_GEMM")) })
	t.Logf("running %s", desc)
	return true
}

// bf16Values are the values of x rounded to bfloat16.
func bf16Values(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, h := range bfRound(x) {
		out[i] = math.Float32frombits(uint32(h) << 16)
	}
	return out
}

// TestBF16GemmMatchesRoundedProduct: the product is that of the inputs
// rounded to bfloat16, summed in float32, for every transpose, scalar and
// leading dimension; and it is not the float32 product (so the backend
// does run in bfloat16).
func TestBF16GemmMatchesRoundedProduct(t *testing.T) {
	if !useBF16(t) {
		return
	}
	r := rand.New(rand.NewSource(5))
	for _, c := range []struct {
		name        string
		m, n, k     int
		pad         int // extra columns in every leading dimension
		alpha, beta float32
	}{
		{"small, float32 path", 3, 5, 7, 0, 1, 0},
		{"rows", 300, 200, 90, 0, 1, 0},
		{"columns", 90, 300, 200, 0, 1, 1},
		{"scaled and accumulated", 256, 192, 128, 0, 0.5, 0.3},
		{"padded leading dimensions", 200, 150, 100, 7, 1.5, 1},
	} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				m, n, k := c.m, c.n, c.k
				ra, ca := m, k
				if ta {
					ra, ca = k, m
				}
				rb, cb := k, n
				if tb {
					rb, cb = n, k
				}
				lda, ldb, ldc := ca+c.pad, cb+c.pad, n+c.pad
				fill := func(n int) []float32 {
					x := make([]float32, n)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					return x
				}
				a, b, c0 := fill(ra*lda), fill(rb*ldb), fill(m*ldc)
				a16, b16 := bf16Values(a), bf16Values(b)
				ai := func(i, p int) int {
					if ta {
						return p*lda + i
					}
					return i*lda + p
				}
				bi := func(p, j int) int {
					if tb {
						return j*ldb + p
					}
					return p*ldb + j
				}
				got := append([]float32(nil), c0...)
				Sgemm(ta, tb, m, n, k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
				bf16 := m*n*k >= bfMinFlops
				var worstExact float64
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var rounded, exact, mag float64
						for p := 0; p < k; p++ {
							x, y := a[ai(i, p)], b[bi(p, j)]
							rounded += float64(a16[ai(i, p)]) * float64(b16[bi(p, j)])
							exact += float64(x) * float64(y)
							mag += math.Abs(float64(x) * float64(y))
						}
						old := float64(c0[i*ldc+j]) * float64(c.beta)
						g := float64(got[i*ldc+j])
						want := float64(c.alpha)*rounded + old
						if !bf16 {
							want = float64(c.alpha)*exact + old
						}
						tol := 1e-5*(float64(abs32(c.alpha))*mag+math.Abs(old)) + 1e-6
						if math.Abs(g-want) > tol {
							t.Fatalf("%s ta=%v tb=%v: c[%d,%d] = %v, want %v (tolerance %.2g)", c.name, ta, tb, i, j, g, want, tol)
						}
						worstExact = max(worstExact, math.Abs(g-(float64(c.alpha)*exact+old))/(float64(abs32(c.alpha))*mag))
					}
				}
				if bf16 && worstExact < 1e-4 {
					t.Errorf("%s ta=%v tb=%v: within %.2g of the float32 product everywhere: bfloat16 did not run", c.name, ta, tb, worstExact)
				}
				for i := 0; i < m; i++ {
					for j := n; j < ldc; j++ {
						if got[i*ldc+j] != c0[i*ldc+j] {
							t.Fatalf("%s: padding c[%d,%d] was written", c.name, i, j)
						}
					}
				}
			}
		}
	}
	if len(BF16Impls()) == 0 {
		t.Error("no bfloat16 primitive was built")
	}
	t.Logf("oneDNN implementations: %v", BF16Impls())
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

// TestBF16SameBitsOnAnyThreadCount: as TestSgemmSameBitsOnAnyThreadCount,
// on the bfloat16 backend.
func TestBF16SameBitsOnAnyThreadCount(t *testing.T) {
	if useBF16(t) {
		testSgemmSameBits(t)
	}
}

// TestBF16OnePrimitivePerKind: products of many shapes share the
// primitives built for their transpose and scalars.
func TestBF16OnePrimitivePerKind(t *testing.T) {
	if !useBF16(t) {
		return
	}
	const k, n = 64, 64
	b := make([]float32, k*n)
	for i := range b {
		b[i] = float32(i%7) - 3
	}
	size := func() int {
		bfCache.Lock()
		defer bfCache.Unlock()
		return len(bfCache.prims)
	}
	Sgemm(false, false, 64, n, k, 1, make([]float32, 64*k), k, b, n, 0, make([]float32, 64*n), n)
	before := size()
	for m := 64; m < 64+40; m++ {
		a := make([]float32, m*k)
		for i := range a {
			a[i] = 1
		}
		c := make([]float32, m*n)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		for j := 0; j < n; j++ {
			var want float32
			for p := 0; p < k; p++ {
				want += b[p*n+j]
			}
			if c[(m-1)*n+j] != want {
				t.Fatalf("m=%d: c[%d] = %v, want %v", m, j, c[(m-1)*n+j], want)
			}
		}
	}
	if after := size(); after != before {
		t.Errorf("40 shapes of one kind built %d primitives", after-before)
	}
}
