// Package hfload describes Hugging Face checkpoints of open-weight
// vision-language model families and checks a model folder (config.json
// plus safetensors weights) against the exact list of tensors its family
// needs. It has no model code (that is vlmq/hfmodel): a family-neutral
// Config, a Plan of weight names, shapes and neutral keys, and the
// registry of families.
//
// Each family lives in its own package, vlmq/hfmodel/<family>, and
// registers itself in init (Register); vlmq/hfmodel/all imports them all.
// The package gives the families the shared pieces: the typed config.json
// reader (Reader), the SigLIP vision config and tower (SigLIPConfig,
// Planner.SigLIP) and the plan builder.
package hfload

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"vlmq/jsonfile"
)

// Family is one Hugging Face VLM family as its package registers it: what
// in config.json names it, how to read config.json, which tensors its
// checkpoints hold, and the sequence layout and prompt format
// vlmq/hfmodel runs it with. Fields marked optional may be nil.
type Family struct {
	// Name is the family's short name ("paligemma"), Config.Family.
	Name string
	// ModelTypes and Architectures are the config.json model_type and
	// architectures values that name the family.
	ModelTypes, Architectures []string
	// Layouts are the family's weight namings; Parse may pick one, else
	// the first is the default (Check refines it with DetectLayout).
	Layouts []Layout
	// Parse reads config.json into a Config (the registry sets Family).
	// r collects the first bad value; c is the whole config.
	Parse func(r *Reader, c Object) (*Config, error)
	// Plan adds every tensor of cfg's layout, in a stable order.
	Plan func(p *Planner, cfg *Config)

	// DetectLayout (optional) picks the layout from the stored tensor
	// names (has reports whether any starts with a prefix), where
	// config.json cannot tell them apart; it returns cfg.Layout when the
	// names do not decide.
	DetectLayout func(cfg *Config, has func(prefix string) bool) Layout
	// StoredName (optional) maps a stored tensor name to the plan's
	// (Moondream checkpoints saved from torch.compile add "._orig_mod").
	StoredName func(name string) string
	// Ignored (optional) reports stored tensors outside the VLM path that
	// Check tolerates (Moondream's region heads).
	Ignored func(name string) bool
	// Unsupported (optional) reports what of a valid config the shared
	// forward pass of vlmq/hfmodel cannot run.
	Unsupported func(cfg *Config) error

	// ImageFirst lays the sequence out as [image; BOS; text] (PaliGemma)
	// rather than [BOS; image; text].
	ImageFirst bool
	// PrefixLM lets image, BOS and prompt attend bidirectionally (the text
	// after the prompt stays causal).
	PrefixLM bool
	// Prompt wraps an instruction in the family's prompt format; the reply
	// follows the formatted prompt directly.
	Prompt func(instruction string) string

	// Variants are the family's configs by size (at least one; the first
	// is named like the family).
	Variants []Variant
}

// Variant is one model of a family (PaliGemma with a Gemma or a Gemma 2
// decoder) as config.json files at three sizes, so that tests and
// benchmarks cover every family without naming it.
type Variant struct {
	Name string // "paligemma2"
	// FullSize is the released checkpoints' size, for benchmarks on
	// random weights (vlmq-bench --hf); sizes it leaves out come from the
	// family's defaults.
	FullSize string
	// Tiny is a few thousand parameters with odd sizes (grouped-query
	// attention, images not a multiple of the patch), for the numerical
	// tests against PyTorch.
	Tiny string
	// Trainable is small enough to train in a test but with room for
	// hftest's tokenizer and NumberLine's prompts (pad 0, EOS 1, BOS 2,
	// "vocab_size": 264, which hftest rewrites to another tokenizer's).
	Trainable string
}

var (
	mu       sync.RWMutex
	families = map[string]*Family{}
)

// Register adds a family; its package calls it from init. It panics on an
// incomplete family or one that claims another's name, model_type,
// architecture or variant name, so a mistake stops every test binary.
func Register(f Family) {
	mu.Lock()
	defer mu.Unlock()
	if err := check(f); err != nil {
		panic("hfload: Register: " + err.Error())
	}
	families[f.Name] = &f
}

