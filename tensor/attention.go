package tensor

import (
	"fmt"
	"math"
)

// AttnOpts configures the fused Attention op and AttendInto.
type AttnOpts struct {
	// Causal lets query i see keys j <= i (positions aligned at the end when
	// there are fewer queries than keys, as in cached decoding).
	Causal bool
	// Prefix: the first Prefix positions attend bidirectionally among
	// themselves (prefix-LM, as in PaliGemma); only meaningful with Causal.
	Prefix int
	// KeyLen optionally gives, per batch item, how many leading keys are
	// valid (for right-padded batches); requires H.
	KeyLen []int
	// KeyMask optionally hides individual keys: KeyMask[b*Tk+j] true masks
	// key j for every query of batch item b (requires H). Useful for padded
	// batches in cached decoding, where padding sits in the middle.
	KeyMask []bool
	// H is the number of heads (the batch item of head row bh is bh/H).
	H int
	// Scale multiplies q·k; 0 means 1/sqrt(Dh).
	Scale float32
	// ALiBi adds -m_h·|i-j| to the scores of head h (Press et al., 2022),
	// with slopes m_h = 2^(-8(h+1)/H); requires H. The bias makes
	// attending to nearby tokens easy from the start of training, which a
	// small model needs to find the observation at the end of a long prompt.
	ALiBi bool
	// Softcap, if positive, replaces each scaled score s by
	// Softcap·tanh(s/Softcap) before masking (Gemma 2's attention logit
	// soft-capping): scores stay within ±Softcap however large q·k grows.
	Softcap float32
	// Seqs, for PackedAttention, says where each sequence starts in the
	// rows of q, k and v: sequence b is rows Seqs[b]..Seqs[b+1]. Modules
	// that take AttnOpts (package nn) attend packed sequences when it is
	// set.
	Seqs []int
	// Window, if positive, hides keys Window or more positions behind the
	// query (j <= qpos-Window), a sliding-window layer as in Gemma 2 and
	// Mistral. Only the past is cut, so a bidirectional prefix still sees
	// keys ahead of it.
	Window int
	// Pos gives each row's position in its sequence, for modules that
	// rotate queries and keys by it (package nn's RoPE); the kernels here
	// do not read it.
	Pos []int
}

// alibiSlope is the ALiBi slope of head hd out of H.
func alibiSlope(hd, H int) float32 {
	return float32(math.Exp2(-8 * float64(hd+1) / float64(H)))
}

// Allowed reports whether query position qpos of batch item b may attend to
// key position j out of tk keys (the mask AttendInto and Attention apply).
func (o *AttnOpts) Allowed(b, qpos, j, tk int) bool {
	if o.KeyLen != nil && j >= o.KeyLen[b] {
		return false
	}
	if o.KeyMask != nil && o.KeyMask[b*tk+j] {
		return false
	}
	if o.Window > 0 && qpos-j >= o.Window {
		return false
	}
	if !o.Causal || j <= qpos {
		return true
	}
	return qpos < o.Prefix && j < o.Prefix
}

func (o *AttnOpts) check(BH, Tk int) {
	if o.ALiBi && (o.H <= 0 || BH%o.H != 0) {
		panic(fmt.Sprintf("tensor: Attention with ALiBi needs H dividing %d head rows, got H=%d", BH, o.H))
	}
	if o.KeyLen == nil && o.KeyMask == nil {
		return
	}
	if o.H <= 0 || BH%o.H != 0 {
		panic(fmt.Sprintf("tensor: Attention with KeyLen/KeyMask needs H dividing %d head rows, got H=%d", BH, o.H))
	}
	if o.KeyLen != nil && len(o.KeyLen) != BH/o.H {
		panic(fmt.Sprintf("tensor: Attention KeyLen has %d entries for batch %d", len(o.KeyLen), BH/o.H))
	}
	if o.KeyMask != nil && len(o.KeyMask) != BH/o.H*Tk {
		panic(fmt.Sprintf("tensor: Attention KeyMask has %d entries, want batch %d x %d keys", len(o.KeyMask), BH/o.H, Tk))
	}
}

func (o *AttnOpts) scale(Dh int) float32 {
	if o.Scale != 0 {
		return o.Scale
	}
	return 1 / float32(math.Sqrt(float64(Dh)))
}

