// Package modeltest builds the small untrained VLMs that tests train and
// probe: a tokenizer trained on the test's own corpus (or one the test
// brings) and a model of a preset. Tests keep their corpora, vocabulary
// sizes and seeds, which their assertions depend on.
//
// The model package's own tests cannot use it (it imports model).
package modeltest

import (
	"testing"

	"vlmq/model"
	"vlmq/tokenizer"
)

// Spec says what to build.
type Spec struct {
	// Corpus trains the tokenizer, with tokenizer.DefaultSpecial, unless
	// Tok is set.
	Corpus []string
	Vocab  int // tokenizer vocabulary; 0 means 300
	Tok    *tokenizer.Tokenizer
	Preset string // model.Preset name; "" means "tiny"
	Seed   int64  // model.New's seed
	// Config adjusts the preset before the model is built (nil: as is).
	Config func(*model.Config)
}

// New builds the model of s; any error fails the test at once.
func New(tb testing.TB, s Spec) *model.VLM {
	tb.Helper()
	tok := s.Tok
	if tok == nil {
		vocab := s.Vocab
		if vocab == 0 {
			vocab = 300
		}
		var err error
		if tok, err = tokenizer.Train(s.Corpus, vocab, tokenizer.DefaultSpecial); err != nil {
			tb.Fatalf("modeltest: tokenizer: %v", err)
		}
	}
	preset := s.Preset
	if preset == "" {
		preset = "tiny"
	}
	cfg, err := model.Preset(preset)
	if err != nil {
		tb.Fatalf("modeltest: %v", err)
	}
	if s.Config != nil {
		s.Config(&cfg)
	}
	m, err := model.New(cfg, tok, s.Seed)
	if err != nil {
		tb.Fatalf("modeltest: model: %v", err)
	}
	return m
}
