package hfmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"vlmq/atomicfile"
	"vlmq/jsonfile"
	"vlmq/nn"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/vlm"
)

// PEFT's file names (peft/utils/constants.py).
const (
	AdapterConfigFile  = "adapter_config.json"
	AdapterWeightsFile = "adapter_model.safetensors"
)

// peftPrefix starts every key PeftModel.state_dict gives a LoRA weight:
// the PeftModel's base_model (the LoraModel) and its model (the wrapped
// transformers model), then the wrapped module's own name.
const peftPrefix = "base_model.model."

// adapter is one LoRA-adapted weight W: the layer computes
// x·Wᵀ + scale·(x·Aᵀ)·Bᵀ with A [r, in] and B [out, r] (PEFT's lora_A and
// lora_B) and W frozen.
type adapter struct {
	A, B  *tensor.Tensor
	scale float32
}

// loraState is what a model with adapters carries besides them.
type loraState struct {
	cfg vlm.LoRA
	// keys are the adapted weights' neutral keys (without ".weight"), sorted.
	keys []string
	// baseDir is the folder of the base checkpoint the adapters apply to
	// (PEFT's base_model_name_or_path).
	baseDir string
}

// loraCandidates are the decoder's linear maps LoRA may adapt, by neutral
// key without ".weight": every attention and MLP projection of every
// layer.
func (m *Model) loraCandidates() []string {
	var out []string
	for _, k := range m.order {
		if !strings.HasPrefix(k, "text.layers.") || !strings.HasSuffix(k, ".weight") {
			continue
		}
		if w := m.w[k]; len(w.Shape) == 2 && (strings.Contains(k, ".attn.") || strings.Contains(k, ".mlp.")) {
			out = append(out, strings.TrimSuffix(k, ".weight"))
		}
	}
	return out
}

// moduleName is a neutral key's module name in the checkpoint, as PEFT
// and transformers name it (the tensor name without ".weight").
func (m *Model) moduleName(key string) string {
	return strings.TrimSuffix(m.names[key+".weight"], ".weight")
}

// matchTargets picks the candidates a --lora-targets list names. A target
// is a group ("attn", "mlp"), a neutral projection name ("q", "k", "v",
// "o", "qkv", "gate", "up", "down", "gate_up", "fc1", "fc2") or the
// checkpoint's own module name for it ("q_proj", "qkv_proj", "dense",
// ...). Every target must match something.
func (m *Model) matchTargets(targets []string) ([]string, error) {
	if len(targets) == 0 {
		targets = []string{"attn", "mlp"}
	}
	used := map[string]bool{}
	var keys []string
	known := map[string]bool{}
	for _, k := range m.loraCandidates() {
		parts := strings.Split(k, ".") // text layers N group leaf
		group, leaf := parts[3], strings.Join(parts[4:], ".")
		mod := m.moduleName(k)
		hfLeaf := mod[strings.LastIndex(mod, ".")+1:]
		known[group], known[leaf], known[hfLeaf] = true, true, true
		hit := false
		for _, t := range targets {
			if t == group || t == leaf || t == hfLeaf {
				used[t], hit = true, true
			}
		}
		if hit {
			keys = append(keys, k)
		}
	}
	for _, t := range targets {
		if !used[t] {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("hfmodel: LoRA target %q names no projection of this %s decoder (have %s)", t, m.Cfg.Family, strings.Join(names, ", "))
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// AddLoRA freezes the trunk and LM head and adds rank-r adapters, with
// PEFT's initialisation (A Kaiming-uniform, bound 1/sqrt(in); B zero, so
// the model computes what it did), to the decoder projections cfg names.
// Trainable becomes the adapters and the critic heads.
func (m *Model) AddLoRA(cfg vlm.LoRA) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if m.lora != nil {
		return errors.New("hfmodel: the model already has LoRA adapters")
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = 2 * float64(cfg.Rank)
	}
	keys, err := m.matchTargets(cfg.Targets)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x10a))
	ads := map[string]*adapter{}
	for _, k := range keys {
		w := m.w[k+".weight"]
		out, in := w.Shape[0], w.Shape[1]
		a := tensor.Param(cfg.Rank, in)
		bound := 1 / math.Sqrt(float64(in))
		for i := range a.Data {
			a.Data[i] = float32((2*r.Float64() - 1) * bound)
		}
		ads[k] = &adapter{A: a, B: tensor.Param(out, cfg.Rank), scale: float32(cfg.Scale())}
	}
	m.setAdapters(cfg, keys, ads)
	return nil
}

func (m *Model) setAdapters(cfg vlm.LoRA, keys []string, ads map[string]*adapter) {
	m.ads = ads
	m.lora = &loraState{cfg: cfg, keys: keys, baseDir: m.dir}
	// Frozen weights take no gradient: the backward pass then skips
	// their weight gradients (the bulk of a full fine-tuning step) and
	// Clone shares them. A base loaded with Options.FreezeTrunk is frozen
	// already, with its 16-bit matrices kept in 16 bits.
	m.frozen = true
	for k, t := range m.w {
		if !isCritic(k) {
			m.w[k] = frozen(t)
		}
	}
}

