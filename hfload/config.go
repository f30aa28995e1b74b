package hfload

import (
	"fmt"
	"path/filepath"
	"strings"

	"vlmq/safetensors"
)

// Layout names a weight-naming scheme; one family can have several (for
// example transformers renamed PaliGemma's prefixes in version 4.52).
type Layout string

const (
	// LayoutPaliGemma: "vision_tower.vision_model.…", "multi_modal_projector.…",
	// "language_model.model.…" (checkpoints on the Hub).
	LayoutPaliGemma Layout = "paligemma"
	// LayoutPaliGemmaV5: "model.vision_tower.vision_model.…",
	// "model.language_model.…", "lm_head.weight" (transformers >= 4.52 saves).
	LayoutPaliGemmaV5 Layout = "paligemma-v5"
	// LayoutXGenMM: "vlm.vision_encoder.…", "vlm.vision_tokenizer.…",
	// "vlm.lang_model.…".
	LayoutXGenMM Layout = "xgenmm"
	// LayoutMoondream2024: "vision_encoder.encoder.model.visual.…",
	// "text_model.transformer.h.…" (architectures ["Moondream"]).
	LayoutMoondream2024 Layout = "moondream-2024"
	// LayoutMoondream2025: "model.vision.blocks.…", "model.text.blocks.…"
	// (architectures ["HfMoondream"]).
	LayoutMoondream2025 Layout = "moondream-2025"
)

// NormKind is the normalisation used by a transformer.
type NormKind string

const (
	RMSNorm   NormKind = "rms"
	LayerNorm NormKind = "layernorm"
)

// ProjectorKind is how vision features become language-model embeddings.
type ProjectorKind string

const (
	// ProjLinear: one linear layer per patch (PaliGemma).
	ProjLinear ProjectorKind = "linear"
	// ProjMLP: linear, activation, linear (Moondream).
	ProjMLP ProjectorKind = "mlp"
	// ProjPerceiver: perceiver resampler with learned latents (xGen-MM).
	ProjPerceiver ProjectorKind = "perceiver"
)

// Config is the family-neutral description of a checkpoint: everything model
// code needs to build the network and interpret the weights of Plan.
type Config struct {
	Family    Family
	Layout    Layout
	Vision    VisionConfig
	Projector ProjectorConfig
	Text      TextConfig
	// ImageTokens is the number of language-model positions one image (one
	// crop) occupies.
	ImageTokens int
	// ImageTokenID is the placeholder token id for image positions, or -1.
	ImageTokenID int
	// DType is the checkpoint's torch_dtype ("float32", "bfloat16", ...), if
	// stated.
	DType string
}

// VisionConfig describes the ViT image encoder.
type VisionConfig struct {
	ImageSize  int // square input resolution in pixels
	PatchSize  int
	Channels   int
	Hidden     int
	Layers     int
	Heads      int
	HeadDim    int // Hidden / Heads
	MLP        int // feed-forward inner size
	Positions  int // (ImageSize/PatchSize)^2 learned position embeddings
	NormEps    float64
	Activation string // HF activation name, e.g. "gelu_pytorch_tanh"
	// FusedQKV: attention uses one [3*Hidden, Hidden] qkv matrix (rows q, k,
	// v) instead of separate q/k/v projections.
	FusedQKV bool
	// PatchEmbedLinear: the patch embedding is a linear layer of shape
	// [Hidden, Channels*Patch*Patch] over patches flattened in (c, y, x)
	// order, i.e. the conv kernel [Hidden, C, P, P] reshaped.
	PatchEmbedLinear bool
	// UseHead: the SigLIP attention-pooling head is present (unused by the
	// VLMs here, which take the patch features).
	UseHead bool
}

