package models

import (
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vlmq/hfload"
	"vlmq/hfmodel/hftest"
	"vlmq/model/modeltest"
	"vlmq/vlm"
)

// implementations writes one folder of every vlm.Model implementation:
// the small VLM's tiny preset and a small random checkpoint of each
// Hugging Face family.
func implementations(t *testing.T) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	small := modeltest.New(t, modeltest.Spec{Corpus: []string{"move left right to the target number 0 1 2 3 4 5 6 7 8 9"}, Seed: 3})
	dirs["small"] = filepath.Join(t.TempDir(), "small")
	if err := small.Save(dirs["small"]); err != nil {
		t.Fatal(err)
	}
	for _, fam := range hfload.Families() {
		dir := t.TempDir()
		if err := hftest.WriteTrainable(dir, fam, 5); err != nil {
			t.Fatal(err)
		}
		dirs[fam] = dir
	}
	return dirs
}

func testImage(seed uint64, s int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, s, s))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

// batch is two teacher-forced turns of different lengths.
func batch(m vlm.Model) []vlm.Input {
	var in []vlm.Input
	for i, p := range [][2]string{{"move to 3", " [action] left"}, {"go left", " right"}} {
		prompt := m.EncodePrompt(p[0])
		reply := append(m.Tokenizer().Encode(p[1]), m.Tokenizer().EOSID())
		x := vlm.Input{Image: testImage(uint64(i), 40), Tokens: append(slices.Clone(prompt), reply...), Prompt: len(prompt)}
		for j := range reply {
			x.Targets = append(x.Targets, len(prompt)+j)
		}
		in = append(in, x)
	}
	return in
}

func forward(t *testing.T, m vlm.Model) vlm.Output {
	t.Helper()
	out, err := m.Forward(nil, batch(m))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameOutput(a, b vlm.Output) bool {
	return slices.Equal(a.Logits.Data, b.Logits.Data) && slices.Equal(a.Q1.Data, b.Q1.Data) && slices.Equal(a.Q2.Data, b.Q2.Data)
}

// TestEveryModel holds each implementation to the vlm.Model contract:
// loading by folder, head shapes, parameter subsets, Clone, Save and
// reload, and generation.
func TestEveryModel(t *testing.T) {
	for name, dir := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d := m.Describe(); d == "" {
				t.Error("empty Describe")
			}
			in := batch(m)
			out := forward(t, m)
			rows := len(in[0].Targets) + len(in[1].Targets)
			V := out.Logits.Shape[1]
			for h, shape := range map[string][]int{"logits": out.Logits.Shape, "q1": out.Q1.Shape, "q2": out.Q2.Shape} {
				if !slices.Equal(shape, []int{rows, V}) {
					t.Errorf("%s shape %v, want [%d %d]", h, shape, rows, V)
				}
			}
			// Every id a head can score is a valid id: a sampled one
			// (xGen-MM's extra tokens beyond hftest's tokenizer) must be
			// accepted back from a replay.
			if V != m.Tokenizer().VocabSize() {
				t.Errorf("heads of width %d for a vocabulary of %d", V, m.Tokenizer().VocabSize())
			}
			all := map[string]bool{}
			for _, p := range m.Params() {
				all[p.Name] = true
			}
			for _, p := range append(m.Trainable(), m.CriticParams()...) {
				if !all[p.Name] {
					t.Errorf("%s is trainable or a critic but not a parameter", p.Name)
				}
			}
			if len(vlm.ActorParams(m)) != len(m.Trainable())-len(m.CriticParams()) {
				t.Error("ActorParams is not Trainable without the critics")
			}

			// Clone: equal outputs, independent weights.
			c := m.Clone()
			if !sameOutput(forward(t, c), out) {
				t.Error("clone computes differently")
			}
			c.Trainable()[0].T.Data[0] += 1
			c.CriticParams()[0].T.Data[0] += 1
			if !sameOutput(forward(t, m), out) {
				t.Error("changing the clone changed the original")
			}

			// Save and load back, with seeded critics.
			m.SeedCriticsFromLM(0.5)
			seeded := forward(t, m)
			if sameOutput(seeded, out) {
				t.Error("SeedCriticsFromLM changed nothing")
			}
			saved := filepath.Join(t.TempDir(), "saved")
			if err := m.Save(saved); err != nil {
				t.Fatal(err)
			}
			back, err := vlm.Load(saved)
			if err != nil {
				t.Fatal(err)
			}
			if !sameOutput(forward(t, back), seeded) {
				t.Error("saved and reloaded model computes differently")
			}

			// LoRA is an optional capability: the Hugging Face families
			// take adapters, the small VLM says it cannot.
			err = vlm.AddLoRA(m.Clone(), vlm.LoRA{Rank: 2})
			if _, ok := m.(vlm.LoRAAdder); ok != (name != "small") {
				t.Errorf("LoRA capability %v", ok)
			} else if ok && err != nil {
				t.Errorf("AddLoRA: %v", err)
			} else if !ok && (err == nil || !strings.Contains(err.Error(), "takes no LoRA adapters")) {
				t.Errorf("AddLoRA on a model without adapters: %v", err)
			}

			gen, err := m.Generate([]vlm.GenInput{{Image: in[0].Image, Prompt: in[0].Tokens[:in[0].Prompt]}, {Image: in[1].Image, Prompt: in[1].Tokens[:in[1].Prompt]}},
				vlm.GenOpts{MaxTokens: 3, Temperature: 1, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range gen {
				if len(g.Tokens) != 3 || len(g.LogProbs) != 3 || g.Text != m.Tokenizer().DecodeText(g.Tokens) {
					t.Errorf("generation %d: %+v", i, g)
				}
			}
		})
	}
}

// TestHFCache: hf:org/name resolves refs/main (or an explicit revision) in
// the hub cache layout under HF_HOME, and a missing snapshot is an error
// that says nothing was downloaded.
func TestHFCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_HUB_CACHE", "")
	repo := filepath.Join(home, "hub", "models--google--tiny-pali")
	const commit = "0123abcd"
	snap := filepath.Join(repo, "snapshots", commit)
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := hftest.WriteTrainable(snap, "paligemma", 1); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A ref must name a snapshot, never a path out of the cache (to a
	// loadable folder elsewhere, so only the check stops it).
	elsewhere := filepath.Join(home, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := hftest.WriteTrainable(elsewhere, "paligemma", 1); err != nil {
		t.Fatal(err)
	}
	for ref, to := range map[string]string{"escape": "../../../elsewhere", "dotdot": "..", "abs": elsewhere} {
		if err := os.WriteFile(filepath.Join(repo, "refs", ref), []byte(to+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ base, err string }{
		{"hf:google/tiny-pali@escape", "not a commit name"},
		{"hf:google/tiny-pali@dotdot", "not a commit name"},
		{"hf:google/tiny-pali@abs", "not a commit name"},
		{"hf:google/tiny-pali", ""},
		{"hf:google/tiny-pali@" + commit, ""},
		{"hf:google/tiny-pali@v2", "not in the local Hugging Face cache"},
		{"hf:google/other", "not in the local Hugging Face cache"},
		{"hf:nonsense", "not a Hugging Face repository"},
		{"hf:a/../b", "not a Hugging Face repository"},
	} {
		m, err := Load(c.base)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.base, err)
		case c.err == "" && !strings.HasPrefix(m.Describe(), "paligemma"):
			t.Errorf("%s loaded %s", c.base, m.Describe())
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want %q", c.base, err, c.err)
		}
	}
}
