package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// parallelEach runs body(i) for every i in [0,n) on up to workers()
// goroutines that take the next item as they finish one, for items of
// uneven cost (a fixed split leaves one worker idle at the end). Each
// item's result must not depend on which goroutine ran it.
func parallelEach(n int, body func(i int)) {
	w := min(workers(), n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			body(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	run := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			body(i)
		}
	}
	for g := 1; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	run()
	wg.Wait()
}

// gemmSplitFlops is the work (m*n*k) above which Sgemm cuts a product.
const gemmSplitFlops = 1 << 20

// gemmPieces is how many pieces Sgemm cuts a large product into, whatever
// the number of workers. BLAS rounds a sum differently for different
// operand shapes, so pieces that followed GOMAXPROCS made a run depend on
// the thread count (measured: AFSFT losses differed at 1e-7 after 5 steps
// between 1 and 2 threads, and a binary filter can grow that into another
// run). Fixed pieces give the same bits on any number of threads. Four
// keep two cores busy; on one, an AFSFT step was 549 against 531 ms
// (go test -bench Step ./afsft, 3 runs each way, within their spread).
const gemmPieces = 4

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices
// (op(A) is m×k, op(B) k×n, C m×n, with leading dimensions lda, ldb, ldc).
// Large products are cut by rows (or columns) of C into pieces that do
// not depend on the worker count, and the pieces run in parallel.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if lowPrecisionGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	if m*n*k < gemmSplitFlops {
		gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m >= n {
		// Split rows of C: rows of op(A).
		parallelPieces(m, func(lo, hi int) {
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
	parallelPieces(n, func(lo, hi int) {
		var bo int
		if transB {
			bo = lo * ldb // B is n×k: rows lo..hi
		} else {
			bo = lo
		}
		gemm(transA, transB, m, hi-lo, k, alpha, a, lda, b[bo:], ldb, beta, c[lo:], ldc)
	})
}

// parallelPieces cuts [0,n) into at most gemmPieces pieces of a size that
// depends on n alone (a multiple of 16, so BLAS row blocks stay whole) and
// runs body once per piece, the pieces spread over the workers.
func parallelPieces(n int, body func(lo, hi int)) {
	size := (n + gemmPieces - 1) / gemmPieces
	size = (size + 15) / 16 * 16
	var bounds [][2]int
	for lo := 0; lo < n; lo += size {
		bounds = append(bounds, [2]int{lo, min(lo+size, n)})
	}
	parallelFor(len(bounds), 1, func(lo, hi int) {
		for _, p := range bounds[lo:hi] {
			body(p[0], p[1])
		}
	})
}

// SgemmSerial is Sgemm without goroutine splitting, for callers that already
// parallelise at a coarser level.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmBackends names the gemm backends compiled in, the default first.
func GemmBackends() []string { return append([]string(nil), gemmBackends...) }

// UseGemm switches every later matrix product to the named backend (one
// of GemmBackends, "onednn-bf16" where the CPU runs bfloat16 natively, or
// "" for the default), for benchmarks that compare them, and returns its
// description. Callers switch back when done; it must not race with
// running products.
func UseGemm(name string) (string, error) {
	if name == "" {
		name = gemmBackends[0]
	}
	if err := gemmAvailable(name); err != nil {
		return "", err
	}
	BLASBackend = selectGemm(name)
	return BLASBackend, nil
}
