package hfmodel

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/tokenizer"
	"vlmq/vlm"
)

// TestLoadWithTokenizer: a folder's tokenizer.json (here GPT-2 byte-level
// BPE, as Moondream's) is loaded, its ids must fit the model's embeddings,
// and Generate decodes replies with it.
func TestLoadWithTokenizer(t *testing.T) {
	tok, err := tokenizer.Train([]string{"hello world, hello there"}, 261, tokenizer.DefaultSpecial)
	if err != nil {
		t.Fatal(err)
	}
	js, err := tok.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := writeCheckpoint(t, "moondream2", 1)
	if err := os.WriteFile(filepath.Join(dir, TokenizerFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "261 tokens") {
		t.Fatalf("a tokenizer larger than the vocabulary was accepted: %v", err)
	}
	raw := strings.Replace(configs["moondream2"], `"vocab_size": 45`, `"vocab_size": 300`, 1)
	dir = writeCheckpointConfig(t, raw, 1)
	if err := os.WriteFile(filepath.Join(dir, TokenizerFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	prompt := m.Tok.Encode("hello world")
	out, err := m.Generate([]vlm.GenInput{{Image: randomImage(rand.New(rand.NewSource(1)), 16), Prompt: prompt}}, vlm.GenOpts{MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := m.Tok.DecodeText(out[0].Tokens); out[0].Text != want {
		t.Errorf("Text = %q, want %q", out[0].Text, want)
	}
}
