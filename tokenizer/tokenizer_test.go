package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var corpus = []string{
	"Goal: move the current number to the target.",
	"Target: 3\nCurrent: 1",
	"Reply with your choice after \"[action]\" on one line, for example: [action] +",
	"What is the target number? 3",
	"What is the current number? 1",
	"go to the red ball", "pick up a blue key", "open the purple door",
	"The dealer shows 10 and you hold 7 and 9.",
	"it's the player's turn; they'll hit or stand",
}

func trained(t testing.TB, size int) *Tokenizer {
	t.Helper()
	var c []string
	for i := 0; i < 20; i++ {
		c = append(c, corpus...)
	}
	tok, err := Train(c, size, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSplitGPT2(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"it's", []string{"it", "'s"}},
		{"they'll go", []string{"they", "'ll", " go"}},
		{"a  b", []string{"a", " ", " b"}},
		{"a\n\nb", []string{"a", "\n", "\n", "b"}},
		{"x \nb", []string{"x", " ", "\n", "b"}},
		{"end  ", []string{"end", "  "}},
		{"12+34=46", []string{"12", "+", "34", "=", "46"}},
		{"[action] +", []string{"[", "action", "]", " +"}},
		{"héllo wörld", []string{"héllo", " wörld"}},
		{"''s", []string{"''", "s"}},
		{" ", []string{" "}},
		{"\xff\xfeab", []string{"\xff\xfe", "ab"}},
	}
	for _, c := range cases {
		var got []string
		split(c.in, func(w string) { got = append(got, w) })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTrainLayoutAndRoundTrip(t *testing.T) {
	tok := trained(t, 400)
	if tok.VocabSize() > 400 || tok.VocabSize() <= 260 {
		t.Fatalf("vocab size %d, want in (260, 400]", tok.VocabSize())
	}
	for i, s := range DefaultSpecial {
		if id, ok := tok.SpecialID(s); !ok || id != i {
			t.Errorf("special %q id %d ok %v, want %d", s, id, ok, i)
		}
	}
	if tok.PadID() != 0 || tok.EOSID() != 1 || tok.BOSID() != 2 || tok.ImageID() != 3 {
		t.Errorf("special ids pad %d eos %d bos %d image %d", tok.PadID(), tok.EOSID(), tok.BOSID(), tok.ImageID())
	}
	for _, s := range append(corpus, "unseen words ∑ 😀 \x00\xff", "") {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Errorf("round trip %q -> %v -> %q", s, ids, got)
		}
		for _, id := range ids {
			if tok.IsSpecial(id) {
				t.Errorf("Encode(%q) produced special id %d", s, id)
			}
		}
	}
	// Merges compress frequent text well below one token per byte.
	s := corpus[0]
	if n := len(tok.Encode(s)); n*2 > len(s) {
		t.Errorf("%q encodes to %d tokens for %d bytes; merges not applied", s, n, len(s))
	}
}

func TestSpecialTextIsNotInjected(t *testing.T) {
	var c []string
	for i := 0; i < 50; i++ {
		c = append(c, "<eos> <pad> <image>")
	}
	tok, err := Train(c, 600, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode("<eos>")
	for _, id := range ids {
		if tok.IsSpecial(id) {
			t.Fatalf("text %q encoded to special id %d", "<eos>", id)
		}
	}
	if tok.Decode(ids) != "<eos>" {
		t.Fatal("round trip failed")
	}
	if got := tok.DecodeText([]int{tok.BOSID(), ids[0], tok.EOSID()}); got != tok.Token(ids[0]) {
		t.Errorf("DecodeText kept specials: %q", got)
	}
}

func TestTrainDeterministicAndErrors(t *testing.T) {
	a, b := trained(t, 350), trained(t, 350)
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	if string(ja) != string(jb) {
		t.Error("training is not deterministic")
	}
	bad := []struct {
		size    int
		special []string
	}{
		{100, nil},
		{400, []string{"<a>", "<a>"}},
		{400, []string{"x"}},
	}
	for _, c := range bad {
		if _, err := Train(corpus, c.size, c.special); err == nil {
			t.Errorf("Train(size %d, special %q) succeeded, want error", c.size, c.special)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	tok := trained(t, 380)
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.VocabSize() != tok.VocabSize() || !reflect.DeepEqual(got.Vocab(), tok.Vocab()) {
		t.Fatal("vocab differs after load")
	}
	for _, s := range append(corpus, "zebra quux ½") {
		if a, b := tok.Encode(s), got.Encode(s); !reflect.DeepEqual(a, b) {
			t.Errorf("Encode(%q): saved %v, loaded %v", s, a, b)
		}
	}
	// The file has the Hugging Face structure.
	var raw map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	model := raw["model"].(map[string]any)
	if model["type"] != "BPE" || raw["pre_tokenizer"].(map[string]any)["type"] != "ByteLevel" ||
		raw["decoder"].(map[string]any)["type"] != "ByteLevel" || len(raw["added_tokens"].([]any)) != 4 {
		t.Errorf("unexpected tokenizer.json layout: %s", data[:200])
	}
	vocab := model["vocab"].(map[string]any)
	if vocab["Ġ"] == nil || vocab["Ċ"] == nil { // space and newline in the GPT-2 alphabet
		t.Error("vocab lacks byte-level space/newline tokens")
	}
	// No temp files left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want 1", len(entries))
	}
}

func TestLoadPairMerges(t *testing.T) {
	// tokenizers >= 0.20 writes merges as ["a", "b"] pairs; accept them too.
	tok := trained(t, 320)
	data, _ := tok.MarshalJSON()
	var raw map[string]any
	json.Unmarshal(data, &raw)
	model := raw["model"].(map[string]any)
	var pairs [][]string
	for _, m := range model["merges"].([]any) {
		a, b, ok := strings.Cut(m.(string), " ")
		if !ok {
			t.Fatalf("merge %q is not \"a b\"", m)
		}
		pairs = append(pairs, []string{a, b})
	}
	model["merges"] = pairs
	data, _ = json.Marshal(raw)
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range corpus {
		if a, b := tok.Encode(s), got.Encode(s); !reflect.DeepEqual(a, b) {
			t.Errorf("Encode(%q): %v vs %v", s, a, b)
		}
	}
}

func TestMalformedFiles(t *testing.T) {
	tok := trained(t, 300)
	good, _ := tok.MarshalJSON()
	edit := func(f func(m map[string]any)) string {
		var raw map[string]any
		json.Unmarshal(good, &raw)
		f(raw)
		b, _ := json.Marshal(raw)
		return string(b)
	}
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	cases := map[string]string{
		"not json":     "{",
		"empty":        "",
		"wordpiece":    edit(func(m map[string]any) { model(m)["type"] = "WordPiece" }),
		"no pretok":    edit(func(m map[string]any) { m["pre_tokenizer"] = nil }),
		"gap in ids":   edit(func(m map[string]any) { model(m)["vocab"].(map[string]any)["Ġ"] = 99999 }),
		"missing byte": edit(func(m map[string]any) { delete(model(m)["vocab"].(map[string]any), "Ċ") }),
		"bad merge":    edit(func(m map[string]any) { model(m)["merges"] = []any{[]any{"zzz", "q"}} }),
		"merge shape":  edit(func(m map[string]any) { model(m)["merges"] = []any{"a"} }),
		"added missing": edit(func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 5, "content": "<x>", "special": true}}
		}),
		"vocab type": edit(func(m map[string]any) { model(m)["vocab"] = []any{1} }),
	}
	for name, data := range cases {
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("%s: Parse succeeded, want error", name)
		} else if !strings.HasPrefix(err.Error(), "tokenizer:") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestDecodeStrict(t *testing.T) {
	tok := trained(t, 300)
	if _, err := tok.DecodeStrict([]int{5, tok.VocabSize()}); err == nil {
		t.Error("DecodeStrict accepted an out-of-range id")
	}
	if got := tok.Decode([]int{-1, tok.VocabSize()}); got != "" {
		t.Errorf("Decode of invalid ids = %q", got)
	}
}

func FuzzRoundTrip(f *testing.F) {
	tok := trained(f, 400)
	for _, s := range corpus {
		f.Add(s)
	}
	f.Add("\xff\x00 \t\n  x")
	f.Add("日本語のテキスト's")
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("round trip %q -> %q", s, got)
		}
		if utf8.ValidString(s) && len(ids) > len(s) {
			t.Fatalf("%d tokens for %d bytes", len(ids), len(s))
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	tok := trained(b, 800)
	text := strings.Repeat(strings.Join(corpus, " "), 4)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok.Encode(text)
	}
}

func BenchmarkTrain(b *testing.B) {
	var c []string
	for i := 0; i < 200; i++ {
		c = append(c, fmt.Sprintf("%s %d", corpus[i%len(corpus)], i))
	}
	for i := 0; i < b.N; i++ {
		Train(c, 1000, nil)
	}
}
