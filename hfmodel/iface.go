package hfmodel

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"vlmq/atomicfile"
	"vlmq/nn"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/tokenizer"
	"vlmq/vlm"
)

// A Hugging Face checkpoint is a vlm.Model; folders whose config.json
// names a model_type or architectures load through vlm.Load.
var (
	_ vlm.Model     = (*Model)(nil)
	_ vlm.LoRAAdder = (*Model)(nil) // LoRA is optional; these models take it
)

func init() {
	vlm.Register(vlm.Format{Name: "huggingface", Match: isHFConfig, Load: loadForTraining})
}

// isHFConfig tells a Hugging Face config.json by its model_type or
// architectures field (which family it names is hfload's to decide, with
// errors that say what is unsupported).
func isHFConfig(b []byte) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) != nil {
		return false
	}
	_, mt := keys["model_type"]
	_, arch := keys["architectures"]
	return mt || arch
}

// loadForTraining is Load for a model that will act and train: it needs a
// tokenizer.
func loadForTraining(dir string) (vlm.Model, error) {
	load := Load
	if fileExists(filepath.Join(dir, AdapterConfigFile)) {
		load = LoadAdapter
	}
	m, err := load(dir)
	if err != nil {
		return nil, err
	}
	if m.Tok == nil {
		return nil, fmt.Errorf("hfmodel: %s has no %s: acting and training need the checkpoint's tokenizer", dir, TokenizerFile)
	}
	return m, nil
}

// Trainable is every parameter for full fine-tuning; with a frozen trunk
// (Options.FreezeTrunk) the critic heads, and with LoRA the adapters and
// the critic heads.
func (m *Model) Trainable() []nn.Param {
	switch {
	case m.lora != nil:
		return append(m.loraParams(), m.CriticParams()...)
	case m.frozen:
		return m.CriticParams()
	}
	return m.Params()
}

// lmRows is the actor head's weight as row blocks over the vocabulary:
// the base rows (the embeddings when tied) then xGen-MM's extra rows.
func (m *Model) lmRows() []*tensor.Tensor {
	rows := []*tensor.Tensor{m.W("text.lm_head.weight")}
	if m.tiedHead() {
		rows[0] = m.W("text.embed.weight")
	}
	if x := m.W("text.lm_head_extra.weight"); x != nil {
		rows = append(rows, x)
	}
	return rows
}

// SeedCriticsFromLM adds scale times the LM head to both critics' weights
// and zeroes their biases (see vlm.Model).
func (m *Model) SeedCriticsFromLM(scale float32) {
	buf := make([]float32, 1<<16) // the rows may be 16-bit: widen in blocks
	for _, k := range []string{q1W, q2W} {
		q := m.w[k].Data
		off := 0
		for _, r := range m.lmRows() {
			n := r.Size()
			for lo := 0; lo < n; lo += len(buf) {
				b := buf[:min(len(buf), n-lo)]
				r.ReadInto(b, lo)
				for i, w := range b {
					q[off+lo+i] += scale * w
				}
			}
			off += n
		}
	}
	clear(m.w[q1B].Data)
	clear(m.w[q2B].Data)
}

// WeightsFile is the single safetensors file Save writes.
const WeightsFile = "model.safetensors"

// Save writes a Hugging Face folder Load (and transformers) reads back:
// the trunk and LM head under the checkpoint's tensor names and shapes
// (in float32, except 16-bit frozen weights, written as they were read),
// the critic heads in CriticFile, and the source folder's
// other files (config, tokenizer, processor, remote code) unchanged. The
// folder is published whole (atomicfile.PublishDir).
//
// With LoRA it writes the adapters instead, as PEFT does (saveAdapter),
// and the folder refers to the frozen base.
func (m *Model) Save(dir string) error {
	if m.lora != nil {
		return m.saveAdapter(dir)
	}
	err := atomicfile.PublishDir(dir, atomicfile.KindModel, func(tmp string) error {
		for name, b := range m.side {
			if err := atomicfile.Write(filepath.Join(tmp, name), b); err != nil {
				return err
			}
		}
		f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{"format": "pt"}}
		for _, k := range m.order {
			f.Tensors[m.names[k]] = stored(m.shapes[k], m.w[k])
		}
		if err := safetensors.Write(filepath.Join(tmp, WeightsFile), f); err != nil {
			return err
		}
		return m.SaveCritic(filepath.Join(tmp, CriticFile))
	})
	if err != nil {
		return fmt.Errorf("hfmodel: save %s: %w", dir, err)
	}
	return nil
}

// maxSideFile bounds the files Load keeps for Save (tokenizers of large
// vocabularies are a few MB; weights are not side files).
const maxSideFile = 64 << 20

// sideFiles reads the folder's files other than weights and critics.
func sideFiles(dir string) (map[string][]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, ".safetensors"), strings.HasSuffix(n, ".safetensors.index.json"),
			strings.HasSuffix(n, ".bin"), strings.HasPrefix(n, "."), n == "README.md":
			continue
		}
		info, err := os.Stat(filepath.Join(dir, n)) // follows the hub cache's symlinks
		if err != nil || !info.Mode().IsRegular() || info.Size() > maxSideFile {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out[n] = b
	}
	return out, nil
}

// vocab is the checkpoint's tokenizer with the config's EOS and the
// model's head width as its size.
type vocab struct {
	*tokenizer.HF
	eos, size int
}

func (v vocab) EOSID() int { return v.eos }

// VocabSize is the number of ids the model reads and emits: its head
// width, which may exceed the tokenizer's (PaliGemma pads its embeddings
// to a multiple of 64 rows, xGen-MM's extra tokens may have no text), so
// that a sampled padding id recorded in a replay stays a valid id.
func (v vocab) VocabSize() int { return v.size }

// Tokenizer is the checkpoint's tokenizer with the config's EOS, or nil
// when the folder has no tokenizer.json.
func (m *Model) Tokenizer() vlm.Tokenizer {
	if m.Tok == nil {
		return nil
	}
	return vocab{m.Tok, m.Cfg.Text.EOS, m.Vocab}
}

// EncodePrompt applies the family's prompt format (its Prompt, in
// hfmodel/<family>) and tokenises the result.
func (m *Model) EncodePrompt(text string) []int {
	return m.Tok.Encode(m.fam.Prompt(text))
}

// ImageSize is the vision tower's square input side.
func (m *Model) ImageSize() int { return m.Cfg.Vision.ImageSize }

// Describe names the family and its decoder.
func (m *Model) Describe() string {
	t := m.Cfg.Text
	return fmt.Sprintf("%s (%s decoder, %d layers of width %d, %d heads; %d image tokens; vocabulary %d), %.1fM parameters",
		m.Cfg.Family, t.Arch, t.Layers, t.Hidden, t.Heads, m.Cfg.ImageTokens, m.Vocab, float64(m.NumParams())/1e6)
}

// stored encodes a weight for Save in its own precision.
func stored(shape []int, t *tensor.Tensor) safetensors.Tensor {
	bits, kind := t.Half()
	if bits == nil {
		return safetensors.FromFloat32(shape, t.Data)
	}
	b := make([]byte, 2*len(bits))
	for i, h := range bits {
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	dt := safetensors.BF16
	if kind == tensor.F16 {
		dt = safetensors.F16
	}
	return safetensors.Tensor{DType: dt, Shape: append([]int(nil), shape...), Data: b}
}
