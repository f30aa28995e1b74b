package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// spJSON builds a SentencePiece-style tokenizer.json: specials 0-3, byte
// tokens <0x00>..<0xFF> at 4..259, then a few pieces and merges.
func spJSON(normalizer, preTok string) []byte {
	vocab := map[string]int{"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
	for b := 0; b < 256; b++ {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 4 + b
	}
	for i, p := range []string{"▁", "h", "e", "l", "o", "he", "ll", "hell", "hello", "▁hello", "w", "r", "d"} {
		vocab[p] = 260 + i
	}
	f := map[string]any{
		"added_tokens": []map[string]any{
			{"id": 0, "content": "<pad>", "special": true}, {"id": 1, "content": "<eos>", "special": true},
			{"id": 2, "content": "<bos>", "special": true}, {"id": 3, "content": "<unk>", "special": true},
		},
		"normalizer":    json.RawMessage(normalizer),
		"pre_tokenizer": json.RawMessage(preTok),
		"model": map[string]any{"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "vocab": vocab,
			"merges": []string{"h e", "l l", "he ll", "hell o", "▁ hello"}},
	}
	b, _ := json.Marshal(f)
	return b
}

const replaceNorm = `{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}`

func TestHFSentencePiece(t *testing.T) {
	gemma := spJSON(replaceNorm, "null")
	llama := spJSON(`{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, `+replaceNorm+`]}`, "null")
	meta := spJSON("null", `{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}`)
	cases := []struct {
		name string
		file []byte
		text string
		want []int
	}{
		// "!" is not a piece: byte fallback <0x21> = 4+33.
		{"gemma", gemma, "hello world!", []int{268, 260, 270, 264, 271, 263, 272, 37}},
		{"gemma leading space", gemma, " hello", []int{269}},
		{"gemma utf8 fallback", gemma, "é", []int{4 + 0xC3, 4 + 0xA9}},
		{"llama prepends", llama, "hello", []int{269}},
		{"metaspace prepends", meta, "hello", []int{269}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := ParseHF(c.file)
			if err != nil {
				t.Fatal(err)
			}
			got := tok.Encode(c.text)
			if !slices.Equal(got, c.want) {
				t.Fatalf("Encode(%q) = %v, want %v", c.text, got, c.want)
			}
			if back := tok.Decode(got); back != c.text {
				t.Errorf("Decode = %q, want %q", back, c.text)
			}
		})
	}
	tok, _ := ParseHF(gemma)
	if s := tok.DecodeText([]int{2, 268, 1}); s != "hello" {
		t.Errorf("DecodeText dropped the wrong tokens: %q", s)
	}
	if id, ok := tok.TokenID("<eos>"); !ok || id != 1 || !tok.IsSpecial(id) {
		t.Errorf("TokenID(<eos>) = %d, %v", id, ok)
	}
	if got := tok.Encode("<eos>"); slices.Contains(got, 1) {
		t.Errorf("special token text was encoded as the special id: %v", got)
	}
}

func hfByteLevelJSON() []byte {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(byteToRune[b])] = b
	}
	vocab["he"], vocab["ll"], vocab["Ġw"], vocab["<|endoftext|>"] = 256, 257, 258, 259
	f := map[string]any{
		"added_tokens": []map[string]any{
			{"id": 259, "content": "<|endoftext|>", "special": true},
			{"id": 260, "content": "  ", "special": false}, // CodeGen-style space run, outside model.vocab
		},
		"normalizer":    nil,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"decoder":       map[string]any{"type": "ByteLevel"},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": [][2]string{{"h", "e"}, {"l", "l"}, {"Ġ", "w"}}},
	}
	b, _ := json.Marshal(f)
	return b
}

func TestHFByteLevel(t *testing.T) {
	tok, err := ParseHF(hfByteLevelJSON())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []int
	}{
		{"hello world", []int{256, 257, 'o', 258, 'o', 'r', 'l', 'd'}},
		{"a  b", []int{'a', 260, 'b'}},
		{"it's\n\n ok", nil}, // round trip only
		{"ünï\xffcode", nil},
	} {
		got := tok.Encode(c.text)
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
		if back := tok.Decode(got); back != c.text {
			t.Errorf("Decode(Encode(%q)) = %q", c.text, back)
		}
	}
	if tok.VocabSize() != 261 {
		t.Errorf("VocabSize = %d, want 261", tok.VocabSize())
	}
	if s := tok.DecodeText([]int{256, 259}); s != "he" {
		t.Errorf("DecodeText = %q", s)
	}
}

func TestHFErrors(t *testing.T) {
	for name, js := range map[string]string{
		"json":        `{`,
		"unigram":     `{"model": {"type": "Unigram"}}`,
		"normalizer":  `{"normalizer": {"type": "NFKC"}, "model": {"type": "BPE", "vocab": {}}}`,
		"no spaces":   `{"model": {"type": "BPE", "vocab": {"a": 0}}}`,
		"merge":       `{"normalizer": ` + replaceNorm + `, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`,
		"dup id":      `{"normalizer": ` + replaceNorm + `, "model": {"type": "BPE", "vocab": {"a": 0, "b": 0}}}`,
		"bytes":       `{"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}}}`,
		"pretok type": `{"pre_tokenizer": {"type": "Whitespace"}, "model": {"type": "BPE", "vocab": {"a": 0}}}`,
	} {
		if _, err := ParseHF([]byte(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
