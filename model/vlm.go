// Package model is vlmq's small vision-language model: a ViT over image
// patches whose outputs are projected and prepended, as a bidirectional
// prefix, to the text of a causal decoder. The shared trunk feeds an LM
// head (the actor) and two Q heads over the vocabulary (the critics).
package model

import (
	"fmt"
	"image"
	"math/rand"
	"slices"

	"vlmq/nn"
	"vlmq/optim"
	"vlmq/tensor"
	"vlmq/tokenizer"
	"vlmq/vlm"
)

// VLM is the model. Its parameters are plain tensors; it is safe for
// concurrent inference (Forward with nil tape, Generate) but not for
// concurrent training.
type VLM struct {
	Cfg Config
	Tok *tokenizer.Tokenizer

	PatchEmbed *nn.Linear      // [VisionDim, PatchSize²·3]
	VisionPos  *tensor.Tensor  // [Patches, VisionDim]
	Vision     *nn.Transformer // bidirectional
	Projector  *nn.Linear      // [Dim, VisionDim]
	Embed      *nn.Embedding   // [Vocab, Dim]
	Pos        *tensor.Tensor  // [MaxSeq, Dim]
	Decoder    *nn.Transformer // causal with the visual prefix
	LMHead     *nn.Linear      // actor logits [Vocab, Dim], no bias
	Q1, Q2     *nn.Linear      // critics [Vocab, Dim] with bias
}

// New builds a randomly initialised VLM for the tokenizer's vocabulary
// (cfg.Vocab is set from tok). The tokenizer must have <pad> and <eos>.
func New(cfg Config, tok *tokenizer.Tokenizer, seed int64) (*VLM, error) {
	if tok == nil {
		return nil, fmt.Errorf("model: nil tokenizer")
	}
	if tok.PadID() < 0 || tok.EOSID() < 0 {
		return nil, fmt.Errorf("model: tokenizer lacks %s or %s", tokenizer.Pad, tokenizer.EOS)
	}
	if cfg.Vocab != 0 && cfg.Vocab != tok.VocabSize() {
		return nil, fmt.Errorf("model: config vocab %d but tokenizer has %d tokens", cfg.Vocab, tok.VocabSize())
	}
	cfg.Vocab = tok.VocabSize()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewSource(seed))
	m := &VLM{Cfg: cfg, Tok: tok}
	pp := cfg.PatchSize * cfg.PatchSize * 3
	m.PatchEmbed = nn.NewLinear(r, pp, cfg.VisionDim, true)
	m.VisionPos = tensor.Param(cfg.Patches(), cfg.VisionDim)
	nn.Normal(r, m.VisionPos, nn.InitStd)
	var err error
	if m.Vision, err = nn.NewTransformer(r, nn.Config{Layers: cfg.VisionLayers, D: cfg.VisionDim, Heads: cfg.VisionHeads, Hidden: cfg.VisionMLP}); err != nil {
		return nil, err
	}
	m.Projector = nn.NewLinear(r, cfg.VisionDim, cfg.Dim, true)
	m.Embed = nn.NewEmbedding(r, cfg.Vocab, cfg.Dim)
	m.Pos = tensor.Param(cfg.MaxSeq, cfg.Dim)
	nn.Normal(r, m.Pos, nn.InitStd)
	if m.Decoder, err = nn.NewTransformer(r, nn.Config{Layers: cfg.Layers, D: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.MLP, RoPETheta: cfg.RopeTheta}); err != nil {
		return nil, err
	}
	m.LMHead = nn.NewLinear(r, cfg.Dim, cfg.Vocab, false)
	if cfg.TieEmbeddings {
		m.LMHead.W = m.Embed.W
	}
	m.Q1 = nn.NewLinear(r, cfg.Dim, cfg.Vocab, true)
	m.Q2 = nn.NewLinear(r, cfg.Dim, cfg.Vocab, true)
	return m, nil
}

// SeedCriticsFromLM adds scale times the LM head to both critic heads'
// weights and zeroes their biases, so the critics start from the features
// the actor reads (see afsft.Config.CriticInit).
func (m *VLM) SeedCriticsFromLM(scale float32) {
	for _, q := range []*nn.Linear{m.Q1, m.Q2} {
		for i, w := range m.LMHead.W.Data {
			q.W.Data[i] += scale * w
		}
		clear(q.B.Data)
	}
}

