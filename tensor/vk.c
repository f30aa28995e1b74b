//go:build cgo && !noblas

// The vector kernels, compiled for AVX-512, AVX2+FMA and baseline SSE2,
// and the dispatch between them.
// Scalar sqrtf inline, without errno.
#pragma GCC optimize("no-math-errno")
#include <immintrin.h>
#include <string.h>
#include "vk.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx2,fma")
#define VW 16
#define SFX(n) n##_avx512
#define VSQRT(v) ((vf)_mm512_sqrt_ps((__m512)(v)))
#include "vk_body.h"
#undef VW
#undef SFX
#undef VSQRT
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VW 8
#define SFX(n) n##_avx2
#define VSQRT(v) ((vf)_mm256_sqrt_ps((__m256)(v)))
#include "vk_body.h"
#undef VW
#undef SFX
#undef VSQRT
#pragma GCC pop_options

#define VW 4
#define SFX(n) n##_sse2
#define VSQRT(v) ((vf)_mm_sqrt_ps((__m128)(v)))
#include "vk_body.h"
#undef VW
#undef SFX
#undef VSQRT

#define VK_FUNCS(X)                                                                        \
	X(vk_exp, void, (float *y, const float *x, long n), (y, x, n))                         \
	X(vk_logsumexp, float, (const float *x, long n), (x, n))                               \
	X(vk_softmax, float, (float *x, long n), (x, n))                                       \
	X(vk_softmax_rows, void, (float *x, long rows, long d), (x, rows, d))                  \
	X(vk_attn_softmax, void, (float *P, long ld, long tq, long tk, const int *vis, float slope, long off), \
	  (P, ld, tq, tk, vis, slope, off))                                                    \
	X(vk_attn_softmax_bwd, void,                                                           \
	  (float *dP, long ldd, const float *P, long ldp, const float *O, long ldo, const float *G, long ldg, long tq, \
	   long tk, long dh),                                                                  \
	  (dP, ldd, P, ldp, O, ldo, G, ldg, tq, tk, dh))                                       \
	X(vk_gelu_fwd, void, (float *y, float *sg, const float *x, long n), (y, sg, x, n))     \
	X(vk_gelu_bwd, void, (float *gx, const float *g, const float *x, const float *sg, long n), \
	  (gx, g, x, sg, n))                                                                   \
	X(vk_add, void, (float *o, const float *a, const float *b, long n), (o, a, b, n))      \
	X(vk_acc, void, (float *d, const float *s, long n), (d, s, n))                         \
	X(vk_colsum, void, (float *dst, const float *a, const float *b, long rows, long d, long ld), \
	  (dst, a, b, rows, d, ld))                                                            \
	X(vk_layernorm_fwd, void,                                                              \
	  (float *out, float *xhat, float *rstd, const float *x, const float *g, const float *b, long rows, long d, \
	   float eps),                                                                         \
	  (out, xhat, rstd, x, g, b, rows, d, eps))                                            \
	X(vk_layernorm_bwd, void,                                                              \
	  (float *gx, const float *gy, const float *xhat, const float *rstd, const float *g, long rows, long d), \
	  (gx, gy, xhat, rstd, g, rows, d))                                                    \
	X(vk_ce_grad, void, (float *gr, const float *x, float lse, float w, long n), (gr, x, lse, w, n)) \
	X(vk_adamw, void,                                                                      \
	  (float *p, const float *g, float *m, float *v, long n, float b1, float b2, float eps, float rbc2, float step, \
	   float decay),                                                                       \
	  (p, g, m, v, n, b1, b2, eps, rbc2, step, decay))

#define X(name, ret, params, args) static ret(*name##_ptr) params = name##_sse2;
VK_FUNCS(X)
#undef X

#define X(name, ret, params, args) \
	ret name params { return name##_ptr args; }
VK_FUNCS(X)
#undef X

#define X(name, ret, params, args) name##_ptr = name##_avx512;
static void use_avx512(void) { VK_FUNCS(X) }
#undef X
#define X(name, ret, params, args) name##_ptr = name##_avx2;
static void use_avx2(void) { VK_FUNCS(X) }
#undef X
#define X(name, ret, params, args) name##_ptr = name##_sse2;
static void use_sse2(void) { VK_FUNCS(X) }
#undef X

const char *vk_init(const char *want) {
	__builtin_cpu_init();
	int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
		     __builtin_cpu_supports("avx512vl");
	int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	if (want && *want) {
		if (!strcmp(want, "sse2")) avx512 = avx2 = 0;
		if (!strcmp(want, "avx2")) avx512 = 0;
	}
	if (avx512) {
		use_avx512();
		return "avx512";
	}
	if (avx2) {
		use_avx2();
		return "avx2";
	}
	use_sse2();
	return "sse2";
}
