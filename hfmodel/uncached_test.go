package hfmodel

import (
	mrand "math/rand"
	"math/rand/v2"
	"slices"
	"testing"

	"vlmq/tensor"
	"vlmq/vlm"
)

// generateUncached is the decoding Generate replaced: the image is
// encoded once, then the decoder re-runs over the whole sequence for every
// new token. It is kept as the reference the KV cache must reproduce.
func (m *Model) generateUncached(batch []vlm.GenInput, opts vlm.GenOpts) ([]vlm.GenOutput, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	imgs, err := m.genImages(batch, opts)
	if err != nil {
		return nil, err
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

// TestCachedGenerationMatchesUncached: KV-cache decoding gives the tokens,
// log-probabilities and EOS stops of re-running the whole decoder per
// token, greedy and sampled, for a batch of prompts of different lengths
// (grouped-query, multi-query and partial-rotary attention among the
// families' fixtures).
func TestCachedGenerationMatchesUncached(t *testing.T) {
	cases := []struct {
		name string
		opts vlm.GenOpts
	}{
		{"greedy", vlm.GenOpts{MaxTokens: 6}},
		{"sampled", vlm.GenOpts{MaxTokens: 6, Temperature: 1, Seed: 9}},
		{"hot stop at EOS", vlm.GenOpts{MaxTokens: 8, Temperature: 3, Seed: 4, StopAtEOS: true}},
	}
	// PaliGemma 2's window (5) is shorter than the prompts' sequences.
	models := map[string]*Model{}
	for name := range configs {
		models[name] = loadFixture(t, name)
	}
	for name, m := range models {
		r := mrand.New(mrand.NewSource(3))
		gin := []vlm.GenInput{
			{Image: randomImage(r, 20), Prompt: []int{5, 6, 7, 8, 9}},
			{Image: randomImage(r, 12), Prompt: []int{9}},
			{Image: randomImage(r, 16)},
		}
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				got, err := m.Generate(gin, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				want, err := m.generateUncached(gin, c.opts)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if !slices.Equal(got[i].Tokens, want[i].Tokens) || got[i].EOS != want[i].EOS {
						t.Fatalf("item %d: cached %v (EOS %v), uncached %v (EOS %v)", i, got[i].Tokens, got[i].EOS, want[i].Tokens, want[i].EOS)
					}
					for j := range want[i].LogProbs {
						if d := abs32(got[i].LogProbs[j] - want[i].LogProbs[j]); d > 1e-4 {
							t.Errorf("item %d token %d: log-prob %v cached, %v uncached", i, j, got[i].LogProbs[j], want[i].LogProbs[j])
						}
					}
				}
			})
		}
	}
}
