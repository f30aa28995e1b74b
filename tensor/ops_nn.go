package tensor

import (
	"fmt"
	"math"
)

// MatMul returns op(a)·op(b) for 2-D a, b (op transposes when asked).
func (tp *Tape) MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	mustRank("MatMul", a, 2)
	mustRank("MatMul", b, 2)
	M, K := a.Shape[0], a.Shape[1]
	if transA {
		M, K = K, M
	}
	K2, N := b.Shape[0], b.Shape[1]
	if transB {
		K2, N = N, K2
	}
	if K != K2 {
		panic(fmt.Sprintf("tensor: MatMul inner dims differ: %v (T=%v) x %v (T=%v)", a.Shape, transA, b.Shape, transB))
	}
	lda, ldb := a.Shape[1], b.Shape[1]
	out := tp.out([]int{M, N}, a, b)
	Sgemm(transA, transB, M, N, K, 1, a.Data, lda, b.Data, ldb, 0, out.Data, N)
	tp.record(out, func(g []float32) {
		if ga := tp.grad(a); ga != nil {
			if !transA {
				Sgemm(false, !transB, M, K, N, 1, g, N, b.Data, ldb, 1, ga, K)
			} else {
				Sgemm(transB, true, K, M, N, 1, b.Data, ldb, g, N, 1, ga, M)
			}
		}
		if gb := tp.grad(b); gb != nil {
			if !transB {
				Sgemm(!transA, false, K, N, M, 1, a.Data, lda, g, N, 1, gb, N)
			} else {
				Sgemm(true, transA, N, K, M, 1, g, N, a.Data, lda, 1, gb, K)
			}
		}
	})
	return out
}

// Linear returns x·wᵀ + b for x [..., in], w [out, in] (PyTorch layout) and
// optional b [out]; the result has shape [..., out].
func (tp *Tape) Linear(x, w, b *Tensor) *Tensor {
	mustRank("Linear weight", w, 2)
	N, in := x.rows2("Linear")
	outF := w.Shape[0]
	if in != w.Shape[1] || (b != nil && len(b.Data) != outF) {
		bs := []int(nil)
		if b != nil {
			bs = b.Shape
		}
		panic(fmt.Sprintf("tensor: Linear x %v, w %v, b %v incompatible", x.Shape, w.Shape, bs))
	}
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), outF)
	if w.half != nil {
		return tp.linearHalf(x, w, b, N, in, outF, shape)
	}
	out := tp.out(shape, x, w, b)
	if b != nil {
		for r := 0; r < N; r++ {
			copy(out.Data[r*outF:(r+1)*outF], b.Data)
		}
		Sgemm(false, true, N, outF, in, 1, x.Data, in, w.Data, in, 1, out.Data, outF)
	} else {
		Sgemm(false, true, N, outF, in, 1, x.Data, in, w.Data, in, 0, out.Data, outF)
	}
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			Sgemm(false, false, N, in, outF, 1, g, outF, w.Data, in, 1, gx, in)
		}
		if gw := tp.grad(w); gw != nil {
			Sgemm(true, false, outF, in, N, 1, g, outF, x.Data, in, 1, gw, in)
		}
		if gb := tp.grad(b); gb != nil {
			colSumInto(gb, g, N, outF)
		}
	})
	return out
}

