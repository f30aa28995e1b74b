package nn

import (
	"fmt"

	"vlmq/tensor"
)

// KVCache holds every layer's keys and values for incremental decoding:
// K[l], V[l] are [B*H, Cap, Dh]; positions [0, Len) are filled.
type KVCache struct {
	B, H, Dh, Cap, Len int
	K, V               [][]float32
}

// NewKVCache allocates a cache for batch B and up to capacity positions.
func (t *Transformer) NewKVCache(B, capacity int) *KVCache {
	c := &KVCache{B: B, Cap: capacity}
	if len(t.Blocks) > 0 {
		a := t.Blocks[0].Attn
		c.H = a.Heads
		c.Dh = a.Q.W.Shape[0] / a.Heads
	}
	for range t.Blocks {
		c.K = append(c.K, make([]float32, B*c.H*capacity*c.Dh))
		c.V = append(c.V, make([]float32, B*c.H*capacity*c.Dh))
	}
	return c
}

// Reset empties the cache (keeping its memory).
func (c *KVCache) Reset() { c.Len = 0 }

// ForwardCached runs Tn new positions per sequence, x [B*Tn, D], through the
// stack without a tape, attending to the cached positions plus the new ones,
// appends the new keys/values and returns the final-normed hidden states
// [B*Tn, D]. opts applies as in Forward with keys counted over Len+Tn
// positions (a prompt prefill can set Causal and Prefix, and must then
// contain the whole prefix; single-token steps need only Causal). It returns an error when the cache is full or sizes
// disagree.
func (t *Transformer) ForwardCached(x *tensor.Tensor, B, Tn int, c *KVCache, opts tensor.AttnOpts) (*tensor.Tensor, error) {
	if c == nil || len(c.K) != len(t.Blocks) || c.B != B {
		return nil, fmt.Errorf("nn: KV cache does not match transformer/batch")
	}
	if len(x.Shape) != 2 || x.Shape[0] != B*Tn || x.Shape[1] != c.H*c.Dh {
		return nil, fmt.Errorf("nn: ForwardCached input %v, want [%d, %d]", x.Shape, B*Tn, c.H*c.Dh)
	}
	if c.Len+Tn > c.Cap {
		return nil, fmt.Errorf("nn: KV cache full (%d + %d > %d)", c.Len, Tn, c.Cap)
	}
	var tp *tensor.Tape
	Tk := c.Len + Tn
	H, Dh := c.H, c.Dh
	opts.H = H
	pos := make([]int, 0, B*Tn) // the new rows' positions, for RoPE
	for b := 0; b < B; b++ {
		for t := 0; t < Tn; t++ {
			pos = append(pos, c.Len+t)
		}
	}
	for l, b := range t.Blocks {
		h := b.LN1.Forward(tp, x)
		q, k := b.Attn.QK(tp, h, pos)
		q = tp.SplitHeads(q, B, Tn, H)
		k = tp.SplitHeads(k, B, Tn, H)
		v := tp.SplitHeads(b.Attn.V.Forward(tp, h), B, Tn, H)
		for bh := 0; bh < B*H; bh++ {
			dst := bh*c.Cap*Dh + c.Len*Dh
			copy(c.K[l][dst:dst+Tn*Dh], k.Data[bh*Tn*Dh:(bh+1)*Tn*Dh])
			copy(c.V[l][dst:dst+Tn*Dh], v.Data[bh*Tn*Dh:(bh+1)*Tn*Dh])
		}
		att := tensor.Zeros(B*H, Tn, Dh)
		tensor.AttendInto(att.Data, q.Data, c.K[l], c.V[l], B*H, Tn, Tk, Dh, c.Cap*Dh, opts)
		x = tp.Add(x, b.Attn.O.Forward(tp, tp.MergeHeads(att, B, Tn, H)))
		x = tp.Add(x, b.MLP.Forward(tp, b.LN2.Forward(tp, x)))
	}
	c.Len = Tk
	return t.FinalNorm.Forward(tp, x), nil
}
