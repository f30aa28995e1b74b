// Package tokenizer holds vlmq's tokenizers: Tokenizer, the byte-level BPE
// the project trains, and HF, the tokenizer.json of a pretrained Hugging
// Face checkpoint. Both use one GPT-2 pre-tokenizer (pretok.go) and byte
// alphabet (bytelevel.go).
//
// With a Tokenizer any byte sequence encodes (256 byte tokens are always
// in the vocabulary) and Decode(Encode(s)) == s exactly. It saves and
// loads the Hugging Face tokenizer.json format (BPE model, ByteLevel
// pre-tokenizer and decoder).
package tokenizer

import (
	"fmt"
	"strings"
	"sync"
)

// Names of the special tokens every project tokenizer has.
const (
	Pad   = "<pad>"
	EOS   = "<eos>"
	BOS   = "<bos>"
	Image = "<image>"
)

// DefaultSpecial lists the special tokens in id order (ids 0..3).
var DefaultSpecial = []string{Pad, EOS, BOS, Image}

type pair struct{ a, b int }

type merge struct{ rank, id int }

// Tokenizer encodes text to token ids and back. It is safe for concurrent
// use.
type Tokenizer struct {
	tokens  [][]byte       // id -> raw bytes (special tokens: their content)
	special map[string]int // special content -> id
	isSpec  []bool         // id -> is a special token
	byteID  [256]int       // byte -> single-byte token id
	merges  map[pair]merge // pair -> rank and result id
	order   []pair         // merges in rank order (for saving)

	mu    sync.RWMutex
	cache map[string][]int // pre-token -> ids
}

// maxCache bounds the per-word cache; when full it is cleared (cheap and
// keeps memory bounded for adversarial inputs).
const maxCache = 1 << 16

// VocabSize is the number of token ids.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// SpecialID returns the id of a special token.
func (t *Tokenizer) SpecialID(name string) (int, bool) {
	id, ok := t.special[name]
	return id, ok
}

func (t *Tokenizer) mustSpecial(name string) int {
	if id, ok := t.special[name]; ok {
		return id
	}
	return -1
}

// PadID, EOSID, BOSID and ImageID return the special ids (-1 if absent).
func (t *Tokenizer) PadID() int   { return t.mustSpecial(Pad) }
func (t *Tokenizer) EOSID() int   { return t.mustSpecial(EOS) }
func (t *Tokenizer) BOSID() int   { return t.mustSpecial(BOS) }
func (t *Tokenizer) ImageID() int { return t.mustSpecial(Image) }

// IsSpecial reports whether id is a special token.
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < len(t.isSpec) && t.isSpec[id] }

// Token returns the raw bytes of one token as a string.
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return string(t.tokens[id])
}

// Encode tokenizes text. Special-token strings inside text are treated as
// plain text, so user text can never inject an <eos> (the Hugging Face
// library would map them to the special ids; otherwise the two agree).
func (t *Tokenizer) Encode(text string) []int {
	out := make([]int, 0, len(text)/3+1)
	split(text, func(w string) { out = append(out, t.encodeWord(w)...) })
	return out
}

func (t *Tokenizer) encodeWord(w string) []int {
	t.mu.RLock()
	ids, ok := t.cache[w]
	t.mu.RUnlock()
	if ok {
		return ids
	}
	ids = t.bpe(w)
	t.mu.Lock()
	if len(t.cache) >= maxCache {
		t.cache = make(map[string][]int)
	}
	t.cache[w] = ids
	t.mu.Unlock()
	return ids
}

// bpe applies merges lowest rank first until none applies.
func (t *Tokenizer) bpe(w string) []int {
	ids := make([]int, len(w))
	for i := 0; i < len(w); i++ {
		ids[i] = t.byteID[w[i]]
	}
	for len(ids) > 1 {
		best, bestRank := -1, int(^uint(0)>>1)
		for i := 0; i+1 < len(ids); i++ {
			if m, ok := t.merges[pair{ids[i], ids[i+1]}]; ok && m.rank < bestRank {
				best, bestRank = i, m.rank
			}
		}
		if best < 0 {
			break
		}
		p := pair{ids[best], ids[best+1]}
		res := t.merges[p].id
		// Merge every occurrence of the pair left to right.
		j := 0
		for i := 0; i < len(ids); {
			if i+1 < len(ids) && ids[i] == p.a && ids[i+1] == p.b {
				ids[j] = res
				i += 2
			} else {
				ids[j] = ids[i]
				i++
			}
			j++
		}
		ids = ids[:j]
	}
	return ids
}

// Decode turns ids back into text; special tokens decode to their content
// and ids out of range are skipped (DecodeStrict reports them instead).
func (t *Tokenizer) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 0 && id < len(t.tokens) {
			b.Write(t.tokens[id])
		}
	}
	return b.String()
}

// DecodeStrict is Decode that fails on ids out of range.
func (t *Tokenizer) DecodeStrict(ids []int) (string, error) {
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) {
			return "", fmt.Errorf("tokenizer: id %d out of range [0,%d)", id, len(t.tokens))
		}
	}
	return t.Decode(ids), nil
}

// DecodeText decodes ids, dropping special tokens and ids out of range; for
// showing model output.
func (t *Tokenizer) DecodeText(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) || t.isSpec[id] {
			continue
		}
		b.Write(t.tokens[id])
	}
	return b.String()
}
