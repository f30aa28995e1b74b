package hfload

import (
	"fmt"
	"path/filepath"
	"strings"

	"vlmq/jsonfile"
)

// Layout names a weight-naming scheme; one family can have several (for
// example transformers renamed PaliGemma's prefixes in version 4.52). The
// families declare theirs.
type Layout string

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
	Family    string // the registered family's name
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
	if err := jsonfile.Decode(b, &raw, false); err != nil {
		return nil, fmt.Errorf("hfload: config: %w", err)
	}
	cfg, err := parseConfig(Object{m: raw})
	if err != nil {
		return nil, fmt.Errorf("hfload: config: %w", err)
	}
	return cfg, nil
}

func parseConfig(raw Object) (*Config, error) {
	fam, err := detect(raw)
	if err != nil {
		return nil, err
	}
	r := &Reader{}
	cfg, err := fam.Parse(r, raw)
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		return nil, err
	}
	cfg.Family = fam.Name
	if cfg.Layout == "" {
		cfg.Layout = fam.Layouts[0]
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

// SigLIPConfig reads SigLIP vision fields (transformers'
// SiglipVisionConfig names) with the given defaults.
func SigLIPConfig(g *Reader, o Object, def VisionConfig) VisionConfig {
	v := def
	v.Hidden = g.Int(o, "hidden_size", def.Hidden)
	v.MLP = g.Int(o, "intermediate_size", def.MLP)
	v.Layers = g.Int(o, "num_hidden_layers", def.Layers)
	v.Heads = g.Int(o, "num_attention_heads", def.Heads)
	v.PatchSize = g.Int(o, "patch_size", def.PatchSize)
	v.Channels = g.Int(o, "num_channels", def.Channels)
	v.NormEps = g.Float(o, "layer_norm_eps", def.NormEps)
	v.Activation = g.Str(o, "hidden_act", def.Activation)
	v.UseHead = g.Bool(o, "vision_use_head", def.UseHead)
	v.ImageSize = g.Int(o, "image_size", def.ImageSize)
	if !o.Has("image_size") && o.Has("num_image_tokens") && v.PatchSize > 0 {
		// PaliGemma configs often state only the token count; recover the
		// resolution from it rather than trusting the 224 default.
		n := g.Int(o, "num_image_tokens", 0)
		side := isqrt(n)
		if side*side != n {
			g.Keep(fmt.Errorf("%s: %d is not a square number of patches", o.Key("num_image_tokens"), n))
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

// TokenIDs reads bos_token_id, eos_token_id and pad_token_id into t,
// keeping its values where o does not state them.
func TokenIDs(g *Reader, o Object, t *TextConfig) {
	t.BOS = g.AnyInt(o, "bos_token_id", t.BOS)
	t.EOS = g.AnyInt(o, "eos_token_id", t.EOS)
	t.PAD = g.AnyInt(o, "pad_token_id", t.PAD)
}
