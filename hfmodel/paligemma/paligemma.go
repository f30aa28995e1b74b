// Package paligemma is the PaliGemma family (1 and 2) of Hugging Face
// VLMs: SigLIP vision tower, one linear projector, Gemma or Gemma 2 decoder
// (transformers' PaliGemmaForConditionalGeneration). It registers itself
// with hfload; vlmq/hfmodel/all imports it.
package paligemma

import (
	"fmt"

	"vlmq/hfload"
)

// Weight namings: transformers renamed the prefixes in version 4.52.
const (
	// Layout: "vision_tower.vision_model.…", "multi_modal_projector.…",
	// "language_model.model.…" (checkpoints on the Hub).
	Layout hfload.Layout = "paligemma"
	// LayoutV5: "model.vision_tower.vision_model.…",
	// "model.language_model.…", "lm_head.weight" (transformers >= 4.52 saves).
	LayoutV5 hfload.Layout = "paligemma-v5"
)

// PaliGemma's sequence is [image; BOS; prompt "\n"; reply] with a
// prefix-LM mask over image, BOS and prompt, as PaliGemmaProcessor builds
// it. The prompt is the instruction behind the task prefix "answer en "
// that PaliGemma's mixes were trained on for free-form answers.
func init() {
	hfload.Register(hfload.Family{
		Name:          "paligemma",
		ModelTypes:    []string{"paligemma"},
		Architectures: []string{"PaliGemmaForConditionalGeneration"},
		Layouts:       []hfload.Layout{Layout, LayoutV5},
		Parse:         parse,
		Plan:          plan,
		DetectLayout:  detectLayout,
		ImageFirst:    true,
		PrefixLM:      true,
		Prompt:        func(text string) string { return "answer en " + text + "\n" },
		Variants:      variants,
	})
}

func detectLayout(cfg *hfload.Config, has func(string) bool) hfload.Layout {
	switch {
	case has("model.vision_tower.") || has("model.language_model."):
		return LayoutV5
	case has("vision_tower.") || has("language_model."):
		return Layout
	}
	return cfg.Layout
}

func parse(g *hfload.Reader, raw hfload.Object) (*hfload.Config, error) {
	vo := g.Sub(raw, "vision_config")
	to := g.Sub(raw, "text_config")
	cfg := &hfload.Config{ImageTokenID: -1}
	cfg.DType = g.Str(raw, "torch_dtype", "")
	cfg.ImageTokenID = g.AnyInt(raw, "image_token_index", 256000)
	// SiglipVisionConfig defaults as PaliGemma overrides them.
	cfg.Vision = hfload.SigLIPConfig(g, vo, hfload.VisionConfig{
		ImageSize: 224, PatchSize: 14, Channels: 3, Hidden: 1152, Layers: 27, Heads: 16, MLP: 4304,
		NormEps: 1e-6, Activation: "gelu_pytorch_tanh",
	})
	arch := g.Str(to, "model_type", "gemma")
	t := hfload.TextConfig{Arch: arch, Norm: hfload.RMSNorm, NormAddOne: true, EmbedScale: true, GatedMLP: true,
		TieEmbeddings: true, BOS: -1, EOS: -1, PAD: -1}
	switch arch {
	case "gemma":
		t.Hidden, t.MLP, t.Layers, t.Heads, t.KVHeads, t.Vocab = 2048, 16384, 18, 8, 1, 257216
	case "gemma2":
		t.Hidden, t.MLP, t.Layers, t.Heads, t.KVHeads, t.Vocab = 2304, 9216, 26, 8, 4, 257216
		t.SandwichNorm = true
		t.AttnSoftcap = g.Disabled(to, "attn_logit_softcapping", 50)
		t.FinalSoftcap = g.Disabled(to, "final_logit_softcapping", 30)
		t.QueryPreAttnScalar = g.Float(to, "query_pre_attn_scalar", 256)
		t.SlidingWindow = int(g.Disabled(to, "sliding_window", 4096))
	default:
		return nil, fmt.Errorf("text_config.model_type %q is not a Gemma decoder (want gemma or gemma2)", arch)
	}
	t.Hidden = g.Int(to, "hidden_size", t.Hidden)
	t.MLP = g.Int(to, "intermediate_size", t.MLP)
	t.Layers = g.Int(to, "num_hidden_layers", t.Layers)
	t.Heads = g.Int(to, "num_attention_heads", t.Heads)
	t.KVHeads = g.Int(to, "num_key_value_heads", t.KVHeads)
	t.HeadDim = g.Int(to, "head_dim", 256)
	t.Vocab = g.Int(to, "vocab_size", g.Int(raw, "vocab_size", t.Vocab))
	t.NormEps = g.Float(to, "rms_norm_eps", 1e-6)
	// Gemma's activation key changed name over transformers versions.
	t.Activation = g.Str(to, "hidden_activation", g.Str(to, "hidden_act", "gelu_pytorch_tanh"))
	t.RopeTheta = g.Float(to, "rope_theta", 10000)
	t.RotaryDim = t.HeadDim
	t.MaxPositions = g.Int(to, "max_position_embeddings", 8192)
	t.AttnBias = g.Bool(to, "attention_bias", false)
	t.TieEmbeddings = g.Bool(to, "tie_word_embeddings", g.Bool(raw, "tie_word_embeddings", true))
	hfload.TokenIDs(g, raw, &t)
	hfload.TokenIDs(g, to, &t)
	cfg.Text = t
	proj := g.Int(vo, "projection_dim", g.Int(raw, "projection_dim", t.Hidden))
	cfg.Projector = hfload.ProjectorConfig{Kind: hfload.ProjLinear, InDim: cfg.Vision.Hidden, OutDim: proj}
	cfg.ImageTokens = cfg.Vision.Positions
	return cfg, nil
}