func isCritic(k string) bool { return k == q1W || k == q1B || k == q2W || k == q2B }

// frozen is t's data as a tensor that takes no gradient.
func frozen(t *tensor.Tensor) *tensor.Tensor {
	if !t.RequiresGrad() {
		return t
	}
	f, err := tensor.FromData(t.Data, t.Shape...)
	if err != nil {
		panic(err) // cannot happen: the shape is t's
	}
	return f
}

// loraParams are the adapters under their names in the optimiser state:
// the neutral key with ".lora_A" / ".lora_B".
func (m *Model) loraParams() []nn.Param {
	var ps []nn.Param
	for _, k := range m.lora.keys {
		ps = append(ps, nn.Param{Name: k + ".lora_A", T: m.ads[k].A}, nn.Param{Name: k + ".lora_B", T: m.ads[k].B})
	}
	return ps
}

// peftKey is the adapter_model.safetensors key of an adapter matrix
// ("lora_A" or "lora_B") of the weight with neutral key k.
func (m *Model) peftKey(k, which string) string {
	return peftPrefix + m.moduleName(k) + "." + which + ".weight"
}

// targetRegexp is adapter_config.json's target_modules: a pattern PEFT
// full-matches against module names, naming exactly the adapted modules
// (a list of leaf names would also catch the vision tower's q_proj).
func (m *Model) targetRegexp() string {
	layer := regexp.MustCompile(`\\\.[0-9]+\\\.`)
	seen := map[string]bool{}
	var alts []string
	for _, k := range m.lora.keys {
		p := layer.ReplaceAllString(regexp.QuoteMeta(m.moduleName(k)), `\.\d+\.`)
		if !seen[p] {
			seen[p] = true
			alts = append(alts, p)
		}
	}
	return "^(?:" + strings.Join(alts, "|") + ")$"
}

// peftConfig is the part of PEFT's LoraConfig vlmq writes and reads.
type peftConfig struct {
	PeftType        string         `json:"peft_type"`
	TaskType        string         `json:"task_type"`
	BaseModel       string         `json:"base_model_name_or_path"`
	Revision        *string        `json:"revision"`
	R               int            `json:"r"`
	LoraAlpha       float64        `json:"lora_alpha"`
	LoraDropout     float64        `json:"lora_dropout"`
	TargetModules   any            `json:"target_modules"`
	Bias            string         `json:"bias"`
	FanInFanOut     bool           `json:"fan_in_fan_out"`
	UseRSLoRA       bool           `json:"use_rslora"`
	UseDoRA         bool           `json:"use_dora"`
	InitLoraWeights bool           `json:"init_lora_weights"`
	InferenceMode   bool           `json:"inference_mode"`
	ModulesToSave   []string       `json:"modules_to_save"`
	RankPattern     map[string]int `json:"rank_pattern"`
	AlphaPattern    map[string]any `json:"alpha_pattern"`
	LayersTransform any            `json:"layers_to_transform"`
	LayersPattern   any            `json:"layers_pattern"`
}

// saveAdapter writes a PEFT LoRA adapter folder: adapter_config.json,
// adapter_model.safetensors (PEFT's key names for this checkpoint),
// critic.safetensors, and the base's config.json so that vlm.Load knows
// the folder (PEFT ignores it).
func (m *Model) saveAdapter(dir string) error {
	err := atomicfile.PublishDir(dir, atomicfile.KindModel, func(tmp string) error {
		if b, ok := m.side["config.json"]; ok {
			if err := atomicfile.Write(filepath.Join(tmp, "config.json"), b); err != nil {
				return err
			}
		}
		c := m.lora.cfg
		pc := peftConfig{PeftType: "LORA", TaskType: "CAUSAL_LM", BaseModel: m.lora.baseDir, R: c.Rank, LoraAlpha: c.Alpha,
			TargetModules: m.targetRegexp(), Bias: "none", InitLoraWeights: true, InferenceMode: true,
			RankPattern: map[string]int{}, AlphaPattern: map[string]any{}}
		b, err := json.MarshalIndent(pc, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(tmp, AdapterConfigFile), append(b, '\n')); err != nil {
			return err
		}
		f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{"format": "pt"}}
		for _, k := range m.lora.keys {
			a := m.ads[k]
			f.Tensors[m.peftKey(k, "lora_A")] = safetensors.FromFloat32(a.A.Shape, a.A.Data)
			f.Tensors[m.peftKey(k, "lora_B")] = safetensors.FromFloat32(a.B.Shape, a.B.Data)
		}
		if err := safetensors.Write(filepath.Join(tmp, AdapterWeightsFile), f); err != nil {
			return err
		}
		return m.SaveCritic(filepath.Join(tmp, CriticFile))
	})
	if err != nil {
		return fmt.Errorf("hfmodel: save adapter %s: %w", dir, err)
	}
	return nil
}

