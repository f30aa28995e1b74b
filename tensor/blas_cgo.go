//go:build cgo && !noblas

package tensor

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lopenblas -ldnnl -lgomp
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

// bf_ok: oneDNN runs bfloat16 products natively here (AVX-512 BF16 or
// AMX); older CPUs would emulate them, slower than float32.
static int bf_ok(void) {
	dnnl_cpu_isa_t i = dnnl_get_effective_cpu_isa();
	return i == dnnl_cpu_isa_avx512_core_bf16 || i == dnnl_cpu_isa_avx512_core_amx;
}

static dnnl_engine_t bf_engine;

static int bf_init(void) { return (int)dnnl_engine_create(&bf_engine, dnnl_cpu, 0); }

// bf_one rounds a float to bfloat16 as VCVTNEPS2BF16 does: to nearest
// even, a NaN kept quiet, and subnormal inputs and outputs flushed to a
// signed zero.
static inline uint16_t bf_one(float f) {
	uint32_t u;
	memcpy(&u, &f, 4);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x40);
	if ((u & 0x7f800000u) == 0)
		return (uint16_t)((u >> 16) & 0x8000);
	return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void bf_row16(const float *s, uint16_t *d, long cols) {
	long j = 0;
	for (; j + 16 <= cols; j += 16) {
		__m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + j));
		_mm256_storeu_si256((__m256i *)(d + j), (__m256i)v);
	}
	for (; j < cols; j++)
		d[j] = bf_one(s[j]);
}

// bf_round packs rows x cols floats (row stride ld) densely as bfloat16
// (row stride cols). It runs only where bf_ok holds, so the CPU has
// AVX-512 BF16.
static void bf_round(const float *src, long rows, long cols, long ld, uint16_t *dst) {
	for (long r = 0; r < rows; r++)
		bf_row16(src + r * ld, dst + r * cols, cols);
}

// bf_round_t packs the transpose: rows x cols floats (row stride ld) as a
// dense cols x rows bfloat16 matrix (oneDNN's bfloat16 products run at
// less than half speed on a transposed right operand).
static void bf_round_t(const float *src, long rows, long cols, long ld, uint16_t *dst) {
	for (long r0 = 0; r0 < rows; r0 += 32)
		for (long c0 = 0; c0 < cols; c0 += 32)
			for (long r = r0; r < rows && r < r0 + 32; r++)
				for (long c = c0; c < cols && c < c0 + 32; c++)
					dst[c * rows + r] = bf_one(src[r * ld + c]);
}

#define BF_ANY DNNL_RUNTIME_DIM_VAL

// bf_make builds the matmul C = alpha*op(A)B + beta*C over bfloat16 A and
// B and float32 C, row-major, with every size and leading dimension given
// at run time: one primitive serves every shape (packed batches change
// the row count at almost every step, and a primitive per shape costs JIT
// time). op(A) is read transposed when ta. The scratchpad is the caller's,
// so concurrent executions share nothing.
static int bf_make(int ta, float alpha, float beta, dnnl_primitive_t *out, char *impl, int implLen) {
	dnnl_memory_desc_t amd, bmd, cmd;
	dnnl_dims_t any = {BF_ANY, BF_ANY}, rows = {BF_ANY, 1}, cols = {1, BF_ANY};
	dnnl_status_t st;
	if ((st = dnnl_memory_desc_init_by_strides(&amd, 2, any, dnnl_bf16, ta ? cols : rows)) ||
	    (st = dnnl_memory_desc_init_by_strides(&bmd, 2, any, dnnl_bf16, rows)) ||
	    (st = dnnl_memory_desc_init_by_strides(&cmd, 2, any, dnnl_f32, rows)))
		return (int)st;
	dnnl_matmul_desc_t md;
	if ((st = dnnl_matmul_desc_init(&md, &amd, &bmd, NULL, &cmd)))
		return (int)st;
	dnnl_primitive_attr_t attr;
	if ((st = dnnl_primitive_attr_create(&attr)))
		return (int)st;
	st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
	if (!st && alpha != 1.0f)
		st = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha);
	if (!st && beta != 0.0f) {
		dnnl_post_ops_t po;
		if (!(st = dnnl_post_ops_create(&po))) {
			st = dnnl_post_ops_append_sum(po, beta);
			if (!st)
				st = dnnl_primitive_attr_set_post_ops(attr, po);
			dnnl_post_ops_destroy(po);
		}
	}
	dnnl_primitive_desc_t pd = NULL;
	if (!st)
		st = dnnl_primitive_desc_create(&pd, &md, attr, bf_engine, NULL);
	dnnl_primitive_attr_destroy(attr);
	if (st)
		return (int)st;
	const char *name = "";
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
	snprintf(impl, implLen, "%s", name);
	st = dnnl_primitive_create(out, pd);
	dnnl_primitive_desc_destroy(pd);
	return (int)st;
}

