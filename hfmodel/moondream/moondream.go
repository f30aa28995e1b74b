// Package moondream is Moondream 2 of Hugging Face VLMs: SigLIP-style ViT
// with fused qkv, two-layer MLP projector, Phi-1.5 decoder
// (vikhyatk/moondream2 remote code). Both the 2024 and the 2025 weight
// naming are recognised; the 2025 layout is refused by vlmq/hfmodel. It
// registers itself with hfload; vlmq/hfmodel/all imports it.
package moondream

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"vlmq/hfload"
)

// Weight namings.
const (
	// Layout2024: "vision_encoder.encoder.model.visual.…",
	// "text_model.transformer.h.…" (architectures ["Moondream"]).
	Layout2024 hfload.Layout = "moondream-2024"
	// Layout2025: "model.vision.blocks.…", "model.text.blocks.…"
	// (architectures ["HfMoondream"]).
	Layout2025 hfload.Layout = "moondream-2025"
)

// Moondream 2 (2024 revisions): [BOS; image; text], causal, with the
// "Question: ... Answer:" format of its answer_question.
func init() {
	hfload.Register(hfload.Family{
		Name:          "moondream2",
		ModelTypes:    []string{"moondream1", "moondream2"},
		Architectures: []string{"Moondream", "HfMoondream"},
		Layouts:       []hfload.Layout{Layout2024, Layout2025},
		Parse:         parse,
		Plan:          plan,
		DetectLayout:  detectLayout,
		// Checkpoints saved from torch.compile name tensors "._orig_mod".
		StoredName: func(name string) string { return strings.ReplaceAll(name, "._orig_mod", "") },
		// The region (detection/pointing) heads are outside the VLM path.
		Ignored: func(name string) bool {
			return strings.HasPrefix(name, "region_model.") || strings.HasPrefix(name, "model.region.")
		},
		Unsupported: func(cfg *hfload.Config) error {
			if cfg.Layout == Layout2025 {
				return errors.New("the 2025 Moondream layout (bidirectional BOS+image prefix, new crops) is not supported; use a 2024 revision")
			}
			return nil
		},
		Prompt: func(text string) string { return "\n\nQuestion: " + text + "\n\nAnswer:" },
		Variants: []hfload.Variant{{
			Name: "moondream2",
			// The 2024 layout: SigLIP so400m at 378 px, 729 image tokens,
			// Phi-1.5.
			FullSize: `{"model_type": "moondream1", "architectures": ["Moondream"], "torch_dtype": "bfloat16",
  "text_config": {"model_type": "phi"}}`,
			Tiny: `{"model_type": "moondream1", "architectures": ["Moondream"],
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "patch_size": 4, "image_size": 16, "proj_inner_dim": 40},
  "text_config": {"model_type": "phi", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "vocab_size": 45, "partial_rotary_factor": 0.5, "bos_token_id": 3,
    "eos_token_id": 4, "max_position_embeddings": 64}}`,
			Trainable: `{"model_type": "moondream1", "architectures": ["Moondream"],
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
    "patch_size": 8, "image_size": 32, "proj_inner_dim": 32},
  "text_config": {"model_type": "phi", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "vocab_size": 264, "partial_rotary_factor": 0.5, "bos_token_id": 2,
    "eos_token_id": 1, "max_position_embeddings": 512}}`,
		}},
	})
}

func detectLayout(cfg *hfload.Config, has func(string) bool) hfload.Layout {
	switch {
	case has("model.vision.") || has("model.text."):
		return Layout2025
	case has("vision_encoder.") || has("text_model."):
		return Layout2024
	}
	return cfg.Layout
}

