package tensor

import (
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

// TestSgemmSameBitsOnAnyThreadCount: a product large enough to be split
// gives the same bits with 1, 2 and 3 workers, for row and column splits
// and every transpose, so a run does not depend on GOMAXPROCS.
func TestSgemmSameBitsOnAnyThreadCount(t *testing.T) { eachGemm(t, testSgemmSameBits) }

func testSgemmSameBits(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewSource(3))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	for _, c := range []struct {
		name           string
		m, n, k        int
		transA, transB bool
	}{
		{"rows", 300, 70, 90, false, false},
		{"rows transA", 300, 70, 90, true, false},
		{"columns", 70, 300, 90, false, true},
		{"columns transAB", 70, 300, 90, true, true},
	} {
		if c.m*c.n*c.k < gemmSplitFlops {
			t.Fatalf("%s: %d flops is below the split threshold", c.name, c.m*c.n*c.k)
		}
		a, b, c0 := fill(c.m*c.k), fill(c.k*c.n), fill(c.m*c.n)
		lda, ldb := c.k, c.n
		if c.transA {
			lda = c.m
		}
		if c.transB {
			ldb = c.k
		}
		var ref []float32
		for _, w := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(w)
			out := slices.Clone(c0)
			Sgemm(c.transA, c.transB, c.m, c.n, c.k, 1.5, a, lda, b, ldb, 0.5, out, c.n)
			if ref == nil {
				ref = out
			} else if !slices.Equal(out, ref) {
				t.Errorf("%s: %d workers give other bits than 1", c.name, w)
			}
		}
	}
}
