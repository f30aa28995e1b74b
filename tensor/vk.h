// Vector kernels of package tensor (vk_body.h), dispatched at run time to
// the widest instruction set the CPU has (vk.c).
#ifndef VLMQ_VK_H
#define VLMQ_VK_H

#define VK_EXPMAX 88.3762626647949f
#define VK_EXPMIN -87.3365447504f

// vk_init picks the kernels for this CPU and names them: "avx512",
// "avx2" or "sse2". VLMQ_KERNELS (the same names) narrows the choice.
const char *vk_init(const char *want);

void vk_exp(float *y, const float *x, long n);
float vk_logsumexp(const float *x, long n);
float vk_softmax(float *x, long n);
void vk_softmax_rows(float *x, long rows, long d);
void vk_attn_softmax(float *P, long ld, long tq, long tk, const int *vis, float slope, long off);
void vk_attn_softmax_bwd(float *dP, long ldd, const float *P, long ldp, const float *O, long ldo, const float *G,
			 long ldg, long tq, long tk, long dh);
void vk_gelu_fwd(float *y, float *sg, const float *x, long n);
void vk_gelu_bwd(float *gx, const float *g, const float *x, const float *sg, long n);
void vk_add(float *o, const float *a, const float *b, long n);
void vk_acc(float *d, const float *s, long n);
void vk_colsum(float *dst, const float *a, const float *b, long rows, long d, long ld);
void vk_layernorm_fwd(float *out, float *xhat, float *rstd, const float *x, const float *g, const float *b, long rows,
		      long d, float eps);
void vk_layernorm_bwd(float *gx, const float *gy, const float *xhat, const float *rstd, const float *g, long rows,
		      long d);
void vk_ce_grad(float *gr, const float *x, float lse, float w, long n);
void vk_adamw(float *p, const float *g, float *m, float *v, long n, float b1, float b2, float eps, float rbc2,
	      float step, float decay);

#endif
