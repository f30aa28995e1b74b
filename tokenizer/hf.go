package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HF is the tokenizer of a pretrained Hugging Face checkpoint: it reads the
// two BPE flavours of tokenizer.json the supported VLM families ship:
//
//   - SentencePiece style (Gemma, Llama/Phi-3): spaces become "▁" through a
//     Replace/Prepend normalizer or a Metaspace pre-tokenizer, merges run
//     over Unicode characters, unknown characters fall back to <0xXX> byte
//     tokens (byte_fallback).
//   - GPT-2 byte level (Phi-1.5/Moondream): the GPT-2 pre-tokenizer regexp
//     and the printable byte alphabet, as this package's own Tokenizer.
//
// Added tokens that are not special (such as CodeGen's runs of spaces) are
// matched in the text; special tokens are not, so text can never inject
// them (look them up with TokenID). It is safe for concurrent use.
type HF struct {
	byteLevel bool
	// SentencePiece style: prepend "▁" to each text segment (always, or
	// only when it does not start with one: Metaspace), split words at "▁".
	prepend, prependIfMissing, metaSplit bool
	fallback                             bool
	unk                                  int
	vocab                                map[string]int
	tokens                               []string // id -> vocab string ("" for gaps)
	special                              []bool
	added                                []addedTok // non-special, longest first
	merges                               map[[2]int][2]int
	byteTok                              [256]int // <0xXX> ids (byte fallback), -1 if absent
}

type addedTok struct {
	text string
	id   int
}

