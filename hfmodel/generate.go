package hfmodel

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"vlmq/tensor"
	"vlmq/vlm"
)

// Generate decodes replies (greedy at temperature 0, else sampled) with
// the same options and outputs as model.VLM.Generate. Each image is
// encoded once; the decoder is then re-run over the whole sequence for
// every new token (no KV cache: O(L²) per reply, fine for short replies on
// small models, slow for billion-parameter ones). For PaliGemma the prompt
// is part of the bidirectional prefix, so replies are scored consistently
// by ForwardPrompt with promptLens = len(Prompt).
func (m *Model) Generate(batch []vlm.GenInput, opts vlm.GenOpts) ([]vlm.GenOutput, error) {
	if len(batch) == 0 {
		return nil, nil
	}
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
	var tp *tensor.Tape
	vis, err := m.EncodeImages(tp, imgs)
	if err != nil {
		return nil, err
	}
	P, V := m.Cfg.ImageTokens, m.Vocab
	eos := m.Cfg.Text.EOS
	out := make([]vlm.GenOutput, len(batch))
	rngs := make([]*rand.Rand, len(batch))
	active := make([]int, len(batch))
	for i := range batch {
		rngs[i] = rand.New(rand.NewPCG(opts.Seed, uint64(i)))
		active[i] = i
	}
	for len(active) > 0 {
		in := make([]vlm.Input, len(active))
		pl := make([]int, len(active))
		rows := make([]int, 0, len(active)*P)
		for j, i := range active {
			toks := append(append([]int(nil), batch[i].Prompt...), out[i].Tokens...)
			in[j] = vlm.Input{Image: imgs[i], Tokens: toks, Targets: []int{len(toks)}}
			pl[j] = len(batch[i].Prompt)
			for p := 0; p < P; p++ {
				rows = append(rows, i*P+p)
			}
		}
		o := m.forwardText(tp, tp.SelectRows(vis, rows), in, pl)
		next := active[:0:0]
		for j, i := range active {
			logits := o.Logits.Data[j*V : (j+1)*V]
			tok := vlm.SampleToken(logits, opts.Temperature, rngs[i])
			out[i].Tokens = append(out[i].Tokens, tok)
			out[i].LogProbs = append(out[i].LogProbs, logits[tok]-tensor.LogSumExp(logits))
			if opts.StopAtEOS && tok == eos {
				out[i].EOS = true
				continue
			}
			if len(out[i].Tokens) < opts.MaxTokens && len(batch[i].Prompt)+len(out[i].Tokens) < m.MaxText() {
				next = append(next, i)
			}
		}
		active = next
	}
	if m.Tok != nil {
		for i := range out {
			out[i].Text = m.Tok.DecodeText(out[i].Tokens)
		}
	}
	return out, nil
}
