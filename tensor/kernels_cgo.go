//go:build cgo && !noblas

package tensor

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include "vk.h"
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// KernelISA names the instruction set the vector kernels run on: avx512,
// avx2 or sse2 (chosen from the CPU; VLMQ_KERNELS may ask for a narrower
// one), or "go" in builds without cgo.
var KernelISA = useKernels(os.Getenv("VLMQ_KERNELS"))

// useKernels switches the kernels to the widest set the CPU has, at most
// want ("" for no limit), and returns its name.
func useKernels(want string) string {
	cs := C.CString(want)
	defer C.free(unsafe.Pointer(cs))
	return C.GoString(C.vk_init(cs))
}

// need panics unless s holds n values: the C kernels trust their lengths.
func need(s []float32, n int) {
	if len(s) < n {
		panic(fmt.Sprintf("tensor: kernel operand has %d values, needs %d", len(s), n))
	}
}

// fp is the C pointer to s's first element, or nil for an empty slice.
func fp(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func vkExp(y, x []float32) {
	need(y, len(x))
	C.vk_exp(fp(y), fp(x), C.long(len(x)))
}

func vkLogSumExp(x []float32) float32 { return float32(C.vk_logsumexp(fp(x), C.long(len(x)))) }

func vkSoftmax(x []float32) float32 { return float32(C.vk_softmax(fp(x), C.long(len(x)))) }

// vkAttnSoftmax turns each of the tq score rows of P (row i at i*ld, tk
// keys) into probabilities over its first vis[i] keys, after ALiBi's
// -slope·|off+i-j| when slope is not 0, and zeroes the rest of the row.
func vkAttnSoftmax(P []float32, ld, tq, tk int, vis []int32, slope float32, off int) {
	if tq == 0 {
		return
	}
	need(P, (tq-1)*ld+tk)
	if len(vis) < tq {
		panic(fmt.Sprintf("tensor: attention softmax with %d row lengths for %d rows", len(vis), tq))
	}
	C.vk_attn_softmax(fp(P), C.long(ld), C.long(tq), C.long(tk), (*C.int)(unsafe.Pointer(&vis[0])), C.float(slope), C.long(off))
}

// vkAttnSoftmaxBwd maps dP (the gradient of the probabilities P, tq×tk)
// to the gradient of the scores, P·(dP - O·G) row by row, for the
// attention output O and its gradient G (tq×dh); each operand's rows are
// at its own stride.
func vkAttnSoftmaxBwd(dP []float32, ldd int, P []float32, ldp int, O []float32, ldo int, G []float32, ldg, tq, tk, dh int) {
	if tq == 0 {
		return
	}
	need(dP, (tq-1)*ldd+tk)
	need(P, (tq-1)*ldp+tk)
	need(O, (tq-1)*ldo+dh)
	need(G, (tq-1)*ldg+dh)
	C.vk_attn_softmax_bwd(fp(dP), C.long(ldd), fp(P), C.long(ldp), fp(O), C.long(ldo), fp(G), C.long(ldg), C.long(tq), C.long(tk), C.long(dh))
}

func vkGELUFwd(y, sg, x []float32) {
	need(y, len(x))
	if sg != nil {
		need(sg, len(x))
	}
	C.vk_gelu_fwd(fp(y), fp(sg), fp(x), C.long(len(x)))
}

func vkGELUBwd(gx, g, x, sg []float32) {
	need(gx, len(x))
	need(g, len(x))
	need(sg, len(x))
	C.vk_gelu_bwd(fp(gx), fp(g), fp(x), fp(sg), C.long(len(x)))
}

func vkAdd(o, a, b []float32) {
	need(o, len(a))
	need(b, len(a))
	C.vk_add(fp(o), fp(a), fp(b), C.long(len(a)))
}

func vkAcc(d, s []float32) {
	need(d, len(s))
	C.vk_acc(fp(d), fp(s), C.long(len(s)))
}

// vkColSum adds to dst[j] (j < d) the sum over rows of a[r*ld+j], times
// b[r*ld+j] when b is not nil.
func vkColSum(dst, a, b []float32, rows, d, ld int) {
	if rows == 0 || d == 0 {
		return
	}
	need(dst, d)
	need(a, (rows-1)*ld+d)
	if b != nil {
		need(b, (rows-1)*ld+d)
	}
	C.vk_colsum(fp(dst), fp(a), fp(b), C.long(rows), C.long(d), C.long(ld))
}

func vkLayerNormFwd(out, xhat, rstd, x, g, b []float32, rows, d int, eps float32) {
	need(out, rows*d)
	need(xhat, rows*d)
	need(x, rows*d)
	if rstd != nil {
		need(rstd, rows)
	}
	if g != nil {
		need(g, d)
	}
	if b != nil {
		need(b, d)
	}
	C.vk_layernorm_fwd(fp(out), fp(xhat), fp(rstd), fp(x), fp(g), fp(b), C.long(rows), C.long(d), C.float(eps))
}

func vkLayerNormBwd(gx, gy, xhat, rstd, g []float32, rows, d int) {
	need(gx, rows*d)
	need(gy, rows*d)
	need(xhat, rows*d)
	need(rstd, rows)
	if g != nil {
		need(g, d)
	}
	C.vk_layernorm_bwd(fp(gx), fp(gy), fp(xhat), fp(rstd), fp(g), C.long(rows), C.long(d))
}

func vkCEGrad(gr, x []float32, lse, w float32) {
	need(gr, len(x))
	C.vk_ce_grad(fp(gr), fp(x), C.float(lse), C.float(w), C.long(len(x)))
}

func vkAdamW(p, g, m, v []float32, b1, b2, eps, rbc2, step, decay float32) {
	need(g, len(p))
	need(m, len(p))
	need(v, len(p))
	C.vk_adamw(fp(p), fp(g), fp(m), fp(v), C.long(len(p)), C.float(b1), C.float(b2), C.float(eps), C.float(rbc2),
		C.float(step), C.float(decay))
}
