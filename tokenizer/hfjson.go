package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"vlmq/atomicfile"
)

// The subset of the Hugging Face tokenizer.json schema this package writes
// and reads: a BPE model over the GPT-2 byte-level alphabet with the
// ByteLevel pre-tokenizer (GPT-2 regexp) and decoder.

type hfAddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hfByteLevel struct {
	Type           string `json:"type"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	TrimOffsets    bool   `json:"trim_offsets"`
	UseRegex       bool   `json:"use_regex"`
}

type hfModel struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

type hfFile struct {
	Version       string          `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  *hfByteLevel    `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       *hfByteLevel    `json:"decoder"`
	Model         hfModel         `json:"model"`
}

// MarshalJSON renders the tokenizer as a Hugging Face tokenizer.json.
func (t *Tokenizer) MarshalJSON() ([]byte, error) {
	f := hfFile{
		Version:       "1.0",
		Truncation:    json.RawMessage("null"),
		Padding:       json.RawMessage("null"),
		AddedTokens:   []hfAddedToken{},
		Normalizer:    json.RawMessage("null"),
		PreTokenizer:  &hfByteLevel{Type: "ByteLevel", AddPrefixSpace: false, TrimOffsets: true, UseRegex: true},
		PostProcessor: json.RawMessage("null"),
		Decoder:       &hfByteLevel{Type: "ByteLevel", AddPrefixSpace: true, TrimOffsets: true, UseRegex: true},
	}
	// Vocab as an object in id order (encoding/json would sort map keys).
	var vb bytes.Buffer
	vb.WriteByte('{')
	for id := range t.tokens {
		if id > 0 {
			vb.WriteByte(',')
		}
		k, _ := json.Marshal(t.vocabKey(id))
		vb.Write(k)
		fmt.Fprintf(&vb, ":%d", id)
		if t.isSpec[id] {
			f.AddedTokens = append(f.AddedTokens, hfAddedToken{ID: id, Content: string(t.tokens[id]), Special: true})
		}
	}
	vb.WriteByte('}')
	// "a b" strings are read by every tokenizers version (pairs only since
	// 0.20); byte-level tokens never contain a space, so this is unambiguous.
	merges := make([]string, len(t.order))
	for i, p := range t.order {
		merges[i] = t.vocabKey(p.a) + " " + t.vocabKey(p.b)
	}
	mb, err := json.Marshal(merges)
	if err != nil {
		return nil, err
	}
	f.Model = hfModel{Type: "BPE", Vocab: vb.Bytes(), Merges: mb}
	return json.MarshalIndent(f, "", "  ")
}

func (t *Tokenizer) vocabKey(id int) string {
	if t.isSpec[id] {
		return string(t.tokens[id])
	}
	return byteLevel(t.tokens[id])
}

// Parse reads a tokenizer.json. It accepts merges written either as
// "a b" strings (older files) or as ["a","b"] pairs, and reports what is
// wrong with files it cannot use.
func Parse(data []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: invalid tokenizer.json: %w", err)
	}
	if f.Model.Type != "BPE" {
		return nil, fmt.Errorf("tokenizer: model type %q, want \"BPE\"", f.Model.Type)
	}
	if f.PreTokenizer == nil || f.PreTokenizer.Type != "ByteLevel" || f.PreTokenizer.AddPrefixSpace || !f.PreTokenizer.UseRegex {
		return nil, fmt.Errorf("tokenizer: pre_tokenizer must be ByteLevel with use_regex and no prefix space")
	}
	if f.Decoder != nil && f.Decoder.Type != "ByteLevel" {
		return nil, fmt.Errorf("tokenizer: decoder type %q, want \"ByteLevel\"", f.Decoder.Type)
	}
	if s := f.Model.ContinuingSubwordPrefix; s != nil && *s != "" {
		return nil, fmt.Errorf("tokenizer: continuing_subword_prefix is not supported")
	}
	if s := f.Model.EndOfWordSuffix; s != nil && *s != "" {
		return nil, fmt.Errorf("tokenizer: end_of_word_suffix is not supported")
	}
	var vocab map[string]int
	if err := json.Unmarshal(f.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("tokenizer: model.vocab: %w", err)
	}
	n := len(vocab)
	keys := make([]string, n)
	// used, not keys[id] != "", tells taken ids: "" is a key too, and with
	// it a repeated id went unnoticed whenever map order visited "" first.
	used := make([]bool, n)
	for k, id := range vocab {
		if id < 0 || id >= n {
			return nil, fmt.Errorf("tokenizer: vocab id %d for %q outside [0,%d): ids must be contiguous", id, k, n)
		}
		if k == "" {
			return nil, fmt.Errorf("tokenizer: vocab has an empty token (id %d)", id)
		}
		if used[id] {
			a, b := min(keys[id], k), max(keys[id], k)
			return nil, fmt.Errorf("tokenizer: vocab id %d used twice (%q, %q)", id, a, b)
		}
		keys[id], used[id] = k, true
	}
	t := &Tokenizer{special: map[string]int{}, merges: map[pair]merge{}, cache: map[string][]int{},
		tokens: make([][]byte, n), isSpec: make([]bool, n)}
	for _, a := range f.AddedTokens {
		if a.ID < 0 || a.ID >= n || keys[a.ID] != a.Content {
			return nil, fmt.Errorf("tokenizer: added token %q (id %d) is not in the vocab with that id", a.Content, a.ID)
		}
		if !a.Special {
			return nil, fmt.Errorf("tokenizer: non-special added token %q is not supported", a.Content)
		}
		t.special[a.Content] = a.ID
		t.isSpec[a.ID] = true
		t.tokens[a.ID] = []byte(a.Content)
	}
	for id := range t.byteID {
		t.byteID[id] = -1
	}
	for id, k := range keys {
		if t.isSpec[id] {
			continue
		}
		b, ok := fromByteLevel(k)
		if !ok || len(b) == 0 {
			return nil, fmt.Errorf("tokenizer: vocab entry %q (id %d) is not in the byte-level alphabet", k, id)
		}
		t.tokens[id] = b
		if len(b) == 1 {
			t.byteID[b[0]] = id
		}
	}
	for b, id := range t.byteID {
		if id < 0 {
			return nil, fmt.Errorf("tokenizer: vocab lacks the token for byte 0x%02x (byte-level BPE needs all 256)", b)
		}
	}
	merges, err := parseMerges(f.Model.Merges)
	if err != nil {
		return nil, err
	}
	for i, m := range merges {
		a, okA := vocab[m[0]]
		b, okB := vocab[m[1]]
		r, okR := vocab[m[0]+m[1]]
		if !okA || !okB || !okR || t.isSpec[a] || t.isSpec[b] || t.isSpec[r] {
			return nil, fmt.Errorf("tokenizer: merge %d (%q %q) uses tokens missing from the vocab", i, m[0], m[1])
		}
		p := pair{a, b}
		if _, dup := t.merges[p]; dup {
			return nil, fmt.Errorf("tokenizer: merge %d (%q %q) is duplicated", i, m[0], m[1])
		}
		t.merges[p] = merge{rank: i, id: r}
		t.order = append(t.order, p)
	}
	return t, nil
}

func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err != nil {
		return nil, fmt.Errorf("tokenizer: model.merges must be a list of \"a b\" strings or [a, b] pairs")
	}
	pairs = make([][2]string, len(strs))
	for i, s := range strs {
		a, b, ok := strings.Cut(s, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return nil, fmt.Errorf("tokenizer: merge %d %q is not two tokens separated by one space", i, s)
		}
		pairs[i] = [2]string{a, b}
	}
	return pairs, nil
}

// Save writes tokenizer.json atomically (temp file + rename).
func (t *Tokenizer) Save(path string) error {
	data, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data)
}

// Load reads a tokenizer.json.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// Vocab returns the vocabulary keys in id order as they appear in
// tokenizer.json (byte-level strings; specials verbatim).
func (t *Tokenizer) Vocab() []string {
	out := make([]string, len(t.tokens))
	for id := range t.tokens {
		out[id] = t.vocabKey(id)
	}
	return out
}