// Moondream 2's remote code hard-codes the vision tower (SigLIP so400m at
// 378 px) and reads only text_config (a PhiConfig). A "vision_config" object
// with SigLIP keys plus "proj_inner_dim" may override the vision sizes (our
// extension, used for small checkpoints).
func parse(g *hfload.Reader, raw hfload.Object) (*hfload.Config, error) {
	vo := g.Sub(raw, "vision_config")
	to := g.Sub(raw, "text_config")
	layout := Layout2024
	if slices.Contains(g.Strs(raw, "architectures"), "HfMoondream") {
		layout = Layout2025
	}
	cfg := &hfload.Config{Layout: layout, ImageTokenID: -1}
	cfg.DType = g.Str(raw, "torch_dtype", "")
	cfg.Vision = hfload.SigLIPConfig(g, vo, hfload.VisionConfig{
		ImageSize: 378, PatchSize: 14, Channels: 3, Hidden: 1152, Layers: 27, Heads: 16, MLP: 4304,
		NormEps: 1e-5, Activation: "gelu_pytorch_tanh",
	})
	cfg.Vision.FusedQKV = true
	cfg.Vision.PatchEmbedLinear = true
	cfg.Vision.UseHead = false
	arch := g.Str(to, "model_type", "phi")
	if arch != "phi" {
		return nil, fmt.Errorf("text_config.model_type %q is not supported (want phi)", arch)
	}
	t := hfload.TextConfig{Arch: arch, Norm: hfload.LayerNorm, FusedQKV: true, ParallelBlock: true,
		AttnBias: true, MLPBias: true, LMHeadBias: true, FinalNormBias: true, BOS: 50256, EOS: 50256, PAD: -1}
	t.Hidden = g.Int(to, "hidden_size", g.Int(to, "n_embd", 2048))
	t.Layers = g.Int(to, "num_hidden_layers", g.Int(to, "n_layer", 24))
	t.Heads = g.Int(to, "num_attention_heads", g.Int(to, "n_head", 32))
	t.KVHeads = g.Int(to, "num_key_value_heads", t.Heads)
	t.MLP = g.Int(to, "intermediate_size", g.Int(to, "n_inner", 4*t.Hidden))
	if t.Heads > 0 {
		t.HeadDim = t.Hidden / t.Heads
	}
	t.Vocab = g.Int(to, "vocab_size", 51200)
	t.NormEps = g.Float(to, "layer_norm_eps", g.Float(to, "layer_norm_epsilon", 1e-5))
	t.Activation = g.Str(to, "hidden_act", g.Str(to, "activation_function", "gelu_new"))
	t.RopeTheta = g.Float(to, "rope_theta", 10000)
	t.RotaryDim = int(float64(t.HeadDim) * g.Float(to, "partial_rotary_factor", 0.5))
	t.MaxPositions = g.Int(to, "max_position_embeddings", g.Int(to, "n_positions", 2048))
	t.TieEmbeddings = g.Bool(to, "tie_word_embeddings", false)
	hfload.TokenIDs(g, to, &t)
	cfg.Text = t
	// The projector sees the global-crop features concatenated with the
	// merged local-crop features, hence twice the vision width.
	cfg.Projector = hfload.ProjectorConfig{
		Kind: hfload.ProjMLP, InDim: 2 * cfg.Vision.Hidden, OutDim: t.Hidden,
		Hidden: g.Int(vo, "proj_inner_dim", 4*t.Hidden), Activation: "gelu_pytorch_tanh",
	}
	cfg.ImageTokens = cfg.Vision.Positions
	return cfg, nil
}

func plan(p *hfload.Planner, cfg *hfload.Config) {
	v, t, r := cfg.Vision, cfg.Text, cfg.Projector
	h, m := v.Hidden, v.MLP
	patchIn := v.Channels * v.PatchSize * v.PatchSize
	new := cfg.Layout == Layout2025
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
	p.Linear(n.patch, "vision.patch_embed", h, patchIn, true)
	p.Add(n.pos, "vision.pos_embed", 1, v.Positions, h)
	for i := 0; i < v.Layers; i++ {
		l := fmt.Sprintf("%s%d.", n.block, i)
		k := fmt.Sprintf("vision.layers.%d.", i)
		p.Norm(l+n.ln1, k+"norm1", h, true)
		p.Linear(l+n.qkv, k+"attn.qkv", 3*h, h, true)
		p.Linear(l+n.proj, k+"attn.o", h, h, true)
		p.Norm(l+n.ln2, k+"norm2", h, true)
		p.Linear(l+"mlp.fc1", k+"mlp.fc1", m, h, true)
		p.Linear(l+"mlp.fc2", k+"mlp.fc2", h, m, true)
	}
	p.Norm(n.post, "vision.post_norm", h, true)
	p.Linear(n.projFC+"fc1", "projector.fc1", r.Hidden, r.InDim, true)
	p.Linear(n.projFC+"fc2", "projector.fc2", r.OutDim, r.Hidden, true)

	th, q, kv := t.Hidden, t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	p.Add(n.wte, "text.embed.weight", t.Vocab, th)
	for i := 0; i < t.Layers; i++ {
		l := fmt.Sprintf("%s%d.", n.tblock, i)
		k := fmt.Sprintf("text.layers.%d.", i)
		p.Norm(l+n.tln, k+"norm", th, true)
		p.Linear(l+n.tqkv, k+"attn.qkv", q+2*kv, th, true)
		p.Linear(l+n.tproj, k+"attn.o", th, q, true)
		p.Linear(l+"mlp.fc1", k+"mlp.fc1", t.MLP, th, true)
		p.Linear(l+"mlp.fc2", k+"mlp.fc2", th, t.MLP, true)
	}
	p.Norm(n.tpost, "text.norm", th, true)
	p.Linear(n.thead, "text.lm_head", t.Vocab, th, true)
}
