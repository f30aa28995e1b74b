// Package hfload recognises the open-weight vision-language model families
// this project can load from a Hugging Face model folder (config.json plus
// safetensors weights) and checks a folder against the exact list of tensors
// each family needs:
//
//   - PaliGemma (1 and 2): SigLIP vision tower, one linear projector, Gemma or
//     Gemma 2 decoder (transformers' PaliGemmaForConditionalGeneration).
//   - xGen-MM (BLIP-3, v1.5 "xgenmm"): SigLIP so400m vision tower, perceiver
//     resampler, Phi-3 decoder (Salesforce's remote code).
//   - Moondream 2: SigLIP-style ViT with fused qkv, two-layer MLP projector,
//     Phi-1.5 decoder (vikhyatk/moondream2 remote code; both the 2024 and the
//     2025 weight naming are recognised).
//
// The package only describes checkpoints (family-neutral Config, Plan of
// weight names and shapes, neutral keys for each tensor); it has no model
// code.
package hfload

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"vlmq/safetensors"
)

// Family is an architecture family of vision-language models.
type Family string

const (
	PaliGemma Family = "paligemma"
	XGenMM    Family = "xgenmm"
	Moondream Family = "moondream2"
)

// Families lists the supported families.
var Families = []Family{PaliGemma, XGenMM, Moondream}

// ErrUnknownFamily is wrapped when config.json names no supported family.
var ErrUnknownFamily = errors.New("unsupported model family")

// ConfigFileName is the Hugging Face config file inside a model folder.
const ConfigFileName = "config.json"

var (
	modelTypes = map[string]Family{
		"paligemma":  PaliGemma,
		"xgenmm":     XGenMM,
		"blip_3":     XGenMM, // xGen-MM v1 naming
		"moondream1": Moondream,
		"moondream2": Moondream,
	}
	architectures = map[string]Family{
		"PaliGemmaForConditionalGeneration":   PaliGemma,
		"XGenMMModelForConditionalGeneration": XGenMM,
		"Blip3ModelForConditionalGeneration":  XGenMM,
		"Moondream":                           Moondream,
		"HfMoondream":                         Moondream,
	}
)

// Detect reads dir/config.json and returns the model family named by its
// model_type and architectures fields.
func Detect(dir string) (Family, error) {
	raw, err := readConfig(dir)
	if err != nil {
		return "", err
	}
	f, err := detect(raw)
	if err != nil {
		return "", fmt.Errorf("hfload: %s: %w", filepath.Join(dir, ConfigFileName), err)
	}
	return f, nil
}

func readConfig(dir string) (objAt, error) {
	path := filepath.Join(dir, ConfigFileName)
	var raw map[string]any
	if err := safetensors.ReadJSON(path, &raw); err != nil {
		return objAt{}, fmt.Errorf("hfload: reading model config: %w", err)
	}
	if raw == nil {
		return objAt{}, fmt.Errorf("hfload: %s: config is null", path)
	}
	return obj(raw).at(""), nil
}

// detect decides the family; model_type and architectures must not
// contradict each other.
func detect(raw objAt) (Family, error) {
	mt, err := raw.str("model_type", "")
	if err != nil {
		return "", err
	}
	archs, err := raw.strs("architectures")
	if err != nil {
		return "", err
	}
	byType, typeOK := modelTypes[mt]
	var byArch Family
	for _, a := range archs {
		if f, ok := architectures[a]; ok {
			if byArch != "" && byArch != f {
				return "", fmt.Errorf("architectures %v name two different families", archs)
			}
			byArch = f
		}
	}
	switch {
	case typeOK && byArch != "" && byArch != byType:
		return "", fmt.Errorf("model_type %q (%s) contradicts architectures %v (%s)", mt, byType, archs, byArch)
	case typeOK:
		return byType, nil
	case byArch != "":
		return byArch, nil
	}
	known := make([]string, 0, len(modelTypes))
	for k := range modelTypes {
		known = append(known, k)
	}
	slices.Sort(known)
	return "", fmt.Errorf("%w: model_type %q, architectures %v (supported model_type values: %s)", ErrUnknownFamily, mt, archs, strings.Join(known, ", "))
}