// BMM is a batched MatMul: a [B, M, K], b [B, K, N] (before transposition).
func (tp *Tape) BMM(a, b *Tensor, transA, transB bool) *Tensor {
	mustRank("BMM", a, 3)
	mustRank("BMM", b, 3)
	B := a.Shape[0]
	M, K := a.Shape[1], a.Shape[2]
	if transA {
		M, K = K, M
	}
	K2, N := b.Shape[1], b.Shape[2]
	if transB {
		K2, N = N, K2
	}
	if K != K2 || b.Shape[0] != B {
		panic(fmt.Sprintf("tensor: BMM shapes %v (T=%v) x %v (T=%v) incompatible", a.Shape, transA, b.Shape, transB))
	}
	lda, ldb := a.Shape[2], b.Shape[2]
	sa, sb, sc := a.Shape[1]*a.Shape[2], b.Shape[1]*b.Shape[2], M*N
	out := tp.out([]int{B, M, N}, a, b)
	parallelFor(B, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gemm(transA, transB, M, N, K, 1, a.Data[i*sa:], lda, b.Data[i*sb:], ldb, 0, out.Data[i*sc:], N)
		}
	})
	tp.record(out, func(g []float32) {
		ga, gb := tp.grad(a), tp.grad(b)
		parallelFor(B, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				gi, ai, bi := g[i*sc:], a.Data[i*sa:], b.Data[i*sb:]
				if ga != nil {
					if !transA {
						gemm(false, !transB, M, K, N, 1, gi, N, bi, ldb, 1, ga[i*sa:], K)
					} else {
						gemm(transB, true, K, M, N, 1, bi, ldb, gi, N, 1, ga[i*sa:], M)
					}
				}
				if gb != nil {
					if !transB {
						gemm(!transA, false, K, N, M, 1, ai, lda, gi, N, 1, gb[i*sb:], N)
					} else {
						gemm(true, transA, N, K, M, 1, gi, N, ai, lda, 1, gb[i*sb:], K)
					}
				}
			}
		})
	})
	return out
}

// Softmax over the last dimension.
func (tp *Tape) Softmax(x *Tensor) *Tensor {
	n, d := x.rows2("Softmax")
	out := tp.out(x.Shape, x)
	copy(out.Data, x.Data)
	parallelFor(n, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			SoftmaxRow(out.Data[r*d : (r+1)*d])
		}
	})
	tp.record(out, func(g []float32) {
		gx := tp.grad(x)
		if gx == nil {
			return
		}
		parallelFor(n, 64, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				y, gr, gxr := out.Data[r*d:(r+1)*d], g[r*d:(r+1)*d], gx[r*d:(r+1)*d]
				var dot float32
				for j := range y {
					dot += y[j] * gr[j]
				}
				for j := range y {
					gxr[j] += y[j] * (gr[j] - dot)
				}
			}
		})
	})
	return out
}

// LogSoftmax over the last dimension.
func (tp *Tape) LogSoftmax(x *Tensor) *Tensor {
	n, d := x.rows2("LogSoftmax")
	out := tp.out(x.Shape, x)
	parallelFor(n, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, o := x.Data[r*d:(r+1)*d], out.Data[r*d:(r+1)*d]
			lse := LogSumExp(xr)
			for j := range xr {
				o[j] = xr[j] - lse
			}
		}
	})
	tp.record(out, func(g []float32) {
		gx := tp.grad(x)
		if gx == nil {
			return
		}
		parallelFor(n, 64, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				y, gr, gxr := out.Data[r*d:(r+1)*d], g[r*d:(r+1)*d], gx[r*d:(r+1)*d]
				var s float32
				for _, v := range gr {
					s += v
				}
				// gr - softmax·s, softmax = exp(log-softmax), so exp(y - 0)·(-s).
				vkAcc(gxr, gr)
				vkCEGrad(gxr, y, 0, -s)
			}
		})
	})
	return out
}

// LayerNorm normalises the last dimension: (x-mean)/sqrt(var+eps)*g + b.
// g and b are [D]; either may be nil (no affine part).
func (tp *Tape) LayerNorm(x, g, b *Tensor, eps float32) *Tensor {
	n, d := x.rows2("LayerNorm")
	if (g != nil && len(g.Data) != d) || (b != nil && len(b.Data) != d) {
		panic(fmt.Sprintf("tensor: LayerNorm params do not match x %v", x.Shape))
	}
	out := tp.out(x.Shape, x, g, b)
	var xhat, rstd []float32
	if out.requiresGrad {
		xhat, rstd = tp.buf(len(x.Data)), tp.buf(n)
	} else {
		xhat = out.Data
	}
	var gd, bd []float32
	if g != nil {
		gd = g.Data
	}
	if b != nil {
		bd = b.Data
	}
	parallelFor(n, 32, func(lo, hi int) {
		var rs []float32
		if rstd != nil {
			rs = rstd[lo:hi]
		}
		vkLayerNormFwd(out.Data[lo*d:hi*d], xhat[lo*d:hi*d], rs, x.Data[lo*d:hi*d], gd, bd, hi-lo, d, eps)
	})
	tp.record(out, func(gr []float32) {
		gx, gg, gb := tp.grad(x), tp.grad(g), tp.grad(b)
		if gg != nil {
			colSumsInto(gg, gr, xhat, n, d)
		}
		if gb != nil {
			colSumInto(gb, gr, n, d)
		}
		if gx == nil {
			return
		}
		// dxhat = dy*g; dx = rstd*(dxhat - mean(dxhat) - xhat*mean(dxhat*xhat))
		parallelFor(n, 32, func(lo, hi int) {
			vkLayerNormBwd(gx[lo*d:hi*d], gr[lo*d:hi*d], xhat[lo*d:hi*d], rstd[lo:hi], gd, hi-lo, d)
		})
	})
	return out
}