// TrunkParams are the vision tower, projector, embeddings and decoder.
func (m *VLM) TrunkParams() []nn.Param {
	ps := m.PatchEmbed.Params("vision.patch_embed")
	ps = append(ps, nn.Param{Name: "vision.pos_embed", T: m.VisionPos})
	ps = append(ps, m.Vision.Params("vision.encoder")...)
	ps = append(ps, m.Projector.Params("projector")...)
	ps = append(ps, m.Embed.Params("embed_tokens")...)
	ps = append(ps, nn.Param{Name: "pos_embed", T: m.Pos})
	return append(ps, m.Decoder.Params("decoder")...)
}

// LMParams is the actor head (empty when tied to the embeddings, which are
// then trained as part of the trunk).
func (m *VLM) LMParams() []nn.Param {
	if m.Cfg.TieEmbeddings {
		return nil
	}
	return m.LMHead.Params("lm_head")
}

// CriticParams are the two Q heads.
func (m *VLM) CriticParams() []nn.Param {
	return append(m.Q1.Params("q1_head"), m.Q2.Params("q2_head")...)
}

// HeadParams is LMParams followed by CriticParams.
func (m *VLM) HeadParams() []nn.Param { return append(m.LMParams(), m.CriticParams()...) }

// Params lists every parameter in a fixed order (trunk, then heads); the
// names are the safetensors keys.
func (m *VLM) Params() []nn.Param { return append(m.TrunkParams(), m.HeadParams()...) }

// NumParams counts scalar parameters.
func (m *VLM) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.T.Size()
	}
	return n
}

// Clone returns a deep copy sharing only the (immutable) tokenizer; used
// for target networks.
func (m *VLM) Clone() vlm.Model { return m.clone() }

func (m *VLM) clone() *VLM {
	c, err := New(m.Cfg, m.Tok, 0)
	if err != nil {
		panic(fmt.Sprintf("model: Clone of a valid model failed: %v", err)) // cannot happen: m was built from Cfg
	}
	if err := optim.HardCopy(nn.Tensors(c.Params()), nn.Tensors(m.Params())); err != nil {
		panic(fmt.Sprintf("model: Clone: %v", err))
	}
	return c
}

// checkInputs validates a Forward batch and returns the text width.
func (m *VLM) checkInputs(batch []vlm.Input) (int, error) {
	if len(batch) == 0 {
		return 0, fmt.Errorf("model: empty batch")
	}
	maxT := 0
	for i, in := range batch {
		if in.Image == nil {
			return 0, fmt.Errorf("model: batch item %d has no image", i)
		}
		if len(in.Tokens) > m.Cfg.MaxText() {
			return 0, fmt.Errorf("model: batch item %d has %d tokens, max %d", i, len(in.Tokens), m.Cfg.MaxText())
		}
		for _, id := range in.Tokens {
			if id < 0 || id >= m.Cfg.Vocab {
				return 0, fmt.Errorf("model: batch item %d token id %d outside [0,%d)", i, id, m.Cfg.Vocab)
			}
		}
		for _, t := range in.Targets {
			if t < 0 || t > len(in.Tokens) {
				return 0, fmt.Errorf("model: batch item %d target %d outside [0,%d]", i, t, len(in.Tokens))
			}
		}
		maxT = max(maxT, len(in.Tokens))
	}
	return maxT, nil
}

// patches turns the batch's images into [B*Patches, PatchSize²·3].
func (m *VLM) patches(imgs []*image.RGBA) (*tensor.Tensor, error) {
	P, pp := m.Cfg.Patches(), m.Cfg.PatchSize*m.Cfg.PatchSize*3
	out := tensor.Zeros(len(imgs)*P, pp)
	for i, img := range imgs {
		px, err := vlm.Pixels(img, m.Cfg.ImageSize)
		if err != nil {
			return nil, fmt.Errorf("model: image %d: %w", i, err)
		}
		if m.Cfg.SubtractBackground {
			subtractBackground(px)
		}
		patchify(px, m.Cfg.ImageSize, m.Cfg.PatchSize, out.Data[i*P*pp:(i+1)*P*pp])
	}
	return out, nil
}

// encodeImages runs the vision tower and projector: [B*Patches, Dim].
func (m *VLM) encodeImages(tp *tensor.Tape, imgs []*image.RGBA) (*tensor.Tensor, error) {
	x, err := m.patches(imgs)
	if err != nil {
		return nil, err
	}
	B, P := len(imgs), m.Cfg.Patches()
	h := m.PatchEmbed.Forward(tp, x)
	h = tp.Add(h, tp.SelectRows(m.VisionPos, tile(P, B)))
	seqs := make([]int, B+1)
	for b := range seqs {
		seqs[b] = b * P
	}
	h = m.Vision.Forward(tp, h, B, P, tensor.AttnOpts{Seqs: seqs})
	return m.Projector.Forward(tp, h), nil
}