// bf_scratch is the scratchpad size p needs, in bytes.
static long bf_scratch(dnnl_primitive_t p) {
	const_dnnl_primitive_desc_t pd;
	if (dnnl_primitive_get_primitive_desc(p, &pd))
		return 0;
	return (long)dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
}

// bf_exec runs p on the calling thread alone: C[m,n] (row stride ldc) from
// A (m x k, or k x m stored when ta, row stride lda) and B (k x n, row
// stride ldb).
static int bf_exec(dnnl_primitive_t p, int ta, long m, long n, long k, const uint16_t *ab, long lda,
		   const uint16_t *bb, long ldb, float *c, long ldc, void *scratch) {
	omp_set_num_threads(1);
	const_dnnl_primitive_desc_t pd;
	dnnl_status_t st = dnnl_primitive_get_primitive_desc(p, &pd);
	if (st)
		return (int)st;
	dnnl_memory_desc_t d[4];
	dnnl_dims_t ad = {m, k}, bd = {k, n}, cd = {m, n};
	dnnl_dims_t as = {lda, 1}, bs = {ldb, 1}, cs = {ldc, 1};
	if (ta) { as[0] = 1; as[1] = lda; }
	if ((st = dnnl_memory_desc_init_by_strides(&d[0], 2, ad, dnnl_bf16, as)) ||
	    (st = dnnl_memory_desc_init_by_strides(&d[1], 2, bd, dnnl_bf16, bs)) ||
	    (st = dnnl_memory_desc_init_by_strides(&d[2], 2, cd, dnnl_f32, cs)))
		return (int)st;
	d[3] = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	dnnl_memory_t mem[4] = {NULL, NULL, NULL, NULL};
	int args[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_SCRATCHPAD};
	void *h[4] = {(void *)ab, (void *)bb, c, scratch};
	dnnl_exec_arg_t ea[4];
	int nargs = 0;
	for (int i = 0; i < 4 && !st; i++) {
		if (i == 3 && dnnl_memory_desc_get_size(&d[3]) == 0)
			break;
		st = dnnl_memory_create(&mem[i], &d[i], bf_engine, h[i]);
		ea[nargs].arg = args[i];
		ea[nargs].memory = mem[i];
		nargs++;
	}
	dnnl_stream_t s = NULL;
	if (!st)
		st = dnnl_stream_create(&s, bf_engine, dnnl_stream_default_flags);
	if (!st)
		st = dnnl_primitive_execute(p, s, nargs, ea);
	if (!st)
		st = dnnl_stream_wait(s);
	if (s)
		dnnl_stream_destroy(s);
	for (int i = 0; i < 4; i++)
		if (mem[i])
			dnnl_memory_destroy(mem[i]);
	return (int)st;
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
	"sync"
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
	// gemmBF16 is oneDNN's matmul with both inputs rounded to bfloat16
	// and float32 sums, as mixed-precision training runs on accelerators.
	// It is opt-in (VLMQ_GEMM=onednn-bf16): it changes a run's numbers, so
	// gemmBackends, the exact backends that tests and peak estimates
	// compare, leave it out.
	gemmBF16 = "onednn-bf16"
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
		return dnnlName()
	case gemmBF16:
		if err := bfAvailable(); err != nil {
			fmt.Fprintf(os.Stderr, "vlmq: VLMQ_GEMM=%s: %v; using %s\n", name, err, gemmOneDNN)
			return selectGemm("")
		}
		gemmImpl = gemmBF16
		return dnnlName() + " with bfloat16 inputs (matmul, float32 sums)"
	case gemmOpenBLAS:
		gemmImpl = gemmOpenBLAS
		return fmt.Sprintf("OpenBLAS %s sgemm (%s kernels)", C.GoString(C.openblas_get_config()), C.GoString(C.openblas_get_corename()))
	default:
		fmt.Fprintf(os.Stderr, "vlmq: VLMQ_GEMM=%q is not a gemm backend (onednn, openblas, onednn-bf16); using %s\n", name, gemmOneDNN)
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
	if gemmImpl == gemmOneDNN || gemmImpl == gemmBF16 {
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

// dnnlName describes oneDNN's version and the kernels it picks here.
func dnnlName() string {
	var buf [128]C.char
	C.dnnl_name(&buf[0], C.int(len(buf)))
	return C.GoString(&buf[0])
}

// bfAvailable says whether gemmBF16 can run here, and why not.
var bfAvailable = sync.OnceValue(func() error {
	if C.bf_ok() == 0 {
		return fmt.Errorf("this CPU has no native bfloat16 products (AVX-512 BF16 or AMX) for %s", dnnlName())
	}
	if st := C.bf_init(); st != 0 {
		return fmt.Errorf("oneDNN engine: status %d", st)
	}
	return nil
})

// bfMinFlops is the smallest product (m*n*k) run in bfloat16. Smaller
// ones, mostly attention blocks, stay float32 on sgemm.
const bfMinFlops = 1 << 18

// bfKey names a matmul primitive; its sizes are given at run time.
type bfKey struct {
	transA      bool
	alpha, beta float32
}

// bfPrim is a built primitive and the scratchpad bytes it needs.
type bfPrim struct {
	p       C.dnnl_primitive_t
	scratch int
}

var bfCache struct {
	sync.Mutex
	prims map[bfKey]bfPrim // never destroyed: a handful per process
	impls map[string]bool  // implementations built, for BF16Impls
}

// bfPrimitive returns key's primitive, built on first use. oneDNN's
// primitives may run concurrently.
func bfPrimitive(key bfKey) bfPrim {
	bfCache.Lock()
	defer bfCache.Unlock()
	if p, ok := bfCache.prims[key]; ok {
		return p
	}
	var p C.dnnl_primitive_t
	var impl [64]C.char
	if st := C.bf_make(cbool(key.transA), C.float(key.alpha), C.float(key.beta), &p, &impl[0], C.int(len(impl))); st != 0 {
		panic(fmt.Sprintf("tensor: oneDNN bfloat16 matmul (transA %v, alpha %v, beta %v): status %d", key.transA, key.alpha, key.beta, st))
	}
	if bfCache.prims == nil {
		bfCache.prims = map[bfKey]bfPrim{}
		bfCache.impls = map[string]bool{}
	}
	bp := bfPrim{p, max(int(C.bf_scratch(p)), 1)}
	bfCache.prims[key] = bp
	bfCache.impls[C.GoString(&impl[0])] = true
	return bp
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// bfBuffers are the bfloat16 copies of one product's operands, reused.
type bfBuffers struct{ a, b []uint16 }

var (
	bfPool      = sync.Pool{New: func() any { return new(bfBuffers) }}
	bfScratches = sync.Pool{New: func() any { return new([]byte) }}
)

func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// lowPrecisionGemm runs Sgemm's product in bfloat16 when that backend is
// selected and the product is large enough, and reports whether it did.
// Both operands are rounded once (B into k x n order), then the product
// is cut into Sgemm's pieces, so the bits do not depend on the worker
// count.
func lowPrecisionGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if gemmImpl != gemmBF16 || m == 0 || n == 0 || k == 0 || m*n*k < bfMinFlops {
		return false
	}
	ra, ca := m, k // A as stored
	if transA {
		ra, ca = k, m
	}
	buf := bfPool.Get().(*bfBuffers)
	defer bfPool.Put(buf)
	buf.a, buf.b = grown(buf.a, ra*ca), grown(buf.b, k*n)
	parallelFor(ra, max(1, 16384/ca), func(lo, hi int) {
		C.bf_round((*C.float)(unsafe.Pointer(&a[lo*lda])), C.long(hi-lo), C.long(ca), C.long(lda),
			(*C.uint16_t)(unsafe.Pointer(&buf.a[lo*ca])))
	})
	if transB {
		C.bf_round_t((*C.float)(unsafe.Pointer(&b[0])), C.long(n), C.long(k), C.long(ldb), (*C.uint16_t)(unsafe.Pointer(&buf.b[0])))
	} else {
		parallelFor(k, max(1, 16384/n), func(lo, hi int) {
			C.bf_round((*C.float)(unsafe.Pointer(&b[lo*ldb])), C.long(hi-lo), C.long(n), C.long(ldb),
				(*C.uint16_t)(unsafe.Pointer(&buf.b[lo*n])))
		})
	}
	bp := bfPrimitive(bfKey{transA, alpha, beta})
	run := func(pm, pn, ao, bo, co int) {
		sp := bfScratches.Get().(*[]byte)
		defer bfScratches.Put(sp)
		*sp = grown(*sp, bp.scratch)
		if st := C.bf_exec(bp.p, cbool(transA), C.long(pm), C.long(pn), C.long(k),
			(*C.uint16_t)(unsafe.Pointer(&buf.a[ao])), C.long(ca), (*C.uint16_t)(unsafe.Pointer(&buf.b[bo])), C.long(n),
			(*C.float)(unsafe.Pointer(&c[co])), C.long(ldc), unsafe.Pointer(&(*sp)[0])); st != 0 {
			panic(fmt.Sprintf("tensor: oneDNN bfloat16 matmul %dx%dx%d failed with status %d", pm, pn, k, st))
		}
	}
	if m >= n {
		parallelPieces(m, func(lo, hi int) {
			ao := lo * ca // rows of op(A)
			if transA {
				ao = lo // columns of the stored k x m
			}
			run(hi-lo, n, ao, 0, lo*ldc)
		})
	} else {
		parallelPieces(n, func(lo, hi int) { run(m, hi-lo, 0, lo, lo) })
	}
	return true
}

// BF16Impls lists oneDNN's implementations of the bfloat16 products built
// so far (for benchmarks: "brg:avx512_core_amx_bf16" is AMX).
func BF16Impls() []string {
	bfCache.Lock()
	defer bfCache.Unlock()
	var out []string
	for s := range bfCache.impls {
		out = append(out, s)
	}
	return out
}

// bfRound rounds src to bfloat16 as the bfloat16 backend does (for tests).
func bfRound(src []float32) []uint16 {
	out := make([]uint16, len(src))
	if len(src) > 0 {
		C.bf_round((*C.float)(unsafe.Pointer(&src[0])), 1, C.long(len(src)), C.long(len(src)), (*C.uint16_t)(unsafe.Pointer(&out[0])))
	}
	return out
}

// gemmAvailable says whether the named backend can run here.
func gemmAvailable(name string) error {
	switch name {
	case gemmOneDNN, gemmOpenBLAS:
		return nil
	case gemmBF16:
		return bfAvailable()
	}
	return fmt.Errorf("tensor: no gemm backend %q (have %v and %s)", name, gemmBackends, gemmBF16)
}
