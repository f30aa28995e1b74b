package tensor

import (
	"fmt"
	"slices"
	"sync"
)

// packedBlock is how many query rows PackedAttention multiplies at once:
// with a causal mask a block only needs the keys its last row sees, so
// smaller blocks skip more of the masked half, larger ones run the
// matrix products more efficiently.
const packedBlock = 64

// PackedAttention is multi-head attention over sequences packed back to
// back in the rows of q, k and v [N, H·Dh] (opts.Seqs says where each
// starts), giving [N, H·Dh]. Head h is read and written in place, in
// columns h·Dh..(h+1)·Dh, so no head split or merge is copied, no padding
// row is computed, and under a causal mask each block of query rows
// multiplies only the keys it can see. Options: Causal, Prefix, ALiBi,
// Scale and H (required); the probabilities are kept for the backward
// pass (H·ΣT² floats).
func (tp *Tape) PackedAttention(q, k, v *Tensor, opts AttnOpts) *Tensor {
	n, d := q.rows2("PackedAttention")
	mustSame("PackedAttention k", q, k)
	mustSame("PackedAttention v", q, v)
	H, seqs := opts.H, opts.Seqs
	if H <= 0 || d%H != 0 || len(seqs) < 2 || seqs[0] != 0 || seqs[len(seqs)-1] != n {
		panic(fmt.Sprintf("tensor: PackedAttention of %v with H=%d and sequence starts %v", q.Shape, H, seqs))
	}
	if opts.KeyLen != nil || opts.KeyMask != nil || opts.Window > 0 || opts.Softcap > 0 {
		panic("tensor: PackedAttention supports Causal, Prefix, ALiBi and Scale only")
	}
	B, Dh := len(seqs)-1, d/H
	pOff := make([]int, B+1) // where each sequence's probabilities start
	for b := 0; b < B; b++ {
		T := seqs[b+1] - seqs[b]
		if T < 0 {
			panic(fmt.Sprintf("tensor: PackedAttention sequence starts %v decrease", seqs))
		}
		pOff[b+1] = pOff[b] + H*T*T
	}
	out := tp.out(q.Shape, q, k, v)
	var P []float32
	if out.requiresGrad {
		P = tp.buf(pOff[B])
	}
	pk := packed{q: q.Data, k: k.Data, v: v.Data, out: out.Data, seqs: seqs, pOff: pOff, H: H, D: d, Dh: Dh,
		scale: opts.scale(Dh), opts: &opts}
	// Sequences differ in length, so workers take (sequence, head) items
	// as they finish one; the longest sequences go first.
	order := longestFirst(seqs, H)
	scratch := sync.Pool{New: func() any { return new(attnScratch) }}
	parallelEach(B*H, func(i int) {
		b, h := order[i]/H, order[i]%H
		T := seqs[b+1] - seqs[b]
		s := scratch.Get().(*attnScratch)
		defer scratch.Put(s)
		ph := s.grow(T * T)
		if P != nil {
			ph = P[pOff[b]+h*T*T : pOff[b]+(h+1)*T*T]
		}
		pk.forward(b, h, ph, s.vis[:])
	})
	tp.record(out, func(g []float32) {
		gq, gk, gv := tp.grad(q), tp.grad(k), tp.grad(v)
		parallelEach(B*H, func(i int) {
			b, h := order[i]/H, order[i]%H
			T := seqs[b+1] - seqs[b]
			s := scratch.Get().(*attnScratch)
			defer scratch.Put(s)
			pk.backward(b, h, P[pOff[b]+h*T*T:pOff[b]+(h+1)*T*T], g, gq, gk, gv, s.grow(packedBlock*T))
		})
	})
	return out
}

// attnScratch is one worker's scratch space.
type attnScratch struct {
	buf []float32
	vis [packedBlock]int32
}

func (s *attnScratch) grow(n int) []float32 {
	if cap(s.buf) < n {
		s.buf = make([]float32, n)
	}
	return s.buf[:n]
}

