package hfmodel

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"vlmq/hfload"
	"vlmq/tensor"
	"vlmq/vlm"
)

// python is Debian's interpreter, where python3-torch installs torch
// (a python3 earlier on PATH may lack it).
const python = "/usr/bin/python3"

func haveTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import torch, numpy").Run(); err != nil {
		if os.Getenv("VLMQ_REQUIRE_TORCH") != "" { // CI: fail, never skip
			t.Fatal("python3 with torch and numpy not available:", err)
		}
		t.Skip("python3 with torch and numpy not available:", err)
	}
}

type refItem struct {
	Image     []int `json:"image"`
	Tokens    []int `json:"tokens"`
	PromptLen int   `json:"prompt_len"`
}

type refCase struct {
	m       *Model
	batch   []vlm.Input
	lens    []int
	prompts []int
}

// TestMatchesTorch compares the Go forward pass (logits at every text
// position, a right-padded batch of two with different prompt lengths)
// with the independent float64 PyTorch reference in testdata/reference.py
// (one python process for all families: importing torch is the slow part).
func TestMatchesTorch(t *testing.T) {
	haveTorch(t)
	var args []string
	var cases []refCase
	for _, fam := range hfload.Families() {
		dir := writeCheckpoint(t, fam, 7)
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewSource(3))
		S := m.Cfg.Vision.ImageSize
		c := refCase{m: m, lens: []int{6, 3}, prompts: []int{2, 3}}
		var items []refItem
		for i, n := range c.lens {
			img := randomImage(r, S)
			toks := make([]int, n)
			for j := range toks {
				toks[j] = r.Intn(m.Vocab)
			}
			toks[i] = m.Vocab - 1 // xGen-MM: an id from the extra vocabulary
			tg := make([]int, n+1)
			for j := range tg {
				tg[j] = j
			}
			c.batch = append(c.batch, vlm.Input{Image: img, Tokens: toks, Targets: tg})
			it := refItem{Tokens: toks, PromptLen: c.prompts[i]}
			for p := 0; p < len(img.Pix); p += 4 {
				it.Image = append(it.Image, int(img.Pix[p]), int(img.Pix[p+1]), int(img.Pix[p+2]))
			}
			items = append(items, it)
		}
		in := filepath.Join(t.TempDir(), "in.json")
		b, _ := json.Marshal(map[string]any{"items": items})
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, dir, in)
		cases = append(cases, c)
	}
	cmd := exec.Command(python, append([]string{"testdata/reference.py"}, args...)...)
	outb, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("reference failed: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var refs []struct{ Logits [][][]float64 }
	if err := json.Unmarshal(outb, &refs); err != nil {
		t.Fatal(err)
	}
	if len(refs) != len(cases) {
		t.Fatalf("reference returned %d results for %d models", len(refs), len(cases))
	}
	for ci, c := range cases {
		m, ref := c.m, refs[ci]
		t.Run(string(m.Cfg.Family), func(t *testing.T) {
			// Both with and without a tape (the taped path records the
			// composed ops differently).
			for _, tp := range []*tensor.Tape{nil, tensor.NewTape()} {
				out, err := m.ForwardPrompt(tp, c.batch, c.prompts)
				if err != nil {
					t.Fatal(err)
				}
				row, maxAbs, maxErr := 0, 0.0, 0.0
				for i, it := range ref.Logits {
					if len(it) != c.lens[i]+1 {
						t.Fatalf("reference gave %d rows for item %d, want %d", len(it), i, c.lens[i]+1)
					}
					for _, want := range it {
						if len(want) != m.Vocab {
							t.Fatalf("reference vocab %d, model %d", len(want), m.Vocab)
						}
						got := out.Logits.Data[row*m.Vocab : (row+1)*m.Vocab]
						for j, w := range want {
							maxAbs = math.Max(maxAbs, math.Abs(w))
							maxErr = math.Max(maxErr, math.Abs(float64(got[j])-w))
						}
						row++
					}
				}
				rel := maxErr / maxAbs
				t.Logf("tape=%v: max |logit| %.3g, max abs error %.3g, relative %.3g", tp != nil, maxAbs, maxErr, rel)
				if rel > 1e-4 || math.IsNaN(rel) {
					t.Errorf("logits differ from the torch reference: relative error %.3g", rel)
				}
			}
		})
	}
}