// LoadHF reads a checkpoint's tokenizer.json file.
func LoadHF(path string) (*HF, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := ParseHF(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

type tjComponent struct {
	Type          string          `json:"type"`
	Pattern       json.RawMessage `json:"pattern"`
	Content       string          `json:"content"`
	Prepend       string          `json:"prepend"`
	Replacement   string          `json:"replacement"`
	PrependScheme string          `json:"prepend_scheme"`
	AddPrefix     *bool           `json:"add_prefix_space"`
	Split         *bool           `json:"split"`
	UseRegex      *bool           `json:"use_regex"`
	Normalizers   []tjComponent   `json:"normalizers"`
	Pretokenizers []tjComponent   `json:"pretokenizers"`
}

type tjFile struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   *tjComponent `json:"normalizer"`
	PreTokenizer *tjComponent `json:"pre_tokenizer"`
	Model        struct {
		Type         string          `json:"type"`
		UnkToken     *string         `json:"unk_token"`
		ByteFallback bool            `json:"byte_fallback"`
		ContPrefix   *string         `json:"continuing_subword_prefix"`
		EndSuffix    *string         `json:"end_of_word_suffix"`
		Vocab        map[string]int  `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
	} `json:"model"`
}

func flatten(c *tjComponent, seqKey func(*tjComponent) []tjComponent) []tjComponent {
	if c == nil {
		return nil
	}
	if c.Type == "Sequence" {
		var out []tjComponent
		for i := range seqKey(c) {
			out = append(out, flatten(&seqKey(c)[i], seqKey)...)
		}
		return out
	}
	return []tjComponent{*c}
}

// ParseHF parses a checkpoint's tokenizer.json content, reporting
// unsupported components by name.
func ParseHF(data []byte) (*HF, error) {
	var f tjFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: invalid tokenizer.json: %w", err)
	}
	if f.Model.Type != "BPE" {
		return nil, fmt.Errorf("tokenizer: model type %q is not supported (want BPE)", f.Model.Type)
	}
	if (f.Model.ContPrefix != nil && *f.Model.ContPrefix != "") || (f.Model.EndSuffix != nil && *f.Model.EndSuffix != "") {
		return nil, fmt.Errorf("tokenizer: BPE subword prefixes/suffixes are not supported")
	}
	t := &HF{vocab: f.Model.Vocab, fallback: f.Model.ByteFallback, unk: -1, merges: map[[2]int][2]int{}}
	sp := false
	for _, n := range flatten(f.Normalizer, func(c *tjComponent) []tjComponent { return c.Normalizers }) {
		switch n.Type {
		case "Replace":
			var pat struct{ String *string }
			if json.Unmarshal(n.Pattern, &pat) != nil || pat.String == nil || *pat.String != " " || n.Content != "▁" {
				return nil, fmt.Errorf("tokenizer: only the Replace(\" \" -> \"▁\") normalizer is supported")
			}
			sp = true
		case "Prepend":
			if n.Prepend != "▁" {
				return nil, fmt.Errorf("tokenizer: Prepend normalizer of %q is not supported", n.Prepend)
			}
			t.prepend = true
		case "NFC", "NFKC", "NFD", "NFKD", "Lowercase", "Strip", "StripAccents", "BertNormalizer", "Precompiled":
			return nil, fmt.Errorf("tokenizer: normalizer %s is not supported", n.Type)
		default:
			return nil, fmt.Errorf("tokenizer: unknown normalizer %q", n.Type)
		}
	}
	for _, p := range flatten(f.PreTokenizer, func(c *tjComponent) []tjComponent { return c.Pretokenizers }) {
		switch p.Type {
		case "ByteLevel":
			if (p.AddPrefix != nil && *p.AddPrefix) || (p.UseRegex != nil && !*p.UseRegex) {
				return nil, fmt.Errorf("tokenizer: ByteLevel pre-tokenizer needs use_regex and no prefix space")
			}
			t.byteLevel = true
		case "Metaspace":
			if p.Replacement != "" && p.Replacement != "▁" {
				return nil, fmt.Errorf("tokenizer: Metaspace replacement %q is not supported", p.Replacement)
			}
			sp = true
			switch {
			case p.PrependScheme == "always" || p.PrependScheme == "first":
				t.prepend, t.prependIfMissing = true, true
			case p.PrependScheme == "" && (p.AddPrefix == nil || *p.AddPrefix):
				t.prepend, t.prependIfMissing = true, true
			}
			t.metaSplit = p.Split == nil || *p.Split
		default:
			return nil, fmt.Errorf("tokenizer: pre-tokenizer %q is not supported", p.Type)
		}
	}
	if t.byteLevel == sp {
		return nil, fmt.Errorf("tokenizer: need either a ByteLevel pre-tokenizer or SentencePiece-style \"▁\" spaces")
	}
	n := 0
	for k, id := range t.vocab {
		if id < 0 || id > 1<<24 {
			return nil, fmt.Errorf("tokenizer: vocab id %d for %q out of range", id, k)
		}
		n = max(n, id+1)
	}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.ID > 1<<24 {
			return nil, fmt.Errorf("tokenizer: added token %q has id %d out of range", a.Content, a.ID)
		}
		n = max(n, a.ID+1)
	}
	t.tokens = make([]string, n)
	t.special = make([]bool, n)
	for k, id := range t.vocab {
		if t.tokens[id] != "" {
			return nil, fmt.Errorf("tokenizer: vocab id %d used twice (%q, %q)", id, t.tokens[id], k)
		}
		t.tokens[id] = k
	}
	for _, a := range f.AddedTokens {
		if old := t.tokens[a.ID]; old != "" && old != a.Content {
			return nil, fmt.Errorf("tokenizer: added token %q reuses id %d of %q", a.Content, a.ID, old)
		}
		t.tokens[a.ID] = a.Content
		t.special[a.ID] = a.Special
		if !a.Special && a.Content != "" {
			t.added = append(t.added, addedTok{a.Content, a.ID})
		}
	}
	sort.SliceStable(t.added, func(i, j int) bool { return len(t.added[i].text) > len(t.added[j].text) })
	if f.Model.UnkToken != nil {
		if id, ok := t.vocab[*f.Model.UnkToken]; ok {
			t.unk = id
		}
	}
	for b := range t.byteTok {
		t.byteTok[b] = -1
		if id, ok := t.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			t.byteTok[b] = id
		}
	}
	if t.byteLevel {
		for b := 0; b < 256; b++ {
			if _, ok := t.vocab[string(byteToRune[b])]; !ok {
				return nil, fmt.Errorf("tokenizer: byte-level vocab lacks the token for byte 0x%02x", b)
			}
		}
	}
	merges, err := parseMerges(f.Model.Merges)
	if err != nil {
		return nil, err
	}
	for i, mg := range merges {
		a, okA := t.vocab[mg[0]]
		b, okB := t.vocab[mg[1]]
		r, okR := t.vocab[mg[0]+mg[1]]
		if !okA || !okB || !okR {
			return nil, fmt.Errorf("tokenizer: merge %d (%q %q) uses tokens missing from the vocab", i, mg[0], mg[1])
		}
		if _, dup := t.merges[[2]int{a, b}]; !dup { // first (lowest rank) wins
			t.merges[[2]int{a, b}] = [2]int{i, r}
		}
	}
	return t, nil
}

// VocabSize is one past the largest token id.
func (t *HF) VocabSize() int { return len(t.tokens) }

// TokenID returns the id of a vocabulary entry or added token, given as
// stored in tokenizer.json.
func (t *HF) TokenID(s string) (int, bool) {
	if id, ok := t.vocab[s]; ok {
		return id, true
	}
	for id, tok := range t.tokens {
		if tok == s && t.special[id] {
			return id, true
		}
	}
	for _, a := range t.added {
		if a.text == s {
			return a.id, true
		}
	}
	return -1, false
}

// IsSpecial reports whether id is a special added token.
func (t *HF) IsSpecial(id int) bool { return id >= 0 && id < len(t.special) && t.special[id] }

// Encode tokenizes text (no BOS/EOS are added).
func (t *HF) Encode(text string) []int {
	var out []int
	for len(text) > 0 {
		i, a := t.nextAdded(text)
		seg := text[:i]
		if seg != "" {
			out = t.encodeSegment(out, seg)
		}
		if a == nil {
			break
		}
		out = append(out, a.id)
		text = text[i+len(a.text):]
	}
	return out
}

// nextAdded finds the earliest (longest at equal start) non-special added
// token in s.
func (t *HF) nextAdded(s string) (int, *addedTok) {
	best, at := len(s), (*addedTok)(nil)
	for i := range t.added {
		a := &t.added[i]
		if j := strings.Index(s[:min(len(s), best+len(a.text))], a.text); j >= 0 && (j < best || at == nil) {
			best, at = j, a
		}
	}
	return best, at
}

func (t *HF) encodeSegment(out []int, s string) []int {
	if t.byteLevel {
		split(s, func(w string) {
			syms := make([]int, len(w))
			for i := 0; i < len(w); i++ {
				syms[i] = t.vocab[string(byteToRune[w[i]])]
			}
			out = append(out, t.bpe(syms)...)
		})
		return out
	}
	s = strings.ReplaceAll(s, " ", "▁")
	if t.prepend && !(t.prependIfMissing && strings.HasPrefix(s, "▁")) {
		s = "▁" + s
	}
	words := []string{s}
	if t.metaSplit {
		words = words[:0]
		for s != "" {
			j := strings.Index(s[1:], "▁")
			if j < 0 {
				words = append(words, s)
				break
			}
			words, s = append(words, s[:j+1]), s[j+1:]
		}
	}
	for _, w := range words {
		var syms []int
		for _, r := range w {
			if id, ok := t.vocab[string(r)]; ok {
				syms = append(syms, id)
				continue
			}
			var buf [4]byte
			n := utf8.EncodeRune(buf[:], r)
			ok := t.fallback
			for _, b := range buf[:n] {
				ok = ok && t.byteTok[b] >= 0
			}
			if ok {
				for _, b := range buf[:n] {
					syms = append(syms, t.byteTok[b])
				}
			} else if t.unk >= 0 {
				syms = append(syms, t.unk)
			}
		}
		out = append(out, t.bpe(syms)...)
	}
	return out
}

// bpe merges the lowest-ranked adjacent pair (all its occurrences, left to
// right) until no merge applies.
func (t *HF) bpe(ids []int) []int {
	for len(ids) > 1 {
		best, rank := -1, int(^uint(0)>>1)
		for i := 0; i+1 < len(ids); i++ {
			if mg, ok := t.merges[[2]int{ids[i], ids[i+1]}]; ok && mg[0] < rank {
				best, rank = i, mg[0]
			}
		}
		if best < 0 {
			break
		}
		a, b := ids[best], ids[best+1]
		res := t.merges[[2]int{a, b}][1]
		j := 0
		for i := 0; i < len(ids); j++ {
			if i+1 < len(ids) && ids[i] == a && ids[i+1] == b {
				ids[j], i = res, i+2
			} else {
				ids[j], i = ids[i], i+1
			}
		}
		ids = ids[:j]
	}
	return ids
}

// Decode turns ids into text; special tokens decode to their content, ids
// out of range are skipped.
func (t *HF) Decode(ids []int) string { return t.decode(ids, false) }

// DecodeText is Decode without special tokens (for showing replies).
func (t *HF) DecodeText(ids []int) string { return t.decode(ids, true) }

func (t *HF) decode(ids []int, skipSpecial bool) string {
	var b []byte
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) || (skipSpecial && t.special[id]) {
			continue
		}
		s := t.tokens[id]
		if _, inVocab := t.vocab[s]; !inVocab || t.special[id] {
			b = append(b, s...) // added token: verbatim
			continue
		}
		if t.byteLevel {
			for _, r := range s {
				if c, ok := runeToByte[r]; ok {
					b = append(b, c)
				}
			}
			continue
		}
		if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
			if v, err := strconv.ParseUint(s[3:5], 16, 8); err == nil {
				b = append(b, byte(v))
				continue
			}
		}
		b = append(b, strings.ReplaceAll(s, "▁", " ")...)
	}
	out := string(b)
	if t.prepend {
		out = strings.TrimPrefix(out, " ")
	}
	return out
}