func plan(p *hfload.Planner, cfg *hfload.Config) {
	vt, proj, lm, head := "vision_tower.vision_model.", "multi_modal_projector.", "language_model.model.", "language_model.lm_head.weight"
	if cfg.Layout == LayoutV5 {
		vt, proj, lm, head = "model.vision_tower.vision_model.", "model.multi_modal_projector.", "model.language_model.", "lm_head.weight"
	}
	p.SigLIP(vt, cfg.Vision)
	p.Linear(proj+"linear", "projector.linear", cfg.Projector.OutDim, cfg.Projector.InDim, true)
	t := cfg.Text
	h, q, kv := t.Hidden, t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	p.Add(lm+"embed_tokens.weight", "text.embed.weight", t.Vocab, h)
	for i := 0; i < t.Layers; i++ {
		l := fmt.Sprintf("%slayers.%d.", lm, i)
		k := fmt.Sprintf("text.layers.%d.", i)
		p.Norm(l+"input_layernorm", k+"attn_norm", h, false)
		p.Linear(l+"self_attn.q_proj", k+"attn.q", q, h, t.AttnBias)
		p.Linear(l+"self_attn.k_proj", k+"attn.k", kv, h, t.AttnBias)
		p.Linear(l+"self_attn.v_proj", k+"attn.v", kv, h, t.AttnBias)
		p.Linear(l+"self_attn.o_proj", k+"attn.o", h, q, t.AttnBias)
		if t.SandwichNorm {
			// Gemma 2: post_attention_layernorm normalises the attention
			// output; pre_feedforward_layernorm is the MLP's input norm.
			p.Norm(l+"post_attention_layernorm", k+"attn_out_norm", h, false)
			p.Norm(l+"pre_feedforward_layernorm", k+"mlp_norm", h, false)
			p.Norm(l+"post_feedforward_layernorm", k+"mlp_out_norm", h, false)
		} else {
			p.Norm(l+"post_attention_layernorm", k+"mlp_norm", h, false)
		}
		p.Linear(l+"mlp.gate_proj", k+"mlp.gate", t.MLP, h, false)
		p.Linear(l+"mlp.up_proj", k+"mlp.up", t.MLP, h, false)
		p.Linear(l+"mlp.down_proj", k+"mlp.down", h, t.MLP, false)
	}
	p.Norm(lm+"norm", "text.norm", h, false)
	if t.TieEmbeddings {
		p.Opt(head, "text.lm_head.weight", t.Vocab, h)
	} else {
		p.Add(head, "text.lm_head.weight", t.Vocab, h)
	}
}
