package tensor

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"
)

// paddedAttention is PackedAttention computed the padded way: every
// sequence right-padded to the longest, heads split, Attention with
// KeyLen, heads merged, the padding rows dropped.
func paddedAttention(tp *Tape, q, k, v *Tensor, o AttnOpts) *Tensor {
	seqs, H := o.Seqs, o.H
	B, T := len(seqs)-1, maxSeq(seqs)
	rows := make([]int, 0, B*T) // padded row -> packed row (padding reads row 0)
	keep := make([]int, 0, seqs[B])
	keyLen := make([]int, B)
	for b := 0; b < B; b++ {
		n := seqs[b+1] - seqs[b]
		keyLen[b] = n
		for t := 0; t < T; t++ {
			if t < n {
				keep = append(keep, len(rows))
				rows = append(rows, seqs[b]+t)
			} else {
				rows = append(rows, 0)
			}
		}
	}
	pad := func(x *Tensor) *Tensor { return tp.SplitHeads(tp.SelectRows(x, rows), B, T, H) }
	po := o
	po.Seqs, po.KeyLen = nil, keyLen
	return tp.SelectRows(tp.MergeHeads(tp.Attention(pad(q), pad(k), pad(v), po), B, T, H), keep)
}

// TestPackedAttentionMatchesPadded: outputs and gradients equal the padded
// computation, for causal prefix attention with ALiBi and for
// bidirectional attention, with sequences shorter and longer than a block.
func TestPackedAttentionMatchesPadded(t *testing.T) {
	for _, c := range []struct {
		seqs []int
		o    AttnOpts
	}{
		{[]int{0, 70, 75, 205, 206}, AttnOpts{Causal: true, Prefix: 9, ALiBi: true, H: 3}},
		{[]int{0, 130, 200}, AttnOpts{Causal: true, Prefix: 80, H: 2, Scale: 0.3}},
		{[]int{0, 64, 128, 192}, AttnOpts{H: 4}},
		{[]int{0, 3, 3, 10}, AttnOpts{Causal: true, H: 1}}, // an empty sequence
	} {
		t.Run(fmt.Sprintf("%v%+v", c.seqs, c.o), func(t *testing.T) {
			r := rand.New(rand.NewSource(2))
			o := c.o
			o.Seqs = c.seqs
			n, d := c.seqs[len(c.seqs)-1], 8*o.H
			ins := []*Tensor{randParam(r, n, d), randParam(r, n, d), randParam(r, n, d)}
			w := randConst(r, n, d)
			run := func(f func(tp *Tape, q, k, v *Tensor, o AttnOpts) *Tensor) ([]float32, [][]float32) {
				tp := NewTape()
				for _, x := range ins {
					x.ZeroGrad()
				}
				out := f(tp, ins[0], ins[1], ins[2], o)
				if err := tp.Backward(tp.Dot(out, w)); err != nil {
					t.Fatal(err)
				}
				var gs [][]float32
				for _, x := range ins {
					gs = append(gs, slices.Clone(x.Grad))
				}
				return slices.Clone(out.Data), gs
			}
			got, gotG := run(func(tp *Tape, q, k, v *Tensor, o AttnOpts) *Tensor { return tp.PackedAttention(q, k, v, o) })
			want, wantG := run(paddedAttention)
			if i := closeTo(got, want, 1e-5); i >= 0 {
				t.Fatalf("output %d: %g, padded %g", i, got[i], want[i])
			}
			for j := range gotG {
				if i := closeTo(gotG[j], wantG[j], 1e-4); i >= 0 {
					t.Fatalf("gradient of input %d at %d: %g, padded %g", j, i, gotG[j][i], wantG[j][i])
				}
			}
			inf := (*Tape)(nil).PackedAttention(ins[0], ins[1], ins[2], o)
			if !slices.Equal(inf.Data, got) {
				t.Errorf("inference (nil tape) gives other bits than training")
			}
		})
	}
}

func TestPackedAttentionGradient(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	o := AttnOpts{Causal: true, Prefix: 2, ALiBi: true, H: 2, Seqs: []int{0, 5, 6, 13}}
	gradCheck(t, "PackedAttention", []*Tensor{randParam(r, 13, 6), randParam(r, 13, 6), randParam(r, 13, 6)},
		func(tp *Tape, in []*Tensor) *Tensor { return tp.PackedAttention(in[0], in[1], in[2], o) })
}

// TestPackedAttentionSameBitsOnAnyThreadCount: the result does not depend
// on how sequences and heads are spread over workers.
func TestPackedAttentionSameBitsOnAnyThreadCount(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewSource(6))
	o := AttnOpts{Causal: true, Prefix: 5, ALiBi: true, H: 3, Seqs: []int{0, 40, 100, 101, 180}}
	q, k, v := randParam(r, 180, 12), randParam(r, 180, 12), randParam(r, 180, 12)
	w := randConst(r, 180, 12)
	var ref []float32
	for _, n := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(n)
		tp := NewTape()
		q.ZeroGrad()
		k.ZeroGrad()
		if err := tp.Backward(tp.Dot(tp.PackedAttention(q, k, v, o), w)); err != nil {
			t.Fatal(err)
		}
		got := slices.Concat(q.Grad, k.Grad)
		if ref == nil {
			ref = got
		} else if !slices.Equal(got, ref) {
			t.Errorf("%d workers give other gradient bits than 1", n)
		}
	}
}
