package hfload

import (
	"fmt"
	"strings"
)

// Any in a WeightSpec shape matches any size in that dimension (used where
// the checkpoint size depends on something config.json does not state, such
// as the number of special tokens xGen-MM appends to the vocabulary).
const Any = -1

// WeightSpec is one tensor a checkpoint must (or may) contain.
type WeightSpec struct {
	// Name is the tensor name in the checkpoint for the config's Layout.
	Name string
	// Key is the family-neutral name model code can rely on, e.g.
	// "vision.layers.3.attn.q.weight" or "text.layers.0.mlp.gate.weight".
	// All weights are stored [out, in] (PyTorch Linear convention).
	Key      string
	Shape    []int
	Optional bool // may be absent (tied, unused or version-dependent)
}

// Plan lists every tensor the checkpoint of cfg contains, in a stable order.
// The family argument must agree with cfg.Family.
func Plan(family Family, cfg *Config) ([]WeightSpec, error) {
	if cfg == nil {
		return nil, fmt.Errorf("hfload: Plan: nil config")
	}
	if family != cfg.Family {
		return nil, fmt.Errorf("hfload: Plan: family %q does not match the config's family %q", family, cfg.Family)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hfload: Plan: %w", err)
	}
	p := &planner{}
	switch cfg.Layout {
	case LayoutPaliGemma, LayoutPaliGemmaV5:
		if family != PaliGemma {
			break
		}
		planPaliGemma(p, cfg)
		return p.specs, nil
	case LayoutXGenMM:
		if family != XGenMM {
			break
		}
		planXGenMM(p, cfg)
		return p.specs, nil
	case LayoutMoondream2024, LayoutMoondream2025:
		if family != Moondream {
			break
		}
		planMoondream(p, cfg)
		return p.specs, nil
	}
	return nil, fmt.Errorf("hfload: Plan: layout %q does not belong to family %q", cfg.Layout, family)
}

type planner struct {
	specs []WeightSpec
}

func (p *planner) add(name, key string, shape ...int) {
	p.specs = append(p.specs, WeightSpec{Name: name, Key: key, Shape: shape})
}

func (p *planner) opt(name, key string, shape ...int) {
	p.specs = append(p.specs, WeightSpec{Name: name, Key: key, Shape: shape, Optional: true})
}

// linear adds weight [out, in] and, if bias, bias [out].
func (p *planner) linear(name, key string, out, in int, bias bool) {
	p.add(name+".weight", key+".weight", out, in)
	if bias {
		p.add(name+".bias", key+".bias", out)
	}
}

func (p *planner) norm(name, key string, dim int, bias bool) {
	p.add(name+".weight", key+".weight", dim)
	if bias {
		p.add(name+".bias", key+".bias", dim)
	}
}

// siglipTower adds transformers' SiglipVisionTransformer weights under
// prefix (ending in "."). The attention-pooling head is optional: the VLMs
// use patch features and some checkpoints drop it.
func siglipTower(p *planner, prefix string, v VisionConfig) {
	h, m := v.Hidden, v.MLP
	p.add(prefix+"embeddings.patch_embedding.weight", "vision.patch_embed.weight", h, v.Channels, v.PatchSize, v.PatchSize)
	p.add(prefix+"embeddings.patch_embedding.bias", "vision.patch_embed.bias", h)
	p.add(prefix+"embeddings.position_embedding.weight", "vision.pos_embed", v.Positions, h)
	for i := 0; i < v.Layers; i++ {
		l := fmt.Sprintf("%sencoder.layers.%d.", prefix, i)
		k := fmt.Sprintf("vision.layers.%d.", i)
		p.norm(l+"layer_norm1", k+"norm1", h, true)
		for _, qkv := range []string{"q", "k", "v"} {
			p.linear(l+"self_attn."+qkv+"_proj", k+"attn."+qkv, h, h, true)
		}
		p.linear(l+"self_attn.out_proj", k+"attn.o", h, h, true)
		p.norm(l+"layer_norm2", k+"norm2", h, true)
		p.linear(l+"mlp.fc1", k+"mlp.fc1", m, h, true)
		p.linear(l+"mlp.fc2", k+"mlp.fc2", h, m, true)
	}
	p.norm(prefix+"post_layernorm", "vision.post_norm", h, true)
	if v.UseHead {
		hp := prefix + "head."
		p.opt(hp+"probe", "vision.head.probe", 1, 1, h)
		p.opt(hp+"attention.in_proj_weight", "vision.head.attn.in_proj.weight", 3*h, h)
		p.opt(hp+"attention.in_proj_bias", "vision.head.attn.in_proj.bias", 3*h)
		p.opt(hp+"attention.out_proj.weight", "vision.head.attn.o.weight", h, h)
		p.opt(hp+"attention.out_proj.bias", "vision.head.attn.o.bias", h)
		p.opt(hp+"layernorm.weight", "vision.head.norm.weight", h)
		p.opt(hp+"layernorm.bias", "vision.head.norm.bias", h)
		p.opt(hp+"mlp.fc1.weight", "vision.head.mlp.fc1.weight", m, h)
		p.opt(hp+"mlp.fc1.bias", "vision.head.mlp.fc1.bias", m)
		p.opt(hp+"mlp.fc2.weight", "vision.head.mlp.fc2.weight", h, m)
		p.opt(hp+"mlp.fc2.bias", "vision.head.mlp.fc2.bias", h)
	}
}

