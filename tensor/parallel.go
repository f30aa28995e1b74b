package tensor

import (
	"runtime"
	"sync"
)

// workers is the number of goroutines parallel kernels split work into.
func workers() int { return runtime.GOMAXPROCS(0) }

// parallelFor runs body over [0,n) in contiguous chunks on up to workers()
// goroutines; work below minPer items per goroutine stays serial.
func parallelFor(n, minPer int, body func(lo, hi int)) {
	w := workers()
	if minPer < 1 {
		minPer = 1
	}
	if c := n / minPer; c < w {
		w = c
	}
	if w <= 1 {
		if n > 0 {
			body(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		if hi == n {
			body(lo, hi) // run the last chunk on the calling goroutine
			break
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			body(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}

// gemmSplitFlops is the work (m*n*k) below which Sgemm stays single-threaded.
const gemmSplitFlops = 1 << 20

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices
// (op(A) is m×k, op(B) k×n, C m×n, with leading dimensions lda, ldb, ldc).
// Large products are split across goroutines by rows (or columns) of C.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	w := workers()
	if w <= 1 || m*n*k < gemmSplitFlops {
		gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m >= n {
		// Split rows of C: rows of op(A).
		parallelFor(m, 16, func(lo, hi int) {
			var ao int
			if transA {
				ao = lo // A is k×m: columns lo..hi
			} else {
				ao = lo * lda
			}
			gemm(transA, transB, hi-lo, n, k, alpha, a[ao:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		})
		return
	}
	// Split columns of C: columns of op(B).
	parallelFor(n, 16, func(lo, hi int) {
		var bo int
		if transB {
			bo = lo * ldb // B is n×k: rows lo..hi
		} else {
			bo = lo
		}
		gemm(transA, transB, m, hi-lo, k, alpha, a, lda, b[bo:], ldb, beta, c[lo:], ldc)
	})
}

// SgemmSerial is Sgemm without goroutine splitting, for callers that already
// parallelise at a coarser level.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
