package hfload

import (
	"fmt"
	"slices"
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

// Plan lists every tensor the checkpoint of cfg contains, in a stable
// order, as cfg's family plans it for cfg's layout.
func Plan(cfg *Config) ([]WeightSpec, error) {
	if cfg == nil {
		return nil, fmt.Errorf("hfload: Plan: nil config")
	}
	fam, err := Lookup(cfg.Family)
	if err != nil {
		return nil, fmt.Errorf("hfload: Plan: %w", err)
	}
	if !slices.Contains(fam.Layouts, cfg.Layout) {
		return nil, fmt.Errorf("hfload: Plan: layout %q does not belong to family %q", cfg.Layout, cfg.Family)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hfload: Plan: %w", err)
	}
	p := &Planner{}
	fam.Plan(p, cfg)
	return p.specs, nil
}

// Planner collects a family's WeightSpecs: each call adds the tensor(s)
// under the checkpoint name and the neutral key.
type Planner struct {
	specs []WeightSpec
}

// Add adds a required tensor.
func (p *Planner) Add(name, key string, shape ...int) {
	p.specs = append(p.specs, WeightSpec{Name: name, Key: key, Shape: shape})
}

// Opt adds a tensor that may be absent.
func (p *Planner) Opt(name, key string, shape ...int) {
	p.specs = append(p.specs, WeightSpec{Name: name, Key: key, Shape: shape, Optional: true})
}

// Linear adds weight [out, in] and, if bias, bias [out].
func (p *Planner) Linear(name, key string, out, in int, bias bool) {
	p.Add(name+".weight", key+".weight", out, in)
	if bias {
		p.Add(name+".bias", key+".bias", out)
	}
}

// Norm adds a norm's gain [dim] and, if bias, its bias.
func (p *Planner) Norm(name, key string, dim int, bias bool) {
	p.Add(name+".weight", key+".weight", dim)
	if bias {
		p.Add(name+".bias", key+".bias", dim)
	}
}

// SigLIP adds transformers' SiglipVisionTransformer weights under prefix
// (ending in "."). The attention-pooling head is optional: the VLMs use
// patch features and some checkpoints drop it.
func (p *Planner) SigLIP(prefix string, v VisionConfig) {
	h, m := v.Hidden, v.MLP
	p.Add(prefix+"embeddings.patch_embedding.weight", "vision.patch_embed.weight", h, v.Channels, v.PatchSize, v.PatchSize)
	p.Add(prefix+"embeddings.patch_embedding.bias", "vision.patch_embed.bias", h)
	p.Add(prefix+"embeddings.position_embedding.weight", "vision.pos_embed", v.Positions, h)
	for i := 0; i < v.Layers; i++ {
		l := fmt.Sprintf("%sencoder.layers.%d.", prefix, i)
		k := fmt.Sprintf("vision.layers.%d.", i)
		p.Norm(l+"layer_norm1", k+"norm1", h, true)
		for _, qkv := range []string{"q", "k", "v"} {
			p.Linear(l+"self_attn."+qkv+"_proj", k+"attn."+qkv, h, h, true)
		}
		p.Linear(l+"self_attn.out_proj", k+"attn.o", h, h, true)
		p.Norm(l+"layer_norm2", k+"norm2", h, true)
		p.Linear(l+"mlp.fc1", k+"mlp.fc1", m, h, true)
		p.Linear(l+"mlp.fc2", k+"mlp.fc2", h, m, true)
	}
	p.Norm(prefix+"post_layernorm", "vision.post_norm", h, true)
	if v.UseHead {
		hp := prefix + "head."
		p.Opt(hp+"probe", "vision.head.probe", 1, 1, h)
		p.Opt(hp+"attention.in_proj_weight", "vision.head.attn.in_proj.weight", 3*h, h)
		p.Opt(hp+"attention.in_proj_bias", "vision.head.attn.in_proj.bias", 3*h)
		p.Opt(hp+"attention.out_proj.weight", "vision.head.attn.o.weight", h, h)
		p.Opt(hp+"attention.out_proj.bias", "vision.head.attn.o.bias", h)
		p.Opt(hp+"layernorm.weight", "vision.head.norm.weight", h)
		p.Opt(hp+"layernorm.bias", "vision.head.norm.bias", h)
		p.Opt(hp+"mlp.fc1.weight", "vision.head.mlp.fc1.weight", m, h)
		p.Opt(hp+"mlp.fc1.bias", "vision.head.mlp.fc1.bias", m)
		p.Opt(hp+"mlp.fc2.weight", "vision.head.mlp.fc2.weight", h, m)
		p.Opt(hp+"mlp.fc2.bias", "vision.head.mlp.fc2.bias", h)
	}
}
