package model

import (
	"encoding/json"
	"fmt"
	"strings"

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

// The small VLM can train its top decoder layers alone.
var _ vlm.LayerTrainer = (*VLM)(nil)

// TopLayerParams are the top n decoder layers, the final norm and the
// heads (with tied embeddings the shared matrix, as the LM head), in
// Params order.
func (m *VLM) TopLayerParams(n int) ([]nn.Param, error) {
	if n < 1 || n > m.Cfg.Layers {
		return nil, fmt.Errorf("model: cannot train the top %d layers of a decoder of %d", n, m.Cfg.Layers)
	}
	prefixes := []string{"decoder.final_norm.", "lm_head.", "q1_head.", "q2_head."}
	if m.Cfg.TieEmbeddings {
		prefixes = append(prefixes, "embed_tokens.")
	}
	for i := m.Cfg.Layers - n; i < m.Cfg.Layers; i++ {
		prefixes = append(prefixes, fmt.Sprintf("decoder.layers.%d.", i))
	}
	var ps []nn.Param
	for _, p := range m.Params() {
		for _, pre := range prefixes {
			if strings.HasPrefix(p.Name, pre) {
				ps = append(ps, p)
				break
			}
		}
	}
	return ps, nil
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
	s := fmt.Sprintf("image %d px in %d-px patches (%d visual tokens), decoder %d layers of width %d, %d heads, MLP %d, %d positions, vocabulary %d",
		c.ImageSize, c.PatchSize, c.Patches(), c.Layers, c.Dim, c.Heads, c.MLP, c.MaxSeq, c.Vocab)
	// Only the options a config sets, so older cards read as before.
	if c.SubtractBackground {
		s += ", background subtracted from the pixels"
	}
	if c.RopeTheta > 0 {
		s += fmt.Sprintf(", rotary positions (base %g)", c.RopeTheta)
	}
	if !c.ALiBi && c.RopeTheta > 0 {
		s += ", no ALiBi"
	}
	if c.TieEmbeddings {
		s += ", LM head tied to the embeddings"
	}
	return s
}