// RMSNorm normalises the last dimension: x/sqrt(mean(x²)+eps)*g (g may be nil).
func (tp *Tape) RMSNorm(x, g *Tensor, eps float32) *Tensor {
	n, d := x.rows2("RMSNorm")
	if g != nil && len(g.Data) != d {
		panic(fmt.Sprintf("tensor: RMSNorm gain has %d values, x %v", len(g.Data), x.Shape))
	}
	out := tp.out(x.Shape, x, g)
	rstd := tp.buf(n)
	for r := 0; r < n; r++ {
		xr, o := x.Data[r*d:(r+1)*d], out.Data[r*d:(r+1)*d]
		var ss float32
		for _, v := range xr {
			ss += v * v
		}
		rs := 1 / float32(math.Sqrt(float64(ss/float32(d)+eps)))
		rstd[r] = rs
		for j, v := range xr {
			h := v * rs
			if g != nil {
				h *= g.Data[j]
			}
			o[j] = h
		}
	}
	tp.record(out, func(gr []float32) {
		gx, gg := tp.grad(x), tp.grad(g)
		for r := 0; r < n; r++ {
			xr, go_ := x.Data[r*d:(r+1)*d], gr[r*d:(r+1)*d]
			rs := rstd[r]
			if gg != nil {
				for j := range xr {
					gg[j] += go_[j] * xr[j] * rs
				}
			}
			if gx == nil {
				continue
			}
			var m float32 // mean(dh * xhat)
			for j := range xr {
				dh := go_[j]
				if g != nil {
					dh *= g.Data[j]
				}
				m += dh * xr[j] * rs
			}
			m /= float32(d)
			gxr := gx[r*d : (r+1)*d]
			for j := range xr {
				dh := go_[j]
				if g != nil {
					dh *= g.Data[j]
				}
				gxr[j] += rs * (dh - xr[j]*rs*m)
			}
		}
	})
	return out
}

// Embedding looks up rows of table [V, D] for ids, giving [len(ids), D].
func (tp *Tape) Embedding(table *Tensor, ids []int) *Tensor {
	mustRank("Embedding table", table, 2)
	V, D := table.Shape[0], table.Shape[1]
	for _, id := range ids {
		if id < 0 || id >= V {
			panic(fmt.Sprintf("tensor: Embedding id %d out of range [0,%d)", id, V))
		}
	}
	if table.half != nil { // frozen: no gradient to record
		out := tp.out([]int{len(ids), D})
		for i, id := range ids {
			table.ReadInto(out.Data[i*D:(i+1)*D], id*D)
		}
		return out
	}
	out := tp.out([]int{len(ids), D}, table)
	for i, id := range ids {
		copy(out.Data[i*D:(i+1)*D], table.Data[id*D:(id+1)*D])
	}
	tp.record(out, func(g []float32) {
		gt := tp.grad(table)
		if gt == nil {
			return
		}
		for i, id := range ids {
			dst, src := gt[id*D:(id+1)*D], g[i*D:(i+1)*D]
			for j := range src {
				dst[j] += src[j]
			}
		}
	})
	return out
}

