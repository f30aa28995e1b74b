package hfmodel

import (
	"fmt"
	"image"
	"math"

	"vlmq/hfload"
	"vlmq/nn"
	"vlmq/tensor"
	"vlmq/vlm"
)

// W returns the parameter with a neutral key, or nil (absent optional
// tensor such as a bias).
func (m *Model) W(key string) *tensor.Tensor { return m.w[key] }

// Pixels preprocesses an image as the SigLIP processors do, except for the
// resampling filter: resize to the tower's square input size (area
// averaging here, bicubic/bilinear in Hugging Face) and scale to
// (x/255-0.5)/0.5. The result is row-major (y, x, channel).
func (m *Model) Pixels(img *image.RGBA) ([]float32, error) {
	return vlm.Pixels(img, m.Cfg.Vision.ImageSize)
}

// patches cuts B preprocessed images (each S*S*3, (y, x, c)) into the
// stride-P patch grid, dropping the remainder as the strided conv does, as
// rows of C*P*P values in the conv kernel's (c, y, x) order.
func (m *Model) patches(px [][]float32) *tensor.Tensor {
	v := m.Cfg.Vision
	S, P := v.ImageSize, v.PatchSize
	side := S / P
	pp := 3 * P * P
	out := tensor.Zeros(len(px)*side*side, pp)
	for b, img := range px {
		for gy := 0; gy < side; gy++ {
			for gx := 0; gx < side; gx++ {
				row := out.Data[((b*side+gy)*side+gx)*pp:]
				for c := 0; c < 3; c++ {
					for y := 0; y < P; y++ {
						for x := 0; x < P; x++ {
							row[(c*P+y)*P+x] = img[((gy*P+y)*S+gx*P+x)*3+c]
						}
					}
				}
			}
		}
	}
	return out
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

// mha is multi-head attention on row layouts: q [B*Tq, hq*dh], k and v
// [B*Tk, hkv*dh]; returns [B*Tq, hq*dh]. prefix, if non-nil, gives each
// item's bidirectional prefix (opts.Prefix is then ignored).
func mha(tp *tensor.Tape, q, k, v *tensor.Tensor, B, Tq, Tk, hq, hkv int, opts tensor.AttnOpts, prefix []int) *tensor.Tensor {
	qh := tp.SplitHeads(q, B, Tq, hq)
	kh := repeatKV(tp, tp.SplitHeads(k, B, Tk, hkv), B, hq, hkv)
	vh := repeatKV(tp, tp.SplitHeads(v, B, Tk, hkv), B, hq, hkv)
	opts.H = hq
	same := true
	for _, p := range prefix {
		same = same && p == prefix[0]
	}
	if same {
		if len(prefix) > 0 {
			opts.Prefix = prefix[0]
		}
		return tp.MergeHeads(tp.Attention(qh, kh, vh, opts), B, Tq, hq)
	}
	// Prefixes differ: one attention call per item.
	outs := make([]*tensor.Tensor, B)
	for b := 0; b < B; b++ {
		o := opts
		o.Prefix = prefix[b]
		if opts.KeyLen != nil {
			o.KeyLen = opts.KeyLen[b : b+1]
		}
		lo, hi := b*hq, (b+1)*hq
		outs[b] = tp.Attention(tp.SliceRows(qh, lo, hi), tp.SliceRows(kh, lo, hi), tp.SliceRows(vh, lo, hi), o)
	}
	return tp.MergeHeads(tp.ConcatRows(outs...), B, Tq, hq)
}

// vision runs the SigLIP-style tower on patch rows [B*N, C*P*P] and returns
// the post-normed features [B*N, hidden].
func (m *Model) vision(tp *tensor.Tape, x *tensor.Tensor, B int) *tensor.Tensor {
	v := m.Cfg.Vision
	side := v.ImageSize / v.PatchSize
	N, H := side*side, v.Hidden
	eps := float32(v.NormEps)
	h := tp.Linear(x, m.W("vision.patch_embed.weight"), m.W("vision.patch_embed.bias"))
	h = tp.Add(h, tp.SelectRows(m.W("vision.pos_embed"), tile(N, B)))
	for l := 0; l < v.Layers; l++ {
		k := fmt.Sprintf("vision.layers.%d.", l)
		a := tp.LayerNorm(h, m.W(k+"norm1.weight"), m.W(k+"norm1.bias"), eps)
		var q, kk, vv *tensor.Tensor
		if v.FusedQKV {
			w, b := m.W(k+"attn.qkv.weight"), m.W(k+"attn.qkv.bias")
			q, kk, vv = linear(tp, a, w, b, 0, H), linear(tp, a, w, b, H, 2*H), linear(tp, a, w, b, 2*H, 3*H)
		} else {
			q = tp.Linear(a, m.W(k+"attn.q.weight"), m.W(k+"attn.q.bias"))
			kk = tp.Linear(a, m.W(k+"attn.k.weight"), m.W(k+"attn.k.bias"))
			vv = tp.Linear(a, m.W(k+"attn.v.weight"), m.W(k+"attn.v.bias"))
		}
		o := mha(tp, q, kk, vv, B, N, N, v.Heads, v.Heads, tensor.AttnOpts{}, nil)
		h = tp.Add(h, tp.Linear(o, m.W(k+"attn.o.weight"), m.W(k+"attn.o.bias")))
		a = tp.LayerNorm(h, m.W(k+"norm2.weight"), m.W(k+"norm2.bias"), eps)
		f := tp.Linear(a, m.W(k+"mlp.fc1.weight"), m.W(k+"mlp.fc1.bias"))
		f = tp.Linear(activation(tp, v.Activation, f), m.W(k+"mlp.fc2.weight"), m.W(k+"mlp.fc2.bias"))
		h = tp.Add(h, f)
	}
	return tp.LayerNorm(h, m.W("vision.post_norm.weight"), m.W("vision.post_norm.bias"), eps)
}

// project maps vision features [B*N, Hv] to ImageTokens decoder inputs per
// image: [B*ImageTokens, D].
func (m *Model) project(tp *tensor.Tape, f *tensor.Tensor, B int) *tensor.Tensor {
	p := m.Cfg.Projector
	switch p.Kind {
	case hfload.ProjLinear:
		return tp.Linear(f, m.W("projector.linear.weight"), m.W("projector.linear.bias"))
	case hfload.ProjMLP:
		// Moondream feeds [global features; merged crop features]; a
		// single uncropped image uses its own features for both.
		x := tp.ConcatLast(f, f)
		x = tp.Linear(x, m.W("projector.fc1.weight"), m.W("projector.fc1.bias"))
		return tp.Linear(activation(tp, p.Activation, x), m.W("projector.fc2.weight"), m.W("projector.fc2.bias"))
	}
	return m.perceiver(tp, f, B)
}

// perceiver is xGen-MM's perceiver resampler: learned latents cross-attend
// to [media; latents] (keys/values from both) in Depth blocks, each followed
// by a LayerNorm-GELU MLP, then a final norm and linear map.
func (m *Model) perceiver(tp *tensor.Tape, f *tensor.Tensor, B int) *tensor.Tensor {
	p := m.Cfg.Projector
	N := f.Shape[0] / B
	L, inner := p.Latents, p.Heads*p.HeadDim
	const eps = 1e-5 // torch.nn.LayerNorm default
	lat := tp.SelectRows(m.W("projector.latents"), tile(L, B))
	// kv input rows: item b's media rows then its latent rows.
	perm := make([]int, 0, B*(N+L))
	for b := 0; b < B; b++ {
		for i := 0; i < N; i++ {
			perm = append(perm, b*N+i)
		}
		for i := 0; i < L; i++ {
			perm = append(perm, B*N+b*L+i)
		}
	}
	for l := 0; l < p.Depth; l++ {
		k := fmt.Sprintf("projector.layers.%d.", l)
		xm := tp.LayerNorm(f, m.W(k+"attn.norm_media.weight"), m.W(k+"attn.norm_media.bias"), eps)
		ln := tp.LayerNorm(lat, m.W(k+"attn.norm_latents.weight"), m.W(k+"attn.norm_latents.bias"), eps)
		q := tp.Linear(ln, m.W(k+"attn.q.weight"), nil)
		kvIn := tp.SelectRows(tp.ConcatRows(xm, ln), perm)
		kvW := m.W(k + "attn.kv.weight")
		kk, vv := linear(tp, kvIn, kvW, nil, 0, inner), linear(tp, kvIn, kvW, nil, inner, 2*inner)
		o := mha(tp, q, kk, vv, B, L, N+L, p.Heads, p.Heads, tensor.AttnOpts{}, nil)
		lat = tp.Add(lat, tp.Linear(o, m.W(k+"attn.o.weight"), nil))
		h := tp.LayerNorm(lat, m.W(k+"ff.norm.weight"), m.W(k+"ff.norm.bias"), eps)
		h = tp.Linear(h, m.W(k+"ff.fc1.weight"), nil)
		h = tp.Linear(activation(tp, p.Activation, h), m.W(k+"ff.fc2.weight"), nil)
		lat = tp.Add(lat, h)
	}
	lat = tp.LayerNorm(lat, m.W("projector.norm.weight"), m.W("projector.norm.bias"), eps)
	return tp.Linear(lat, m.W("projector.out.weight"), m.W("projector.out.bias"))
}

// EncodeImages runs preprocessing, vision tower and projector:
// [len(imgs)*ImageTokens, text hidden].
func (m *Model) EncodeImages(tp *tensor.Tape, imgs []*image.RGBA) (*tensor.Tensor, error) {
	px := make([][]float32, len(imgs))
	for i, img := range imgs {
		p, err := m.Pixels(img)
		if err != nil {
			return nil, fmt.Errorf("hfmodel: image %d: %w", i, err)
		}
		px[i] = p
	}
	return m.encodePixels(tp, px), nil
}

func (m *Model) encodePixels(tp *tensor.Tape, px [][]float32) *tensor.Tensor {
	return m.project(tp, m.vision(tp, m.patches(px), len(px)), len(px))
}

// norm applies the decoder's norm with parameters key.weight (and
// key.bias for LayerNorm).
func (m *Model) norm(tp *tensor.Tape, x *tensor.Tensor, key string) *tensor.Tensor {
	t := m.Cfg.Text
	eps := float32(t.NormEps)
	if t.Norm == hfload.LayerNorm {
		return tp.LayerNorm(x, m.W(key+".weight"), m.W(key+".bias"), eps)
	}
	g := m.W(key + ".weight")
	if t.NormAddOne {
		g = tp.AddScalar(g, 1)
	}
	return tp.RMSNorm(x, g, eps)
}

// decoder runs the language model over x [B*T, D] (right-padded: item b
// has keyLen[b] valid positions at 0..keyLen[b]-1; prefix[b] of them attend
// bidirectionally) and returns final-normed hidden states.
func (m *Model) decoder(tp *tensor.Tape, x *tensor.Tensor, B, T int, keyLen, prefix []int) *tensor.Tensor {
	t := m.Cfg.Text
	pos := make([]int, B*T)
	for i := range pos {
		pos[i] = i % T
	}
	opts := tensor.AttnOpts{Causal: true, KeyLen: keyLen}
	return m.layers(tp, x, pos, func(l int, q, k, v *tensor.Tensor) *tensor.Tensor {
		return mha(tp, q, k, v, B, T, T, t.Heads, t.KVHeads, m.layerOpts(l, opts), prefix)
	})
}

// attendFunc is a decoder layer's attention core: from the layer index and
// rows of rotated queries [N, heads*dh], keys and values [N, kvHeads*dh]
// it returns the attended rows [N, heads*dh]. The full forward attends
// within the batch; cached decoding (generate.go) against its KV cache.
type attendFunc func(layer int, q, k, v *tensor.Tensor) *tensor.Tensor

// proj is the decoder's linear map with weight key+".weight" (and bias,
// if the checkpoint has one) restricted to output rows [lo, hi) (a slice
// of a fused qkv or gate_up matrix), plus its LoRA adapter's
// scale·(x·Aᵀ)·B[lo:hi]ᵀ when the weight is adapted.
func (m *Model) proj(tp *tensor.Tape, x *tensor.Tensor, key string, lo, hi int) *tensor.Tensor {
	y := linear(tp, x, m.W(key+".weight"), m.W(key+".bias"), lo, hi)
	ad := m.ads[key]
	if ad == nil {
		return y
	}
	b := ad.B
	if lo != 0 || hi != b.Shape[0] {
		b = tp.SliceRows(b, lo, hi)
	}
	return tp.Add(y, tp.Scale(tp.Linear(tp.Linear(x, ad.A, nil), b, nil), ad.scale))
}

// layers runs every decoder block on rows x at positions pos (for RoPE)
// with attention core att, then the final norm.
func (m *Model) layers(tp *tensor.Tape, x *tensor.Tensor, pos []int, att attendFunc) *tensor.Tensor {
	t := m.Cfg.Text
	qd, kvd := t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	for l := 0; l < t.Layers; l++ {
		k := fmt.Sprintf("text.layers.%d.", l)
		attn := func(a *tensor.Tensor) *tensor.Tensor {
			var q, kk, vv *tensor.Tensor
			if t.FusedQKV {
				q, kk, vv = m.proj(tp, a, k+"attn.qkv", 0, qd), m.proj(tp, a, k+"attn.qkv", qd, qd+kvd), m.proj(tp, a, k+"attn.qkv", qd+kvd, qd+2*kvd)
			} else {
				q, kk, vv = m.proj(tp, a, k+"attn.q", 0, qd), m.proj(tp, a, k+"attn.k", 0, kvd), m.proj(tp, a, k+"attn.v", 0, kvd)
			}
			q = nn.RoPE(tp, q, pos, t.Heads, t.HeadDim, t.RotaryDim, t.RopeTheta)
			kk = nn.RoPE(tp, kk, pos, t.KVHeads, t.HeadDim, t.RotaryDim, t.RopeTheta)
			return m.proj(tp, att(l, q, kk, vv), k+"attn.o", 0, t.Hidden)
		}
		mlp := func(a *tensor.Tensor) *tensor.Tensor {
			if !t.GatedMLP {
				h := m.proj(tp, a, k+"mlp.fc1", 0, t.MLP)
				return m.proj(tp, activation(tp, t.Activation, h), k+"mlp.fc2", 0, t.Hidden)
			}
			var g, u *tensor.Tensor
			if t.FusedGateUp {
				g, u = m.proj(tp, a, k+"mlp.gate_up", 0, t.MLP), m.proj(tp, a, k+"mlp.gate_up", t.MLP, 2*t.MLP)
			} else {
				g, u = m.proj(tp, a, k+"mlp.gate", 0, t.MLP), m.proj(tp, a, k+"mlp.up", 0, t.MLP)
			}
			return m.proj(tp, tp.Mul(activation(tp, t.Activation, g), u), k+"mlp.down", 0, t.Hidden)
		}
		if t.ParallelBlock {
			a := m.norm(tp, x, k+"norm")
			x = tp.Add(x, tp.Add(attn(a), mlp(a)))
			continue
		}
		x = tp.Add(x, m.postNorm(tp, attn(m.norm(tp, x, k+"attn_norm")), k+"attn_out_norm"))
		x = tp.Add(x, m.postNorm(tp, mlp(m.norm(tp, x, k+"mlp_norm")), k+"mlp_out_norm"))
	}
	return m.norm(tp, x, "text.norm")
}

// embed looks up token ids (xGen-MM ids past the base vocabulary use its
// extra embedding table) and applies Gemma's sqrt(hidden) scale.
func (m *Model) embed(tp *tensor.Tape, ids []int) *tensor.Tensor {
	base := m.W("text.embed.weight")
	V := base.Shape[0]
	var e *tensor.Tensor
	var lo, hi []int
	for _, id := range ids {
		if id < V {
			lo = append(lo, id)
		} else {
			hi = append(hi, id-V)
		}
	}
	if len(hi) == 0 {
		e = tp.Embedding(base, ids)
	} else {
		both := tp.ConcatRows(tp.Embedding(base, lo), tp.Embedding(m.W("text.embed_extra.weight"), hi))
		perm := make([]int, len(ids))
		a, b := 0, len(lo)
		for i, id := range ids {
			if id < V {
				perm[i], a = a, a+1
			} else {
				perm[i], b = b, b+1
			}
		}
		e = tp.SelectRows(both, perm)
	}
	if m.Cfg.Text.EmbedScale {
		e = tp.Scale(e, float32(math.Sqrt(float64(m.Cfg.Text.Hidden))))
	}
	return e
}

// heads computes the LM logits and both Q heads on hidden rows h.
func (m *Model) heads(tp *tensor.Tape, h *tensor.Tensor) vlm.Output {
	return vlm.Output{
		Logits: m.logits(tp, h),
		Q1:     tp.Linear(h, m.W(q1W), m.W(q1B)),
		Q2:     tp.Linear(h, m.W(q2W), m.W(q2B)),
	}
}

// logits is the actor head on hidden rows h.
func (m *Model) logits(tp *tensor.Tape, h *tensor.Tensor) *tensor.Tensor {
	var logits *tensor.Tensor
	if m.tiedHead() {
		logits = tp.Linear(h, m.W("text.embed.weight"), nil)
	} else {
		logits = tp.Linear(h, m.W("text.lm_head.weight"), m.W("text.lm_head.bias"))
	}
	if x := m.W("text.lm_head_extra.weight"); x != nil {
		logits = tp.ConcatLast(logits, tp.Linear(h, x, m.W("text.lm_head_extra.bias")))
	}
	logits = m.capLogits(tp, logits)
	return logits
}

// bos is the BOS id the family places before the text (-1: none).
func (m *Model) bos() int {
	if b := m.Cfg.Text.BOS; b >= 0 && b < m.Vocab {
		return b
	}
	return -1
}

// TextOffset is the number of positions before the first text token:
// image tokens plus BOS. PaliGemma's sequence is [image; BOS; text],
// Moondream's and xGen-MM's [BOS; image; text].
func (m *Model) TextOffset() int {
	n := m.Cfg.ImageTokens
	if m.bos() >= 0 {
		n++
	}
	return n
}

// MaxText is the longest text (prompt plus reply) Forward accepts.
func (m *Model) MaxText() int { return m.Cfg.Text.MaxPositions - m.TextOffset() }

func (m *Model) checkTokens(what string, i int, ids []int) error {
	if len(ids) > m.MaxText() {
		return fmt.Errorf("hfmodel: %s %d has %d tokens, max %d", what, i, len(ids), m.MaxText())
	}
	for _, id := range ids {
		if id < 0 || id >= m.Vocab {
			return fmt.Errorf("hfmodel: %s %d token id %d outside [0,%d)", what, i, id, m.Vocab)
		}
	}
	return nil
}

// Forward runs a batch (right-padded to its longest text) and returns the
// heads at the requested rows, like model.VLM.Forward: Targets index
// Tokens, and target t is predicted from the position before text token
// t. The text is causal; PaliGemma's image+BOS prefix, with the first
// in.Prompt tokens, is bidirectional.
func (m *Model) Forward(tp *tensor.Tape, batch []vlm.Input) (vlm.Output, error) {
	pl := make([]int, len(batch))
	for i, in := range batch {
		pl[i] = in.Prompt
	}
	return m.ForwardPrompt(tp, batch, pl)
}

// ForwardPrompt is Forward where, for PaliGemma, the first promptLens[i]
// tokens of item i join the bidirectional prefix (PaliGemma's prefix-LM
// over image, BOS and prompt, as Generate uses). Other families are fully
// causal and ignore promptLens. promptLens may be nil (all zero).
func (m *Model) ForwardPrompt(tp *tensor.Tape, batch []vlm.Input, promptLens []int) (vlm.Output, error) {
	if len(batch) == 0 {
		return vlm.Output{}, fmt.Errorf("hfmodel: empty batch")
	}
	if promptLens != nil && len(promptLens) != len(batch) {
		return vlm.Output{}, fmt.Errorf("hfmodel: %d prompt lengths for %d batch items", len(promptLens), len(batch))
	}
	imgs := make([]*image.RGBA, len(batch))
	for i, in := range batch {
		if in.Image == nil {
			return vlm.Output{}, fmt.Errorf("hfmodel: batch item %d has no image", i)
		}
		if err := m.checkTokens("batch item", i, in.Tokens); err != nil {
			return vlm.Output{}, err
		}
		for _, t := range in.Targets {
			if t < 0 || t > len(in.Tokens) {
				return vlm.Output{}, fmt.Errorf("hfmodel: batch item %d target %d outside [0,%d]", i, t, len(in.Tokens))
			}
		}
		if promptLens != nil && (promptLens[i] < 0 || promptLens[i] > len(in.Tokens)) {
			return vlm.Output{}, fmt.Errorf("hfmodel: batch item %d prompt length %d outside [0,%d]", i, promptLens[i], len(in.Tokens))
		}
		imgs[i] = in.Image
	}
	vis, err := m.EncodeImages(m.visionTape(tp), imgs)
	if err != nil {
		return vlm.Output{}, err
	}
	return m.forwardText(tp, vis, batch, promptLens), nil
}

// forwardText runs the decoder on validated inputs whose image features
// vis ([B*ImageTokens, D]) are already computed.
func (m *Model) forwardText(tp *tensor.Tape, vis *tensor.Tensor, batch []vlm.Input, promptLens []int) vlm.Output {
	x, T, keyLen, prefix := m.sequence(tp, vis, batch, promptLens)
	h := m.decoder(tp, x, len(batch), T, keyLen, prefix)
	off := m.TextOffset()
	var rows []int
	for b, in := range batch {
		for _, t := range in.Targets {
			rows = append(rows, b*T+off+t-1)
		}
	}
	return m.heads(tp, tp.SelectRows(h, rows))
}

// sequence lays out the decoder input of each item in the family's order
// ([image; BOS; text] or [BOS; image; text]), right-padded to T
// positions: rows x [B*T, D], the valid length of each item, and (for a
// prefix-LM family) its bidirectional prefix.
func (m *Model) sequence(tp *tensor.Tape, vis *tensor.Tensor, batch []vlm.Input, promptLens []int) (x *tensor.Tensor, T int, keyLen, prefix []int) {
	B, P := len(batch), m.Cfg.ImageTokens
	bos := m.bos()
	nb := 0
	if bos >= 0 {
		nb = 1
	}
	Tmax := 0
	for _, in := range batch {
		Tmax = max(Tmax, len(in.Tokens))
	}
	W := nb + Tmax // text-side rows per item
	T = P + W
	ids := make([]int, 0, B*W)
	for _, in := range batch {
		if nb == 1 {
			ids = append(ids, bos)
		}
		ids = append(ids, in.Tokens...)
		for j := len(in.Tokens); j < Tmax; j++ {
			ids = append(ids, 0) // padding: masked by keyLen
		}
	}
	imgFirst := m.fam.ImageFirst
	perm := make([]int, 0, B*T)
	keyLen = make([]int, B)
	for b, in := range batch {
		txt := func(j int) int { return B*P + b*W + j }
		if !imgFirst {
			for j := 0; j < nb; j++ {
				perm = append(perm, txt(j))
			}
		}
		for p := 0; p < P; p++ {
			perm = append(perm, b*P+p)
		}
		start := nb
		if imgFirst {
			start = 0
		}
		for j := start; j < W; j++ {
			perm = append(perm, txt(j))
		}
		keyLen[b] = P + nb + len(in.Tokens)
		if m.fam.PrefixLM {
			pl := 0
			if promptLens != nil {
				pl = promptLens[b]
			}
			prefix = append(prefix, P+nb+pl)
		}
	}
	if len(ids) > 0 {
		x = tp.SelectRows(tp.ConcatRows(vis, m.embed(tp, ids)), perm)
	} else {
		x = vis
	}
	return x, T, keyLen, prefix
}
