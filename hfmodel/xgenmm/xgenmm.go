// Package xgenmm is the xGen-MM family (BLIP-3, v1.5) of Hugging Face
// VLMs: SigLIP so400m vision tower, perceiver resampler, Phi-3 decoder
// (Salesforce's remote code). It registers itself with hfload;
// vlmq/hfmodel/all imports it.
package xgenmm

import (
	"fmt"

	"vlmq/hfload"
)

// Layout is xGen-MM's weight naming: "vlm.vision_encoder.…",
// "vlm.vision_tokenizer.…", "vlm.lang_model.…".
const Layout hfload.Layout = "xgenmm"

// xGen-MM's sequence is [BOS; image; text], causal, with Phi-3's chat
// template around the instruction. The image sits before the template
// here rather than at its <image> placeholder (see vlmq/hfmodel's package
// comment).
func init() {
	hfload.Register(hfload.Family{
		Name:          "xgenmm",
		ModelTypes:    []string{"xgenmm", "blip_3"}, // blip_3: xGen-MM v1 naming
		Architectures: []string{"XGenMMModelForConditionalGeneration", "Blip3ModelForConditionalGeneration"},
		Layouts:       []hfload.Layout{Layout},
		Parse:         parse,
		Plan:          plan,
		Prompt:        func(text string) string { return "<|user|>\n" + text + "<|end|>\n<|assistant|>\n" },
		Variants: []hfload.Variant{{
			Name: "xgenmm",
			// SigLIP so400m at 384 px, 128 perceiver latents, Phi-3 mini.
			FullSize: `{"model_type": "xgenmm", "architectures": ["XGenMMModelForConditionalGeneration"],
  "torch_dtype": "bfloat16", "vision_encoder_config": {}, "vision_tokenizer_config": {},
  "text_config": {"model_type": "phi3"}}`,
			Tiny: `{"model_type": "xgenmm", "architectures": ["XGenMMModelForConditionalGeneration"],
  "vision_encoder_config": {"model_name": "google/siglip-so400m-patch14-384", "hidden_size": 16,
    "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "patch_size": 4, "image_size": 18},
  "vision_tokenizer_config": {"vis_feature_dim": 16, "lang_embedding_dim": 32, "num_vis_tokens": 6, "depth": 2,
    "heads": 2, "dim_head": 8, "ff_mult": 2},
  "text_config": {"model_type": "phi3", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40, "bos_token_id": 1, "eos_token_id": 2,
    "pad_token_id": 0, "max_position_embeddings": 64}}`,
			Trainable: `{"model_type": "xgenmm", "architectures": ["XGenMMModelForConditionalGeneration"],
  "vision_encoder_config": {"model_name": "google/siglip-so400m-patch14-384", "hidden_size": 16,
    "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "patch_size": 8, "image_size": 32},
  "vision_tokenizer_config": {"vis_feature_dim": 16, "lang_embedding_dim": 32, "num_vis_tokens": 8, "depth": 1,
    "heads": 2, "dim_head": 8, "ff_mult": 2},
  "text_config": {"model_type": "phi3", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 264, "bos_token_id": 2, "eos_token_id": 1,
    "pad_token_id": 0, "max_position_embeddings": 512}}`,
		}},
	})
}

// xGen-MM v1.5 loads its vision tower from google/siglip-so400m-patch14-384
// and its decoder config from Phi-3-mini; config.json states little of it.
// Explicit SigLIP keys in vision_encoder_config override the so400m sizes
// (our extension, used for small checkpoints).
func parse(g *hfload.Reader, raw hfload.Object) (*hfload.Config, error) {
	vo := g.Sub(raw, "vision_encoder_config")
	ko := g.Sub(raw, "vision_tokenizer_config")
	to := g.Sub(raw, "text_config")
	cfg := &hfload.Config{ImageTokenID: -1}
	cfg.DType = g.Str(raw, "torch_dtype", g.Str(to, "torch_dtype", ""))
	if name := g.Str(vo, "model_name", "google/siglip-so400m-patch14-384"); name != "google/siglip-so400m-patch14-384" {
		return nil, fmt.Errorf("vision_encoder_config.model_name %q is not supported (only the SigLIP so400m tower of xGen-MM v1.5)", name)
	}
	cfg.Vision = hfload.SigLIPConfig(g, vo, hfload.VisionConfig{
		ImageSize: 384, PatchSize: 14, Channels: 3, Hidden: 1152, Layers: 27, Heads: 16, MLP: 4304,
		NormEps: 1e-6, Activation: "gelu_pytorch_tanh", UseHead: true,
	})
	arch := g.Str(to, "model_type", "phi3")
	if arch != "phi3" {
		return nil, fmt.Errorf("text_config.model_type %q is not supported (want phi3)", arch)
	}
	t := hfload.TextConfig{Arch: arch, Norm: hfload.RMSNorm, GatedMLP: true, FusedQKV: true, FusedGateUp: true, BOS: 1, EOS: 32000, PAD: 32011}
	t.Hidden = g.Int(to, "hidden_size", 3072)
	t.MLP = g.Int(to, "intermediate_size", 8192)
	t.Layers = g.Int(to, "num_hidden_layers", 32)
	t.Heads = g.Int(to, "num_attention_heads", 32)
	t.KVHeads = g.Int(to, "num_key_value_heads", t.Heads)
	if t.Heads > 0 {
		t.HeadDim = t.Hidden / t.Heads
	}
	t.Vocab = g.Int(to, "vocab_size", 32064)
	t.NormEps = g.Float(to, "rms_norm_eps", 1e-5)
	t.Activation = g.Str(to, "hidden_act", "silu")
	t.RopeTheta = g.Float(to, "rope_theta", 10000)
	t.RotaryDim = int(float64(t.HeadDim) * g.Float(to, "partial_rotary_factor", 1))
	t.MaxPositions = g.Int(to, "max_position_embeddings", 4096)
	t.SlidingWindow = g.AnyInt(to, "sliding_window", 0)
	t.TieEmbeddings = g.Bool(to, "tie_word_embeddings", false)
	hfload.TokenIDs(g, to, &t)
	cfg.Text = t
	cfg.Projector = hfload.ProjectorConfig{
		Kind:       hfload.ProjPerceiver,
		InDim:      g.Int(ko, "vis_feature_dim", cfg.Vision.Hidden),
		OutDim:     g.Int(ko, "lang_embedding_dim", t.Hidden),
		Activation: "gelu",
		Latents:    g.Int(ko, "num_vis_tokens", 128),
		// The remote code fixes these in PerceiverResampler's defaults.
		Depth:   g.Int(ko, "depth", 6),
		Heads:   g.Int(ko, "heads", 16),
		HeadDim: g.Int(ko, "dim_head", 96),
		FFMult:  g.Int(ko, "ff_mult", 4),
	}
	if cfg.Projector.InDim != cfg.Vision.Hidden {
		g.Keep(fmt.Errorf("vision_tokenizer_config.vis_feature_dim %d does not match the vision hidden size %d", cfg.Projector.InDim, cfg.Vision.Hidden))
	}
	cfg.ImageTokens = cfg.Projector.Latents
	return cfg, nil
}

