package model

import (
	"fmt"
	"math"
	"sort"
)

// Config fully describes a VLM's architecture; it is saved as config.json
// next to the weights.
type Config struct {
	Preset string `json:"preset,omitempty"`

	// Vision tower: the image is resized to ImageSize², cut into
	// PatchSize² patches, embedded and encoded bidirectionally.
	ImageSize    int `json:"image_size"`
	PatchSize    int `json:"patch_size"`
	VisionDim    int `json:"vision_dim"`
	VisionLayers int `json:"vision_layers"`
	VisionHeads  int `json:"vision_heads"`
	VisionMLP    int `json:"vision_mlp"`
	// SubtractBackground subtracts each image's background (the most
	// common value of each channel) from its pixels, so a patch carries
	// what differs from the background, not a large shared constant that
	// drowns a small glyph after the vision tower's LayerNorms.
	SubtractBackground bool `json:"subtract_background,omitempty"`

	// Decoder over [visual tokens; text tokens].
	Dim    int `json:"dim"`
	Layers int `json:"layers"`
	Heads  int `json:"heads"`
	MLP    int `json:"mlp"`
	// MaxSeq bounds visual plus text positions.
	MaxSeq int `json:"max_seq"`
	// ALiBi adds distance-proportional attention biases in the decoder
	// (on top of learned positions): without them a small model takes
	// very long to learn to read the observation at the end of a prompt.
	ALiBi bool `json:"alibi,omitempty"`
	// RopeTheta, if positive, rotates the decoder's queries and keys by
	// position (RoPE, base RopeTheta): relative positions make a head
	// that looks up a key, or reads the token before it, work the same at
	// every position, which learned positions must learn position by
	// position.
	RopeTheta float64 `json:"rope_theta,omitempty"`
	// TieEmbeddings makes the LM head the token embedding table (as GPT-2
	// and Gemma do): copying a token from the prompt then needs one map
	// for every token, not a separate read-out learned token by token.
	TieEmbeddings bool `json:"tie_word_embeddings,omitempty"`

	// Vocab is the token vocabulary size (set from the tokenizer).
	Vocab int `json:"vocab"`
}

var presets = map[string]Config{
	// tiny: for tests; trains in seconds.
	"tiny": {ImageSize: 16, PatchSize: 8, VisionDim: 32, VisionLayers: 1, VisionHeads: 2, VisionMLP: 64,
		Dim: 48, Layers: 2, Heads: 2, MLP: 128, MaxSeq: 160, ALiBi: true},
	// small: the default; a few minutes of training on 2 CPU cores.
	"small": {ImageSize: 48, PatchSize: 8, VisionDim: 96, VisionLayers: 2, VisionHeads: 4, VisionMLP: 256,
		Dim: 160, Layers: 4, Heads: 4, MLP: 512, MaxSeq: 320, ALiBi: true},
	// medium: the shipped base VLM. 96-pixel images cut into 12-pixel
	// patches keep 64 visual tokens while doubling small's resolution
	// (card ranks and BabyAI tiles are a few pixels at 48); 448 text
	// positions hold the longest MiniWoB prompt of the project's tasks.
	"medium": {ImageSize: 96, PatchSize: 12, VisionDim: 128, VisionLayers: 3, VisionHeads: 4, VisionMLP: 384,
		Dim: 192, Layers: 4, Heads: 6, MLP: 768, MaxSeq: 512, ALiBi: true},
	// base: larger, for longer runs.
	"base": {ImageSize: 64, PatchSize: 8, VisionDim: 192, VisionLayers: 4, VisionHeads: 4, VisionMLP: 512,
		Dim: 256, Layers: 6, Heads: 8, MLP: 1024, MaxSeq: 512, ALiBi: true},
}

// DefaultPreset is the preset used when none is named.
const DefaultPreset = "small"

