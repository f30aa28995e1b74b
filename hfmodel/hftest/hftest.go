// Package hftest writes small random Hugging Face checkpoints of the
// families vlmq/hfmodel runs, for tests in any package: each family's
// configs (hfload.Variant), the tensor names and shapes of hfload's plan,
// random weights, and optionally a byte-fallback SentencePiece
// tokenizer.json small enough for tiny vocabularies.
package hftest

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"

	"vlmq/hfload"
	_ "vlmq/hfmodel/all" // the families whose checkpoints it writes
	"vlmq/safetensors"
)

// ExtraVocab is the number of extra tokens xGen-MM checkpoints get
// (the size of its decoupled lm_head_extra, which config.json does not
// state).
const ExtraVocab = 3

// TokenizerVocab is the size of Tokenizer's vocabulary: 4 specials, 256
// byte tokens, "▁" and Phi-3's three chat-template tokens.
const TokenizerVocab = 264

// Model is one trainable test checkpoint: a family's variant and its
// Trainable config.
type Model struct {
	Name   string // the variant: "paligemma", "paligemma2", "xgenmm", "moondream2"
	Family string
	Config string // config.json
}

// Models are the Trainable configs of every variant of every registered
// family, so tests that cover every decoder iterate them rather than
// hfload.Families. A family's first is named like the family, and is
// its Trainable config.
var Models = func() []Model {
	var out []Model
	for _, n := range hfload.Families() {
		f, _ := hfload.Lookup(n)
		for _, v := range f.Variants {
			out = append(out, Model{v.Name, n, v.Trainable})
		}
	}
	return out
}()

// Trainable is the first of Models for each family.
var Trainable = func() map[string]string {
	t := map[string]string{}
	for _, m := range Models {
		if _, ok := t[m.Family]; !ok {
			t[m.Family] = m.Config
		}
	}
	return t
}()

// WriteCheckpoint writes config.json (raw) and model.safetensors with
// random weights of the plan's names and shapes into dir: norm gains near
// 1 (near 0 for Gemma's (1+w) norms), small biases, and matrices scaled by
// 1/sqrt(fan-in). Weights are bfloat16 when the config's torch_dtype says
// so.
func WriteCheckpoint(dir, raw string, seed int64) error {
	return writeCheckpoint(dir, raw, seed, 1)
}

// writeCheckpoint is WriteCheckpoint with the decoder's final-norm gain
// near finalGain instead of 1.
func writeCheckpoint(dir, raw string, seed int64, finalGain float64) error {
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(raw), 0o644); err != nil {
		return err
	}
	cfg, err := hfload.ParseConfigJSON([]byte(raw))
	if err != nil {
		return err
	}
	plan, err := hfload.Plan(cfg)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewSource(seed))
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{"format": "pt"}}
	for _, s := range plan {
		shape := append([]int(nil), s.Shape...)
		n := 1
		for i, d := range shape {
			if d == hfload.Any {
				shape[i] = ExtraVocab
			}
			n *= shape[i]
		}
		data := make([]float32, n)
		std, mean := 0.5, 0.0
		switch {
		case strings.Contains(s.Key, "norm") && strings.HasSuffix(s.Key, ".weight"):
			std = 0.1
			if !(cfg.Text.NormAddOne && strings.HasPrefix(s.Key, "text.")) {
				mean = 1
			}
			if s.Key == "text.norm.weight" {
				mean += finalGain - 1
			}
		case strings.HasSuffix(s.Key, ".bias"):
			std = 0.1
		case len(shape) >= 2 && !strings.Contains(s.Key, "embed") && !strings.Contains(s.Key, "latents"):
			in := shape[len(shape)-1]
			if len(shape) == 4 {
				in = shape[1] * shape[2] * shape[3]
			}
			std = 1 / sqrtInt(in)
		}
		for i := range data {
			data[i] = float32(mean + std*r.NormFloat64())
		}
		st := safetensors.FromFloat32(shape, data)
		if cfg.DType == "bfloat16" {
			if st, err = safetensors.FromFloat32As(safetensors.BF16, shape, data); err != nil {
				return err
			}
		}
		f.Tensors[s.Name] = st
	}
	return safetensors.Write(filepath.Join(dir, "model.safetensors"), f)
}

