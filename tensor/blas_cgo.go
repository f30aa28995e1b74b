//go:build cgo && !noblas

package tensor

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lopenblas -ldnnl -lgomp
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

// bf_round packs rows x cols floats (row stride ld) densely as bfloat16,
// rounding to nearest even; a NaN stays a (quiet) NaN.
static void bf_round(const float *src, long rows, long cols, long ld, uint16_t *dst) {
	for (long r = 0; r < rows; r++) {
		const float *s = src + r * ld;
		uint16_t *d = dst + r * cols;
		for (long j = 0; j < cols; j++) {
			uint32_t u;
			memcpy(&u, &s[j], 4);
			if ((u & 0x7fffffffu) > 0x7f800000u)
				d[j] = (uint16_t)((u >> 16) | 0x40);
			else
				d[j] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
		}
	}
}

// bf_make builds the matmul C[m,n] = alpha*op(A)op(B) + beta*C over the
// dense bfloat16 copies bf_run makes (op(A) read transposed when ta), with
// a user scratchpad so that concurrent executions share nothing.
static int bf_make(int ta, int tb, long m, long n, long k, long ldc, float alpha, float beta,
		   dnnl_primitive_t *out, char *impl, int implLen) {
	dnnl_memory_desc_t amd, bmd, cmd;
	dnnl_dims_t ad = {m, k}, bd = {k, n}, cd = {m, n};
	dnnl_dims_t as = {k, 1}, bs = {n, 1}, cs = {ldc, 1};
	if (ta) { as[0] = 1; as[1] = m; }
	if (tb) { bs[0] = 1; bs[1] = k; }
	dnnl_status_t st;
	if ((st = dnnl_memory_desc_init_by_strides(&amd, 2, ad, dnnl_bf16, as)) ||
	    (st = dnnl_memory_desc_init_by_strides(&bmd, 2, bd, dnnl_bf16, bs)) ||
	    (st = dnnl_memory_desc_init_by_strides(&cmd, 2, cd, dnnl_f32, cs)))
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

// bf_run converts op(A)'s and op(B)'s used parts to the dense bfloat16
// buffers ab and bb and runs p on the calling thread alone.
static int bf_run(dnnl_primitive_t p, int ta, int tb, long m, long n, long k,
		  const float *a, long lda, const float *b, long ldb, float *c,
		  uint16_t *ab, uint16_t *bb, void *scratch) {
	omp_set_num_threads(1);
	if (ta) bf_round(a, k, m, lda, ab); else bf_round(a, m, k, lda, ab);
	if (tb) bf_round(b, n, k, ldb, bb); else bf_round(b, k, n, ldb, bb);
	const_dnnl_primitive_desc_t pd;
	dnnl_status_t st = dnnl_primitive_get_primitive_desc(p, &pd);
	if (st)
		return (int)st;
	dnnl_memory_t mem[4] = {NULL, NULL, NULL, NULL};
	int args[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_SCRATCHPAD};
	dnnl_query_t q[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md, dnnl_query_scratchpad_md};
	void *h[4] = {ab, bb, c, scratch};
	dnnl_exec_arg_t ea[4];
	int nargs = 0;
	for (int i = 0; i < 4 && !st; i++) {
		const dnnl_memory_desc_t *d = dnnl_primitive_desc_query_md(pd, q[i], 0);
		if (i == 3 && dnnl_memory_desc_get_size(d) == 0)
			break;
		st = dnnl_memory_create(&mem[i], d, bf_engine, h[i]);
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
		var buf [128]C.char
		C.dnnl_name(&buf[0], C.int(len(buf)))
		return C.GoString(&buf[0])
	case gemmBF16:
		if err := bfAvailable(); err != nil {
			fmt.Fprintf(os.Stderr, "vlmq: VLMQ_GEMM=%s: %v; using %s\n", name, err, gemmOneDNN)
			return selectGemm("")
		}
		gemmImpl = gemmBF16
		var buf [128]C.char
		C.dnnl_name(&buf[0], C.int(len(buf)))
		return C.GoString(&buf[0]) + " with bfloat16 inputs (matmul, float32 sums)"
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
	gemmPiece(m*n*k, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmPiece is gemm on a piece of a product of size whole (m*n*k of the
// whole), which picks the precision, so that every piece of one product
// is computed alike.
func gemmPiece(whole int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	var pa, pb *C.float
	if k > 0 {
		pa = (*C.float)(unsafe.Pointer(&a[0]))
		pb = (*C.float)(unsafe.Pointer(&b[0]))
	}
	pc := (*C.float)(unsafe.Pointer(&c[0]))
	if gemmImpl == gemmBF16 && k > 0 && whole >= bfMinFlops {
		bfGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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

// bfAvailable says whether gemmBF16 can run here, and why not.
var bfAvailable = sync.OnceValue(func() error {
	if C.bf_ok() == 0 {
		var buf [128]C.char
		C.dnnl_name(&buf[0], C.int(len(buf)))
		return fmt.Errorf("this CPU has no native bfloat16 products (AVX-512 BF16 or AMX) for %s", C.GoString(&buf[0]))
	}
	if st := C.bf_init(); st != 0 {
		return fmt.Errorf("oneDNN engine: status %d", st)
	}
	return nil
})

// bfMinFlops is the smallest product (m*n*k) run in bfloat16. Smaller ones,
// mostly attention blocks of many shapes, stay float32 on sgemm: building
// a primitive for each new shape would cost more than the product.
const bfMinFlops = 1 << 18

// bfKey names a cached matmul primitive: the shapes and scalars it was
// built for.
type bfKey struct {
	transA, transB bool
	m, n, k, ldc   int
	alpha, beta    float32
}

// bfCacheMax bounds the cache: packed batches give a new row count at
// almost every step, and each primitive holds JIT code.
var bfCacheMax = 2048

var bfCache struct {
	sync.RWMutex // held for reading while a cached primitive runs
	prims        map[bfKey]C.dnnl_primitive_t
	impls        map[string]bool // implementations built, for BF16Impls
}

// bfPrimitive returns key's primitive with bfCache read-locked; the
// caller unlocks when it has run.
func bfPrimitive(key bfKey) C.dnnl_primitive_t {
	for {
		bfCache.RLock()
		if p, ok := bfCache.prims[key]; ok {
			return p
		}
		bfCache.RUnlock()
		bfCache.Lock()
		if _, ok := bfCache.prims[key]; !ok {
			if bfCache.prims == nil || len(bfCache.prims) >= bfCacheMax {
				for _, p := range bfCache.prims {
					C.dnnl_primitive_destroy(p)
				}
				bfCache.prims = map[bfKey]C.dnnl_primitive_t{}
			}
			var p C.dnnl_primitive_t
			var impl [64]C.char
			if st := C.bf_make(cbool(key.transA), cbool(key.transB), C.long(key.m), C.long(key.n), C.long(key.k), C.long(key.ldc),
				C.float(key.alpha), C.float(key.beta), &p, &impl[0], C.int(len(impl))); st != 0 {
				bfCache.Unlock()
				panic(fmt.Sprintf("tensor: oneDNN bfloat16 matmul %dx%dx%d: status %d", key.m, key.n, key.k, st))
			}
			bfCache.prims[key] = p
			if bfCache.impls == nil {
				bfCache.impls = map[string]bool{}
			}
			bfCache.impls[C.GoString(&impl[0])] = true
		}
		bfCache.Unlock()
	}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// bfBuffers are the bfloat16 copies and scratchpad of one product, reused.
type bfBuffers struct {
	a, b    []uint16
	scratch []byte
}

var bfPool = sync.Pool{New: func() any { return new(bfBuffers) }}

func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// bfGemm is gemm on gemmBF16 (k > 0, m and n > 0).
func bfGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	key := bfKey{transA, transB, m, n, k, ldc, alpha, beta}
	p := bfPrimitive(key)
	defer bfCache.RUnlock()
	buf := bfPool.Get().(*bfBuffers)
	defer bfPool.Put(buf)
	buf.a = grown(buf.a, m*k)
	buf.b = grown(buf.b, k*n)
	buf.scratch = grown(buf.scratch, max(int(C.bf_scratch(p)), 1))
	if st := C.bf_run(p, cbool(transA), cbool(transB), C.long(m), C.long(n), C.long(k),
		(*C.float)(unsafe.Pointer(&a[0])), C.long(lda), (*C.float)(unsafe.Pointer(&b[0])), C.long(ldb),
		(*C.float)(unsafe.Pointer(&c[0])), (*C.uint16_t)(unsafe.Pointer(&buf.a[0])), (*C.uint16_t)(unsafe.Pointer(&buf.b[0])),
		unsafe.Pointer(&buf.scratch[0])); st != 0 {
		panic(fmt.Sprintf("tensor: oneDNN bfloat16 matmul %dx%dx%d failed with status %d", m, n, k, st))
	}
}

// BF16Impls lists oneDNN's implementations of the bfloat16 products built
// so far (for benchmarks: "brg:avx512_core_amx_bf16" is AMX).
func BF16Impls() []string {
	bfCache.RLock()
	defer bfCache.RUnlock()
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