func planPaliGemma(p *planner, cfg *Config) {
	vt, proj, lm, head := "vision_tower.vision_model.", "multi_modal_projector.", "language_model.model.", "language_model.lm_head.weight"
	if cfg.Layout == LayoutPaliGemmaV5 {
		vt, proj, lm, head = "model.vision_tower.vision_model.", "model.multi_modal_projector.", "model.language_model.", "lm_head.weight"
	}
	siglipTower(p, vt, cfg.Vision)
	p.linear(proj+"linear", "projector.linear", cfg.Projector.OutDim, cfg.Projector.InDim, true)
	t := cfg.Text
	h, q, kv := t.Hidden, t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	p.add(lm+"embed_tokens.weight", "text.embed.weight", t.Vocab, h)
	for i := 0; i < t.Layers; i++ {
		l := fmt.Sprintf("%slayers.%d.", lm, i)
		k := fmt.Sprintf("text.layers.%d.", i)
		p.norm(l+"input_layernorm", k+"attn_norm", h, false)
		p.linear(l+"self_attn.q_proj", k+"attn.q", q, h, t.AttnBias)
		p.linear(l+"self_attn.k_proj", k+"attn.k", kv, h, t.AttnBias)
		p.linear(l+"self_attn.v_proj", k+"attn.v", kv, h, t.AttnBias)
		p.linear(l+"self_attn.o_proj", k+"attn.o", h, q, t.AttnBias)
		if t.SandwichNorm {
			// Gemma 2: post_attention_layernorm normalises the attention
			// output; pre_feedforward_layernorm is the MLP's input norm.
			p.norm(l+"post_attention_layernorm", k+"attn_out_norm", h, false)
			p.norm(l+"pre_feedforward_layernorm", k+"mlp_norm", h, false)
			p.norm(l+"post_feedforward_layernorm", k+"mlp_out_norm", h, false)
		} else {
			p.norm(l+"post_attention_layernorm", k+"mlp_norm", h, false)
		}
		p.linear(l+"mlp.gate_proj", k+"mlp.gate", t.MLP, h, false)
		p.linear(l+"mlp.up_proj", k+"mlp.up", t.MLP, h, false)
		p.linear(l+"mlp.down_proj", k+"mlp.down", h, t.MLP, false)
	}
	p.norm(lm+"norm", "text.norm", h, false)
	if t.TieEmbeddings {
		p.opt(head, "text.lm_head.weight", t.Vocab, h)
	} else {
		p.add(head, "text.lm_head.weight", t.Vocab, h)
	}
}

func planXGenMM(p *planner, cfg *Config) {
	siglipTower(p, "vlm.vision_encoder.", cfg.Vision)
	r := cfg.Projector
	inner := r.Heads * r.HeadDim
	vt := "vlm.vision_tokenizer."
	p.add(vt+"latents", "projector.latents", r.Latents, r.InDim)
	for i := 0; i < r.Depth; i++ {
		l := fmt.Sprintf("%slayers.%d.", vt, i)
		k := fmt.Sprintf("projector.layers.%d.", i)
		p.norm(l+"0.norm_media", k+"attn.norm_media", r.InDim, true)
		p.norm(l+"0.norm_latents", k+"attn.norm_latents", r.InDim, true)
		p.linear(l+"0.to_q", k+"attn.q", inner, r.InDim, false)
		p.linear(l+"0.to_kv", k+"attn.kv", 2*inner, r.InDim, false)
		p.linear(l+"0.to_out", k+"attn.o", r.InDim, inner, false)
		// FeedForward is nn.Sequential(LayerNorm, Linear, GELU, Linear).
		p.norm(l+"1.0", k+"ff.norm", r.InDim, true)
		p.linear(l+"1.1", k+"ff.fc1", r.FFMult*r.InDim, r.InDim, false)
		p.linear(l+"1.3", k+"ff.fc2", r.InDim, r.FFMult*r.InDim, false)
	}
	p.norm(vt+"norm", "projector.norm", r.InDim, true)
	p.linear(vt+"projection", "projector.out", r.OutDim, r.InDim, true)

	t := cfg.Text
	h, q, kv := t.Hidden, t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	lm := "vlm.lang_model."
	p.add(lm+"model.embed_tokens.weight", "text.embed.weight", t.Vocab, h)
	// Embeddings for the special tokens xGen-MM adds (<image>, ...), kept
	// apart from the original vocabulary by its DecoupledEmbedding.
	p.add(lm+"model.embed_tokens.additional_embedding.weight", "text.embed_extra.weight", Any, h)
	for i := 0; i < t.Layers; i++ {
		l := fmt.Sprintf("%smodel.layers.%d.", lm, i)
		k := fmt.Sprintf("text.layers.%d.", i)
		p.norm(l+"input_layernorm", k+"attn_norm", h, false)
		p.linear(l+"self_attn.qkv_proj", k+"attn.qkv", q+2*kv, h, false)
		p.linear(l+"self_attn.o_proj", k+"attn.o", h, q, false)
		p.norm(l+"post_attention_layernorm", k+"mlp_norm", h, false)
		p.linear(l+"mlp.gate_up_proj", k+"mlp.gate_up", 2*t.MLP, h, false)
		p.linear(l+"mlp.down_proj", k+"mlp.down", h, t.MLP, false)
	}
	p.norm(lm+"model.norm", "text.norm", h, false)
	p.add(lm+"lm_head.weight", "text.lm_head.weight", t.Vocab, h)
	// DecoupledLinear always creates biases, but Phi-3's lm_head has none to
	// copy; checkpoints may or may not carry them.
	p.opt(lm+"lm_head.bias", "text.lm_head.bias", t.Vocab)
	p.add(lm+"lm_head.additional_fc.weight", "text.lm_head_extra.weight", Any, h)
	p.opt(lm+"lm_head.additional_fc.bias", "text.lm_head_extra.bias", Any)
}

