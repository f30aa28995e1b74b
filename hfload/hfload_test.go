package hfload_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"vlmq/hfload"
	_ "vlmq/hfmodel/all"
	"vlmq/hfmodel/moondream"
	"vlmq/hfmodel/paligemma"
	"vlmq/hfmodel/xgenmm"
	"vlmq/safetensors"
)

type modelCase struct {
	name   string
	family string
	layout hfload.Layout
	cfg    map[string]any
	shapes shapes
}

func modelCases() []modelCase {
	d := dims
	return []modelCase{
		{"paligemma", "paligemma", paligemma.Layout, paligemmaConfig(d, false), paligemmaShapes(d, false, false, false)},
		{"paligemma with lm_head", "paligemma", paligemma.Layout, paligemmaConfig(d, false), paligemmaShapes(d, false, false, true)},
		{"paligemma2", "paligemma", paligemma.Layout, paligemmaConfig(d, true), paligemmaShapes(d, true, false, false)},
		{"paligemma v5 names", "paligemma", paligemma.LayoutV5, paligemmaConfig(d, false), paligemmaShapes(d, false, true, true)},
		{"xgenmm", "xgenmm", xgenmm.Layout, xgenmmConfig(d, 5, 2, 2, 4), xgenmmShapes(d, 5, 2, 2, 4)},
		{"moondream 2024", "moondream2", moondream.Layout2024, moondreamConfig(d, 20, false), moondreamShapes(d, 20, false, false)},
		{"moondream 2024 compiled", "moondream2", moondream.Layout2024, moondreamConfig(d, 20, false), moondreamShapes(d, 20, false, true)},
		{"moondream 2025", "moondream2", moondream.Layout2025, moondreamConfig(d, 20, true), moondreamShapes(d, 20, true, false)},
	}
}

