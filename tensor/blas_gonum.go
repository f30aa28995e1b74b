//go:build !cgo || noblas

package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLASBackend names the gemm implementation compiled in.
var BLASBackend = "gonum (pure Go)"

var impl gonum.Implementation

var gemmBackends = []string{"gonum"}

func selectGemm(string) string { return BLASBackend }

// gemmAvailable says whether the named backend can run here.
func gemmAvailable(name string) error {
	if name == gemmBackends[0] {
		return nil
	}
	return fmt.Errorf("tensor: no gemm backend %q in a build without cgo (have %v)", name, gemmBackends)
}

// lowPrecisionGemm: no bfloat16 products in this build.
func lowPrecisionGemm(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int) bool {
	return false
}

// gemm is a row-major sgemm (pure Go fallback).
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	if k == 0 {
		// gonum rejects empty operands; C = beta*C.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