// ProjectorConfig describes the vision-to-language connector.
type ProjectorConfig struct {
	Kind       ProjectorKind
	InDim      int // feature size entering the projector
	OutDim     int // language-model hidden size
	Hidden     int // MLP inner size (ProjMLP)
	Activation string
	// Perceiver resampler (ProjPerceiver): Latents learned queries of size
	// InDim, Depth blocks of cross-attention (Heads x HeadDim, no biases;
	// keys/values from the concatenation [media; latents]) then a LayerNorm +
	// GELU MLP of FFMult*InDim, a final LayerNorm and a linear map to OutDim.
	Latents int
	Depth   int
	Heads   int
	HeadDim int
	FFMult  int
}

// TextConfig describes the decoder-only language model.
type TextConfig struct {
	Arch    string // "gemma", "gemma2", "phi3", "phi"
	Hidden  int
	Layers  int
	Heads   int
	KVHeads int
	HeadDim int
	MLP     int
	Vocab   int
	Norm    NormKind
	NormEps float64
	// NormAddOne: RMSNorm scales by (1 + weight) as in Gemma.
	NormAddOne bool
	// EmbedScale: token embeddings are multiplied by sqrt(Hidden) (Gemma).
	EmbedScale bool
	Activation string
	// GatedMLP: down(act(gate(x)) * up(x)); otherwise fc2(act(fc1(x))).
	GatedMLP bool
	// FusedQKV / FusedGateUp: q,k,v (and gate,up) are stored as one matrix,
	// rows in that order.
	FusedQKV    bool
	FusedGateUp bool
	// ParallelBlock: x + attn(ln(x)) + mlp(ln(x)) with a single LayerNorm
	// (Phi-1.5); otherwise sequential pre-norm blocks.
	ParallelBlock bool
	// SandwichNorm: extra norms after attention and after the MLP (Gemma 2).
	SandwichNorm bool
	AttnBias     bool // q/k/v/o projections have biases
	MLPBias      bool
	LMHeadBias   bool
	// FinalNormBias: the final norm has a bias (LayerNorm models).
	FinalNormBias bool
	TieEmbeddings bool
	RopeTheta     float64
	// RotaryDim is how many leading dimensions of each head get rotary
	// embedding (HeadDim unless partial rotary, as in Phi-1.5).
	RotaryDim    int
	MaxPositions int
	// Gemma 2 extras (0 when unused).
	AttnSoftcap        float64
	FinalSoftcap       float64
	QueryPreAttnScalar float64
	SlidingWindow      int
	BOS, EOS, PAD      int // -1 when not stated
}

// ParseConfig reads dir/config.json into a family-neutral Config. The
// layout is the family's default; Check refines it from the weight names.
func ParseConfig(dir string) (*Config, error) {
	raw, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("hfload: %s: %w", filepath.Join(dir, ConfigFileName), err)
	}
	return cfg, nil
}

// ParseConfigJSON parses the content of a config.json.
func ParseConfigJSON(b []byte) (*Config, error) {
	var raw map[string]any
	if err := safetensors.DecodeJSON(b, &raw, false); err != nil {
		return nil, fmt.Errorf("hfload: config: %w", err)
	}
	cfg, err := parseConfig(obj(raw).at(""))
	if err != nil {
		return nil, fmt.Errorf("hfload: config: %w", err)
	}
	return cfg, nil
}

