package model

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vlmq/nn"
	"vlmq/optim"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/tokenizer"
	"vlmq/vlm"
)

func testTok(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	var c []string
	for i := 0; i < 30; i++ {
		c = append(c, fmt.Sprintf("Question: what colour is card %d?\nAnswer: red green blue", i%7),
			"Goal: reach the target. Reply with your choice after \"[action]\"")
	}
	tok, err := tokenizer.Train(c, 320, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func tinyModel(t testing.TB, seed int64) *VLM {
	t.Helper()
	cfg, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, testTok(t), seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randImage(r *rand.Rand, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func randTokens(r *rand.Rand, n, vocab int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = 4 + r.IntN(vocab-4)
	}
	return ids
}

func allTargets(n int) []int {
	t := make([]int, n+1)
	for i := range t {
		t[i] = i
	}
	return t
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func row(t *tensor.Tensor, i int) []float32 {
	v := t.Shape[1]
	return t.Data[i*v : (i+1)*v]
}

func TestPresetsValid(t *testing.T) {
	tok := testTok(t)
	for _, name := range Presets() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Vocab = tok.VocabSize()
		if err := cfg.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	if _, err := Preset("huge"); err == nil {
		t.Error("unknown preset accepted")
	}
	bad := []func(c *Config){
		func(c *Config) { c.PatchSize = 5 },
		func(c *Config) { c.Heads = 5 },
		func(c *Config) { c.Layers = 0 },
		func(c *Config) { c.MaxSeq = c.Patches() },
		func(c *Config) { c.Vocab = tok.VocabSize() + 1 },
	}
	for i, f := range bad {
		cfg, _ := Preset("tiny")
		f(&cfg)
		if _, err := New(cfg, tok, 1); err == nil {
			t.Errorf("bad config %d accepted: %+v", i, cfg)
		}
	}
}

func TestForwardShapesAndRowSelection(t *testing.T) {
	m := tinyModel(t, 1)
	r := rand.New(rand.NewPCG(1, 2))
	V := m.Cfg.Vocab
	batch := []vlm.Input{
		{Image: randImage(r, 30, 20), Tokens: randTokens(r, 7, V)},
		{Image: randImage(r, 16, 16), Tokens: randTokens(r, 3, V)},
		{Image: randImage(r, 50, 64), Tokens: nil},
	}
	// Each item alone with every target: the reference rows.
	var ref [][]float32
	var refQ [][]float32
	for _, in := range batch {
		in.Targets = allTargets(len(in.Tokens))
		out, err := m.Forward(nil, []vlm.Input{in})
		if err != nil {
			t.Fatal(err)
		}
		if out.Logits.Shape[0] != len(in.Targets) || out.Logits.Shape[1] != V || out.Q1.Shape[1] != V || out.Q2.Shape[1] != V {
			t.Fatalf("shapes %v %v %v", out.Logits.Shape, out.Q1.Shape, out.Q2.Shape)
		}
		for i := range in.Targets {
			ref = append(ref, row(out.Logits, i))
			refQ = append(refQ, row(out.Q2, i))
		}
	}
	// Batched, padded, with a subset of targets in scrambled order.
	batch[0].Targets = []int{7, 0, 3}
	batch[1].Targets = []int{2}
	batch[2].Targets = []int{0}
	offsets := []int{0, 8, 12}
	out, err := m.Forward(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	if out.Logits.Shape[0] != 5 {
		t.Fatalf("N = %d, want 5", out.Logits.Shape[0])
	}
	k := 0
	for b, in := range batch {
		for _, tg := range in.Targets {
			if d := maxDiff(row(out.Logits, k), ref[offsets[b]+tg]); d > 1e-4 {
				t.Errorf("item %d target %d: logits differ by %g from unbatched", b, tg, d)
			}
			if d := maxDiff(row(out.Q2, k), refQ[offsets[b]+tg]); d > 1e-4 {
				t.Errorf("item %d target %d: Q2 differs by %g", b, tg, d)
			}
			k++
		}
	}
	if maxDiff(row(out.Q1, 0), row(out.Q2, 0)) == 0 {
		t.Error("Q1 and Q2 are identical; critics must be independent")
	}
}

func TestForwardRejectsBadInput(t *testing.T) {
	m := tinyModel(t, 1)
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	cases := map[string][]vlm.Input{
		"empty":       nil,
		"nil image":   {{Tokens: []int{5}}},
		"bad token":   {{Image: img, Tokens: []int{m.Cfg.Vocab}}},
		"neg token":   {{Image: img, Tokens: []int{-1}}},
		"bad target":  {{Image: img, Tokens: []int{5}, Targets: []int{2}}},
		"too long":    {{Image: img, Tokens: make([]int, m.Cfg.MaxText()+1)}},
		"empty image": {{Image: &image.RGBA{}, Tokens: []int{5}}},
	}
	for name, b := range cases {
		if _, err := m.Forward(nil, b); err == nil {
			t.Errorf("%s: Forward succeeded", name)
		}
	}
	if _, err := m.Generate([]vlm.GenInput{{Image: img}}, vlm.GenOpts{}); err == nil {
		t.Error("Generate with MaxTokens 0 succeeded")
	}
	if _, err := m.Generate([]vlm.GenInput{{Prompt: []int{5}}}, vlm.GenOpts{MaxTokens: 2}); err == nil {
		t.Error("Generate without image succeeded")
	}
}

func TestGradientsReachEveryTrunkParam(t *testing.T) {
	m := tinyModel(t, 3)
	r := rand.New(rand.NewPCG(3, 4))
	tp := tensor.NewTape()
	in := vlm.Input{Image: randImage(r, 20, 20), Tokens: randTokens(r, 5, m.Cfg.Vocab), Targets: []int{0, 2, 4}}
	out, err := m.Forward(tp, []vlm.Input{in})
	if err != nil {
		t.Fatal(err)
	}
	loss := tp.Add(tp.CrossEntropy(out.Logits, in.Tokens[:3], nil), tp.Add(tp.Mean(out.Q1), tp.Mean(out.Q2)))
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		nz := false
		for _, g := range p.T.Grad {
			if g != 0 {
				nz = true
				break
			}
		}
		// Embedding rows of unused tokens get zero grad, but the table
		// as a whole must receive some.
		if !nz {
			t.Errorf("parameter %s got no gradient", p.Name)
		}
	}
}

func TestCloneIsDeepAndEqual(t *testing.T) {
	m := tinyModel(t, 5)
	c := m.clone()
	r := rand.New(rand.NewPCG(5, 6))
	in := []vlm.Input{{Image: randImage(r, 10, 10), Tokens: randTokens(r, 4, m.Cfg.Vocab), Targets: []int{0, 4}}}
	a, _ := m.Forward(nil, in)
	b, _ := c.Forward(nil, in)
	if maxDiff(a.Logits.Data, b.Logits.Data) != 0 || maxDiff(a.Q1.Data, b.Q1.Data) != 0 {
		t.Fatal("clone computes differently")
	}
	c.LMHead.W.Data[0] += 1
	if m.LMHead.W.Data[0] == c.LMHead.W.Data[0] {
		t.Fatal("clone shares parameter memory")
	}
	if err := optim.Polyak(nn.Tensors(c.Params()), nn.Tensors(m.Params()), 0.5); err != nil {
		t.Fatalf("Polyak over Params: %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := tinyModel(t, 7)
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cfg != m.Cfg {
		t.Fatalf("config %+v, want %+v", got.Cfg, m.Cfg)
	}
	r := rand.New(rand.NewPCG(7, 8))
	in := []vlm.Input{{Image: randImage(r, 30, 30), Tokens: randTokens(r, 6, m.Cfg.Vocab), Targets: allTargets(6)}}
	a, _ := m.Forward(nil, in)
	b, _ := got.Forward(nil, in)
	if maxDiff(a.Logits.Data, b.Logits.Data) != 0 || maxDiff(a.Q1.Data, b.Q1.Data) != 0 || maxDiff(a.Q2.Data, b.Q2.Data) != 0 {
		t.Fatal("loaded model computes differently")
	}
	// The weights, config and tokenizer, and the marker naming the kind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("checkpoint has %d files, want 4", len(entries))
	}

	// Broken checkpoints fail with errors naming the problem.
	f, _ := safetensors.Read(filepath.Join(dir, WeightsFile))
	delete(f.Tensors, "lm_head.weight")
	f.Tensors["extra"] = safetensors.FromFloat32([]int{1}, []float32{1})
	bad := t.TempDir()
	for _, name := range []string{ConfigFile, TokenizerFile} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		os.WriteFile(filepath.Join(bad, name), b, 0o644)
	}
	safetensors.Write(filepath.Join(bad, WeightsFile), f)
	if _, err := Load(bad); err == nil {
		t.Error("Load accepted weights with a missing and an extra tensor")
	}
	os.WriteFile(filepath.Join(bad, ConfigFile), []byte(`{"dim": 3}`), 0o644)
	if _, err := Load(bad); err == nil {
		t.Error("Load accepted an inconsistent config")
	}
	if _, err := Load(filepath.Join(bad, "none")); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
}

// uncachedGreedy decodes by re-running Forward on the whole sequence,
// returning the tokens and their log-probabilities.
func uncachedGreedy(t *testing.T, m *VLM, in vlm.GenInput, n int) ([]int, []float32) {
	toks := append([]int(nil), in.Prompt...)
	var out []int
	var lps []float32
	for i := 0; i < n; i++ {
		o, err := m.Forward(nil, []vlm.Input{{Image: in.Image, Tokens: toks, Targets: []int{len(toks)}}})
		if err != nil {
			t.Fatal(err)
		}
		next := vlm.SampleToken(o.Logits.Data, 0, nil)
		out = append(out, next)
		lps = append(lps, o.Logits.Data[next]-tensor.LogSumExp(o.Logits.Data))
		toks = append(toks, next)
	}
	return out, lps
}

func TestCachedGenerationMatchesUncached(t *testing.T) {
	for _, c := range []struct {
		name  string
		alibi bool
		rope  float64
	}{
		{"alibi", true, 0},
		{"rope", false, 10000},
		{"rope and alibi", true, 100},
		{"learned positions only", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Preset("tiny")
			if err != nil {
				t.Fatal(err)
			}
			cfg.ALiBi, cfg.RopeTheta = c.alibi, c.rope
			m, err := New(cfg, testTok(t), 11)
			if err != nil {
				t.Fatal(err)
			}
			checkCachedGeneration(t, m)
		})
	}
}

func checkCachedGeneration(t *testing.T, m *VLM) {
	// Sharpen the LM head so argmax is not decided by float noise.
	for i := range m.LMHead.W.Data {
		m.LMHead.W.Data[i] *= 20
	}
	r := rand.New(rand.NewPCG(11, 12))
	batch := []vlm.GenInput{
		{Image: randImage(r, 40, 30), Prompt: randTokens(r, 9, m.Cfg.Vocab)},
		{Image: randImage(r, 12, 12), Prompt: randTokens(r, 2, m.Cfg.Vocab)},
		{Image: randImage(r, 20, 20), Prompt: nil},
	}
	const n = 12
	got, err := m.Generate(batch, vlm.GenOpts{MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range batch {
		want, lps := uncachedGreedy(t, m, in, n)
		if fmt.Sprint(got[i].Tokens) != fmt.Sprint(want) {
			t.Errorf("item %d: cached %v, uncached %v", i, got[i].Tokens, want)
		}
		if d := maxDiff(got[i].LogProbs, lps); d > 1e-3 {
			t.Errorf("item %d: cached log-probs differ from uncached by %g", i, d)
		}
		if got[i].Text != m.Tok.DecodeText(got[i].Tokens) {
			t.Errorf("item %d: text mismatch", i)
		}
	}
	// Batched generation equals one-at-a-time generation.
	for i, in := range batch {
		one, err := m.Generate([]vlm.GenInput{in}, vlm.GenOpts{MaxTokens: n})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(one[0].Tokens) != fmt.Sprint(got[i].Tokens) {
			t.Errorf("item %d: alone %v, batched %v", i, one[0].Tokens, got[i].Tokens)
		}
	}
}

func TestGenerateSamplingAndEOS(t *testing.T) {
	m := tinyModel(t, 13)
	r := rand.New(rand.NewPCG(13, 14))
	batch := []vlm.GenInput{{Image: randImage(r, 20, 20), Prompt: randTokens(r, 4, m.Cfg.Vocab)},
		{Image: randImage(r, 20, 20), Prompt: randTokens(r, 6, m.Cfg.Vocab)}}
	opts := vlm.GenOpts{MaxTokens: 20, Temperature: 1.5, Seed: 42}
	a, _ := m.Generate(batch, opts)
	b, _ := m.Generate(batch, opts)
	opts.Seed = 43
	c, _ := m.Generate(batch, opts)
	for i := range batch {
		if fmt.Sprint(a[i].Tokens) != fmt.Sprint(b[i].Tokens) {
			t.Errorf("same seed gave different samples for item %d", i)
		}
		if len(a[i].Tokens) != 20 {
			t.Errorf("item %d: %d tokens, want MaxTokens 20 without StopAtEOS", i, len(a[i].Tokens))
		}
	}
	if fmt.Sprint(a[0].Tokens, a[1].Tokens) == fmt.Sprint(c[0].Tokens, c[1].Tokens) {
		t.Error("different seeds gave identical samples")
	}
	// Force EOS: the reply stops right there when StopAtEOS.
	eos := m.Tok.EOSID()
	m.LMHead.W.Data = append([]float32(nil), m.LMHead.W.Data...)
	for j := 0; j < m.Cfg.Dim; j++ {
		m.LMHead.W.Data[eos*m.Cfg.Dim+j] = 0
	}
	hb := tensor.Param(m.Cfg.Vocab)
	hb.Data[eos] = 1e4
	m.LMHead.B = hb
	got, _ := m.Generate(batch, vlm.GenOpts{MaxTokens: 5, StopAtEOS: true})
	for i := range got {
		if len(got[i].Tokens) != 1 || got[i].Tokens[0] != eos || !got[i].EOS || got[i].Text != "" {
			t.Errorf("item %d: %+v, want a lone EOS", i, got[i])
		}
	}
}

func TestOverfitFixedBatch(t *testing.T) {
	m := tinyModel(t, 17)
	r := rand.New(rand.NewPCG(17, 18))
	var batch []vlm.Input
	var targets []int
	for i := 0; i < 4; i++ {
		toks := randTokens(r, 6, m.Cfg.Vocab)
		batch = append(batch, vlm.Input{Image: randImage(r, 16, 16), Tokens: toks, Targets: []int{1, 2, 3, 4, 5}})
		targets = append(targets, toks[1:]...)
	}
	params := nn.Tensors(m.Params())
	opt := optim.NewAdamW(3e-3)
	tp := tensor.NewTape()
	var first, last float32
	for step := 0; step < 60; step++ {
		tp.Reset()
		out, err := m.Forward(tp, batch)
		if err != nil {
			t.Fatal(err)
		}
		loss := tp.CrossEntropy(out.Logits, targets, nil)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		opt.Step(params)
		optim.ZeroGrad(params)
		if step == 0 {
			first = loss.Data[0]
		}
		last = loss.Data[0]
	}
	if !(last < first*0.3) {
		t.Errorf("loss %v -> %v: did not overfit a fixed batch", first, last)
	}
}

func TestPixels(t *testing.T) {
	// 4x2 image of 2x2 blocks: left black, right white -> 2x1 averages.
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			v := uint8(0)
			if x >= 2 {
				v = 255
			}
			img.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	px, err := vlm.Pixels(img, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-1, -1, -1, 1, 1, 1, -1, -1, -1, 1, 1, 1}
	if maxDiff(px, want) > 1e-6 {
		t.Errorf("Pixels = %v, want %v", px, want)
	}
	// A 3px-wide image down to 2: the middle column is split half/half.
	img3 := image.NewRGBA(image.Rect(0, 0, 3, 1))
	img3.Set(0, 0, color.RGBA{0, 0, 0, 255})
	img3.Set(1, 0, color.RGBA{255, 255, 255, 255})
	img3.Set(2, 0, color.RGBA{0, 0, 0, 255})
	px, _ = vlm.Pixels(img3, 2)
	// left cell covers pixel 0 fully and half of pixel 1: mean 255/3.
	if d := math.Abs(float64(px[0]) - (255.0/3/127.5 - 1)); d > 1e-5 {
		t.Errorf("area average wrong: %v", px[0])
	}
	// Sub-images with non-zero origin read the right pixels.
	sub := img.SubImage(image.Rect(2, 0, 4, 4)).(*image.RGBA)
	px, _ = vlm.Pixels(sub, 2)
	for _, v := range px {
		if v != 1 {
			t.Fatalf("sub-image pixels %v, want all 1", px)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, preset := range []string{"tiny", "small"} {
		b.Run(preset, func(b *testing.B) {
			cfg, _ := Preset(preset)
			m, err := New(cfg, testTok(b), 1)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			var batch []vlm.GenInput
			for i := 0; i < 8; i++ {
				batch = append(batch, vlm.GenInput{Image: randImage(r, 300, 300), Prompt: randTokens(r, 100+5*i, m.Cfg.Vocab)})
			}
			const n = 32
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Generate(batch, vlm.GenOpts{MaxTokens: n, Temperature: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n*len(batch))/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkTrainStep(b *testing.B) {
	cfg, _ := Preset("small")
	m, err := New(cfg, testTok(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	var batch []vlm.Input
	for i := 0; i < 8; i++ {
		toks := randTokens(r, 150, m.Cfg.Vocab)
		batch = append(batch, vlm.Input{Image: randImage(r, 300, 300), Tokens: toks, Targets: allTargets(149)[100:]})
	}
	params := nn.Tensors(m.Params())
	opt := optim.NewAdamW(1e-3)
	tp := tensor.NewTape()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		out, _ := m.Forward(tp, batch)
		tg := make([]int, out.Logits.Shape[0])
		loss := tp.CrossEntropy(out.Logits, tg, nil)
		tp.Backward(loss)
		opt.Step(params)
		optim.ZeroGrad(params)
	}
}

// TestSeedCriticsFromLM: both critic heads gain scale times the LM head
// over their own weights, lose their biases, and stay apart.
func TestSeedCriticsFromLM(t *testing.T) {
	m := tinyModel(t, 3)
	for i := range m.Q1.B.Data {
		m.Q1.B.Data[i], m.Q2.B.Data[i] = 0.5, -0.5
	}
	q1, q2 := slices.Clone(m.Q1.W.Data), slices.Clone(m.Q2.W.Data)
	const scale = 0.25
	m.SeedCriticsFromLM(scale)
	differ := false
	for i, w := range m.LMHead.W.Data {
		for h, was := range [][]float32{q1, q2} {
			got := []*nn.Linear{m.Q1, m.Q2}[h].W.Data[i]
			if d := got - (was[i] + scale*w); d > 1e-6 || d < -1e-6 {
				t.Fatalf("head %d weight %d = %v, want %v", h+1, i, got, was[i]+scale*w)
			}
		}
		differ = differ || m.Q1.W.Data[i] != m.Q2.W.Data[i]
	}
	if !differ {
		t.Error("the two critic heads became equal")
	}
	for i := range m.Q1.B.Data {
		if m.Q1.B.Data[i] != 0 || m.Q2.B.Data[i] != 0 {
			t.Fatalf("bias %d = %v, %v; want 0", i, m.Q1.B.Data[i], m.Q2.B.Data[i])
		}
	}
}

func TestConfigOverride(t *testing.T) {
	cases := []struct {
		arch map[string]int
		err  string
		dim  int
	}{
		{nil, "", 48},
		{map[string]int{"dim": 64, "layers": 3}, "", 64},
		{map[string]int{"depth": 3}, `unknown architecture size "depth"`, 0},
		{map[string]int{"vocab": 100}, `unknown architecture size "vocab"`, 0},
		{map[string]int{"heads": -2}, "heads = -2, must be positive", 0},
		{map[string]int{"patch_size": 5}, "not a multiple of patch_size", 0},
		{map[string]int{"max_seq": 4}, "leaves no room for text", 0},
		{map[string]int{"tie_word_embeddings": 1, "alibi": 0, "rope_theta": 10000}, "", 48},
		{map[string]int{"alibi": 2}, "alibi = 2, want 0 or 1", 0},
		{map[string]int{"rope_theta": -1}, "rope_theta = -1", 0},
		{map[string]int{"subtract_background": 1}, "", 48},
		{map[string]int{"subtract_background": 3}, "subtract_background = 3, want 0 or 1", 0},
	}
	for _, c := range cases {
		cfg, err := PresetWith("tiny", c.arch)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.arch, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Dim != c.dim || cfg.Preset != "tiny" {
			t.Errorf("%v: %+v, %v", c.arch, cfg, err)
		}
		if l := c.arch["layers"]; l > 0 && cfg.Layers != l {
			t.Errorf("%v: %d layers", c.arch, cfg.Layers)
		}
		if _, ok := c.arch["rope_theta"]; ok && (cfg.RopeTheta != 10000 || !cfg.TieEmbeddings || cfg.ALiBi) {
			t.Errorf("%v: rope %v, tied %v, alibi %v", c.arch, cfg.RopeTheta, cfg.TieEmbeddings, cfg.ALiBi)
		}
	}
	if base, _ := Preset("tiny"); base.Dim != 48 {
		t.Errorf("an override changed the preset table: dim %d", base.Dim)
	}
}

// TestArchOptionsRoundTrip: RoPE, tied embeddings and background subtraction survive Save, Load
// and Clone (the head stays the embedding table, not a copy of it), and
// the tied head is trained as part of the trunk.
func TestArchOptionsRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		rope float64
		tie  bool
		bg   bool
	}{{"rope", 10000, false, false}, {"tied", 0, true, false}, {"rope and tied", 500, true, false}, {"background", 0, false, true}} {
		t.Run(c.name, func(t *testing.T) {
			cfg, _ := Preset("tiny")
			cfg.RopeTheta, cfg.TieEmbeddings = c.rope, c.tie
			cfg.SubtractBackground = c.bg
			m, err := New(cfg, testTok(t), 3)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "m")
			if err := Save(dir, m); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			in := []vlm.Input{{Image: randImage(r, 20, 20), Tokens: randTokens(r, 7, m.Cfg.Vocab), Targets: allTargets(7)}}
			want, _ := m.Forward(nil, in)
			for name, x := range map[string]*VLM{"loaded": got, "cloned": m.clone()} {
				if x.Cfg != m.Cfg {
					t.Fatalf("%s config %+v, want %+v", name, x.Cfg, m.Cfg)
				}
				if tied := x.LMHead.W == x.Embed.W; tied != c.tie {
					t.Errorf("%s: head tied %v, want %v", name, tied, c.tie)
				}
				o, _ := x.Forward(nil, in)
				if d := maxDiff(o.Logits.Data, want.Logits.Data); d != 0 {
					t.Errorf("%s model's logits differ by %g", name, d)
				}
			}
			if n := len(m.LMParams()); (n == 0) != c.tie {
				t.Errorf("%d LM head params with tie %v", n, c.tie)
			}
		})
	}
	bad, _ := Preset("tiny")
	for _, theta := range []float64{-1, 0.5, math.Inf(1), math.NaN()} {
		bad.RopeTheta = theta
		if _, err := New(bad, testTok(t), 1); err == nil {
			t.Errorf("rope_theta %v accepted", theta)
		}
	}
}

// TestGradientsMatchFiniteDifferences checks the whole model's backward
// pass, packed batch included, against central differences along a random
// direction in each parameter, under every position scheme and with the
// LM head tied to the embeddings (which then gets gradient from both
// ends). A directional check is robust in float32 where per-coordinate
// differences drown in rounding.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, c := range []struct {
		name  string
		alibi bool
		rope  float64
		tie   bool
		bg    bool
	}{
		{"learned positions", false, 0, false, false},
		{"alibi", true, 0, false, false},
		{"rope", false, 10000, false, false},
		{"rope tied", false, 10000, true, false},
		{"alibi tied", true, 0, true, false},
		{"rope tied background", false, 10000, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Preset("tiny")
			if err != nil {
				t.Fatal(err)
			}
			cfg.ALiBi, cfg.RopeTheta, cfg.TieEmbeddings = c.alibi, c.rope, c.tie
			cfg.SubtractBackground = c.bg
			m, err := New(cfg, testTok(t), 5)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			ins := []vlm.Input{
				{Image: randImage(r, 20, 20), Tokens: randTokens(r, 7, m.Cfg.Vocab), Targets: []int{0, 3, 6}},
				{Image: randImage(r, 16, 24), Tokens: randTokens(r, 4, m.Cfg.Vocab), Targets: []int{1, 3}},
			}
			// Targets index the tokens they predict: the next token, or
			// the first token's own id at position 0 for simplicity.
			labels := []int{ins[0].Tokens[1], ins[0].Tokens[4], ins[0].Tokens[6], ins[1].Tokens[2], ins[1].Tokens[3]}
			loss := func(tp *tensor.Tape) *tensor.Tensor {
				out, err := m.Forward(tp, ins)
				if err != nil {
					t.Fatal(err)
				}
				return tp.Add(tp.CrossEntropy(out.Logits, labels, nil), tp.Mean(out.Q1))
			}
			tp := tensor.NewTape()
			l := loss(tp)
			if err := tp.Backward(l); err != nil {
				t.Fatal(err)
			}
			grads := map[string][]float32{}
			for _, p := range m.Params() {
				grads[p.Name] = slices.Clone(p.T.Grad)
			}
			const eps = 1e-2
			for _, p := range m.Params() {
				// A unit direction, so the step stays small for any size.
				d := make([]float32, len(p.T.Data))
				norm := 0.0
				for i := range d {
					d[i] = float32(r.NormFloat64())
					norm += float64(d[i]) * float64(d[i])
				}
				want := 0.0
				g := grads[p.Name] // empty for a head outside the loss (Q2)
				for i := range d {
					d[i] /= float32(math.Sqrt(norm))
					if len(g) > 0 {
						want += float64(d[i]) * float64(g[i])
					}
				}
				orig := slices.Clone(p.T.Data)
				at := func(s float32) float64 {
					for i := range d {
						p.T.Data[i] = orig[i] + s*d[i]
					}
					return float64(loss(tensor.NewTape()).Data[0])
				}
				got := (at(eps) - at(-eps)) / (2 * eps)
				copy(p.T.Data, orig)
				if math.Abs(got-want) > 0.02*math.Abs(want)+2e-4 {
					t.Errorf("%s: directional derivative %.5g, finite difference %.5g", p.Name, want, got)
				}
			}
		})
	}
}
