package hfmodel

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/hfload"
	"vlmq/optim"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/vlm"
)

func fixedBatch(m *Model, r *rand.Rand) []vlm.Input {
	var batch []vlm.Input
	for _, n := range []int{5, 3} {
		toks := make([]int, n)
		for j := range toks {
			toks[j] = r.Intn(m.Vocab)
		}
		toks[1] = m.Vocab - 1 // xGen-MM: an id from the extra vocabulary
		batch = append(batch, vlm.Input{Image: randomImage(r, 20), Tokens: toks, Targets: []int{1, 2, n}})
	}
	return batch
}

func targetsOf(batch []vlm.Input) []int {
	var ys []int
	for _, in := range batch {
		for _, t := range in.Targets {
			if t < len(in.Tokens) {
				ys = append(ys, in.Tokens[t])
			} else {
				ys = append(ys, 0)
			}
		}
	}
	return ys
}

// TestTrainingLowersLoss: gradients reach every trunk parameter, and a few
// AdamW steps on a fixed batch lower the LM loss and the critics' loss.
func TestTrainingLowersLoss(t *testing.T) {
	for _, fam := range hfload.Families() {
		t.Run(string(fam), func(t *testing.T) {
			m := loadFixture(t, fam)
			r := rand.New(rand.NewSource(5))
			batch := fixedBatch(m, r)
			ys := targetsOf(batch)
			qt := tensor.Zeros(len(ys))
			for i := range qt.Data {
				qt.Data[i] = float32(i%3) - 1
			}
			params := nn_Tensors(m)
			opt := optim.NewAdamW(3e-3)
			tp := tensor.NewTape()
			var first, last float32
			for step := 0; step < 6; step++ {
				tp.Reset()
				optim.ZeroGrad(params)
				out, err := m.Forward(tp, batch)
				if err != nil {
					t.Fatal(err)
				}
				q1 := tp.Gather(out.Q1, ys)
				q2 := tp.Gather(out.Q2, ys)
				loss := tp.Add(tp.CrossEntropy(out.Logits, ys, nil), tp.Add(tp.MSE(q1, qt), tp.MSE(q2, qt)))
				if err := tp.Backward(loss); err != nil {
					t.Fatal(err)
				}
				if step == 0 {
					first = loss.Item()
					for _, p := range m.Params() {
						nz := false
						for _, g := range p.T.Grad {
							nz = nz || g != 0
						}
						if !nz {
							t.Errorf("no gradient reached %s", p.Name)
						}
					}
				}
				last = loss.Item()
				opt.Step(params)
			}
			t.Logf("loss %.4f -> %.4f", first, last)
			if !(last < 0.9*first) {
				t.Errorf("loss did not fall: %.4f -> %.4f", first, last)
			}
		})
	}
}

func nn_Tensors(m *Model) []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, p := range m.Params() {
		ts = append(ts, p.T)
	}
	return ts
}

