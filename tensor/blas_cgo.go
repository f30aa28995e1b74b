//go:build cgo && !noblas

package tensor

/*
#cgo LDFLAGS: -lopenblas -ldnnl -lgomp
#include <stdio.h>
#include <omp.h>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

// gemm_dnnl runs oneDNN's sgemm on the calling thread alone: oneDNN's
// OpenMP would otherwise start a team per call that fights our
// goroutines (the thread count is per OS thread, so it is set each call;
// that costs a store).
static int gemm_dnnl(char ta, char tb, long m, long n, long k, float alpha, const float *a, long lda,
		     const float *b, long ldb, float beta, float *c, long ldc) {
	omp_set_num_threads(1);
	return (int)dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static const char *dnnl_isa_name(void) {
	switch (dnnl_get_effective_cpu_isa()) {
	case dnnl_cpu_isa_sse41: return "sse4.1";
	case dnnl_cpu_isa_avx: return "avx";
	case dnnl_cpu_isa_avx2: return "avx2";
	case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
	case dnnl_cpu_isa_avx512_core: return "avx512_core";
	case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
	case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
	case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
	default: return "other";
	}
}

static void dnnl_name(char *buf, int n) {
	const dnnl_version_t *v = dnnl_version();
	snprintf(buf, n, "oneDNN %d.%d.%d sgemm (%s kernels)", v->major, v->minor, v->patch, dnnl_isa_name());
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// The gemm backends of cgo builds. oneDNN picks its kernels from the
// CPU's features (AVX-512 where the CPU has it, whatever
// OPENBLAS_CORETYPE says); OpenBLAS is the fallback, chosen with
// VLMQ_GEMM=openblas. Measured on the medium base's shapes (bench
// package, BenchmarkGemmShapes): see docs/benchmarks.md.
const (
	gemmOneDNN   = "onednn"
	gemmOpenBLAS = "openblas"
)

var gemmImpl = gemmOneDNN

// gemmBackends lists the backends compiled in, the default first.
var gemmBackends = []string{gemmOneDNN, gemmOpenBLAS}

// BLASBackend names the gemm implementation that runs, with its version
// and kernels.
var BLASBackend = selectGemm(os.Getenv("VLMQ_GEMM"))

// selectGemm switches the gemm backend ("" for the default) and returns
// its description; an unknown name is reported and the default kept.
func selectGemm(name string) string {
	// OpenBLAS worker threads spin and fight our goroutines; we split big
	// GEMMs ourselves (see Sgemm).
	C.openblas_set_num_threads(1)
	switch name {
	case "", gemmOneDNN:
		gemmImpl = gemmOneDNN
		var buf [128]C.char
		C.dnnl_name(&buf[0], C.int(len(buf)))
		return C.GoString(&buf[0])
	case gemmOpenBLAS:
		gemmImpl = gemmOpenBLAS
		return fmt.Sprintf("OpenBLAS %s sgemm (%s kernels)", C.GoString(C.openblas_get_config()), C.GoString(C.openblas_get_corename()))
	default:
		fmt.Fprintf(os.Stderr, "vlmq: VLMQ_GEMM=%q is not a gemm backend (onednn, openblas); using %s\n", name, gemmOneDNN)
		return selectGemm("")
	}
}

// gemm is a single-threaded row-major sgemm.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	var pa, pb *C.float
	if k > 0 {
		pa = (*C.float)(unsafe.Pointer(&a[0]))
		pb = (*C.float)(unsafe.Pointer(&b[0]))
	}
	pc := (*C.float)(unsafe.Pointer(&c[0]))
	if gemmImpl == gemmOneDNN {
		ta, tb := C.char('N'), C.char('N')
		if transA {
			ta = 'T'
		}
		if transB {
			tb = 'T'
		}
		if st := C.gemm_dnnl(ta, tb, C.long(m), C.long(n), C.long(k), C.float(alpha), pa, C.long(lda), pb, C.long(ldb),
			C.float(beta), pc, C.long(ldc)); st != 0 {
			panic(fmt.Sprintf("tensor: oneDNN sgemm %dx%dx%d failed with status %d", m, n, k, st))
		}
		return
	}
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = uint32(C.CblasTrans)
	}
	if transB {
		tb = uint32(C.CblasTrans)
	}
	C.cblas_sgemm(uint32(C.CblasRowMajor), ta, tb, C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), pa, C.blasint(lda), pb, C.blasint(ldb), C.float(beta), pc, C.blasint(ldc))
}
