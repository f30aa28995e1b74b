package model

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"vlmq/nn"
	"vlmq/tensor"
	"vlmq/vlm"
)

// decodeCached runs tn new positions for each listed item through the
// decoder, appending to their caches (nn.Transformer.ForwardCached). The
// prefill passes one item with its whole visual+prompt sequence, so the
// bidirectional visual prefix is complete.
func (m *VLM) decodeCached(x *tensor.Tensor, items []int, tn int, c *nn.KVCache, prefix int) (*tensor.Tensor, error) {
	return m.Decoder.ForwardCached(x, items, tn, c, tensor.AttnOpts{Causal: true, Prefix: prefix, ALiBi: m.Cfg.ALiBi})
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
	c := m.Decoder.NewKVCache(len(batch), capacity)
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
		h, err := m.decodeCached(x, []int{i}, L, c, P)
		if err != nil {
			return nil, err
		}
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
			if len(out[i].Tokens) >= opts.MaxTokens || c.Lens[i] >= capacity {
				continue
			}
			next = append(next, i)
			ids = append(ids, tok)
			pos = append(pos, c.Lens[i])
		}
		active = next
		if len(active) == 0 {
			break
		}
		h, err := m.decodeCached(m.embedAt(ids, pos), active, 1, c, 0)
		if err != nil {
			return nil, err
		}
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