func TestParamsAndClone(t *testing.T) {
	m := loadFixture(t, "xgenmm")
	seen := map[string]bool{}
	for _, p := range m.Params() {
		if seen[p.Name] {
			t.Errorf("duplicate parameter %s", p.Name)
		}
		seen[p.Name] = true
		if !p.T.IsLeaf() {
			t.Errorf("%s is not a trainable leaf", p.Name)
		}
	}
	for _, k := range []string{"vision.patch_embed.weight", "projector.latents", "text.embed_extra.weight", "text.lm_head_extra.weight", q1W, q2B} {
		if !seen[k] {
			t.Errorf("Params lacks %s", k)
		}
	}
	if m.Vocab != 40+extraVocab {
		t.Errorf("Vocab = %d, want %d", m.Vocab, 40+extraVocab)
	}
	c := m.clone()
	r := rand.New(rand.NewSource(1))
	batch := fixedBatch(m, r)
	a, err := m.Forward(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Forward(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Logits.Data {
		if a.Logits.Data[i] != b.Logits.Data[i] {
			t.Fatal("clone computes different logits")
		}
	}
	c.W("text.embed.weight").Data[0] += 1
	if m.W("text.embed.weight").Data[0] == c.W("text.embed.weight").Data[0] {
		t.Error("clone shares parameter memory")
	}
}

func TestCriticSaveLoad(t *testing.T) {
	dir := writeCheckpoint(t, "moondream2", 2)
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(4))
	for _, p := range m.CriticParams() {
		for i := range p.T.Data {
			p.T.Data[i] = float32(r.NormFloat64())
		}
	}
	if err := m.SaveCritic(filepath.Join(dir, CriticFile)); err != nil {
		t.Fatal(err)
	}
	fresh, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	batch := fixedBatch(m, r)
	a, _ := m.Forward(nil, batch)
	b, err := fresh.Forward(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Q1.Data {
		if a.Q1.Data[i] != b.Q1.Data[i] || a.Q2.Data[i] != b.Q2.Data[i] {
			t.Fatal("reloaded critic heads differ")
		}
	}
	// Q heads without a critic file are distinct and small.
	noCritic := loadFixture(t, "moondream2")
	o, _ := noCritic.Forward(nil, batch)
	same := true
	for i := range o.Q1.Data {
		same = same && o.Q1.Data[i] == o.Q2.Data[i]
		if abs32(o.Q1.Data[i]) > 2 {
			t.Fatalf("initial Q value %v is not small", o.Q1.Data[i])
		}
	}
	if same {
		t.Error("the two fresh Q heads are identical")
	}

	// Damaged critic files are rejected with the problem named.
	bad := map[string]func(f *safetensors.File){
		"missing":    func(f *safetensors.File) { delete(f.Tensors, q2B) },
		"shape":      func(f *safetensors.File) { f.Tensors[q1B] = safetensors.FromFloat32([]int{2}, []float32{1, 2}) },
		"unexpected": func(f *safetensors.File) { f.Tensors["extra"] = safetensors.FromFloat32([]int{1}, []float32{1}) },
	}
	for name, damage := range bad {
		f, err := safetensors.Read(filepath.Join(dir, CriticFile))
		if err != nil {
			t.Fatal(err)
		}
		damage(f)
		p := filepath.Join(t.TempDir(), "c.safetensors")
		if err := safetensors.Write(p, f); err != nil {
			t.Fatal(err)
		}
		before := append([]float32(nil), fresh.W(q1B).Data...)
		err = fresh.LoadCritic(p)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: LoadCritic error %v", name, err)
		}
		for i, v := range fresh.W(q1B).Data {
			if v != before[i] {
				t.Fatalf("%s: a failed LoadCritic changed the heads", name)
			}
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) string
		want  string
	}{
		{"no folder", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, "config"},
		{"missing tensor", func(t *testing.T) string {
			dir := writeCheckpoint(t, "paligemma", 1)
			f, err := safetensors.Read(filepath.Join(dir, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			delete(f.Tensors, "multi_modal_projector.linear.weight")
			if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), f); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "missing"},
		{"bad tokenizer", func(t *testing.T) string {
			dir := writeCheckpoint(t, "moondream2", 1)
			os.WriteFile(filepath.Join(dir, TokenizerFile), []byte(`{"model": {"type": "Unigram"}}`), 0o644)
			return dir
		}, "Unigram"},
		{"bad critic", func(t *testing.T) string {
			dir := writeCheckpoint(t, "moondream2", 1)
			os.WriteFile(filepath.Join(dir, CriticFile), []byte("garbage"), 0o644)
			return dir
		}, "critic"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(c.setup(t))
			if err == nil {
				t.Fatalf("Load succeeded: %v", m.Cfg.Family)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			var ce *hfload.CheckError
			if c.name == "missing tensor" && !errors.As(err, &ce) {
				t.Errorf("missing tensor error is not a *hfload.CheckError: %T", err)
			}
		})
	}
}

func TestForwardInputErrors(t *testing.T) {
	m := loadFixture(t, "paligemma")
	img := randomImage(rand.New(rand.NewSource(1)), 8)
	cases := map[string][]vlm.Input{
		"empty":  nil,
		"image":  {{Tokens: []int{1}}},
		"token":  {{Image: img, Tokens: []int{m.Vocab}}},
		"target": {{Image: img, Tokens: []int{1}, Targets: []int{2}}},
		"tokens": {{Image: img, Tokens: make([]int, m.MaxText()+1)}},
	}
	for name, b := range cases {
		if _, err := m.Forward(nil, b); err == nil {
			t.Errorf("%s: Forward accepted bad input", name)
		}
	}
	if _, err := m.ForwardPrompt(nil, []vlm.Input{{Image: img, Tokens: []int{1}}}, []int{2}); err == nil {
		t.Error("prompt longer than the tokens accepted")
	}
}

// TestGenerateGreedy: greedy decoding picks, at every step, the argmax of
// the logits ForwardPrompt gives for the same prefix, and stops at EOS.
func TestGenerateGreedy(t *testing.T) {
	for _, fam := range hfload.Families() {
		t.Run(string(fam), func(t *testing.T) {
			m := loadFixture(t, fam)
			r := rand.New(rand.NewSource(8))
			gin := []vlm.GenInput{{Image: randomImage(r, 20), Prompt: []int{5, 6, 7}}, {Image: randomImage(r, 12), Prompt: []int{9}}}
			outs, err := m.Generate(gin, vlm.GenOpts{MaxTokens: 4})
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range outs {
				if len(o.Tokens) != 4 || len(o.LogProbs) != 4 {
					t.Fatalf("item %d: %d tokens, %d log-probs", i, len(o.Tokens), len(o.LogProbs))
				}
				toks := append(append([]int(nil), gin[i].Prompt...), o.Tokens...)
				tg := []int{}
				for j := range o.Tokens {
					tg = append(tg, len(gin[i].Prompt)+j)
				}
				f, err := m.ForwardPrompt(nil, []vlm.Input{{Image: gin[i].Image, Tokens: toks, Targets: tg}}, []int{len(gin[i].Prompt)})
				if err != nil {
					t.Fatal(err)
				}
				for j, tok := range o.Tokens {
					row := f.Logits.Data[j*m.Vocab : (j+1)*m.Vocab]
					if best := vlm.SampleToken(row, 0, nil); best != tok {
						t.Errorf("item %d step %d: generated %d, forward argmax %d", i, j, tok, best)
					}
					if lp := row[tok] - tensor.LogSumExp(row); abs32(lp-o.LogProbs[j]) > 1e-4 {
						t.Errorf("item %d step %d: log-prob %v, forward %v", i, j, o.LogProbs[j], lp)
					}
				}
			}
			// Stopping at EOS: make EOS the greedy choice at once.
			eos := m.Cfg.Text.EOS
			c := m.clone()
			bias := c.W("text.lm_head.bias")
			if bias == nil {
				return // tied Gemma head: no bias to force EOS with
			}
			bias.Data[eos] += 1e4
			outs, err = c.Generate(gin[:1], vlm.GenOpts{MaxTokens: 5, StopAtEOS: true})
			if err != nil {
				t.Fatal(err)
			}
			if !outs[0].EOS || len(outs[0].Tokens) != 1 || outs[0].Tokens[0] != eos {
				t.Errorf("EOS stop: %+v", outs[0])
			}
		})
	}
}
