// Package models holds the base VLM the project ships: the folder
// models/vlmq-base (Hugging Face layout: config.json, model.safetensors,
// tokenizer.json and a model card), embedded in every binary so that the
// commands start from it without a download or a path.
package models

import (
	"embed"
	"fmt"
	"io/fs"

	"vlmq/model"
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
// anything else a model folder on disk.
func Load(base string) (*model.VLM, error) {
	if base == "" || base == DefaultName {
		m, err := Default()
		if err != nil {
			return nil, fmt.Errorf("models: the shipped base model: %w", err)
		}
		return m, nil
	}
	return model.Load(base)
}