func planMoondream(p *planner, cfg *Config) {
	v, t, r := cfg.Vision, cfg.Text, cfg.Projector
	h, m := v.Hidden, v.MLP
	patchIn := v.Channels * v.PatchSize * v.PatchSize
	new := cfg.Layout == LayoutMoondream2025
	// names maps the neutral part to the layout's spelling.
	type names struct{ patch, pos, block, ln1, ln2, qkv, proj, post, projFC, wte, tblock, tln, tqkv, tproj, tpost, thead string }
	n := names{
		patch: "vision_encoder.encoder.model.visual.patch_embed.linear", pos: "vision_encoder.encoder.model.visual.pos_embed",
		block: "vision_encoder.encoder.model.visual.blocks.", ln1: "norm1", ln2: "norm2", qkv: "attn.qkv", proj: "attn.proj",
		post: "vision_encoder.encoder.model.visual.norm", projFC: "vision_encoder.projection.mlp.",
		wte: "text_model.transformer.embd.wte.weight", tblock: "text_model.transformer.h.", tln: "ln",
		tqkv: "mixer.Wqkv", tproj: "mixer.out_proj", tpost: "text_model.lm_head.ln", thead: "text_model.lm_head.linear",
	}
	if new {
		n = names{
			patch: "model.vision.patch_emb", pos: "model.vision.pos_emb", block: "model.vision.blocks.", ln1: "ln1", ln2: "ln2",
			qkv: "attn.qkv", proj: "attn.proj", post: "model.vision.post_ln", projFC: "model.vision.proj_mlp.",
			wte: "model.text.wte", tblock: "model.text.blocks.", tln: "ln", tqkv: "attn.qkv", tproj: "attn.proj",
			tpost: "model.text.post_ln", thead: "model.text.lm_head",
		}
	}
	p.linear(n.patch, "vision.patch_embed", h, patchIn, true)
	p.add(n.pos, "vision.pos_embed", 1, v.Positions, h)
	for i := 0; i < v.Layers; i++ {
		l := fmt.Sprintf("%s%d.", n.block, i)
		k := fmt.Sprintf("vision.layers.%d.", i)
		p.norm(l+n.ln1, k+"norm1", h, true)
		p.linear(l+n.qkv, k+"attn.qkv", 3*h, h, true)
		p.linear(l+n.proj, k+"attn.o", h, h, true)
		p.norm(l+n.ln2, k+"norm2", h, true)
		p.linear(l+"mlp.fc1", k+"mlp.fc1", m, h, true)
		p.linear(l+"mlp.fc2", k+"mlp.fc2", h, m, true)
	}
	p.norm(n.post, "vision.post_norm", h, true)
	p.linear(n.projFC+"fc1", "projector.fc1", r.Hidden, r.InDim, true)
	p.linear(n.projFC+"fc2", "projector.fc2", r.OutDim, r.Hidden, true)

	th, q, kv := t.Hidden, t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	p.add(n.wte, "text.embed.weight", t.Vocab, th)
	for i := 0; i < t.Layers; i++ {
		l := fmt.Sprintf("%s%d.", n.tblock, i)
		k := fmt.Sprintf("text.layers.%d.", i)
		p.norm(l+n.tln, k+"norm", th, true)
		p.linear(l+n.tqkv, k+"attn.qkv", q+2*kv, th, true)
		p.linear(l+n.tproj, k+"attn.o", th, q, true)
		p.linear(l+"mlp.fc1", k+"mlp.fc1", t.MLP, th, true)
		p.linear(l+"mlp.fc2", k+"mlp.fc2", th, t.MLP, true)
	}
	p.norm(n.tpost, "text.norm", th, true)
	p.linear(n.thead, "text.lm_head", t.Vocab, th, true)
}

// ignored reports parts of a checkpoint outside the VLM path that Check
// tolerates: Moondream's region (detection/pointing) heads.
func ignored(cfg *Config, name string) bool {
	if cfg.Family != Moondream {
		return false
	}
	return strings.HasPrefix(name, "region_model.") || strings.HasPrefix(name, "model.region.")
}