// sqrtInt is a Newton square root (kept from the fixtures the PyTorch
// comparisons were recorded with, so their random weights do not move).
func sqrtInt(n int) float64 {
	x := 1.0
	for i := 0; i < 30; i++ {
		x = (x + float64(n)/x) / 2
	}
	return x
}

// Tokenizer is a SentencePiece-style tokenizer.json (spaces as "▁", byte
// fallback) of TokenizerVocab tokens: <pad> 0, <eos> 1, <bos> 2, <unk> 3,
// bytes <0x00>..<0xFF> at 4..259, "▁" at 260, then <|user|>, <|end|> and
// <|assistant|> as added special tokens.
func Tokenizer() []byte {
	vocab := map[string]int{"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "▁": 260}
	for b := 0; b < 256; b++ {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 4 + b
	}
	added := []map[string]any{}
	for i, s := range []string{"<pad>", "<eos>", "<bos>", "<unk>"} {
		added = append(added, map[string]any{"id": i, "content": s, "special": true})
	}
	for i, s := range []string{"<|user|>", "<|end|>", "<|assistant|>"} {
		vocab[s] = 261 + i
		added = append(added, map[string]any{"id": 261 + i, "content": s, "special": true})
	}
	f := map[string]any{
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		"pre_tokenizer": nil,
		"decoder":       nil,
		"model":         map[string]any{"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "vocab": vocab, "merges": []string{}},
	}
	b, _ := json.Marshal(f)
	return b
}

// trainableGain is the final-norm gain of Trainable checkpoints. With the
// final norm and the LM head frozen (LoRA), the logits of a random
// checkpoint are bounded by about |gain|·sqrt(hidden)·|head row|: at gain
// 1 the best a 32-wide model can give a token is about even odds against
// the rest (LoRA fits then stall at a loss near 0.6), while a pretrained
// model's gains are whatever its training needed.
const trainableGain = 4

// WriteTrainable writes a Trainable checkpoint of fam with Tokenizer into
// dir.
func WriteTrainable(dir, fam string, seed int64) error {
	return WriteTrainableTokenizer(dir, fam, seed, Tokenizer(), TokenizerVocab)
}

// WriteTrainableTokenizer is WriteTrainable with another tokenizer.json of
// vocab tokens (whose <pad>, <eos> and <bos> are ids 0, 1 and 2), the
// decoder's vocabulary sized to match: with a tokenizer trained on the
// env's text prompts are a few times shorter than in bytes.
func WriteTrainableTokenizer(dir, fam string, seed int64, tokenizerJSON []byte, vocab int) error {
	raw, ok := Trainable[fam]
	if !ok {
		return fmt.Errorf("hftest: no config for family %q", fam)
	}
	return Model{Family: fam, Config: raw}.WriteTokenizer(dir, seed, tokenizerJSON, vocab)
}

// Write writes m's checkpoint with Tokenizer into dir.
func (m Model) Write(dir string, seed int64) error {
	return m.WriteTokenizer(dir, seed, Tokenizer(), TokenizerVocab)
}

// WriteTokenizer is Write with another tokenizer.json of vocab tokens, as
// WriteTrainableTokenizer.
func (m Model) WriteTokenizer(dir string, seed int64, tokenizerJSON []byte, vocab int) error {
	raw := strings.Replace(m.Config, fmt.Sprintf(`"vocab_size": %d`, TokenizerVocab), fmt.Sprintf(`"vocab_size": %d`, vocab), 1)
	if err := writeCheckpoint(dir, raw, seed, trainableGain); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer.json"), tokenizerJSON, 0o644)
}