func plan(p *hfload.Planner, cfg *hfload.Config) {
	p.SigLIP("vlm.vision_encoder.", cfg.Vision)
	r := cfg.Projector
	inner := r.Heads * r.HeadDim
	vt := "vlm.vision_tokenizer."
	p.Add(vt+"latents", "projector.latents", r.Latents, r.InDim)
	for i := 0; i < r.Depth; i++ {
		l := fmt.Sprintf("%slayers.%d.", vt, i)
		k := fmt.Sprintf("projector.layers.%d.", i)
		p.Norm(l+"0.norm_media", k+"attn.norm_media", r.InDim, true)
		p.Norm(l+"0.norm_latents", k+"attn.norm_latents", r.InDim, true)
		p.Linear(l+"0.to_q", k+"attn.q", inner, r.InDim, false)
		p.Linear(l+"0.to_kv", k+"attn.kv", 2*inner, r.InDim, false)
		p.Linear(l+"0.to_out", k+"attn.o", r.InDim, inner, false)
		// FeedForward is nn.Sequential(LayerNorm, Linear, GELU, Linear).
		p.Norm(l+"1.0", k+"ff.norm", r.InDim, true)
		p.Linear(l+"1.1", k+"ff.fc1", r.FFMult*r.InDim, r.InDim, false)
		p.Linear(l+"1.3", k+"ff.fc2", r.InDim, r.FFMult*r.InDim, false)
	}
	p.Norm(vt+"norm", "projector.norm", r.InDim, true)
	p.Linear(vt+"projection", "projector.out", r.OutDim, r.InDim, true)

	t := cfg.Text
	h, q, kv := t.Hidden, t.Heads*t.HeadDim, t.KVHeads*t.HeadDim
	lm := "vlm.lang_model."
	p.Add(lm+"model.embed_tokens.weight", "text.embed.weight", t.Vocab, h)
	// Embeddings for the special tokens xGen-MM adds (<image>, ...), kept
	// apart from the original vocabulary by its DecoupledEmbedding.
	p.Add(lm+"model.embed_tokens.additional_embedding.weight", "text.embed_extra.weight", hfload.Any, h)
	for i := 0; i < t.Layers; i++ {
		l := fmt.Sprintf("%smodel.layers.%d.", lm, i)
		k := fmt.Sprintf("text.layers.%d.", i)
		p.Norm(l+"input_layernorm", k+"attn_norm", h, false)
		p.Linear(l+"self_attn.qkv_proj", k+"attn.qkv", q+2*kv, h, false)
		p.Linear(l+"self_attn.o_proj", k+"attn.o", h, q, false)
		p.Norm(l+"post_attention_layernorm", k+"mlp_norm", h, false)
		p.Linear(l+"mlp.gate_up_proj", k+"mlp.gate_up", 2*t.MLP, h, false)
		p.Linear(l+"mlp.down_proj", k+"mlp.down", h, t.MLP, false)
	}
	p.Norm(lm+"model.norm", "text.norm", h, false)
	p.Add(lm+"lm_head.weight", "text.lm_head.weight", t.Vocab, h)
	// DecoupledLinear always creates biases, but Phi-3's lm_head has none to
	// copy; checkpoints may or may not carry them.
	p.Opt(lm+"lm_head.bias", "text.lm_head.bias", t.Vocab)
	p.Add(lm+"lm_head.additional_fc.weight", "text.lm_head_extra.weight", hfload.Any, h)
	p.Opt(lm+"lm_head.additional_fc.bias", "text.lm_head_extra.bias", hfload.Any)
}
