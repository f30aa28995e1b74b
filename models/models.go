// Package models resolves --base: the base VLM the project ships (the
// folder models/vlmq-base, Hugging Face layout: config.json,
// model.safetensors, tokenizer.json and a model card, embedded in every
// binary so that the commands start from it without a download or a
// path), a model folder of any registered format (the small VLM's or a
// Hugging Face family's, told apart by config.json), or "hf:org/name" in
// the local Hugging Face cache. It imports the concrete models, so that
// the packages which train and run them need only vlmq/vlm.
package models

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"

	_ "vlmq/hfmodel"     // registers Hugging Face folders with vlm.Load
	_ "vlmq/hfmodel/all" // and every Hugging Face family they may hold
	"vlmq/model"
	"vlmq/tokenizer"
	"vlmq/vlm"
)

// DefaultName is the shipped base model, also its folder in this package.
const DefaultName = "vlmq-base"

//go:embed vlmq-base/config.json vlmq-base/model.safetensors vlmq-base/tokenizer.json vlmq-base/README.md
var files embed.FS

// Default loads the shipped base model; its weights are checked against
// the SHA-256 in its model card.
func Default() (*model.VLM, error) {
	sub, err := fs.Sub(files, DefaultName)
	if err != nil {
		return nil, err
	}
	return model.LoadFS(sub, "embedded "+DefaultName)
}

// Card is the shipped model's card (README.md).
func Card() string {
	b, _ := files.ReadFile(DefaultName + "/" + model.CardFile)
	return string(b)
}

// Load resolves a --base value: "" or DefaultName is the shipped model,
// "hf:org/name[@revision]" a snapshot in the local Hugging Face cache
// (HFCachePath), anything else a model folder on disk (vlm.Load).
func Load(base string) (vlm.Model, error) {
	if base == "" || base == DefaultName {
		m, err := Default()
		if err != nil {
			return nil, fmt.Errorf("models: the shipped base model: %w", err)
		}
		return m, nil
	}
	if ref, ok := strings.CutPrefix(base, HFPrefix); ok {
		dir, err := HFCachePath(ref)
		if err != nil {
			return nil, err
		}
		base = dir
	}
	return vlm.Load(base)
}

// NewSmall builds a fresh, randomly initialised small VLM of a preset, with
// arch overriding its sizes (nil: none), for the tokenizer (the base that
// pretraining starts from).
func NewSmall(preset string, arch map[string]int, tok *tokenizer.Tokenizer, seed int64) (vlm.Model, error) {
	cfg, err := model.PresetWith(preset, arch)
	if err != nil {
		return nil, err
	}
	return model.New(cfg, tok, seed)
}

// Regrow changes a small VLM's architecture by the overrides in arch
// (config.json names): parameters whose name and size are unchanged keep
// their weights, the others start fresh (seeded by seed) and are listed.
func Regrow(m vlm.Model, arch map[string]int, seed int64) (vlm.Model, []string, error) {
	s, ok := m.(*model.VLM)
	if !ok {
		return nil, nil, fmt.Errorf("models: only the project's small VLM can change its architecture, not a %T", m)
	}
	cfg, err := s.Cfg.Override(arch)
	if err != nil {
		return nil, nil, err
	}
	out, fresh, err := s.Regrow(cfg, seed)
	if err != nil {
		return nil, nil, err
	}
	return out, fresh, nil
}

// PresetImageSize is the image side of a small-VLM preset with arch
// applied (an error names the presets when there is no such preset, and
// says what is wrong with an override).
func PresetImageSize(preset string, arch map[string]int) (int, error) {
	cfg, err := model.PresetWith(preset, arch)
	return cfg.ImageSize, err
}

// PresetLayers is the number of decoder layers of a small-VLM preset
// with arch applied.
func PresetLayers(preset string, arch map[string]int) (int, error) {
	cfg, err := model.PresetWith(preset, arch)
	return cfg.Layers, err
}

// CardSHALine is the model-card line that pins a small VLM's weights.
func CardSHALine(sha string) string { return model.CardSHALine(sha) }

// IsSmall reports whether m is the project's own small VLM (not a Hugging
// Face family), the only kind pretraining builds and continues.
func IsSmall(m vlm.Model) bool {
	_, ok := m.(*model.VLM)
	return ok
}