func TestTinyCheckpointsPass(t *testing.T) {
	for i, c := range modelCases() {
		t.Run(c.name, func(t *testing.T) {
			dt := []safetensors.DType{safetensors.F32, safetensors.BF16, safetensors.F16}[i%3]
			var shard int64
			if i%2 == 1 {
				shard = 4000 // several shards plus an index
			}
			dir := writeModel(t, c.cfg, c.shapes, dt, shard)
			if shard > 0 {
				if _, err := os.Stat(filepath.Join(dir, safetensors.IndexFileName)); err != nil {
					t.Fatalf("expected a sharded folder: %v", err)
				}
			}
			fam, err := hfload.Detect(dir)
			if err != nil || fam != c.family {
				t.Fatalf("Detect = %v, %v", fam, err)
			}
			chk, err := hfload.Check(dir)
			if err != nil {
				t.Fatal(err)
			}
			if chk.Config.Layout != c.layout {
				t.Fatalf("layout %s, want %s", chk.Config.Layout, c.layout)
			}
			// Every non-ignored stored tensor is in the plan and vice versa
			// for required entries.
			inPlan := map[string]hfload.WeightSpec{}
			for _, s := range chk.Plan {
				inPlan[s.Name] = s
			}
			for name := range c.shapes {
				canon := strings.ReplaceAll(name, "._orig_mod", "")
				if _, ok := inPlan[canon]; !ok && !strings.Contains(name, "region") {
					t.Errorf("stored tensor %s missing from the plan", name)
				}
			}
			cfg, w, err := hfload.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Family != c.family {
				t.Fatalf("Load family %s", cfg.Family)
			}
			// Neutral keys every family provides, with shapes from dims.
			v, tx := cfg.Vision, cfg.Text
			if v.Hidden != dims.vh || v.Layers != dims.vl || v.Heads != dims.vheads || v.MLP != dims.vmlp || v.ImageSize != dims.img || v.Positions != 4 {
				t.Fatalf("vision config %+v", v)
			}
			if tx.Hidden != dims.th || tx.Layers != dims.tl || tx.Vocab != dims.vocab || tx.MLP != dims.tmlp {
				t.Fatalf("text config %+v", tx)
			}
			for key, want := range map[string][]int{
				"text.embed.weight":              {dims.vocab, dims.th},
				"vision.layers.1.mlp.fc2.weight": {dims.vh, dims.vmlp},
				"vision.post_norm.bias":          {dims.vh},
				"text.norm.weight":               {dims.th},
			} {
				got, ok := w[key]
				if !ok || !reflect.DeepEqual(got.Shape, want) {
					t.Errorf("key %s: %v (present %v), want %v", key, got.Shape, ok, want)
				}
			}
			if _, ok := w["text.lm_head.weight"]; !ok && !cfg.Text.TieEmbeddings {
				t.Error("untied model has no lm_head")
			}
			// Every tensor can be decoded as float32.
			for key, tt := range w {
				if _, err := tt.Float32s(); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   string
		errSub string
	}{
		{"paligemma by type", `{"model_type": "paligemma"}`, "paligemma", ""},
		{"paligemma by arch", `{"architectures": ["PaliGemmaForConditionalGeneration"]}`, "paligemma", ""},
		{"xgenmm", `{"model_type": "xgenmm", "architectures": ["XGenMMModelForConditionalGeneration"]}`, "xgenmm", ""},
		{"blip3", `{"model_type": "blip_3"}`, "xgenmm", ""},
		{"moondream", `{"model_type": "moondream1", "architectures": ["Moondream"]}`, "moondream2", ""},
		{"moondream 2025", `{"architectures": ["HfMoondream"]}`, "moondream2", ""},
		{"llama", `{"model_type": "llama", "architectures": ["LlamaForCausalLM"]}`, "", "unsupported model family"},
		{"empty", `{}`, "", "unsupported model family"},
		{"contradiction", `{"model_type": "paligemma", "architectures": ["Moondream"]}`, "", "contradicts"},
		{"type not string", `{"model_type": 3}`, "", "model_type: want a string"},
		{"arch not list", `{"architectures": "Moondream"}`, "", "architectures: want a list"},
		{"bad json", `{"model_type": "paligemma",}`, "", "invalid JSON at line 1"},
		{"null", `null`, "", "config is null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(c.config), 0o644)
			got, err := hfload.Detect(dir)
			if c.errSub == "" {
				if err != nil || got != c.want {
					t.Fatalf("got %v, %v; want %v", got, err, c.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.errSub) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("err = %v, want one naming the folder and %q", err, c.errSub)
			}
			if c.errSub == "unsupported model family" && !errors.Is(err, hfload.ErrUnknownFamily) {
				t.Fatalf("err %v does not wrap ErrUnknownFamily", err)
			}
		})
	}
	if _, err := hfload.Detect(t.TempDir()); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing config.json: %v", err)
	}
}

// Configs in the form published on the Hub (sizes as in
// google/paligemma-3b-pt-224, Salesforce/xgen-mm-phi3-mini-instruct-
// interleave-r-v1.5 and vikhyatk/moondream2); the expectations are the
// architectures' documented sizes.
const (
	hubPaliGemma = `{
  "architectures": ["PaliGemmaForConditionalGeneration"], "bos_token_id": 2, "eos_token_id": 1,
  "hidden_size": 2048, "ignore_index": -100, "image_token_index": 257152, "model_type": "paligemma",
  "pad_token_id": 0, "projection_dim": 2048,
  "text_config": {"hidden_size": 2048, "intermediate_size": 16384, "model_type": "gemma",
    "num_attention_heads": 8, "num_hidden_layers": 18, "num_image_tokens": 256, "num_key_value_heads": 1,
    "torch_dtype": "float32", "vocab_size": 257216},
  "torch_dtype": "float32", "transformers_version": "4.41.0.dev0",
  "vision_config": {"hidden_size": 1152, "intermediate_size": 4304, "model_type": "siglip_vision_model",
    "num_attention_heads": 16, "num_hidden_layers": 27, "num_image_tokens": 256, "patch_size": 14,
    "projection_dim": 2048, "projector_hidden_act": "gelu_fast", "vision_use_head": false},
  "vocab_size": 257216}`
	hubPaliGemma448 = `{"model_type": "paligemma", "text_config": {"model_type": "gemma", "num_image_tokens": 1024},
  "vision_config": {"num_image_tokens": 1024, "patch_size": 14, "projection_dim": 2048, "vision_use_head": false}}`
	hubXGenMM = `{"architectures": ["XGenMMModelForConditionalGeneration"], "model_type": "xgenmm",
  "text_config": {"initial_tokenizer_len": 32012, "model_type": "phi3", "pad_token_id": 32011, "torch_dtype": "bfloat16"},
  "torch_dtype": "bfloat16",
  "vision_encoder_config": {"anyres_patch_sampling": true, "image_aspect_ratio": "anyres", "model_type": "xgenmm_vision_encoder"},
  "vision_tokenizer_config": {"model_type": "xgenmm_vision_tokenizer"}}`
	hubMoondream = `{"architectures": ["Moondream"], "model_type": "moondream1",
  "text_config": {"model_type": "phi"}, "torch_dtype": "float16", "transformers_version": "4.44.0"}`
)

func TestParseHubConfigs(t *testing.T) {
	pg, err := hfload.ParseConfigJSON([]byte(hubPaliGemma))
	if err != nil {
		t.Fatal(err)
	}
	if pg.Vision.ImageSize != 224 || pg.Vision.Positions != 256 || pg.ImageTokens != 256 || pg.Vision.HeadDim != 72 {
		t.Errorf("paligemma vision %+v", pg.Vision)
	}
	if tx := pg.Text; tx.HeadDim != 256 || tx.KVHeads != 1 || tx.Vocab != 257216 || tx.Norm != hfload.RMSNorm || !tx.NormAddOne || !tx.EmbedScale || !tx.TieEmbeddings || tx.Activation != "gelu_pytorch_tanh" {
		t.Errorf("paligemma text %+v", tx)
	}
	if pg.Projector.Kind != hfload.ProjLinear || pg.Projector.InDim != 1152 || pg.Projector.OutDim != 2048 || pg.ImageTokenID != 257152 {
		t.Errorf("paligemma projector %+v token %d", pg.Projector, pg.ImageTokenID)
	}
	p448, err := hfload.ParseConfigJSON([]byte(hubPaliGemma448))
	if err != nil || p448.Vision.ImageSize != 448 || p448.Vision.Positions != 1024 {
		t.Errorf("448 variant: %v %+v", err, p448)
	}

	// Gemma 2 decoder: an explicit null disables soft-capping, an absent key
	// takes Gemma 2's default.
	pg2, err := hfload.ParseConfigJSON([]byte(`{"model_type": "paligemma", "text_config": {"model_type": "gemma2", "final_logit_softcapping": null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if tx := pg2.Text; !tx.SandwichNorm || tx.FinalSoftcap != 0 || tx.AttnSoftcap != 50 || tx.SlidingWindow != 4096 {
		t.Errorf("gemma2 text %+v", tx)
	}

	xg, err := hfload.ParseConfigJSON([]byte(hubXGenMM))
	if err != nil {
		t.Fatal(err)
	}
	if xg.Vision.ImageSize != 384 || xg.Vision.Positions != 729 || xg.Vision.Hidden != 1152 || !xg.Vision.UseHead {
		t.Errorf("xgenmm vision %+v", xg.Vision)
	}
	if tx := xg.Text; tx.Hidden != 3072 || tx.Layers != 32 || tx.HeadDim != 96 || tx.Vocab != 32064 || !tx.FusedQKV || !tx.FusedGateUp || tx.TieEmbeddings || tx.PAD != 32011 {
		t.Errorf("xgenmm text %+v", tx)
	}
	if pr := xg.Projector; pr.Kind != hfload.ProjPerceiver || pr.Latents != 128 || pr.Depth != 6 || pr.OutDim != 3072 || xg.ImageTokens != 128 {
		t.Errorf("xgenmm projector %+v", pr)
	}

	md, err := hfload.ParseConfigJSON([]byte(hubMoondream))
	if err != nil {
		t.Fatal(err)
	}
	if md.Layout != moondream.Layout2024 || md.Vision.Positions != 729 || !md.Vision.FusedQKV || !md.Vision.PatchEmbedLinear {
		t.Errorf("moondream vision %+v", md.Vision)
	}
	if tx := md.Text; tx.Hidden != 2048 || tx.Layers != 24 || tx.HeadDim != 64 || tx.RotaryDim != 32 || tx.Norm != hfload.LayerNorm || !tx.ParallelBlock || tx.Vocab != 51200 {
		t.Errorf("moondream text %+v", tx)
	}
	if pr := md.Projector; pr.InDim != 2304 || pr.Hidden != 8192 || pr.OutDim != 2048 {
		t.Errorf("moondream projector %+v", pr)
	}
}

func paramCount(t *testing.T, plan []hfload.WeightSpec, prefix string) int {
	t.Helper()
	total := 0
	for _, s := range plan {
		if s.Optional || !strings.HasPrefix(s.Key, prefix) {
			continue
		}
		n := 1
		for _, d := range s.Shape {
			if d == hfload.Any {
				n = 0
			}
			n *= d
		}
		total += n
	}
	return total
}

// Published parameter counts pin the plans of the real configurations.
func TestPlanParameterCounts(t *testing.T) {
	xg, _ := hfload.ParseConfigJSON([]byte(hubXGenMM))
	plan, err := hfload.Plan(xg)
	if err != nil {
		t.Fatal(err)
	}
	// Phi-3-mini has 3,821,079,552 parameters.
	if got := paramCount(t, plan, "text."); got != 3821079552 {
		t.Errorf("Phi-3-mini plan has %d parameters", got)
	}
	md, _ := hfload.ParseConfigJSON([]byte(hubMoondream))
	plan, err = hfload.Plan(md)
	if err != nil {
		t.Fatal(err)
	}
	// Phi-1.5 has 1.42B parameters; moondream2 is described as 1.86B.
	if got := paramCount(t, plan, "text."); got < 1.40e9 || got > 1.43e9 {
		t.Errorf("Phi-1.5 plan has %d parameters", got)
	}
	if got := paramCount(t, plan, ""); got < 1.84e9 || got > 1.88e9 {
		t.Errorf("moondream2 plan has %d parameters", got)
	}
	pg, _ := hfload.ParseConfigJSON([]byte(hubPaliGemma))
	plan, err = hfload.Plan(pg)
	if err != nil {
		t.Fatal(err)
	}
	// Gemma-2B body with PaliGemma's 257216-token vocabulary (2.51B) and a
	// ~0.41B SigLIP So400m tower: "PaliGemma 3B" is about 2.92B.
	if got := paramCount(t, plan, ""); got < 2.90e9 || got > 2.94e9 {
		t.Errorf("paligemma plan has %d parameters", got)
	}
	names := map[string]bool{}
	keys := map[string]bool{}
	for _, s := range plan {
		if names[s.Name] || keys[s.Key] {
			t.Fatalf("duplicate plan entry %s / %s", s.Name, s.Key)
		}
		names[s.Name], keys[s.Key] = true, true
	}
	for _, want := range []string{
		"vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight",
		"language_model.model.layers.0.mlp.gate_proj.weight",
		"multi_modal_projector.linear.weight",
	} {
		if !names[want] {
			t.Errorf("plan lacks %s", want)
		}
	}
	pg.Layout = moondream.Layout2024
	if _, err := hfload.Plan(pg); err == nil {
		t.Error("Plan accepted a layout of another family")
	}
}

func TestCheckFindsProblems(t *testing.T) {
	d := dims
	base := func() (map[string]any, shapes) {
		return paligemmaConfig(d, false), paligemmaShapes(d, false, false, false)
	}
	q0 := "language_model.model.layers.0.self_attn.q_proj.weight"
	cases := []struct {
		name   string
		mod    func(cfg map[string]any, s shapes)
		check  func(t *testing.T, e *hfload.CheckError)
		errSub string
	}{
		{"missing", func(_ map[string]any, s shapes) { delete(s, q0) }, func(t *testing.T, e *hfload.CheckError) {
			if len(e.Missing) != 1 || e.Missing[0].Name != q0 || len(e.Unexpected)+len(e.Mismatched) != 0 {
				t.Fatalf("%+v", e)
			}
		}, "1 missing (" + q0},
		{"unexpected", func(_ map[string]any, s shapes) { s["language_model.model.layers.9.extra.weight"] = []int{2} }, func(t *testing.T, e *hfload.CheckError) {
			if len(e.Unexpected) != 1 || len(e.Missing)+len(e.Mismatched) != 0 {
				t.Fatalf("%+v", e)
			}
		}, "1 unexpected"},
		{"wrong shape", func(_ map[string]any, s shapes) { s[q0] = []int{d.theads*d.hd + 1, d.th} }, func(t *testing.T, e *hfload.CheckError) {
			if len(e.Mismatched) != 1 || e.Mismatched[0].Name != q0 {
				t.Fatalf("%+v", e)
			}
		}, "want [16 16]"},
		{"config disagrees with weights", func(cfg map[string]any, _ shapes) {
			cfg["text_config"].(map[string]any)["num_hidden_layers"] = 3
		}, func(t *testing.T, e *hfload.CheckError) {
			if len(e.Missing) == 0 || !strings.Contains(e.Missing[0].Name, "layers.2.") {
				t.Fatalf("%+v", e)
			}
		}, "missing"},
		{"fewer layers in config", func(cfg map[string]any, _ shapes) {
			cfg["vision_config"].(map[string]any)["num_hidden_layers"] = 1
		}, func(t *testing.T, e *hfload.CheckError) {
			if len(e.Unexpected) == 0 || !strings.Contains(e.Unexpected[0], "encoder.layers.1.") {
				t.Fatalf("%+v", e)
			}
		}, "unexpected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, s := base()
			c.mod(cfg, s)
			dir := writeModel(t, cfg, s, safetensors.F32, 0)
			_, err := hfload.Check(dir)
			var ce *hfload.CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CheckError", err)
			}
			c.check(t, ce)
			if !strings.Contains(err.Error(), c.errSub) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("message %q lacks %q or the folder", err, c.errSub)
			}
			if _, _, err := hfload.Load(dir); err == nil {
				t.Fatal("Load accepted a folder Check rejects")
			}
		})
	}

	// Integer weights are rejected even with the right shape.
	cfg, s := base()
	dir := writeModel(t, cfg, s, safetensors.F32, 0)
	f, err := safetensors.Read(filepath.Join(dir, safetensors.SingleFileName))
	if err != nil {
		t.Fatal(err)
	}
	qt := f.Tensors[q0]
	f.Tensors[q0] = safetensors.Tensor{DType: safetensors.I32, Shape: qt.Shape, Data: qt.Data}
	if err := safetensors.Write(filepath.Join(dir, safetensors.SingleFileName), f); err != nil {
		t.Fatal(err)
	}
	if _, err := hfload.Check(dir); err == nil || !strings.Contains(err.Error(), "dtype I32") {
		t.Fatalf("integer weight: %v", err)
	}
}

func TestCheckCorruptFolders(t *testing.T) {
	d := dims
	cases := []struct {
		name   string
		shard  int64
		damage func(t *testing.T, dir string)
		errSub string
	}{
		{"truncated weights", 0, func(t *testing.T, dir string) {
			p := filepath.Join(dir, safetensors.SingleFileName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "model.safetensors"},
		{"garbage weights", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, safetensors.SingleFileName), []byte("not a safetensors file at all"), 0o644)
		}, "exceeds the limit"},
		{"no weights", 0, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, safetensors.SingleFileName))
		}, "has neither"},
		{"missing shard", 3000, func(t *testing.T, dir string) {
			ix, err := safetensors.ReadIndex(filepath.Join(dir, safetensors.IndexFileName))
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(dir, ix.Shards()[1]))
		}, "no such file"},
		{"truncated config", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(`{"model_type": "paligemma", "text_config": {`), 0o644)
		}, "truncated"},
		{"wrong type in config", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(`{"model_type": "paligemma", "text_config": {"num_hidden_layers": "18"}}`), 0o644)
		}, `text_config.num_hidden_layers: want an integer, got "18"`},
		{"inconsistent config", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(`{"model_type": "paligemma", "vision_config": {"hidden_size": 10, "num_attention_heads": 3}}`), 0o644)
		}, "not divisible by 3 heads"},
		{"negative size", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(`{"model_type": "moondream1", "text_config": {"hidden_size": -4}}`), 0o644)
		}, "want a positive integer"},
		{"unsupported decoder", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(`{"model_type": "paligemma", "text_config": {"model_type": "llama"}}`), 0o644)
		}, `"llama" is not a Gemma decoder`},
		{"unsupported xgen vision", 0, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, hfload.ConfigFileName), []byte(`{"model_type": "blip_3", "vision_encoder_config": {"model_name": "ViT-H-14-378-quickgelu"}}`), 0o644)
		}, "ViT-H-14-378-quickgelu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeModel(t, paligemmaConfig(d, false), paligemmaShapes(d, false, false, false), safetensors.F32, c.shard)
			if _, err := hfload.Check(dir); err != nil {
				t.Fatalf("undamaged folder fails: %v", err)
			}
			c.damage(t, dir)
			_, err := hfload.Check(dir)
			if err == nil || !strings.Contains(err.Error(), c.errSub) {
				t.Fatalf("err = %v, want mention of %q", err, c.errSub)
			}
		})
	}
}

func TestPlanKeysAreNeutral(t *testing.T) {
	// The same neutral keys name the same roles across families: every
	// family exposes these for layer 0.
	common := []string{
		"vision.patch_embed.weight", "vision.pos_embed", "vision.layers.0.norm1.weight",
		"vision.layers.0.mlp.fc1.weight", "vision.layers.0.attn.o.weight", "vision.post_norm.weight",
		"text.embed.weight", "text.layers.0.attn.o.weight", "text.norm.weight", "text.lm_head.weight",
	}
	for _, c := range modelCases() {
		b, err := json.Marshal(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := hfload.ParseConfigJSON(b)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Layout = c.layout
		plan, err := hfload.Plan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, s := range plan {
			keys[s.Key] = true
		}
		var missing []string
		for _, k := range common {
			if !keys[k] {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: plan lacks neutral keys %v", c.name, missing)
		}
	}
}

func FuzzParseConfigJSON(f *testing.F) {
	for _, s := range []string{hubPaliGemma, hubPaliGemma448, hubXGenMM, hubMoondream,
		`{"model_type": "paligemma", "text_config": {"model_type": "gemma2", "final_logit_softcapping": null}}`,
		`{"model_type": "moondream1", "vision_config": {"image_size": 3, "patch_size": 2}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := hfload.ParseConfigJSON(b)
		if err != nil {
			return
		}
		// An accepted config always yields a plan with positive shapes.
		plan, err := hfload.Plan(cfg)
		if err != nil {
			t.Fatalf("accepted config has no plan: %v", err)
		}
		for _, s := range plan {
			for _, d := range s.Shape {
				if d <= 0 && d != hfload.Any {
					t.Fatalf("%s has shape %v", s.Name, s.Shape)
				}
			}
		}
	})
}