// attend computes heads [lo,hi): out[h] = softmax(mask(cap(scale q kᵀ))) v,
// with q/out contiguous [BH, Tq, Dh] and head h of k/v starting at
// h*kvStride. P receives the probabilities ([BH, Tq, Tk]) or is per-call
// scratch; with soft-capping, dcap (same layout, when keepP) receives each
// score's cap derivative 1-tanh² for the backward pass.
func attend(out, q, k, v, P, dcap []float32, BH, Tq, Tk, Dh, kvStride int, o *AttnOpts, keepP bool) {
	scale := o.scale(Dh)
	H := max(o.H, 1)
	off := Tk - Tq
	parallelFor(BH, 1, func(lo, hi int) {
		var scratch []float32
		if !keepP {
			scratch = make([]float32, Tq*Tk)
		}
		vis := make([]int32, Tq)
		// Only a key mask or a window hides keys inside the visible prefix
		// of a row; otherwise the kernel needs just the prefix lengths.
		writes := o.KeyMask != nil || o.Window > 0
		for h := lo; h < hi; h++ {
			ph := scratch
			if keepP {
				ph = P[h*Tq*Tk : (h+1)*Tq*Tk]
			}
			kh, vh := k[h*kvStride:], v[h*kvStride:]
			gemm(false, true, Tq, Tk, Dh, scale, q[h*Tq*Dh:], Dh, kh, Dh, 0, ph, Tk)
			if c := o.Softcap; c > 0 {
				var dh []float32
				if keepP {
					dh = dcap[h*Tq*Tk : (h+1)*Tq*Tk]
				}
				for i, sv := range ph {
					th := float32(math.Tanh(float64(sv / c)))
					ph[i] = c * th
					if dh != nil {
						dh[i] = 1 - th*th
					}
				}
			}
			b := h / H
			var slope float32
			if o.ALiBi {
				slope = alibiSlope(h%H, H)
			}
			for i := range vis {
				if writes {
					vis[i] = int32(maskRow(ph[i*Tk:(i+1)*Tk], o, b, off+i))
				} else {
					vis[i] = int32(o.visible(b, off+i, Tk))
				}
			}
			// ALiBi, then the softmax over each row's visible keys (the
			// keys past them get no exps and end as zeros).
			vkAttnSoftmax(ph, Tk, Tq, Tk, vis, slope, off)
			gemm(false, false, Tq, Dh, Tk, 1, ph, Tk, vh, Dh, 0, out[h*Tq*Dh:], Dh)
		}
	})
}

// AttendInto is the tape-free attention kernel for inference and KV caches:
// q and out are [BH, Tq, Dh]; head h's Tk keys/values are rows of k and v
// starting at h*kvStride (kvStride >= Tk*Dh, so a cache with spare capacity
// can be passed directly). Query i sits at key position Tk-Tq+i.
func AttendInto(out, q, k, v []float32, BH, Tq, Tk, Dh, kvStride int, opts AttnOpts) {
	if Tq > Tk || kvStride < Tk*Dh || len(q) < BH*Tq*Dh || len(out) < BH*Tq*Dh ||
		len(k) < (BH-1)*kvStride+Tk*Dh || len(v) < (BH-1)*kvStride+Tk*Dh {
		panic(fmt.Sprintf("tensor: AttendInto sizes inconsistent (BH=%d Tq=%d Tk=%d Dh=%d stride=%d)", BH, Tq, Tk, Dh, kvStride))
	}
	opts.check(BH, Tk)
	attend(out, q, k, v, nil, nil, BH, Tq, Tk, Dh, kvStride, &opts, false)
}