// tile returns 0..n-1 repeated times times.
func tile(n, times int) []int {
	out := make([]int, 0, n*times)
	for r := 0; r < times; r++ {
		for i := 0; i < n; i++ {
			out = append(out, i)
		}
	}
	return out
}

// Forward runs the batch and computes the heads only at the requested
// rows. The sequences (image patches, then text) are packed back to back,
// so no padding row is computed. With a non-nil tape the outputs are
// valid until tp.Reset.
func (m *VLM) Forward(tp *tensor.Tape, batch []vlm.Input) (vlm.Output, error) {
	if _, err := m.checkInputs(batch); err != nil {
		return vlm.Output{}, err
	}
	B, P := len(batch), m.Cfg.Patches()
	imgs := make([]*image.RGBA, B)
	seqs := make([]int, B+1) // where each item's rows start
	text := 0
	for i, in := range batch {
		imgs[i] = in.Image
		seqs[i+1] = seqs[i] + P + len(in.Tokens)
		text += len(in.Tokens)
	}
	vis, err := m.encodeImages(tp, imgs)
	if err != nil {
		return vlm.Output{}, err
	}
	x := vis
	perm := make([]int, 0, seqs[B]) // packed row -> row of [vis; text]
	pos := make([]int, 0, seqs[B])  // packed row -> position in its item
	if text > 0 {
		ids := make([]int, 0, text)
		for _, in := range batch {
			ids = append(ids, in.Tokens...)
		}
		x = tp.ConcatRows(vis, m.Embed.Forward(tp, ids))
	}
	t0 := B * P // text rows follow the visual rows in x
	for b, in := range batch {
		for p := 0; p < P; p++ {
			perm = append(perm, b*P+p)
		}
		for t := range in.Tokens {
			perm = append(perm, t0+t)
		}
		t0 += len(in.Tokens)
		for t := 0; t < P+len(in.Tokens); t++ {
			pos = append(pos, t)
		}
	}
	if text > 0 {
		x = tp.SelectRows(x, perm)
	}
	x = tp.Add(x, tp.SelectRows(m.Pos, pos))
	h := m.Decoder.Forward(tp, x, B, 0, tensor.AttnOpts{Causal: true, Prefix: P, ALiBi: m.Cfg.ALiBi, Seqs: seqs, Pos: pos})
	var rows []int
	for b, in := range batch {
		for _, t := range in.Targets {
			rows = append(rows, seqs[b]+P+t-1)
		}
	}
	return m.heads(tp, tp.SelectRows(h, rows)), nil
}

func (m *VLM) heads(tp *tensor.Tape, h *tensor.Tensor) vlm.Output {
	return vlm.Output{
		Logits: m.LMHead.Forward(tp, h),
		Q1:     m.Q1.Forward(tp, h),
		Q2:     m.Q2.Forward(tp, h),
	}
}

// Regrow returns a model of architecture cfg (m's vocabulary) that keeps
// m's weights wherever a parameter of the same name and size exists, and
// starts the others fresh (seeded by seed); fresh lists their names. It is
// how a continued pretraining changes part of the architecture (its image
// input, resolution or a size) without losing what the rest has learned.
func (m *VLM) Regrow(cfg Config, seed int64) (out *VLM, fresh []string, err error) {
	if cfg.Vocab != 0 && cfg.Vocab != m.Cfg.Vocab {
		return nil, nil, fmt.Errorf("model: regrow to vocabulary %d, the model's tokenizer has %d", cfg.Vocab, m.Cfg.Vocab)
	}
	if cfg.TieEmbeddings != m.Cfg.TieEmbeddings {
		return nil, nil, fmt.Errorf("model: regrow cannot tie or untie the embeddings")
	}
	if out, err = New(cfg, m.Tok, seed); err != nil {
		return nil, nil, err
	}
	old := map[string]*tensor.Tensor{}
	for _, p := range m.Params() {
		old[p.Name] = p.T
	}
	for _, p := range out.Params() {
		if o, ok := old[p.Name]; ok && slices.Equal(o.Shape, p.T.Shape) {
			copy(p.T.Data, o.Data)
			continue
		}
		fresh = append(fresh, p.Name)
	}
	return out, fresh, nil
}