// Presets lists the preset names.
func Presets() []string {
	var n []string
	for k := range presets {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Preset returns a named configuration (Vocab left 0: New sets it from the
// tokenizer).
func Preset(name string) (Config, error) {
	if name == "" {
		name = DefaultPreset
	}
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("model: unknown preset %q (have %v)", name, Presets())
	}
	c.Preset = name
	return c, nil
}

// Patches is the number of visual tokens.
func (c Config) Patches() int {
	n := c.ImageSize / c.PatchSize
	return n * n
}

// MaxText is the longest text (prompt plus reply) the model accepts.
func (c Config) MaxText() int { return c.MaxSeq - c.Patches() }

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	pos := c.archFields()
	pos["vocab"] = &c.Vocab
	for _, k := range []string{"image_size", "patch_size", "vision_dim", "vision_layers", "vision_heads",
		"vision_mlp", "dim", "layers", "heads", "mlp", "max_seq", "vocab"} {
		if *pos[k] <= 0 {
			return fmt.Errorf("model: config %s = %d, must be positive", k, *pos[k])
		}
	}
	switch {
	case c.ImageSize%c.PatchSize != 0:
		return fmt.Errorf("model: image_size %d not a multiple of patch_size %d", c.ImageSize, c.PatchSize)
	case c.VisionDim%c.VisionHeads != 0:
		return fmt.Errorf("model: vision_dim %d not divisible by vision_heads %d", c.VisionDim, c.VisionHeads)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("model: dim %d not divisible by heads %d", c.Dim, c.Heads)
	case c.MaxSeq <= c.Patches():
		return fmt.Errorf("model: max_seq %d leaves no room for text after %d visual tokens", c.MaxSeq, c.Patches())
	case c.ImageSize > 1024 || c.MaxSeq > 1<<16 || c.Vocab > 1<<20:
		return fmt.Errorf("model: config sizes out of range")
	case !(c.RopeTheta >= 0) || math.IsInf(c.RopeTheta, 0) || (c.RopeTheta > 0 && c.RopeTheta < 1):
		return fmt.Errorf("model: config rope_theta %v, want 0 (none) or a finite base of at least 1", c.RopeTheta)
	case c.RopeTheta > 0 && (c.Dim/c.Heads)%2 != 0:
		return fmt.Errorf("model: rope_theta needs an even head width, have %d", c.Dim/c.Heads)
	}
	// Refuse before allocating: a config with a huge width or depth would
	// otherwise end in the runtime's out-of-memory crash.
	if n := c.ParamCount(); n > MaxParams {
		return fmt.Errorf("model: config has %.3g parameters (%.1f GB in float32), more than the %d this trainer holds in memory", n, n*4/1e9, MaxParams)
	}
	return nil
}

// MaxParams bounds the parameters of a model this package builds: with its
// target copy and two AdamW moments a training run holds four float32
// copies, 16 GB at this bound, within a 24 GB machine.
const MaxParams = 1 << 30

// ParamCount is the number of scalar parameters New allocates for c, as a
// float64 so absurd configs cannot overflow.
func (c Config) ParamCount() float64 {
	f := func(x int) float64 { return float64(x) }
	layer := func(d, hidden int) float64 {
		return 4*f(d)*f(d) + 4*f(d) + 2*f(d)*f(hidden) + f(hidden) + f(d) + 4*f(d)
	}
	pp := f(c.PatchSize) * f(c.PatchSize) * 3
	n := pp*f(c.VisionDim) + f(c.VisionDim) + f(c.Patches())*f(c.VisionDim)
	n += f(c.VisionLayers)*layer(c.VisionDim, c.VisionMLP) + 2*f(c.VisionDim)
	n += f(c.VisionDim)*f(c.Dim) + f(c.Dim)
	n += f(c.Vocab)*f(c.Dim) + f(c.MaxSeq)*f(c.Dim)
	n += f(c.Layers)*layer(c.Dim, c.MLP) + 2*f(c.Dim)
	heads := 3.0 // LM head and two critic heads
	if c.TieEmbeddings {
		heads = 2 // the LM head is the embedding table
	}
	n += heads*f(c.Vocab)*f(c.Dim) + 2*f(c.Vocab)
	return n
}

// archFields maps the config.json names an architecture override may set
// (every size but vocab, which the tokenizer sets) to c's fields.
func (c *Config) archFields() map[string]*int {
	return map[string]*int{"image_size": &c.ImageSize, "patch_size": &c.PatchSize, "vision_dim": &c.VisionDim,
		"vision_layers": &c.VisionLayers, "vision_heads": &c.VisionHeads, "vision_mlp": &c.VisionMLP,
		"dim": &c.Dim, "layers": &c.Layers, "heads": &c.Heads, "mlp": &c.MLP, "max_seq": &c.MaxSeq}
}

// archSwitches maps the config.json names of the on/off architecture
// options an override may set (1 on, 0 off) to c's fields.
func (c *Config) archSwitches() map[string]*bool {
	return map[string]*bool{"alibi": &c.ALiBi, "tie_word_embeddings": &c.TieEmbeddings, "subtract_background": &c.SubtractBackground}
}

// ArchKeys lists the names Override accepts.
func ArchKeys() []string {
	var c Config
	k := []string{"rope_theta"}
	for n := range c.archFields() {
		k = append(k, n)
	}
	for n := range c.archSwitches() {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// Override returns c with the sizes and options in arch (config.json
// names) replaced, so a sweep can vary one of a preset's choices: sizes
// are positive, switches 0 or 1, rope_theta 0 (off) or a base. An unknown
// name is an error; the result is checked by Validate once the vocabulary
// is known.
func (c Config) Override(arch map[string]int) (Config, error) {
	f, sw := c.archFields(), c.archSwitches()
	for k, v := range arch {
		if b, ok := sw[k]; ok {
			if v != 0 && v != 1 {
				return Config{}, fmt.Errorf("model: architecture switch %s = %d, want 0 or 1", k, v)
			}
			*b = v == 1
			continue
		}
		if k == "rope_theta" {
			if v < 0 {
				return Config{}, fmt.Errorf("model: rope_theta = %d, want 0 (off) or a positive base", v)
			}
			c.RopeTheta = float64(v)
			continue
		}
		p, ok := f[k]
		if !ok {
			return Config{}, fmt.Errorf("model: unknown architecture size %q (have %v)", k, ArchKeys())
		}
		if v <= 0 {
			return Config{}, fmt.Errorf("model: architecture size %s = %d, must be positive", k, v)
		}
		*p = v
	}
	return c, nil
}

// PresetWith is a preset with an override applied, checked as far as it
// can be without a vocabulary.
func PresetWith(name string, arch map[string]int) (Config, error) {
	c, err := Preset(name)
	if err != nil {
		return c, err
	}
	if c, err = c.Override(arch); err != nil {
		return c, err
	}
	probe := c
	probe.Vocab = 1
	return c, probe.Validate()
}
