package model

import (
	"encoding/json"
	"fmt"

	"vlmq/nn"
	"vlmq/vlm"
)

// The small VLM is a vlm.Model; its folders (config.json with the fields
// of Config, no Hugging Face model_type) load through vlm.Load.
var _ vlm.Model = (*VLM)(nil)

func init() {
	vlm.Register(vlm.Format{Name: "vlmq", Match: isConfig, Load: func(dir string) (vlm.Model, error) { return Load(dir) }})
}

// isConfig tells a config.json written by Save: it has the vision tower's
// width and no Hugging Face model_type.
func isConfig(b []byte) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) != nil {
		return false
	}
	_, ours := keys["vision_dim"]
	_, hf := keys["model_type"]
	return ours && !hf
}

// Trainable is every parameter: the small model is fine-tuned in full.
func (m *VLM) Trainable() []nn.Param { return m.Params() }

// Save writes m as a checkpoint folder (Save).
func (m *VLM) Save(dir string) error { return Save(dir, m) }

// Tokenizer is the model's vocabulary.
func (m *VLM) Tokenizer() vlm.Tokenizer { return m.Tok }

// EncodePrompt tokenises the instruction as it is: the small model was
// pretrained on raw prompts, with no template around them.
func (m *VLM) EncodePrompt(text string) []int { return m.Tok.Encode(text) }

// ImageSize is the side images are resized to.
func (m *VLM) ImageSize() int { return m.Cfg.ImageSize }

// MaxText is the longest prompt plus reply.
func (m *VLM) MaxText() int { return m.Cfg.MaxText() }

// Describe gives the architecture as the model card states it.
func (m *VLM) Describe() string {
	c := m.Cfg
	return fmt.Sprintf("image %d px in %d-px patches (%d visual tokens), decoder %d layers of width %d, %d heads, MLP %d, %d positions, vocabulary %d",
		c.ImageSize, c.PatchSize, c.Patches(), c.Layers, c.Dim, c.Heads, c.MLP, c.MaxSeq, c.Vocab)
}
