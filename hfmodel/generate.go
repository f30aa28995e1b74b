package hfmodel

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"vlmq/tensor"
	"vlmq/vlm"
)

// kvCache holds every decoder layer's rotated keys and values per item:
// k[l], v[l] are [items, KVHeads, Cap, HeadDim] (grouped-query heads are
// stored once, not repeated); lens[i] positions of item i are filled.
type kvCache struct {
	hkv, dh, cap int
	k, v         [][]float32
	lens         []int
}

func (m *Model) newCache(items, capacity int) *kvCache {
	t := m.Cfg.Text
	c := &kvCache{hkv: t.KVHeads, dh: t.HeadDim, cap: capacity, lens: make([]int, items)}
	for l := 0; l < t.Layers; l++ {
		c.k = append(c.k, make([]float32, items*c.hkv*capacity*c.dh))
		c.v = append(c.v, make([]float32, items*c.hkv*capacity*c.dh))
	}
	return c
}

// decodeCached runs tn new positions for each listed item (x is
// [len(items)*tn, D], item-major) through the decoder without a tape,
// appending their keys and values to each item's cache and attending over
// everything cached for the item. Prefill passes one item with its whole
// [image; BOS; prompt] sequence, of which the first prefix positions
// attend bidirectionally (PaliGemma's prefix-LM; 0 for causal families);
// decoding steps pass many items with tn = 1. It returns the final-normed
// hidden states.
func (m *Model) decodeCached(x *tensor.Tensor, items []int, tn int, c *kvCache, prefix int) *tensor.Tensor {
	t := m.Cfg.Text
	hq, hkv, dh, capa := t.Heads, c.hkv, c.dh, c.cap
	group := hq / hkv
	qd, kvd := hq*dh, hkv*dh
	pos := make([]int, 0, len(items)*tn)
	for _, it := range items {
		for j := 0; j < tn; j++ {
			pos = append(pos, c.lens[it]+j)
		}
	}
	opts := tensor.AttnOpts{Causal: true, Prefix: prefix, H: 1}
	qh := make([]float32, hq*tn*dh) // one item's queries, head-major
	oh := make([]float32, hq*tn*dh)
	h := m.layers(nil, x, pos, func(l int, q, k, v *tensor.Tensor) *tensor.Tensor {
		out := tensor.Zeros(len(items)*tn, qd)
		for i, it := range items {
			base := it * hkv * capa * dh
			for j := 0; j < tn; j++ {
				r := i*tn + j
				for g := 0; g < hkv; g++ {
					dst := base + (g*capa+c.lens[it]+j)*dh
					copy(c.k[l][dst:dst+dh], k.Data[r*kvd+g*dh:])
					copy(c.v[l][dst:dst+dh], v.Data[r*kvd+g*dh:])
				}
				for hd := 0; hd < hq; hd++ {
					copy(qh[(hd*tn+j)*dh:(hd*tn+j+1)*dh], q.Data[r*qd+hd*dh:])
				}
			}
			tk := c.lens[it] + tn
			for hd := 0; hd < hq; hd++ {
				kv := base + (hd/group)*capa*dh
				tensor.AttendInto(oh[hd*tn*dh:], qh[hd*tn*dh:], c.k[l][kv:], c.v[l][kv:], 1, tn, tk, dh, capa*dh, m.layerOpts(l, opts))
			}
			for j := 0; j < tn; j++ {
				r := i*tn + j
				for hd := 0; hd < hq; hd++ {
					copy(out.Data[r*qd+hd*dh:r*qd+(hd+1)*dh], oh[(hd*tn+j)*dh:])
				}
			}
		}
		return out
	})
	for _, it := range items {
		c.lens[it] += tn
	}
	return h
}