// Gather picks x[i, idx[i]] from x [N, V], giving [N].
func (tp *Tape) Gather(x *Tensor, idx []int) *Tensor {
	n, v := x.rows2("Gather")
	if len(idx) != n {
		panic(fmt.Sprintf("tensor: Gather has %d indices for %d rows", len(idx), n))
	}
	for _, j := range idx {
		if j < 0 || j >= v {
			panic(fmt.Sprintf("tensor: Gather index %d out of range [0,%d)", j, v))
		}
	}
	out := tp.out([]int{n}, x)
	for i, j := range idx {
		out.Data[i] = x.Data[i*v+j]
	}
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			for i, j := range idx {
				gx[i*v+j] += g[i]
			}
		}
	})
	return out
}

// CrossEntropy returns sum_i w_i * -log softmax(logits_i)[t_i] / N for
// logits [N, V]; weights nil means all ones. Targets < 0 are ignored
// (contribute nothing, still counted in N). Fused and numerically stable.
func (tp *Tape) CrossEntropy(logits *Tensor, targets []int, weights []float32) *Tensor {
	n, v := logits.rows2("CrossEntropy")
	if len(targets) != n || (weights != nil && len(weights) != n) {
		panic(fmt.Sprintf("tensor: CrossEntropy with %d rows, %d targets, %d weights", n, len(targets), len(weights)))
	}
	for _, t := range targets {
		if t >= v {
			panic(fmt.Sprintf("tensor: CrossEntropy target %d out of range [0,%d)", t, v))
		}
	}
	out := tp.out([]int{1}, logits)
	lse := tp.buf(n)
	parallelFor(n, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			lse[r] = LogSumExp(logits.Data[r*v : (r+1)*v])
		}
	})
	var loss float64
	for r, t := range targets {
		if t < 0 {
			continue
		}
		w := float32(1)
		if weights != nil {
			w = weights[r]
		}
		loss += float64(w * (lse[r] - logits.Data[r*v+t]))
	}
	out.Data[0] = float32(loss / float64(max(n, 1)))
	tp.record(out, func(g []float32) {
		gx := tp.grad(logits)
		if gx == nil {
			return
		}
		scale := g[0] / float32(max(n, 1))
		parallelFor(n, 64, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				t := targets[r]
				if t < 0 {
					continue
				}
				w := scale
				if weights != nil {
					w *= weights[r]
				}
				if w == 0 {
					continue
				}
				vkCEGrad(gx[r*v:(r+1)*v], logits.Data[r*v:(r+1)*v], lse[r], w)
				gx[r*v+t] -= w
			}
		})
	})
	return out
}

// Huber returns the mean Huber loss between pred and target (same shape):
// 0.5e² for |e| <= delta, else delta(|e| - delta/2). Target may require grad.
func (tp *Tape) Huber(pred, target *Tensor, delta float32) *Tensor {
	mustSame("Huber", pred, target)
	n := len(pred.Data)
	out := tp.out([]int{1}, pred, target)
	var s float64
	for i, p := range pred.Data {
		e := p - target.Data[i]
		ae := float32(math.Abs(float64(e)))
		if ae <= delta {
			s += float64(0.5 * e * e)
		} else {
			s += float64(delta * (ae - 0.5*delta))
		}
	}
	out.Data[0] = float32(s / float64(max(n, 1)))
	tp.record(out, func(g []float32) {
		gp, gt := tp.grad(pred), tp.grad(target)
		sc := g[0] / float32(max(n, 1))
		for i, p := range pred.Data {
			e := p - target.Data[i]
			d := min(max(e, -delta), delta) * sc
			if gp != nil {
				gp[i] += d
			}
			if gt != nil {
				gt[i] -= d
			}
		}
	})
	return out
}

// MSE returns mean((pred-target)²).
func (tp *Tape) MSE(pred, target *Tensor) *Tensor {
	mustSame("MSE", pred, target)
	n := len(pred.Data)
	out := tp.out([]int{1}, pred, target)
	var s float64
	for i, p := range pred.Data {
		e := float64(p - target.Data[i])
		s += e * e
	}
	out.Data[0] = float32(s / float64(max(n, 1)))
	tp.record(out, func(g []float32) {
		gp, gt := tp.grad(pred), tp.grad(target)
		sc := 2 * g[0] / float32(max(n, 1))
		for i, p := range pred.Data {
			d := (p - target.Data[i]) * sc
			if gp != nil {
				gp[i] += d
			}
			if gt != nil {
				gt[i] -= d
			}
		}
	})
	return out
}