// Attention computes softmax(scale·q·kᵀ + mask)·v for q [BH, Tq, Dh] and k, v
// [BH, Tk, Dh] (Tq <= Tk; queries are the last Tq positions). Fully masked
// query rows produce zeros. The probabilities are kept in the tape arena for
// the backward pass (BH·Tq·Tk floats), which avoids recomputing q·kᵀ.
func (tp *Tape) Attention(q, k, v *Tensor, opts AttnOpts) *Tensor {
	mustRank("Attention q", q, 3)
	mustRank("Attention k", k, 3)
	mustRank("Attention v", v, 3)
	mustSame("Attention k/v", k, v)
	BH, Tq, Dh := q.Shape[0], q.Shape[1], q.Shape[2]
	Tk := k.Shape[1]
	if k.Shape[0] != BH || k.Shape[2] != Dh || Tq > Tk {
		panic(fmt.Sprintf("tensor: Attention q %v, k %v incompatible", q.Shape, k.Shape))
	}
	opts.check(BH, Tk)
	out := tp.out([]int{BH, Tq, Dh}, q, k, v)
	if !out.requiresGrad {
		attend(out.Data, q.Data, k.Data, v.Data, nil, nil, BH, Tq, Tk, Dh, Tk*Dh, &opts, false)
		return out
	}
	P := tp.buf(BH * Tq * Tk)
	var dcap []float32
	if opts.Softcap > 0 {
		dcap = tp.buf(BH * Tq * Tk)
	}
	attend(out.Data, q.Data, k.Data, v.Data, P, dcap, BH, Tq, Tk, Dh, Tk*Dh, &opts, true)
	scale := opts.scale(Dh)
	tp.record(out, func(g []float32) {
		gq, gk, gv := tp.grad(q), tp.grad(k), tp.grad(v)
		var dP []float32
		if gq != nil || gk != nil {
			dP = tp.buf(BH * Tq * Tk)
		}
		parallelFor(BH, 1, func(lo, hi int) {
			for h := lo; h < hi; h++ {
				qo, ko := h*Tq*Dh, h*Tk*Dh
				ph := P[h*Tq*Tk : (h+1)*Tq*Tk]
				gh := g[qo:]
				if gv != nil {
					gemm(true, false, Tk, Dh, Tq, 1, ph, Tk, gh, Dh, 1, gv[ko:], Dh)
				}
				if dP == nil {
					continue
				}
				dp := dP[h*Tq*Tk : (h+1)*Tq*Tk]
				gemm(false, true, Tq, Tk, Dh, 1, gh, Dh, v.Data[ko:], Dh, 0, dp, Tk)
				// dS_ij = P_ij (dP_ij - D_i), D_i = sum_j P_ij dP_ij = dO_i · O_i
				vkAttnSoftmaxBwd(dp, Tk, ph, Tk, out.Data[qo:qo+Tq*Dh], Dh, gh[:Tq*Dh], Dh, Tq, Tk, Dh)
				if dcap != nil {
					// Through the cap: dS = dC·(1-tanh²).
					for j, dc := range dcap[h*Tq*Tk : (h+1)*Tq*Tk] {
						dp[j] *= dc
					}
				}
				if gq != nil {
					gemm(false, false, Tq, Dh, Tk, scale, dp, Tk, k.Data[ko:], Dh, 1, gq[qo:], Dh)
				}
				if gk != nil {
					gemm(true, false, Tk, Dh, Tq, scale, dp, Tk, q.Data[qo:], Dh, 1, gk[ko:], Dh)
				}
			}
		})
	})
	return out
}

var negInf = float32(math.Inf(-1))

// maskRow sets the keys that a key mask or a window hides inside one
// score row to -Inf and returns the length of the row prefix that can
// hold allowed keys (the softmax reads no further).
func maskRow(row []float32, o *AttnOpts, b, qpos int) int {
	tk := len(row)
	if o.KeyMask != nil {
		km := o.KeyMask[b*tk : (b+1)*tk]
		for j, m := range km {
			if m {
				row[j] = negInf
			}
		}
	}
	if o.Window > 0 {
		for j := 0; j <= min(qpos-o.Window, tk-1); j++ {
			row[j] = negInf
		}
	}
	return o.visible(b, qpos, tk)
}

// visible is the length of the prefix of key positions that query
// position qpos of batch item b may see (out of tk), before a key mask or
// window hides keys inside it.
func (o *AttnOpts) visible(b, qpos, tk int) int {
	if o.KeyLen == nil && !o.Causal {
		return tk
	}
	vis := tk
	if o.KeyLen != nil {
		vis = min(vis, o.KeyLen[b])
	}
	if o.Causal {
		c := qpos + 1
		if qpos < o.Prefix {
			c = max(c, o.Prefix)
		}
		vis = min(vis, c)
	}
	return max(vis, 0)
}