// genImages checks a generation batch and its options before any work and
// returns the batch's images; the cached and the reference decoding share it.
func (m *Model) genImages(batch []vlm.GenInput, opts vlm.GenOpts) ([]*image.RGBA, error) {
	if opts.MaxTokens <= 0 {
		return nil, fmt.Errorf("hfmodel: GenOpts.MaxTokens must be positive")
	}
	if opts.Temperature < 0 || math.IsNaN(opts.Temperature) {
		return nil, fmt.Errorf("hfmodel: invalid temperature %v", opts.Temperature)
	}
	imgs := make([]*image.RGBA, len(batch))
	for i, in := range batch {
		if in.Image == nil {
			return nil, fmt.Errorf("hfmodel: generation item %d has no image", i)
		}
		if err := m.checkTokens("generation item", i, in.Prompt); err != nil {
			return nil, err
		}
		if len(in.Prompt) >= m.MaxText() {
			return nil, fmt.Errorf("hfmodel: generation item %d prompt leaves no room for a reply", i)
		}
		imgs[i] = in.Image
	}
	return imgs, nil
}

// Generate decodes replies (greedy at temperature 0, else sampled) with a
// KV cache: each image is encoded and each [image; BOS; prompt] prefilled
// once, then all unfinished replies advance one token per step in a
// single batched pass. For PaliGemma the prompt is part of the
// bidirectional prefix, so replies are scored consistently by Forward
// with Input.Prompt = len(Prompt).
func (m *Model) Generate(batch []vlm.GenInput, opts vlm.GenOpts) ([]vlm.GenOutput, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	imgs, err := m.genImages(batch, opts)
	if err != nil {
		return nil, err
	}
	longest := 0
	for _, in := range batch {
		longest = max(longest, len(in.Prompt))
	}
	var tp *tensor.Tape
	vis, err := m.EncodeImages(tp, imgs)
	if err != nil {
		return nil, err
	}
	P, V := m.Cfg.ImageTokens, m.Vocab
	off := m.TextOffset()
	c := m.newCache(len(batch), min(m.Cfg.Text.MaxPositions, off+longest+opts.MaxTokens))
	eos := m.Cfg.Text.EOS
	out := make([]vlm.GenOutput, len(batch))
	rngs := make([]*rand.Rand, len(batch))
	last := make([][]float32, len(batch)) // logits predicting the next token
	for i, in := range batch {
		rngs[i] = rand.New(rand.NewPCG(opts.Seed, uint64(i)))
		x, T, _, _ := m.sequence(tp, tp.SliceRows(vis, i*P, (i+1)*P), []vlm.Input{{Tokens: in.Prompt}}, nil)
		prefix := 0
		if m.fam.PrefixLM {
			prefix = T // image, BOS and the whole prompt
		}
		h := m.decodeCached(x, []int{i}, T, c, prefix)
		last[i] = m.logits(tp, tp.SliceRows(h, T-1, T)).Data
	}
	active := make([]int, len(batch))
	for i := range active {
		active[i] = i
	}
	for len(active) > 0 {
		next := active[:0:0]
		var ids []int
		for _, i := range active {
			logits := last[i][:V]
			tok := vlm.SampleToken(logits, opts.Temperature, rngs[i])
			out[i].Tokens = append(out[i].Tokens, tok)
			out[i].LogProbs = append(out[i].LogProbs, logits[tok]-tensor.LogSumExp(logits))
			if opts.StopAtEOS && tok == eos {
				out[i].EOS = true
				continue
			}
			if len(out[i].Tokens) < opts.MaxTokens && len(batch[i].Prompt)+len(out[i].Tokens) < m.MaxText() {
				next = append(next, i)
				ids = append(ids, tok)
			}
		}
		active = next
		if len(active) == 0 {
			break
		}
		h := m.decodeCached(m.embed(tp, ids), active, 1, c, 0)
		logits := m.logits(tp, h)
		for j, i := range active {
			last[i] = logits.Data[j*V : (j+1)*V]
		}
	}
	if m.Tok != nil {
		for i := range out {
			out[i].Text = m.Tok.DecodeText(out[i].Tokens)
		}
	}
	return out, nil
}
