package hfmodel

import (
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vlmq/hfmodel/hftest"
	"vlmq/jsonfile"
	"vlmq/nn"
	"vlmq/optim"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/vlm"
)

// loraFixture is a fixture checkpoint with rank-4 adapters on every
// decoder projection.
func loraFixture(t *testing.T, variant string) *Model {
	t.Helper()
	return loraFixtureConfig(t, configs[variant])
}

// loraFixtureConfig is loraFixture with the given config.json.
func loraFixtureConfig(t *testing.T, raw string) *Model {
	t.Helper()
	m := loadFixtureConfig(t, raw)
	if err := m.AddLoRA(vlm.LoRA{Rank: 4, Alpha: 8, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLoRAStartsAsBaseAndTrainsOnlyAdapters: with B = 0 the adapted model
// computes what the base does; a backward pass reaches the adapters and
// critics and leaves the frozen trunk without gradients; training steps
// change the outputs.
func TestLoRAStartsAsBaseAndTrainsOnlyAdapters(t *testing.T) {
	for name, raw := range configs {
		t.Run(name, func(t *testing.T) {
			base := loadFixtureConfig(t, raw)
			m := loraFixtureConfig(t, raw)
			batch := fixedBatch(m, rand.New(rand.NewSource(2)))
			want, err := base.Forward(nil, batch)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Forward(nil, batch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Logits.Data, want.Logits.Data) {
				t.Fatal("fresh adapters change the logits")
			}
			train := m.Trainable()
			if n := len(train) - len(m.CriticParams()); n != 2*len(m.lora.keys) || n == 0 {
				t.Fatalf("%d trainable adapter tensors for %d adapted weights", n, len(m.lora.keys))
			}
			params := nn.Tensors(train)
			opt := optim.NewAdamW(1e-2)
			tp := tensor.NewTape()
			for step := 0; step < 3; step++ {
				tp.Reset()
				out, err := m.Forward(tp, batch)
				if err != nil {
					t.Fatal(err)
				}
				loss := tp.CrossEntropy(out.Logits, targetsOf(batch), nil)
				optim.ZeroGrad(params)
				if err := tp.Backward(loss); err != nil {
					t.Fatal(err)
				}
				opt.Step(params)
			}
			for _, p := range m.TrunkParams() {
				if p.T.RequiresGrad() || p.T.Grad != nil {
					t.Fatalf("frozen %s takes gradients", p.Name)
				}
			}
			after, _ := m.Forward(nil, batch)
			if slices.Equal(after.Logits.Data, want.Logits.Data) {
				t.Error("three steps on the adapters changed nothing")
			}
			if again, _ := base.Forward(nil, batch); !slices.Equal(again.Logits.Data, want.Logits.Data) {
				t.Error("training the adapters changed another model of the same checkpoint")
			}
		})
	}
}

// TestLoRAAdapterFiles: Save writes PEFT's adapter folder with PEFT's key
// names for each family and PaliGemma 2
// (base_model.model.<module>.lora_A/B.weight; Gemma 2's extra sandwich
// norms are not adapted), an adapter_config.json whose target_modules
// full-matches exactly the adapted modules, and critic.safetensors;
// loading it back (through vlm.Load, as resume does) gives the same model.
func TestLoRAAdapterFiles(t *testing.T) {
	// The first layer's query (or fused qkv) and the last layer's MLP
	// output projection, as PEFT names them on the checkpoint's modules.
	keys := map[string][]string{
		"paligemma": {"base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight",
			"base_model.model.language_model.model.layers.1.mlp.down_proj.lora_B.weight"},
		"paligemma2": {"base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight",
			"base_model.model.language_model.model.layers.1.mlp.down_proj.lora_B.weight"},
		"xgenmm": {"base_model.model.vlm.lang_model.model.layers.0.self_attn.qkv_proj.lora_A.weight",
			"base_model.model.vlm.lang_model.model.layers.1.mlp.down_proj.lora_B.weight"},
		"moondream2": {"base_model.model.text_model.transformer.h.0.mixer.Wqkv.lora_A.weight",
			"base_model.model.text_model.transformer.h.1.mlp.fc2.lora_B.weight"},
	}
	for _, hm := range hftest.Models {
		t.Run(hm.Name, func(t *testing.T) {
			baseDir := t.TempDir() // vlm.Load needs a tokenizer: hftest's checkpoints have one
			if err := hm.Write(baseDir, 1); err != nil {
				t.Fatal(err)
			}
			m, err := Load(baseDir)
			if err != nil {
				t.Fatal(err)
			}
			if gemma2 := hm.Name == "paligemma2"; m.gemma2() != gemma2 || gemma2 && !(m.Cfg.Text.SandwichNorm && m.Cfg.Text.SlidingWindow > 0) {
				t.Fatalf("%s loads as text architecture %q (%+v)", hm.Name, m.Cfg.Text.Arch, m.Cfg.Text)
			}
			if err := m.AddLoRA(vlm.LoRA{Rank: 4, Alpha: 8, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewSource(4))
			for _, p := range m.Trainable() {
				for i := range p.T.Data {
					p.T.Data[i] = float32(r.NormFloat64() * 0.1)
				}
			}
			dir := filepath.Join(t.TempDir(), "adapter")
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			f, err := safetensors.Read(filepath.Join(dir, AdapterWeightsFile))
			if err != nil {
				t.Fatal(err)
			}
			names := f.Names()
			for _, k := range keys[hm.Name] {
				if !slices.Contains(names, k) {
					t.Fatalf("no %s among %v", k, names)
				}
			}
			var pc peftConfig
			if err := jsonfile.Read(filepath.Join(dir, AdapterConfigFile), &pc); err != nil {
				t.Fatal(err)
			}
			if pc.PeftType != "LORA" || pc.R != 4 || pc.LoraAlpha != 8 || pc.BaseModel != m.dir {
				t.Errorf("adapter_config.json: %+v", pc)
			}
			re := regexp.MustCompile(pc.TargetModules.(string))
			adapted := 0
			for _, hf := range m.names {
				mod := strings.TrimSuffix(hf, ".weight")
				key := peftPrefix + mod + ".lora_A.weight"
				if re.MatchString(mod) != slices.Contains(names, key) {
					t.Errorf("target_modules matches %s: %v, adapter has it: %v", mod, re.MatchString(mod), !re.MatchString(mod))
				}
				if re.MatchString(mod) {
					adapted++
				}
			}
			if 2*adapted != len(names) || adapted != len(m.lora.keys) {
				t.Errorf("%d modules match target_modules, %d adapter tensors, %d adapted", adapted, len(names), len(m.lora.keys))
			}
			if _, err := os.Stat(filepath.Join(dir, CriticFile)); err != nil {
				t.Error(err)
			}
			back, err := vlm.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			batch := fixedBatch(m, rand.New(rand.NewSource(5)))
			want, _ := m.Forward(nil, batch)
			got, err := back.Forward(nil, batch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Logits.Data, want.Logits.Data) || !slices.Equal(got.Q1.Data, want.Q1.Data) {
				t.Error("reloaded adapter computes differently")
			}
			var wantNames, gotNames []string
			for _, p := range m.Trainable() {
				wantNames = append(wantNames, p.Name)
			}
			for _, p := range back.Trainable() {
				gotNames = append(gotNames, p.Name)
			}
			if !slices.Equal(gotNames, wantNames) {
				t.Errorf("reloaded trainable %v, saved %v", gotNames, wantNames)
			}
		})
	}
}

// TestLoRATargets: targets pick projections by group, neutral name or
// the checkpoint's module name; unknown names are errors.
func TestLoRATargets(t *testing.T) {
	cases := []struct {
		fam     string
		config  string // "": the family's fixture
		targets []string
		want    int // adapted weights (2 layers; PaliGemma 2's fixture has 3)
		err     string
	}{
		{"paligemma", "", nil, 14, ""},
		{"paligemma", "", []string{"attn"}, 8, ""},
		{"paligemma", configs["paligemma2"], nil, 21, ""},
		{"paligemma", configs["paligemma2"], []string{"mlp"}, 9, ""},
		{"paligemma", "", []string{"q_proj", "v"}, 4, ""},
		{"xgenmm", "", []string{"qkv", "gate_up_proj"}, 4, ""},
		{"moondream2", "", []string{"mlp"}, 4, ""},
		{"moondream2", "", []string{"q_proj"}, 0, `LoRA target "q_proj"`},
	}
	for _, c := range cases {
		if c.config == "" {
			c.config = configs[c.fam]
		}
		m := loadFixtureConfig(t, c.config)
		err := m.AddLoRA(vlm.LoRA{Rank: 2, Targets: c.targets})
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s %v: error %v, want %q", c.fam, c.targets, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s %v: %v", c.fam, c.targets, err)
		case c.err == "" && len(m.lora.keys) != c.want:
			t.Errorf("%s %v: %d adapted (%v), want %d", c.fam, c.targets, len(m.lora.keys), m.lora.keys, c.want)
		}
	}
}

// TestLoRAGradient: the tape's gradients of the adapters (through the
// frozen trunk) match central finite differences of the loss, in float64
// tolerance terms of a float32 forward.
func TestLoRAGradient(t *testing.T) {
	for name, raw := range configs {
		t.Run(name, func(t *testing.T) {
			m := loraFixtureConfig(t, raw)
			r := rand.New(rand.NewSource(6))
			for _, p := range m.loraParams() {
				for i := range p.T.Data {
					p.T.Data[i] = float32(r.NormFloat64() * 0.2)
				}
			}
			batch := fixedBatch(m, rand.New(rand.NewSource(7)))
			for i := range batch {
				batch[i].Prompt = 1
			}
			loss := func(tp *tensor.Tape) *tensor.Tensor {
				out, err := m.Forward(tp, batch)
				if err != nil {
					t.Fatal(err)
				}
				return tp.CrossEntropy(out.Logits, targetsOf(batch), nil)
			}
			tp := tensor.NewTape()
			params := nn.Tensors(m.loraParams())
			optim.ZeroGrad(params)
			if err := tp.Backward(loss(tp)); err != nil {
				t.Fatal(err)
			}
			// First layer's A and last layer's B, a few entries each.
			ps := m.loraParams()
			for _, p := range []nn.Param{ps[0], ps[len(ps)-1]} {
				for _, i := range []int{0, len(p.T.Data) / 2, len(p.T.Data) - 1} {
					old := p.T.Data[i]
					const h = 1e-2
					p.T.Data[i] = old + h
					up := float64(loss(nil).Data[0])
					p.T.Data[i] = old - h
					down := float64(loss(nil).Data[0])
					p.T.Data[i] = old
					fd, g := (up-down)/(2*h), float64(p.T.Grad[i])
					if d := fd - g; d > 2e-3+0.05*abs64(fd) || -d > 2e-3+0.05*abs64(fd) {
						t.Errorf("%s[%d]: gradient %g, finite difference %g", p.Name, i, g, fd)
					}
				}
			}
		})
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLoRAOn16BitTrunk: adapters on a trunk loaded frozen, whose bf16
// matrices stay 16-bit (as LoadAdapter loads the base), compute what they
// compute on the widened trunk, and train.
func TestLoRAOn16BitTrunk(t *testing.T) {
	dir := writeCheckpoint(t, "paligemma", 1) // bfloat16 weights
	wide := loraFixture(t, "paligemma")
	half, err := LoadWith(dir, Options{FreezeTrunk: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := half.AddLoRA(vlm.LoRA{Rank: 4, Alpha: 8, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(8))
	for i, p := range wide.loraParams() {
		for j := range p.T.Data {
			p.T.Data[j] = float32(r.NormFloat64() * 0.1)
		}
		copy(half.loraParams()[i].T.Data, p.T.Data)
	}
	batch := fixedBatch(wide, rand.New(rand.NewSource(9)))
	a, err := wide.Forward(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	b, err := half.Forward(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Logits.Data {
		if d := abs32(a.Logits.Data[i] - b.Logits.Data[i]); d > 1e-4 {
			t.Fatalf("logit %d: %v widened, %v 16-bit", i, a.Logits.Data[i], b.Logits.Data[i])
		}
	}
	tp := tensor.NewTape()
	out, err := half.Forward(tp, batch)
	if err != nil {
		t.Fatal(err)
	}
	params := nn.Tensors(half.Trainable())
	optim.ZeroGrad(params)
	if err := tp.Backward(tp.CrossEntropy(out.Logits, targetsOf(batch), nil)); err != nil {
		t.Fatal(err)
	}
	if g := optim.GradNorm(params); !(g > 0) {
		t.Errorf("adapter gradient norm %v on the 16-bit trunk", g)
	}
}

// TestAdapterLoadsShareTheBase: two adapter folders of one base (a
// checkpoint's model and target) share the frozen trunk in memory but not
// their adapters or critics.
func TestAdapterLoadsShareTheBase(t *testing.T) {
	base := t.TempDir()
	if err := hftest.WriteTrainable(base, "moondream2", 1); err != nil {
		t.Fatal(err)
	}
	m, err := Load(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddLoRA(vlm.LoRA{Rank: 2}); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(t.TempDir(), "model"), filepath.Join(t.TempDir(), "target")}
	var loaded []*Model
	for _, d := range dirs {
		if err := m.Save(d); err != nil {
			t.Fatal(err)
		}
		l, err := LoadAdapter(d)
		if err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, l)
	}
	a, b := loaded[0], loaded[1]
	if a.W("text.embed.weight") != b.W("text.embed.weight") {
		t.Error("the two loads hold two copies of the frozen trunk")
	}
	if a.W(q1W) == b.W(q1W) || a.ads[a.lora.keys[0]].A == b.ads[b.lora.keys[0]].A {
		t.Error("the two loads share trainable tensors")
	}
}
