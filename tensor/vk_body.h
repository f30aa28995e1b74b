// Vector kernels, written once with GCC vector extensions and compiled
// once per instruction set by vk.c (which defines VW, the lanes of a
// vector, SFX, the suffix naming this build's functions, and VSQRT, the
// lane-wise square root). Every
// element of an elementwise kernel goes through the same vector
// instruction sequence, tails included (they are padded into a vector),
// so a result does not depend on where a caller cut the array: the same
// bits on any thread count. Per lane, the AVX2 and AVX-512 builds run the
// same operations; only the order of a row's reductions differs.

typedef float SFX(vf) __attribute__((vector_size(VW * 4), aligned(4)));
typedef int SFX(vi) __attribute__((vector_size(VW * 4), aligned(4)));
#define vf SFX(vf)
#define vi SFX(vi)

static inline vf SFX(splat)(float x) {
	vf v;
	for (int i = 0; i < VW; i++) v[i] = x;
	return v;
}

// sel returns a where m is set, b elsewhere (m from a comparison).
static inline vf SFX(sel)(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

static inline vf SFX(load)(const float *p) { return *(const vf *)p; }
static inline void SFX(store)(float *p, vf v) { *(vf *)p = v; }

// loadk reads k < VW floats and fills the other lanes with fill.
static inline vf SFX(loadk)(const float *p, long k, float fill) {
	vf v = SFX(splat)(fill);
	for (long i = 0; i < k; i++) v[i] = p[i];
	return v;
}

static inline void SFX(storek)(float *p, vf v, long k) {
	for (long i = 0; i < k; i++) p[i] = v[i];
}

static inline float SFX(hsum)(vf v) {
	float s = 0;
	for (int i = 0; i < VW; i++) s += v[i];
	return s;
}

static inline float SFX(hmax)(vf v) {
	float m = v[0];
	for (int i = 1; i < VW; i++) m = v[i] > m ? v[i] : m;
	return m;
}

static inline vf SFX(vmax)(vf a, vf b) { return SFX(sel)(a > b, a, b); }

// vexp is tensor.Exp lane by lane: the same range reduction and Cephes
// polynomial, 0 below expMin, +Inf above expMax, NaN kept.
static inline vf SFX(vexp)(vf x) {
	const vf magic = SFX(splat)(12582912.0f);
	vf xc = SFX(sel)(x < SFX(splat)(VK_EXPMIN), SFX(splat)(VK_EXPMIN), x);
	xc = SFX(sel)(xc > SFX(splat)(VK_EXPMAX), SFX(splat)(VK_EXPMAX), xc);
	vf fn = xc * 1.44269504088896341f + magic;
	fn -= magic;
	vf r = xc - fn * 0.693359375f;
	r -= fn * -2.12194440e-4f;
	vf r2 = r * r;
	vf p = SFX(splat)(1.9875691500e-4f);
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	vf y = p * r2 + r + 1.0f;
	vi n = __builtin_convertvector(fn, vi);
	vf scale = (vf)((n + 127) << 23);
	y = y * scale;
	y = SFX(sel)(x > SFX(splat)(VK_EXPMAX), SFX(splat)(__builtin_inff()), y);
	y = SFX(sel)(x < SFX(splat)(VK_EXPMIN), SFX(splat)(0.0f), y);
	return SFX(sel)(x != x, x, y);
}

void SFX(vk_exp)(float *y, const float *x, long n) {
	long i = 0;
	for (; i + VW <= n; i += VW) SFX(store)(y + i, SFX(vexp)(SFX(load)(x + i)));
	if (i < n) SFX(storek)(y + i, SFX(vexp)(SFX(loadk)(x + i, n - i, 0)), n - i);
}

static float SFX(rowmax)(const float *x, long n) {
	vf m = SFX(splat)(-__builtin_inff());
	long i = 0;
	for (; i + VW <= n; i += VW) m = SFX(vmax)(m, SFX(load)(x + i));
	if (i < n) m = SFX(vmax)(m, SFX(loadk)(x + i, n - i, -__builtin_inff()));
	return SFX(hmax)(m);
}

// expsum writes e^(x-mx) to y (y may be NULL) and returns its sum.
static float SFX(expsum)(float *y, const float *x, long n, float mx) {
	vf s = SFX(splat)(0), vm = SFX(splat)(mx);
	long i = 0;
	for (; i + VW <= n; i += VW) {
		vf e = SFX(vexp)(SFX(load)(x + i) - vm);
		if (y) SFX(store)(y + i, e);
		s += e;
	}
	if (i < n) {
		long k = n - i;
		vf e = SFX(vexp)(SFX(loadk)(x + i, k, -__builtin_inff()) - vm);
		if (y) SFX(storek)(y + i, e, k);
		s += e;
	}
	return SFX(hsum)(s);
}

static void SFX(scale)(float *x, long n, float c) {
	vf vc = SFX(splat)(c);
	long i = 0;
	for (; i + VW <= n; i += VW) SFX(store)(x + i, SFX(load)(x + i) * vc);
	for (; i < n; i++) x[i] *= c;
}

float SFX(vk_logsumexp)(const float *x, long n) {
	if (n == 0) return -__builtin_inff();
	float mx = SFX(rowmax)(x, n);
	if (mx == -__builtin_inff()) return mx;
	return mx + __builtin_logf(SFX(expsum)(0, x, n, mx));
}

float SFX(vk_softmax)(float *x, long n) {
	if (n == 0) return 0;
	float mx = SFX(rowmax)(x, n);
	if (mx == -__builtin_inff()) {
		for (long i = 0; i < n; i++) x[i] = 0;
		return mx;
	}
	float s = SFX(expsum)(x, x, n, mx);
	SFX(scale)(x, n, 1 / s);
	return mx + __builtin_logf(s);
}

void SFX(vk_softmax_rows)(float *x, long rows, long d) {
	for (long r = 0; r < rows; r++) SFX(vk_softmax)(x + r * d, d);
}

void SFX(vk_attn_softmax)(float *P, long ld, long tq, long tk, const int *vis, float slope, long off) {
	for (long i = 0; i < tq; i++) {
		float *row = P + i * ld;
		long v = vis[i];
		if (slope != 0) {
			// ALiBi: -slope*|q-j|; keys past the query only within a prefix.
			long q = off + i;
			for (long j = 0; j < v; j++) {
				long dd = q - j;
				row[j] -= slope * (float)(dd < 0 ? -dd : dd);
			}
		}
		SFX(vk_softmax)(row, v);
		for (long j = v; j < tk; j++) row[j] = 0;
	}
}

void SFX(vk_attn_softmax_bwd)(float *dP, long ldd, const float *P, long ldp, const float *O, long ldo, const float *G,
			      long ldg, long tq, long tk, long dh) {
	for (long i = 0; i < tq; i++) {
		const float *o = O + i * ldo, *g = G + i * ldg, *p = P + i * ldp;
		float *dr = dP + i * ldd;
		vf acc = SFX(splat)(0);
		long j = 0;
		for (; j + VW <= dh; j += VW) acc += SFX(load)(o + j) * SFX(load)(g + j);
		float d = SFX(hsum)(acc);
		for (; j < dh; j++) d += o[j] * g[j];
		vf vd = SFX(splat)(d);
		j = 0;
		for (; j + VW <= tk; j += VW) SFX(store)(dr + j, SFX(load)(p + j) * (SFX(load)(dr + j) - vd));
		for (; j < tk; j++) dr[j] = p[j] * (dr[j] - d);
	}
}

// geluSig: sigmoid(2u), u = sqrt(2/pi)(x + 0.044715x^3), as tensor.geluSig.
static inline vf SFX(gelusig)(vf x) {
	vf e = SFX(vexp)(x * -1.5957691216057308f * (1.0f + 0.044715f * x * x));
	return 1.0f / (1.0f + e);
}

void SFX(vk_gelu_fwd)(float *y, float *sg, const float *x, long n) {
	long i = 0;
	for (; i + VW <= n; i += VW) {
		vf v = SFX(load)(x + i), s = SFX(gelusig)(v);
		if (sg) SFX(store)(sg + i, s);
		SFX(store)(y + i, v * s);
	}
	if (i < n) {
		long k = n - i;
		vf v = SFX(loadk)(x + i, k, 0), s = SFX(gelusig)(v);
		if (sg) SFX(storek)(sg + i, s, k);
		SFX(storek)(y + i, v * s, k);
	}
}

static inline vf SFX(gelugrad)(vf v, vf s, vf g) {
	vf du = 0.7978845608028654f * (1.0f + 3 * 0.044715f * v * v);
	return g * (s + 2 * v * s * (1.0f - s) * du);
}

void SFX(vk_gelu_bwd)(float *gx, const float *g, const float *x, const float *sg, long n) {
	long i = 0;
	for (; i + VW <= n; i += VW)
		SFX(store)(gx + i, SFX(load)(gx + i) + SFX(gelugrad)(SFX(load)(x + i), SFX(load)(sg + i), SFX(load)(g + i)));
	if (i < n) {
		long k = n - i;
		vf r = SFX(loadk)(gx + i, k, 0) + SFX(gelugrad)(SFX(loadk)(x + i, k, 0), SFX(loadk)(sg + i, k, 0), SFX(loadk)(g + i, k, 0));
		SFX(storek)(gx + i, r, k);
	}
}

void SFX(vk_add)(float *o, const float *a, const float *b, long n) {
	long i = 0;
	for (; i + VW <= n; i += VW) SFX(store)(o + i, SFX(load)(a + i) + SFX(load)(b + i));
	for (; i < n; i++) o[i] = a[i] + b[i];
}

void SFX(vk_acc)(float *d, const float *s, long n) {
	long i = 0;
	for (; i + VW <= n; i += VW) SFX(store)(d + i, SFX(load)(d + i) + SFX(load)(s + i));
	for (; i < n; i++) d[i] += s[i];
}

// vk_colsum adds to dst[j] the sum over rows of a[r*ld+j] (times b[r*ld+j]
// when b is not NULL), for j < d, summing rows in order (lanes are
// columns), so a column's sum does not depend on how callers split the
// columns between threads.
void SFX(vk_colsum)(float *dst, const float *a, const float *b, long rows, long d, long ld) {
	long j = 0;
	for (; j + VW <= d; j += VW) {
		vf s = SFX(load)(dst + j);
		for (long r = 0; r < rows; r++) {
			vf v = SFX(load)(a + r * ld + j);
			if (b) v *= SFX(load)(b + r * ld + j);
			s += v;
		}
		SFX(store)(dst + j, s);
	}
	for (; j < d; j++) {
		float s = dst[j];
		for (long r = 0; r < rows; r++) s += b ? a[r * ld + j] * b[r * ld + j] : a[r * ld + j];
		dst[j] = s;
	}
}

static inline float SFX(rowsum)(const float *x, long n) {
	vf s = SFX(splat)(0);
	long i = 0;
	for (; i + VW <= n; i += VW) s += SFX(load)(x + i);
	float t = SFX(hsum)(s);
	for (; i < n; i++) t += x[i];
	return t;
}

void SFX(vk_layernorm_fwd)(float *out, float *xhat, float *rstd, const float *x, const float *g, const float *b,
			   long rows, long d, float eps) {
	for (long r = 0; r < rows; r++) {
		const float *xr = x + r * d;
		float *o = out + r * d, *xh = xhat + r * d;
		float mean = SFX(rowsum)(xr, d) / (float)d;
		vf vm = SFX(splat)(mean), acc = SFX(splat)(0);
		long j = 0;
		for (; j + VW <= d; j += VW) {
			vf c = SFX(load)(xr + j) - vm;
			acc += c * c;
		}
		float var = SFX(hsum)(acc);
		for (; j < d; j++) var += (xr[j] - mean) * (xr[j] - mean);
		float rs = 1 / __builtin_sqrtf(var / (float)d + eps);
		if (rstd) rstd[r] = rs;
		vf vr = SFX(splat)(rs);
		for (j = 0; j + VW <= d; j += VW) {
			vf h = (SFX(load)(xr + j) - vm) * vr;
			if (xh != o) SFX(store)(xh + j, h);
			if (g) h *= SFX(load)(g + j);
			if (b) h += SFX(load)(b + j);
			SFX(store)(o + j, h);
		}
		for (; j < d; j++) {
			float h = (xr[j] - mean) * rs;
			xh[j] = h;
			if (g) h *= g[j];
			if (b) h += b[j];
			o[j] = h;
		}
	}
}

void SFX(vk_layernorm_bwd)(float *gx, const float *gy, const float *xhat, const float *rstd, const float *g, long rows,
			   long d) {
	for (long r = 0; r < rows; r++) {
		const float *xh = xhat + r * d, *gr = gy + r * d;
		float *gxr = gx + r * d;
		vf a1 = SFX(splat)(0), a2 = SFX(splat)(0);
		long j = 0;
		for (; j + VW <= d; j += VW) {
			vf dh = SFX(load)(gr + j);
			if (g) dh *= SFX(load)(g + j);
			a1 += dh;
			a2 += dh * SFX(load)(xh + j);
		}
		float m1 = SFX(hsum)(a1), m2 = SFX(hsum)(a2);
		for (; j < d; j++) {
			float dh = g ? gr[j] * g[j] : gr[j];
			m1 += dh;
			m2 += dh * xh[j];
		}
		m1 /= (float)d;
		m2 /= (float)d;
		float rs = rstd[r];
		vf vm1 = SFX(splat)(m1), vm2 = SFX(splat)(m2), vrs = SFX(splat)(rs);
		for (j = 0; j + VW <= d; j += VW) {
			vf dh = SFX(load)(gr + j);
			if (g) dh *= SFX(load)(g + j);
			SFX(store)(gxr + j, SFX(load)(gxr + j) + vrs * (dh - vm1 - SFX(load)(xh + j) * vm2));
		}
		for (; j < d; j++) {
			float dh = g ? gr[j] * g[j] : gr[j];
			gxr[j] += rs * (dh - m1 - xh[j] * m2);
		}
	}
}

// vk_ce_grad adds w*softmax(x) (exp(x - lse)) to gr.
void SFX(vk_ce_grad)(float *gr, const float *x, float lse, float w, long n) {
	vf vl = SFX(splat)(lse), vw = SFX(splat)(w);
	long i = 0;
	for (; i + VW <= n; i += VW) SFX(store)(gr + i, SFX(load)(gr + i) + vw * SFX(vexp)(SFX(load)(x + i) - vl));
	if (i < n) {
		long k = n - i;
		vf r = SFX(loadk)(gr + i, k, 0) + vw * SFX(vexp)(SFX(loadk)(x + i, k, 0) - vl);
		SFX(storek)(gr + i, r, k);
	}
}

static inline void SFX(adamw1)(float *p, const float *g, float *m, float *v, vf b1, vf b2, vf eps, vf rbc2, vf step,
			       vf decay, long k) {
	vf gi = k == VW ? SFX(load)(g) : SFX(loadk)(g, k, 0);
	vf mi = k == VW ? SFX(load)(m) : SFX(loadk)(m, k, 0);
	vf vi_ = k == VW ? SFX(load)(v) : SFX(loadk)(v, k, 0);
	vf di = k == VW ? SFX(load)(p) : SFX(loadk)(p, k, 0);
	mi = b1 * mi + (1.0f - b1) * gi;
	vi_ = b2 * vi_ + (1.0f - b2) * gi * gi;
	di = di * decay - step * mi / (VSQRT(vi_) * rbc2 + eps);
	if (k == VW) {
		SFX(store)(m, mi);
		SFX(store)(v, vi_);
		SFX(store)(p, di);
	} else {
		SFX(storek)(m, mi, k);
		SFX(storek)(v, vi_, k);
		SFX(storek)(p, di, k);
	}
}

void SFX(vk_adamw)(float *p, const float *g, float *m, float *v, long n, float b1, float b2, float eps, float rbc2,
		   float step, float decay) {
	vf vb1 = SFX(splat)(b1), vb2 = SFX(splat)(b2), veps = SFX(splat)(eps), vr = SFX(splat)(rbc2),
	   vs = SFX(splat)(step), vd = SFX(splat)(decay);
	long i = 0;
	for (; i + VW <= n; i += VW) SFX(adamw1)(p + i, g + i, m + i, v + i, vb1, vb2, veps, vr, vs, vd, VW);
	if (i < n) SFX(adamw1)(p + i, g + i, m + i, v + i, vb1, vb2, veps, vr, vs, vd, n - i);
}

#undef vf
#undef vi