func parseConfig(raw objAt) (*Config, error) {
	fam, err := detect(raw)
	if err != nil {
		return nil, err
	}
	var cfg *Config
	switch fam {
	case PaliGemma:
		cfg, err = parsePaliGemma(raw)
	case XGenMM:
		cfg, err = parseXGenMM(raw)
	case Moondream:
		cfg, err = parseMoondream(raw)
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate checks the internal consistency of the dimensions (heads divide
// the hidden size, projector sizes meet, and so on).
func (c *Config) Validate() error {
	v, t, p := c.Vision, c.Text, c.Projector
	// Limits far above any released model keep a corrupt config from
	// producing a plan of billions of entries or overflowing shapes.
	const maxDim, maxLayers, maxVocab = 1 << 20, 1024, 1 << 24
	pos := func(name string, n int) error {
		if n <= 0 {
			return fmt.Errorf("%s must be positive, got %d", name, n)
		}
		limit := maxDim
		switch {
		case strings.HasSuffix(name, "layers"), strings.HasSuffix(name, "depth"):
			limit = maxLayers
		case name == "vocabulary size":
			limit = maxVocab
		}
		if n > limit {
			return fmt.Errorf("%s %d is implausibly large (limit %d)", name, n, limit)
		}
		return nil
	}
	for _, chk := range []struct {
		name string
		n    int
	}{
		{"vision image size", v.ImageSize}, {"vision patch size", v.PatchSize}, {"vision channels", v.Channels},
		{"vision hidden size", v.Hidden}, {"vision layers", v.Layers}, {"vision heads", v.Heads}, {"vision MLP size", v.MLP},
		{"text hidden size", t.Hidden}, {"text layers", t.Layers}, {"text heads", t.Heads}, {"text KV heads", t.KVHeads},
		{"text head dim", t.HeadDim}, {"text MLP size", t.MLP}, {"vocabulary size", t.Vocab},
		{"projector input size", p.InDim}, {"projector output size", p.OutDim},
	} {
		if err := pos(chk.name, chk.n); err != nil {
			return err
		}
	}
	switch {
	case v.ImageSize < v.PatchSize:
		// No multiple required: the stride-P patch conv drops the remainder
		// (SigLIP so400m runs 384 px with 14 px patches: 27x27 patches).
		return fmt.Errorf("vision image size %d is smaller than the patch size %d", v.ImageSize, v.PatchSize)
	case v.Hidden%v.Heads != 0:
		return fmt.Errorf("vision hidden size %d is not divisible by %d heads", v.Hidden, v.Heads)
	case t.Heads%t.KVHeads != 0:
		return fmt.Errorf("text heads %d are not a multiple of KV heads %d", t.Heads, t.KVHeads)
	case t.RotaryDim <= 0 || t.RotaryDim > t.HeadDim || t.RotaryDim%2 != 0:
		return fmt.Errorf("rotary dimension %d must be even and within the head dimension %d", t.RotaryDim, t.HeadDim)
	case p.OutDim != t.Hidden:
		return fmt.Errorf("projector output size %d does not match the text hidden size %d", p.OutDim, t.Hidden)
	case t.Norm != RMSNorm && t.Norm != LayerNorm:
		return fmt.Errorf("unknown text norm %q", t.Norm)
	}
	if p.Kind == ProjPerceiver {
		for _, chk := range []struct {
			name string
			n    int
		}{{"perceiver latents", p.Latents}, {"perceiver depth", p.Depth}, {"perceiver heads", p.Heads}, {"perceiver head dim", p.HeadDim}, {"perceiver ff multiplier", p.FFMult}} {
			if err := pos(chk.name, chk.n); err != nil {
				return err
			}
		}
	}
	if p.Kind == ProjMLP {
		if err := pos("projector MLP size", p.Hidden); err != nil {
			return err
		}
	}
	return nil
}

// siglip reads SigLIP vision fields (transformers' SiglipVisionConfig
// names) with the given defaults.
func siglip(g *getter, o objAt, def VisionConfig) VisionConfig {
	v := def
	v.Hidden = g.int(o, "hidden_size", def.Hidden)
	v.MLP = g.int(o, "intermediate_size", def.MLP)
	v.Layers = g.int(o, "num_hidden_layers", def.Layers)
	v.Heads = g.int(o, "num_attention_heads", def.Heads)
	v.PatchSize = g.int(o, "patch_size", def.PatchSize)
	v.Channels = g.int(o, "num_channels", def.Channels)
	v.NormEps = g.float(o, "layer_norm_eps", def.NormEps)
	v.Activation = g.str(o, "hidden_act", def.Activation)
	v.UseHead = g.bool(o, "vision_use_head", def.UseHead)
	v.ImageSize = g.int(o, "image_size", def.ImageSize)
	if !o.has("image_size") && o.has("num_image_tokens") && v.PatchSize > 0 {
		// PaliGemma configs often state only the token count; recover the
		// resolution from it rather than trusting the 224 default.
		n := g.int(o, "num_image_tokens", 0)
		side := isqrt(n)
		if side*side != n {
			g.keep(fmt.Errorf("%s: %d is not a square number of patches", o.key("num_image_tokens"), n))
		}
		v.ImageSize = side * v.PatchSize
	}
	finishVision(&v)
	return v
}

func finishVision(v *VisionConfig) {
	if v.PatchSize > 0 && v.Heads > 0 {
		side := v.ImageSize / v.PatchSize
		v.Positions = side * side
		v.HeadDim = v.Hidden / v.Heads
	}
}

func isqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

func tokenIDs(g *getter, o objAt, t *TextConfig) {
	t.BOS = g.anyInt(o, "bos_token_id", t.BOS)
	t.EOS = g.anyInt(o, "eos_token_id", t.EOS)
	t.PAD = g.anyInt(o, "pad_token_id", t.PAD)
}

func parsePaliGemma(raw objAt) (*Config, error) {
	g := &getter{}
	vo := g.sub(raw, "vision_config")
	to := g.sub(raw, "text_config")
	cfg := &Config{Family: PaliGemma, Layout: LayoutPaliGemma, ImageTokenID: -1}
	cfg.DType = g.str(raw, "torch_dtype", "")
	cfg.ImageTokenID = g.anyInt(raw, "image_token_index", 256000)
	// SiglipVisionConfig defaults as PaliGemma overrides them.
	cfg.Vision = siglip(g, vo, VisionConfig{
		ImageSize: 224, PatchSize: 14, Channels: 3, Hidden: 1152, Layers: 27, Heads: 16, MLP: 4304,
		NormEps: 1e-6, Activation: "gelu_pytorch_tanh",
	})
	arch := g.str(to, "model_type", "gemma")
	t := TextConfig{Arch: arch, Norm: RMSNorm, NormAddOne: true, EmbedScale: true, GatedMLP: true,
		TieEmbeddings: true, BOS: -1, EOS: -1, PAD: -1}
	switch arch {
	case "gemma":
		t.Hidden, t.MLP, t.Layers, t.Heads, t.KVHeads, t.Vocab = 2048, 16384, 18, 8, 1, 257216
	case "gemma2":
		t.Hidden, t.MLP, t.Layers, t.Heads, t.KVHeads, t.Vocab = 2304, 9216, 26, 8, 4, 257216
		t.SandwichNorm = true
		t.AttnSoftcap = g.disabled(to, "attn_logit_softcapping", 50)
		t.FinalSoftcap = g.disabled(to, "final_logit_softcapping", 30)
		t.QueryPreAttnScalar = g.float(to, "query_pre_attn_scalar", 256)
		t.SlidingWindow = int(g.disabled(to, "sliding_window", 4096))
	default:
		return nil, fmt.Errorf("text_config.model_type %q is not a Gemma decoder (want gemma or gemma2)", arch)
	}
	t.Hidden = g.int(to, "hidden_size", t.Hidden)
	t.MLP = g.int(to, "intermediate_size", t.MLP)
	t.Layers = g.int(to, "num_hidden_layers", t.Layers)
	t.Heads = g.int(to, "num_attention_heads", t.Heads)
	t.KVHeads = g.int(to, "num_key_value_heads", t.KVHeads)
	t.HeadDim = g.int(to, "head_dim", 256)
	t.Vocab = g.int(to, "vocab_size", g.int(raw, "vocab_size", t.Vocab))
	t.NormEps = g.float(to, "rms_norm_eps", 1e-6)
	// Gemma's activation key changed name over transformers versions.
	t.Activation = g.str(to, "hidden_activation", g.str(to, "hidden_act", "gelu_pytorch_tanh"))
	t.RopeTheta = g.float(to, "rope_theta", 10000)
	t.RotaryDim = t.HeadDim
	t.MaxPositions = g.int(to, "max_position_embeddings", 8192)
	t.AttnBias = g.bool(to, "attention_bias", false)
	t.TieEmbeddings = g.bool(to, "tie_word_embeddings", g.bool(raw, "tie_word_embeddings", true))
	tokenIDs(g, raw, &t)
	tokenIDs(g, to, &t)
	cfg.Text = t
	proj := g.int(vo, "projection_dim", g.int(raw, "projection_dim", t.Hidden))
	cfg.Projector = ProjectorConfig{Kind: ProjLinear, InDim: cfg.Vision.Hidden, OutDim: proj}
	cfg.ImageTokens = cfg.Vision.Positions
	return cfg, g.err
}

// xGen-MM v1.5 loads its vision tower from google/siglip-so400m-patch14-384
// and its decoder config from Phi-3-mini; config.json states little of it.
// Explicit SigLIP keys in vision_encoder_config override the so400m sizes
// (our extension, used for small checkpoints).
func parseXGenMM(raw objAt) (*Config, error) {
	g := &getter{}
	vo := g.sub(raw, "vision_encoder_config")
	ko := g.sub(raw, "vision_tokenizer_config")
	to := g.sub(raw, "text_config")
	cfg := &Config{Family: XGenMM, Layout: LayoutXGenMM, ImageTokenID: -1}
	cfg.DType = g.str(raw, "torch_dtype", g.str(to, "torch_dtype", ""))
	if name := g.str(vo, "model_name", "google/siglip-so400m-patch14-384"); name != "google/siglip-so400m-patch14-384" {
		return nil, fmt.Errorf("vision_encoder_config.model_name %q is not supported (only the SigLIP so400m tower of xGen-MM v1.5)", name)
	}
	cfg.Vision = siglip(g, vo, VisionConfig{
		ImageSize: 384, PatchSize: 14, Channels: 3, Hidden: 1152, Layers: 27, Heads: 16, MLP: 4304,
		NormEps: 1e-6, Activation: "gelu_pytorch_tanh", UseHead: true,
	})
	arch := g.str(to, "model_type", "phi3")
	if arch != "phi3" {
		return nil, fmt.Errorf("text_config.model_type %q is not supported (want phi3)", arch)
	}
	t := TextConfig{Arch: arch, Norm: RMSNorm, GatedMLP: true, FusedQKV: true, FusedGateUp: true, BOS: 1, EOS: 32000, PAD: 32011}
	t.Hidden = g.int(to, "hidden_size", 3072)
	t.MLP = g.int(to, "intermediate_size", 8192)
	t.Layers = g.int(to, "num_hidden_layers", 32)
	t.Heads = g.int(to, "num_attention_heads", 32)
	t.KVHeads = g.int(to, "num_key_value_heads", t.Heads)
	if t.Heads > 0 {
		t.HeadDim = t.Hidden / t.Heads
	}
	t.Vocab = g.int(to, "vocab_size", 32064)
	t.NormEps = g.float(to, "rms_norm_eps", 1e-5)
	t.Activation = g.str(to, "hidden_act", "silu")
	t.RopeTheta = g.float(to, "rope_theta", 10000)
	t.RotaryDim = int(float64(t.HeadDim) * g.float(to, "partial_rotary_factor", 1))
	t.MaxPositions = g.int(to, "max_position_embeddings", 4096)
	t.SlidingWindow = g.anyInt(to, "sliding_window", 0)
	t.TieEmbeddings = g.bool(to, "tie_word_embeddings", false)
	tokenIDs(g, to, &t)
	cfg.Text = t
	cfg.Projector = ProjectorConfig{
		Kind:       ProjPerceiver,
		InDim:      g.int(ko, "vis_feature_dim", cfg.Vision.Hidden),
		OutDim:     g.int(ko, "lang_embedding_dim", t.Hidden),
		Activation: "gelu",
		Latents:    g.int(ko, "num_vis_tokens", 128),
		// The remote code fixes these in PerceiverResampler's defaults.
		Depth:   g.int(ko, "depth", 6),
		Heads:   g.int(ko, "heads", 16),
		HeadDim: g.int(ko, "dim_head", 96),
		FFMult:  g.int(ko, "ff_mult", 4),
	}
	if cfg.Projector.InDim != cfg.Vision.Hidden {
		g.keep(fmt.Errorf("vision_tokenizer_config.vis_feature_dim %d does not match the vision hidden size %d", cfg.Projector.InDim, cfg.Vision.Hidden))
	}
	cfg.ImageTokens = cfg.Projector.Latents
	return cfg, g.err
}

// Moondream 2's remote code hard-codes the vision tower (SigLIP so400m at
// 378 px) and reads only text_config (a PhiConfig). A "vision_config" object
// with SigLIP keys plus "proj_inner_dim" may override the vision sizes (our
// extension, used for small checkpoints).
func parseMoondream(raw objAt) (*Config, error) {
	g := &getter{}
	vo := g.sub(raw, "vision_config")
	to := g.sub(raw, "text_config")
	layout := LayoutMoondream2024
	archs, err := raw.strs("architectures")
	g.keep(err)
	for _, a := range archs {
		if a == "HfMoondream" {
			layout = LayoutMoondream2025
		}
	}
	cfg := &Config{Family: Moondream, Layout: layout, ImageTokenID: -1}
	cfg.DType = g.str(raw, "torch_dtype", "")
	cfg.Vision = siglip(g, vo, VisionConfig{
		ImageSize: 378, PatchSize: 14, Channels: 3, Hidden: 1152, Layers: 27, Heads: 16, MLP: 4304,
		NormEps: 1e-5, Activation: "gelu_pytorch_tanh",
	})
	cfg.Vision.FusedQKV = true
	cfg.Vision.PatchEmbedLinear = true
	cfg.Vision.UseHead = false
	arch := g.str(to, "model_type", "phi")
	if arch != "phi" {
		return nil, fmt.Errorf("text_config.model_type %q is not supported (want phi)", arch)
	}
	t := TextConfig{Arch: arch, Norm: LayerNorm, FusedQKV: true, ParallelBlock: true,
		AttnBias: true, MLPBias: true, LMHeadBias: true, FinalNormBias: true, BOS: 50256, EOS: 50256, PAD: -1}
	t.Hidden = g.int(to, "hidden_size", g.int(to, "n_embd", 2048))
	t.Layers = g.int(to, "num_hidden_layers", g.int(to, "n_layer", 24))
	t.Heads = g.int(to, "num_attention_heads", g.int(to, "n_head", 32))
	t.KVHeads = g.int(to, "num_key_value_heads", t.Heads)
	t.MLP = g.int(to, "intermediate_size", g.int(to, "n_inner", 4*t.Hidden))
	if t.Heads > 0 {
		t.HeadDim = t.Hidden / t.Heads
	}
	t.Vocab = g.int(to, "vocab_size", 51200)
	t.NormEps = g.float(to, "layer_norm_eps", g.float(to, "layer_norm_epsilon", 1e-5))
	t.Activation = g.str(to, "hidden_act", g.str(to, "activation_function", "gelu_new"))
	t.RopeTheta = g.float(to, "rope_theta", 10000)
	t.RotaryDim = int(float64(t.HeadDim) * g.float(to, "partial_rotary_factor", 0.5))
	t.MaxPositions = g.int(to, "max_position_embeddings", g.int(to, "n_positions", 2048))
	t.TieEmbeddings = g.bool(to, "tie_word_embeddings", false)
	tokenIDs(g, to, &t)
	cfg.Text = t
	// The projector sees the global-crop features concatenated with the
	// merged local-crop features, hence twice the vision width.
	cfg.Projector = ProjectorConfig{
		Kind: ProjMLP, InDim: 2 * cfg.Vision.Hidden, OutDim: t.Hidden,
		Hidden: g.int(vo, "proj_inner_dim", 4*t.Hidden), Activation: "gelu_pytorch_tanh",
	}
	cfg.ImageTokens = cfg.Vision.Positions
	return cfg, g.err
}