func check(f Family) error {
	switch {
	case f.Name == "":
		return errors.New("family without a name")
	case f.Parse == nil || f.Plan == nil || f.Prompt == nil:
		return fmt.Errorf("family %q lacks Parse, Plan or Prompt", f.Name)
	case len(f.Layouts) == 0 || len(f.Variants) == 0 || len(f.ModelTypes)+len(f.Architectures) == 0:
		return fmt.Errorf("family %q needs a layout, a variant and a model_type or architecture", f.Name)
	case f.Variants[0].Name != f.Name:
		return fmt.Errorf("family %q: its first variant is named %q", f.Name, f.Variants[0].Name)
	}
	for _, o := range families {
		if o.Name == f.Name {
			return fmt.Errorf("family %q registered twice", f.Name)
		}
		for _, s := range f.ModelTypes {
			if slices.Contains(o.ModelTypes, s) {
				return fmt.Errorf("model_type %q of %q is %q's", s, f.Name, o.Name)
			}
		}
		for _, s := range f.Architectures {
			if slices.Contains(o.Architectures, s) {
				return fmt.Errorf("architecture %q of %q is %q's", s, f.Name, o.Name)
			}
		}
		for _, v := range f.Variants {
			for _, w := range o.Variants {
				if v.Name == w.Name {
					return fmt.Errorf("variant %q of %q is %q's", v.Name, f.Name, o.Name)
				}
			}
		}
	}
	return nil
}

// Lookup returns the registered family of that name.
func Lookup(name string) (*Family, error) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := families[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q is not registered (import vlmq/hfmodel/all)", ErrUnknownFamily, name)
	}
	return f, nil
}

// Families lists the registered families' names, sorted.
func Families() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Variants lists every family's variants: families by name, each family's
// in its own order.
func Variants() []Variant {
	var out []Variant
	for _, n := range Families() {
		f, _ := Lookup(n)
		out = append(out, f.Variants...)
	}
	return out
}

// ErrUnknownFamily is wrapped when config.json names no supported family.
var ErrUnknownFamily = errors.New("unsupported model family")

// ConfigFileName is the Hugging Face config file inside a model folder.
const ConfigFileName = "config.json"

// Detect reads dir/config.json and returns the name of the model family
// its model_type and architectures fields name.
func Detect(dir string) (string, error) {
	raw, err := readConfig(dir)
	if err != nil {
		return "", err
	}
	f, err := detect(raw)
	if err != nil {
		return "", fmt.Errorf("hfload: %s: %w", filepath.Join(dir, ConfigFileName), err)
	}
	return f.Name, nil
}

func readConfig(dir string) (Object, error) {
	path := filepath.Join(dir, ConfigFileName)
	var raw map[string]any
	if err := jsonfile.Read(path, &raw); err != nil {
		return Object{}, fmt.Errorf("hfload: reading model config: %w", err)
	}
	if raw == nil {
		return Object{}, fmt.Errorf("hfload: %s: config is null", path)
	}
	return Object{m: raw}, nil
}

// detect decides the family; model_type and architectures must not
// contradict each other.
func detect(raw Object) (*Family, error) {
	mt, err := raw.str("model_type", "")
	if err != nil {
		return nil, err
	}
	archs, err := raw.strs("architectures")
	if err != nil {
		return nil, err
	}
	mu.RLock()
	defer mu.RUnlock()
	var byType, byArch *Family
	var known []string
	for _, f := range families {
		if slices.Contains(f.ModelTypes, mt) {
			byType = f
		}
		for _, a := range archs {
			if slices.Contains(f.Architectures, a) {
				if byArch != nil && byArch != f {
					return nil, fmt.Errorf("architectures %v name two different families", archs)
				}
				byArch = f
			}
		}
		known = append(known, f.ModelTypes...)
	}
	switch {
	case byType != nil && byArch != nil && byArch != byType:
		return nil, fmt.Errorf("model_type %q (%s) contradicts architectures %v (%s)", mt, byType.Name, archs, byArch.Name)
	case byType != nil:
		return byType, nil
	case byArch != nil:
		return byArch, nil
	}
	slices.Sort(known)
	return nil, fmt.Errorf("%w: model_type %q, architectures %v (supported model_type values: %s)", ErrUnknownFamily, mt, archs, strings.Join(known, ", "))
}
