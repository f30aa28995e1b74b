package nn

import (
	"fmt"

	"vlmq/tensor"
)

// KVCache holds every layer's keys and values for the incremental
// decoding of independent items (sequences): K[l] and V[l] are [items, H,
// Cap, Dh], and positions [0, Lens[i]) of item i are filled.
type KVCache struct {
	H, Dh, Cap int
	K, V       [][]float32
	Lens       []int
}

// NewKVCache allocates a cache for items sequences of up to capacity
// positions each.
func (t *Transformer) NewKVCache(items, capacity int) *KVCache {
	c := &KVCache{Cap: capacity, Lens: make([]int, items)}
	if len(t.Blocks) > 0 {
		a := t.Blocks[0].Attn
		c.H = a.Heads
		c.Dh = a.Q.W.Shape[0] / a.Heads
	}
	for range t.Blocks {
		c.K = append(c.K, make([]float32, items*c.H*capacity*c.Dh))
		c.V = append(c.V, make([]float32, items*c.H*capacity*c.Dh))
	}
	return c
}

// ForwardCached runs tn new positions for each listed item (x is
// [len(items)*tn, D], item-major) through the stack without a tape: each
// item attends to its cached positions plus its new ones, whose keys and
// values are appended. It returns the final-normed hidden states
// [len(items)*tn, D]. opts applies as in Forward, with an item's keys
// counted over its filled positions plus tn: a prompt prefill passes one
// item with its whole sequence and can set Causal and Prefix (the prefix
// must then be complete); decoding steps pass many items with tn = 1 and
// need only Causal. It returns an error when sizes disagree or an item's
// cache would overflow.
func (t *Transformer) ForwardCached(x *tensor.Tensor, items []int, tn int, c *KVCache, opts tensor.AttnOpts) (*tensor.Tensor, error) {
	n := len(items)
	if c == nil || len(c.K) != len(t.Blocks) {
		return nil, fmt.Errorf("nn: KV cache does not match the transformer")
	}
	if len(x.Shape) != 2 || x.Shape[0] != n*tn || x.Shape[1] != c.H*c.Dh {
		return nil, fmt.Errorf("nn: ForwardCached input %v, want [%d, %d]", x.Shape, n*tn, c.H*c.Dh)
	}
	for _, it := range items {
		if it < 0 || it >= len(c.Lens) {
			return nil, fmt.Errorf("nn: KV cache has no item %d (%d items)", it, len(c.Lens))
		}
		if c.Lens[it]+tn > c.Cap {
			return nil, fmt.Errorf("nn: KV cache of item %d full (%d + %d > %d)", it, c.Lens[it], tn, c.Cap)
		}
	}
	var tp *tensor.Tape
	H, Dh := c.H, c.Dh
	opts.H = H
	att := make([]float32, n*tn*H*Dh)
	pos := make([]int, 0, n*tn) // the new rows' positions, for RoPE
	for _, it := range items {
		for t := 0; t < tn; t++ {
			pos = append(pos, c.Lens[it]+t)
		}
	}
	for l, b := range t.Blocks {
		h := b.LN1.Forward(tp, x)
		q, k := b.Attn.QK(tp, h, pos)
		q = tp.SplitHeads(q, n, tn, H)
		k = tp.SplitHeads(k, n, tn, H)
		v := tp.SplitHeads(b.Attn.V.Forward(tp, h), n, tn, H)
		for i, it := range items {
			base := it * H * c.Cap * Dh
			for hd := 0; hd < H; hd++ {
				dst := base + hd*c.Cap*Dh + c.Lens[it]*Dh
				src := (i*H + hd) * tn * Dh
				copy(c.K[l][dst:dst+tn*Dh], k.Data[src:src+tn*Dh])
				copy(c.V[l][dst:dst+tn*Dh], v.Data[src:src+tn*Dh])
			}
			off := i * H * tn * Dh
			tensor.AttendInto(att[off:], q.Data[off:], c.K[l][base:], c.V[l][base:], H, tn, c.Lens[it]+tn, Dh, c.Cap*Dh, opts)
		}
		merged := tp.MergeHeads(tensor.New(att, n*H, tn, Dh), n, tn, H)
		x = tp.Add(x, b.Attn.O.Forward(tp, merged))
		x = tp.Add(x, b.MLP.Forward(tp, b.LN2.Forward(tp, x)))
	}
	for _, it := range items {
		c.Lens[it] += tn
	}
	return t.FinalNorm.Forward(tp, x), nil
}