// longestFirst orders the (sequence, head) items b*H+h by decreasing
// sequence length (ties in order).
func longestFirst(seqs []int, H int) []int {
	B := len(seqs) - 1
	items := make([]int, B*H)
	for i := range items {
		items[i] = i
	}
	slices.SortStableFunc(items, func(x, y int) int {
		return (seqs[y/H+1] - seqs[y/H]) - (seqs[x/H+1] - seqs[x/H])
	})
	return items
}

func maxSeq(seqs []int) int {
	m := 0
	for b := 1; b < len(seqs); b++ {
		m = max(m, seqs[b]-seqs[b-1])
	}
	return m
}

// packed holds one PackedAttention call's operands.
type packed struct {
	q, k, v, out []float32
	seqs, pOff   []int
	H, D, Dh     int
	scale        float32
	opts         *AttnOpts
}

// keys is how many keys query rows up to (not including) row i1 of a
// sequence of T can see: all of them, or under a causal mask those up to
// the last row's own position, and the whole prefix.
func (pk *packed) keys(i1, T int) int {
	if !pk.opts.Causal {
		return T
	}
	return min(T, max(i1, pk.opts.Prefix))
}

func (pk *packed) slope(h int) float32 {
	if !pk.opts.ALiBi {
		return 0
	}
	return alibiSlope(h, pk.H)
}

// forward computes head h of sequence b: its probabilities into ph
// (T×T, rows at stride T; the columns past a block's keys are left
// unwritten) and its output rows.
func (pk *packed) forward(b, h int, ph []float32, vis []int32) {
	s0, T, D, Dh := pk.seqs[b], pk.seqs[b+1]-pk.seqs[b], pk.D, pk.Dh
	col := s0*D + h*Dh // head h of the sequence's first row
	for i0 := 0; i0 < T; i0 += packedBlock {
		i1 := min(i0+packedBlock, T)
		kn := pk.keys(i1, T)
		gemm(false, true, i1-i0, kn, Dh, pk.scale, pk.q[col+i0*D:], D, pk.k[col:], D, 0, ph[i0*T:], T)
		for i := i0; i < i1; i++ {
			vis[i-i0] = int32(pk.keys(i+1, T))
		}
		vkAttnSoftmax(ph[i0*T:], T, i1-i0, kn, vis, pk.slope(h), i0)
		gemm(false, false, i1-i0, Dh, kn, 1, ph[i0*T:], T, pk.v[col:], D, 0, pk.out[col+i0*D:], D)
	}
}

// backward accumulates head h of sequence b's gradients into gq, gk, gv
// (any may be nil) from the output gradient g; dp is scratch for one
// block of score gradients.
func (pk *packed) backward(b, h int, ph, g, gq, gk, gv, dp []float32) {
	s0, T, D, Dh := pk.seqs[b], pk.seqs[b+1]-pk.seqs[b], pk.D, pk.Dh
	col := s0*D + h*Dh
	for i0 := 0; i0 < T; i0 += packedBlock {
		i1 := min(i0+packedBlock, T)
		rows, kn := i1-i0, pk.keys(i1, T)
		pb, gb := ph[i0*T:], g[col+i0*D:]
		if gv != nil {
			gemm(true, false, kn, Dh, rows, 1, pb, T, gb, D, 1, gv[col:], D)
		}
		if gq == nil && gk == nil {
			continue
		}
		// dP = G·Vᵀ, then dS = P·(dP - rowsum(O·G)).
		gemm(false, true, rows, kn, Dh, 1, gb, D, pk.v[col:], D, 0, dp, kn)
		vkAttnSoftmaxBwd(dp, kn, pb, T, pk.out[col+i0*D:], D, gb, D, rows, kn, Dh)
		if gq != nil {
			gemm(false, false, rows, Dh, kn, pk.scale, dp, kn, pk.k[col:], D, 1, gq[col+i0*D:], D)
		}
		if gk != nil {
			gemm(true, false, kn, Dh, rows, pk.scale, dp, kn, pk.q[col+i0*D:], D, 1, gk[col:], D)
		}
	}
}
