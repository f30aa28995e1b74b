package models

import (
	"strings"
	"testing"
)

// TestDefaultLoads: the shipped base loads from the binary (its weights
// checked against the card's SHA-256), and its card says how to rebuild it.
func TestDefaultLoads(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if m.NumParams() == 0 || m.Tok.VocabSize() != m.Cfg.Vocab {
		t.Fatalf("shipped model: %d parameters, vocab %d vs %d", m.NumParams(), m.Tok.VocabSize(), m.Cfg.Vocab)
	}
	card := Card()
	for _, want := range []string{"weights_sha256:", "## Rebuild", "vlmq pretrain", "image only", "with text"} {
		if !strings.Contains(card, want) {
			t.Errorf("model card lacks %q", want)
		}
	}
	if _, err := Load(""); err != nil {
		t.Errorf(`Load(""): %v`, err)
	}
	if _, err := Load("/nonexistent/model"); err == nil {
		t.Error("Load of a missing folder succeeded")
	}
}