// frozenBases holds each base folder loaded frozen by LoadAdapter, by
// absolute path: a checkpoint's model and target (and every later load in
// the process) then share one trunk in memory instead of reading it once
// per adapter folder.
var frozenBases sync.Map // string -> *Model

// frozenBase is the base at dir loaded with a frozen trunk, the trunk
// shared with earlier loads and the critic heads its own.
func frozenBase(dir string) (*Model, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("hfmodel: %w", err)
	}
	if b, ok := frozenBases.Load(abs); ok {
		return b.(*Model).clone(), nil // frozen: clone copies only the critics
	}
	b, err := LoadWith(abs, Options{FreezeTrunk: true})
	if err != nil {
		return nil, err
	}
	frozenBases.Store(abs, b)
	return b.clone(), nil
}

// LoadAdapter reads a PEFT LoRA adapter folder: the base checkpoint named
// by its base_model_name_or_path (a folder; relative paths are taken from
// the adapter folder), the adapters, and the critic heads when the folder
// has critic.safetensors. Adapters written by PEFT itself load too, as
// long as they adapt decoder projections without DoRA, biases or
// per-module ranks.
func LoadAdapter(dir string) (*Model, error) {
	var pc peftConfig
	if err := jsonfile.Read(filepath.Join(dir, AdapterConfigFile), &pc); err != nil {
		return nil, fmt.Errorf("hfmodel: %w", err)
	}
	switch {
	case pc.PeftType != "LORA":
		return nil, fmt.Errorf("hfmodel: %s: peft_type %q, only LORA adapters load", dir, pc.PeftType)
	case pc.UseDoRA || (pc.Bias != "" && pc.Bias != "none") || len(pc.RankPattern) > 0 || len(pc.AlphaPattern) > 0 || pc.FanInFanOut:
		return nil, fmt.Errorf("hfmodel: %s: DoRA, LoRA biases, fan_in_fan_out and per-module ranks or alphas are not supported", dir)
	case pc.BaseModel == "":
		return nil, fmt.Errorf("hfmodel: %s: adapter_config.json names no base_model_name_or_path", dir)
	}
	base := pc.BaseModel
	if !filepath.IsAbs(base) {
		base = filepath.Join(dir, base)
	}
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("hfmodel: %s: base model folder %s not found (base_model_name_or_path must be a local folder)", dir, pc.BaseModel)
	}
	m, err := frozenBase(base)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Read(filepath.Join(dir, AdapterWeightsFile))
	if err != nil {
		return nil, fmt.Errorf("hfmodel: %w", err)
	}
	cfg := vlm.LoRA{Rank: pc.R, Alpha: pc.LoraAlpha, RSLoRA: pc.UseRSLoRA}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hfmodel: %s: %w", dir, err)
	}
	byName := map[string]string{}
	for _, k := range m.loraCandidates() {
		byName[m.peftKey(k, "lora_A")] = k
	}
	ads := map[string]*adapter{}
	var errs []error
	for _, n := range f.Names() {
		an := strings.Replace(n, ".lora_B.weight", ".lora_A.weight", 1)
		k, ok := byName[an]
		if !ok || (an == n && !strings.HasSuffix(n, ".lora_A.weight")) {
			errs = append(errs, fmt.Errorf("unexpected tensor %q", n))
			continue
		}
		w := m.w[k+".weight"]
		want := []int{cfg.Rank, w.Shape[1]}
		if an != n {
			want = []int{w.Shape[0], cfg.Rank}
		}
		st := f.Tensors[n]
		if !slices.Equal(st.Shape, want) {
			errs = append(errs, fmt.Errorf("%q has shape %v, want %v", n, st.Shape, want))
			continue
		}
		data, err := st.Float32s()
		if err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", n, err))
			continue
		}
		t, _ := tensor.FromData(data, want...)
		ad := ads[k]
		if ad == nil {
			ad = &adapter{scale: float32(cfg.Scale())}
			ads[k] = ad
		}
		if an == n {
			ad.A = t.AsParam()
		} else {
			ad.B = t.AsParam()
		}
	}
	var keys []string
	for k, ad := range ads {
		if ad.A == nil || ad.B == nil {
			errs = append(errs, fmt.Errorf("%s has only one of lora_A and lora_B", m.moduleName(k)))
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		errs = append(errs, errors.New("no adapter weights"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("hfmodel: %s: %w", filepath.Join(dir, AdapterWeightsFile), err)
	}
	sort.Strings(keys)
	m.setAdapters(cfg, keys, ads) // refers to the base by its absolute folder
	if cp := filepath.Join(dir, CriticFile); fileExists(cp) {
		if err := m.LoadCritic(cp); err != nil {
			return nil, err
		}
	}
	return m, nil
}
