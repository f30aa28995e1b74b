package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzTokenizerJSON feeds arbitrary bytes to the tokenizer.json loader.
// Whatever it accepts must be a working byte-level BPE: every text encodes
// to non-special ids and decodes back exactly, and saving it and loading
// the result gives the same file and the same encodings. Parsing the same
// bytes twice gives the same tokenizer (the vocab is a JSON object, read
// into a map, so nothing may depend on map order). Seeds: the shipped
// base's tokenizer.json, a small trained one, its pair-merges form and
// damaged variants.
//
// Longer: go test -run '^$' -fuzz=FuzzTokenizerJSON -fuzztime=5m -fuzzminimizetime=10s ./tokenizer
// (without the minimize bound, minimizing a mutated 50 KB seed takes the
// whole budget).
func FuzzTokenizerJSON(f *testing.F) {
	if b, err := os.ReadFile("../models/vlmq-base/tokenizer.json"); err == nil {
		f.Add(b)
	} else {
		f.Logf("shipped tokenizer not found: %v", err)
	}
	small, err := trained(f, 270).MarshalJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	var raw map[string]any
	if err := json.Unmarshal(small, &raw); err != nil {
		f.Fatal(err)
	}
	m := raw["model"].(map[string]any)
	var pairs [][]string
	for _, s := range m["merges"].([]any) {
		a, b, _ := strings.Cut(s.(string), " ")
		pairs = append(pairs, []string{a, b})
	}
	m["merges"] = pairs
	pairForm, _ := json.Marshal(raw)
	f.Add(pairForm)
	f.Add(small[:len(small)/2])
	f.Add(bytes.Replace(small, []byte(`"BPE"`), []byte(`"Unigram"`), 1))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{},"merges":[]},"pre_tokenizer":{"type":"ByteLevel","use_regex":true}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))

	texts := []string{"", "Target: 3\nCurrent: 1", "[action] +", "<eos> <pad>", "héllo wörld 😀", "\x00\xff\xfe  \t\n"}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tokenizer:") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if tok.VocabSize() < 256 {
			t.Fatalf("accepted a vocab of %d tokens (the 256 bytes are required)", tok.VocabSize())
		}
		for id := 0; id < tok.VocabSize(); id++ {
			if tok.Token(id) == "" {
				t.Fatalf("token %d is empty", id)
			}
		}
		out, err := tok.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a loaded tokenizer: %v", err)
		}
		again, err := Parse(data)
		if err != nil {
			t.Fatalf("second Parse of the same bytes failed: %v", err)
		}
		if out2, _ := again.MarshalJSON(); !bytes.Equal(out, out2) {
			t.Fatal("two Parses of the same bytes gave different tokenizers")
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("the saved form of a loaded tokenizer does not load: %v\n%s", err, out)
		}
		if out3, _ := back.MarshalJSON(); !bytes.Equal(out, out3) {
			t.Fatal("save -> load -> save changed the file")
		}
		if !reflect.DeepEqual(tok.Vocab(), back.Vocab()) {
			t.Fatal("vocab changed by save -> load")
		}
		// Texts made of the vocab's own tokens exercise the merges.
		var joined strings.Builder
		for id := 0; id < tok.VocabSize() && joined.Len() < 2000; id++ {
			if !tok.IsSpecial(id) {
				joined.WriteString(tok.Token(id))
				joined.WriteByte(' ')
			}
		}
		in := append(texts, joined.String(), string(data[:min(len(data), 300)]))
		for _, s := range in {
			ids := tok.Encode(s)
			if got := tok.Decode(ids); got != s {
				t.Fatalf("Decode(Encode(%q)) = %q", s, got)
			}
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() || tok.IsSpecial(id) {
					t.Fatalf("Encode(%q) gave id %d (vocab %d, special %v)", s, id, tok.VocabSize(), tok.IsSpecial(id))
				}
			}
			if b := back.Encode(s); !reflect.DeepEqual(ids, b) {
				t.Fatalf("Encode(%q): %v loaded, %v after save -> load", s, ids, b)
			}
		}
	})
}
