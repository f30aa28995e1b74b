package model

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"vlmq/tensor"
	"vlmq/vlm"
)

// cache holds per-item keys and values for every decoder layer:
// k[l] is [items, H, Cap, Dh]; lens[i] positions of item i are filled.
type cache struct {
	H, Dh, Cap int
	k, v       [][]float32
	lens       []int
}

func (m *VLM) newCache(items, capacity int) *cache {
	c := &cache{H: m.Cfg.Heads, Dh: m.Cfg.Dim / m.Cfg.Heads, Cap: capacity, lens: make([]int, items)}
	for range m.Decoder.Blocks {
		c.k = append(c.k, make([]float32, items*c.H*capacity*c.Dh))
		c.v = append(c.v, make([]float32, items*c.H*capacity*c.Dh))
	}
	return c
}

// decodeCached runs tn new positions for each listed item (x is
// [len(items)*tn, Dim], item-major) through the decoder without a tape,
// appending keys/values to each item's cache. Prefill passes one item with
// its whole visual+prompt sequence (so the bidirectional prefix is
// complete); decoding steps pass many items with tn = 1. It returns the
// final-normed hidden states.
func (m *VLM) decodeCached(x *tensor.Tensor, items []int, tn int, c *cache, prefix int) *tensor.Tensor {
	var tp *tensor.Tape
	n := len(items)
	H, Dh, D := c.H, c.Dh, m.Cfg.Dim
	att := make([]float32, n*tn*D)
	pos := make([]int, 0, n*tn) // the new rows' positions, for RoPE
	for _, it := range items {
		for t := 0; t < tn; t++ {
			pos = append(pos, c.lens[it]+t)
		}
	}
	for l, blk := range m.Decoder.Blocks {
		h := blk.LN1.Forward(tp, x)
		q, k := blk.Attn.QK(tp, h, pos)
		q = tp.SplitHeads(q, n, tn, H)
		k = tp.SplitHeads(k, n, tn, H)
		v := tp.SplitHeads(blk.Attn.V.Forward(tp, h), n, tn, H)
		for i, it := range items {
			base := it * H * c.Cap * Dh
			for hd := 0; hd < H; hd++ {
				dst := base + hd*c.Cap*Dh + c.lens[it]*Dh
				src := (i*H + hd) * tn * Dh
				copy(c.k[l][dst:dst+tn*Dh], k.Data[src:src+tn*Dh])
				copy(c.v[l][dst:dst+tn*Dh], v.Data[src:src+tn*Dh])
			}
			tk := c.lens[it] + tn
			opts := tensor.AttnOpts{Causal: true, Prefix: prefix, H: H, ALiBi: m.Cfg.ALiBi}
			off := i * H * tn * Dh
			tensor.AttendInto(att[off:], q.Data[off:], c.k[l][base:], c.v[l][base:], H, tn, tk, Dh, c.Cap*Dh, opts)
		}
		merged := tp.MergeHeads(tensor.New(att, n*H, tn, Dh), n, tn, H)
		x = tp.Add(x, blk.Attn.O.Forward(tp, merged))
		x = tp.Add(x, blk.MLP.Forward(tp, blk.LN2.Forward(tp, x)))
	}
	for _, it := range items {
		c.lens[it] += tn
	}
	return m.Decoder.FinalNorm.Forward(tp, x)
}

// embedAt returns token embeddings plus position embeddings for ids placed
// at the given positions.
func (m *VLM) embedAt(ids, pos []int) *tensor.Tensor {
	var tp *tensor.Tape
	return tp.Add(m.Embed.Forward(tp, ids), tp.SelectRows(m.Pos, pos))
}

// Generate decodes replies for a batch of prompts with a KV cache: each
// image+prompt is prefilled once, then all unfinished replies advance one
// token per step in a single batched pass.
func (m *VLM) Generate(batch []vlm.GenInput, opts vlm.GenOpts) ([]vlm.GenOutput, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	if opts.MaxTokens <= 0 {
		return nil, fmt.Errorf("model: GenOpts.MaxTokens must be positive")
	}
	if opts.Temperature < 0 || math.IsNaN(opts.Temperature) {
		return nil, fmt.Errorf("model: negative temperature %v", opts.Temperature)
	}
	P := m.Cfg.Patches()
	imgs := make([]*image.RGBA, len(batch))
	longest := 0
	for i, in := range batch {
		if in.Image == nil {
			return nil, fmt.Errorf("model: generation item %d has no image", i)
		}
		if len(in.Prompt)+1 > m.Cfg.MaxText() {
			return nil, fmt.Errorf("model: generation item %d prompt has %d tokens, max %d", i, len(in.Prompt), m.Cfg.MaxText()-1)
		}
		for _, id := range in.Prompt {
			if id < 0 || id >= m.Cfg.Vocab {
				return nil, fmt.Errorf("model: generation item %d token id %d outside [0,%d)", i, id, m.Cfg.Vocab)
			}
		}
		imgs[i] = in.Image
		longest = max(longest, len(in.Prompt))
	}
	var tp *tensor.Tape
	vis, err := m.encodeImages(tp, imgs)
	if err != nil {
		return nil, err
	}
	capacity := min(m.Cfg.MaxSeq, P+longest+opts.MaxTokens)
	c := m.newCache(len(batch), capacity)
	V := m.Cfg.Vocab
	out := make([]vlm.GenOutput, len(batch))
	rngs := make([]*rand.Rand, len(batch))
	last := make([][]float32, len(batch)) // logits predicting the next token
	for i, in := range batch {
		rngs[i] = rand.New(rand.NewPCG(opts.Seed, uint64(i)))
		L := P + len(in.Prompt)
		x := tp.SliceRows(vis, i*P, (i+1)*P)
		if len(in.Prompt) > 0 {
			x = tp.ConcatRows(x, m.Embed.Forward(tp, in.Prompt))
		}
		x = tp.Add(x, tp.SliceRows(m.Pos, 0, L))
		h := m.decodeCached(x, []int{i}, L, c, P)
		last[i] = m.LMHead.Forward(tp, tp.SliceRows(h, L-1, L)).Data
	}
	active := make([]int, 0, len(batch))
	for i := range batch {
		active = append(active, i)
	}
	eos := m.Tok.EOSID()
	for len(active) > 0 {
		next := active[:0:0]
		var ids, pos []int
		for _, i := range active {
			tok := vlm.SampleToken(last[i][:V], opts.Temperature, rngs[i])
			out[i].Tokens = append(out[i].Tokens, tok)
			out[i].LogProbs = append(out[i].LogProbs, last[i][tok]-tensor.LogSumExp(last[i][:V]))
			if opts.StopAtEOS && tok == eos {
				out[i].EOS = true
				continue
			}
			if len(out[i].Tokens) >= opts.MaxTokens || c.lens[i] >= capacity {
				continue
			}
			next = append(next, i)
			ids = append(ids, tok)
			pos = append(pos, c.lens[i])
		}
		active = next
		if len(active) == 0 {
			break
		}
		h := m.decodeCached(m.embedAt(ids, pos), active, 1, c, 0)
		logits := m.LMHead.Forward(tp, h)
		for j, i := range active {
			last[i] = logits.Data[j*V : (j+1)*V]
		}
	}
	for i := range out {
		out[i].Text = m.Tok.DecodeText(out[i].Tokens)
	}
	return out, nil
}
