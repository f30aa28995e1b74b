package hfmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"vlmq/hfload"
	"vlmq/nn"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/tokenizer"
	"vlmq/vlm"
)

// TokenizerFile is the Hugging Face tokenizer file read by Load if present.
const TokenizerFile = "tokenizer.json"

// Model is a Hugging Face VLM checkpoint turned into a trainable network
// with an LM head (actor) and two Q heads (critics) on the decoder's final
// hidden state. Parameters are keyed by hfload's family-neutral keys.
type Model struct {
	Cfg *hfload.Config
	// Tok is the checkpoint's tokenizer, nil when the folder has none.
	Tok *tokenizer.HF

	w     map[string]*tensor.Tensor
	order []string // trunk keys in plan order
	fam   *hfload.Family
	// names and shapes are each trunk key's tensor name and shape in the
	// checkpoint, so Save writes a folder Hugging Face code reads.
	names  map[string]string
	shapes map[string][]int
	// side holds the folder's other small files (tokenizer, processor and
	// generation configs, remote code) for Save to copy.
	side map[string][]byte
	// dir is the absolute folder the checkpoint was loaded from.
	dir string
	// ads are the LoRA adapters by neutral key (without ".weight"), lora
	// their settings; both nil when the model is fine-tuned in full.
	ads  map[string]*adapter
	lora *loraState
	// Vocab is the width of the LM and Q heads (for xGen-MM the base
	// vocabulary plus its extra tokens).
	Vocab int
	// frozen: the trunk and LM head are not trained (Options.FreezeTrunk).
	frozen bool
}

// Critic parameter names (as in vlmq/model).
const (
	q1W, q1B = "q1_head.weight", "q1_head.bias"
	q2W, q2B = "q2_head.weight", "q2_head.bias"
)

// Load reads a checkpoint folder (config.json, safetensors weights, and
// optionally tokenizer.json and critic.safetensors) for full fine-tuning.
// hfload.Check reports missing, unexpected or misshapen tensors. Without a
// critic file the Q heads start small and random (fixed seed).
func Load(dir string) (*Model, error) { return LoadWith(dir, Options{}) }

// Options configure LoadWith.
type Options struct {
	// FreezeTrunk freezes the vision tower, projector, decoder (with the
	// embeddings) and LM head: Trainable is then the critic heads (plus
	// any adapters). Their matrices stored in bfloat16 or float16 stay in
	// 16 bits, widened block by block where a Linear or an embedding
	// lookup reads them, so a 3B-parameter trunk needs about 6 GB rather
	// than 12; and no frozen tensor gets gradient memory. Norm gains,
	// biases and position embeddings are small and stay float32.
	FreezeTrunk bool
}

// LoadWith is Load with options.
func LoadWith(dir string, o Options) (*Model, error) {
	cfg, ts, err := hfload.Load(dir)
	if err != nil {
		return nil, err
	}
	return build(dir, cfg, ts, o)
}

// build makes a Model from a parsed config and its tensors by neutral key
// (read from dir, whose other files are then also read, or generated when
// dir is "").
func build(dir string, cfg *hfload.Config, ts map[string]safetensors.Tensor, o Options) (*Model, error) {
	if err := supported(cfg); err != nil {
		return nil, fmt.Errorf("hfmodel: %s: %w", dir, err)
	}
	chk, err := hfload.Plan(cfg)
	if err != nil {
		return nil, err
	}
	fam, err := hfload.Lookup(cfg.Family)
	if err != nil {
		return nil, fmt.Errorf("hfmodel: %s: %w", dir, err)
	}
	m := &Model{Cfg: cfg, w: map[string]*tensor.Tensor{}, fam: fam, names: map[string]string{}, shapes: map[string][]int{}, frozen: o.FreezeTrunk}
	if dir != "" {
		if m.dir, err = filepath.Abs(dir); err != nil {
			return nil, fmt.Errorf("hfmodel: %w", err)
		}
	}
	for _, s := range chk {
		if strings.HasPrefix(s.Key, "vision.head.") {
			continue // SigLIP pooling head: unused by the VLMs
		}
		if s.Key == "text.lm_head.weight" && cfg.Text.TieEmbeddings {
			continue // tied: transformers overwrites a stored copy with the embeddings
		}
		st, ok := ts[s.Key]
		if !ok {
			continue // optional and absent (tied lm_head)
		}
		shape := append([]int(nil), st.Shape...)
		m.names[s.Key], m.shapes[s.Key] = s.Name, append([]int(nil), st.Shape...)
		switch s.Key {
		case "vision.patch_embed.weight": // conv [h, C, P, P] as a linear map
			n := 1
			for _, d := range shape[1:] {
				n *= d
			}
			shape = []int{shape[0], n}
		case "vision.pos_embed": // Moondream stores [1, N, h]
			shape = shape[len(shape)-2:]
		}
		t, err := m.weight(s.Key, st, shape)
		if err != nil {
			return nil, fmt.Errorf("hfmodel: %s: tensor %s: %w", dir, s.Name, err)
		}
		m.w[s.Key] = t
		m.order = append(m.order, s.Key)
	}
	m.Vocab = m.w["text.embed.weight"].Shape[0]
	if e := m.w["text.embed_extra.weight"]; e != nil {
		m.Vocab += e.Shape[0]
		if x := m.w["text.lm_head_extra.weight"]; x == nil || x.Shape[0] != e.Shape[0] {
			return nil, fmt.Errorf("hfmodel: %s: the extra lm_head rows do not match the %d extra embeddings", dir, e.Shape[0])
		}
	}
	if b := m.w["text.lm_head_extra.bias"]; b != nil && b.Shape[0] != m.w["text.lm_head_extra.weight"].Shape[0] {
		return nil, fmt.Errorf("hfmodel: %s: extra lm_head bias has %d values for %d rows", dir, b.Shape[0], m.w["text.lm_head_extra.weight"].Shape[0])
	}
	m.initCritic(1)
	if dir == "" {
		return m, nil
	}
	if tp := filepath.Join(dir, TokenizerFile); fileExists(tp) {
		tok, err := tokenizer.LoadHF(tp)
		if err != nil {
			return nil, fmt.Errorf("hfmodel: %w", err)
		}
		if tok.VocabSize() > m.Vocab {
			return nil, fmt.Errorf("hfmodel: %s has %d tokens but the model only %d embeddings", tp, tok.VocabSize(), m.Vocab)
		}
		m.Tok = tok
	}
	if m.side, err = sideFiles(dir); err != nil {
		return nil, fmt.Errorf("hfmodel: %w", err)
	}
	if cp := filepath.Join(dir, CriticFile); fileExists(cp) {
		if err := m.LoadCritic(cp); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func sqrtf(x float64) float64 { return math.Sqrt(x) }

// fillNormal fills d with N(0, std²) draws from a seeded PCG stream.
func fillNormal(d []float32, seed uint64, std float64) {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range d {
		d[i] = float32(r.NormFloat64() * std)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// supported rejects what the forward pass does not implement: what the
// family says it cannot run, and settings the shared blocks do not have.
// The blocks follow the Config's flags, so any decoder a family's Parse
// describes with them runs.
func supported(c *hfload.Config) error {
	t, v, p := c.Text, c.Vision, c.Projector
	var errs []error
	fam, err := hfload.Lookup(c.Family)
	if err != nil {
		return err
	}
	if fam.Unsupported != nil {
		if err := fam.Unsupported(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkGemma2(t); err != nil {
		errs = append(errs, err)
	}
	for _, a := range []string{v.Activation, t.Activation, p.Activation} {
		if a != "" && !supportedAct(a) {
			errs = append(errs, fmt.Errorf("activation %q is not supported", a))
		}
	}
	if v.Channels != 3 {
		errs = append(errs, fmt.Errorf("vision tower has %d input channels, want 3 (RGB)", v.Channels))
	}
	if t.RotaryDim%2 != 0 || t.RotaryDim > t.HeadDim {
		errs = append(errs, fmt.Errorf("rotary dim %d", t.RotaryDim))
	}
	if t.MaxPositions <= c.ImageTokens+1 {
		errs = append(errs, fmt.Errorf("max positions %d leave no room for text after %d image tokens", t.MaxPositions, c.ImageTokens))
	}
	return errors.Join(errs...)
}

// initCritic draws both Q heads: weights N(0, (0.1/√D)²) (initial Q values
// of order 0.1, different for the two heads), zero biases.
func (m *Model) initCritic(seed uint64) {
	d := m.Cfg.Text.Hidden
	std := 0.1 / sqrtf(float64(d))
	for i, k := range []string{q1W, q2W} {
		t := tensor.Param(m.Vocab, d)
		fillNormal(t.Data, seed*2+uint64(i), std)
		m.w[k] = t
	}
	m.w[q1B] = tensor.Param(m.Vocab)
	m.w[q2B] = tensor.Param(m.Vocab)
}

func (m *Model) tiedHead() bool { return m.w["text.lm_head.weight"] == nil }

// TrunkParams are the vision tower, projector and decoder (with the
// embeddings) under their neutral keys, in checkpoint plan order.
func (m *Model) TrunkParams() []nn.Param {
	var ps []nn.Param
	for _, k := range m.order {
		if !strings.HasPrefix(k, "text.lm_head") {
			ps = append(ps, nn.Param{Name: k, T: m.w[k]})
		}
	}
	return ps
}

// LMParams is the actor head (empty when tied to the embeddings, which are
// then trained as part of the trunk).
func (m *Model) LMParams() []nn.Param {
	var ps []nn.Param
	for _, k := range m.order {
		if strings.HasPrefix(k, "text.lm_head") {
			ps = append(ps, nn.Param{Name: k, T: m.w[k]})
		}
	}
	return ps
}

// CriticParams are the two Q heads.
func (m *Model) CriticParams() []nn.Param {
	return []nn.Param{{Name: q1W, T: m.w[q1W]}, {Name: q1B, T: m.w[q1B]}, {Name: q2W, T: m.w[q2W]}, {Name: q2B, T: m.w[q2B]}}
}

// Params lists every parameter in a fixed order: trunk, LM head, critics,
// then the LoRA adapters if any.
func (m *Model) Params() []nn.Param {
	ps := append(append(m.TrunkParams(), m.LMParams()...), m.CriticParams()...)
	if m.lora != nil {
		ps = append(ps, m.loraParams()...)
	}
	return ps
}

// NumParams counts scalar parameters.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.T.Size()
	}
	return n
}

// Clone deep-copies the parameters (gradients dropped); the config,
// tokenizer, folder files and frozen weights are shared (read-only). Used
// for target networks.
func (m *Model) Clone() vlm.Model { return m.clone() }

func (m *Model) clone() *Model {
	c := *m
	c.w = make(map[string]*tensor.Tensor, len(m.w))
	if m.ads != nil {
		c.ads = make(map[string]*adapter, len(m.ads))
		for k, a := range m.ads {
			ca, cb := a.A.Clone(), a.B.Clone()
			ca.Grad, cb.Grad = nil, nil
			c.ads[k] = &adapter{A: ca, B: cb, scale: a.scale}
		}
	}
	for k, t := range m.w {
		if m.frozen && !t.RequiresGrad() {
			c.w[k] = t // frozen: training never changes it, so share it
			continue
		}
		ct := t.Clone()
		ct.Grad = nil
		c.w[k] = ct
	}
	return &c
}

// Keys lists the parameter names in sorted order (for diagnostics).
func (m *Model) Keys() []string {
	ks := make([]string, 0, len(m.w))
	for k := range m.w {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// CriticFile is the critic heads' file inside a checkpoint folder.
const CriticFile = "critic.safetensors"

// SaveCritic writes the Q heads to path (atomically, via a temp file).
func (m *Model) SaveCritic(path string) error {
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{
		"format": "pt", "family": string(m.Cfg.Family)}}
	for _, p := range m.CriticParams() {
		f.Tensors[p.Name] = safetensors.FromFloat32(p.T.Shape, p.T.Data)
	}
	if err := safetensors.Write(path, f); err != nil {
		return fmt.Errorf("hfmodel: saving critic: %w", err)
	}
	return nil
}

// LoadCritic replaces the Q heads with those in path; every head tensor
// must be present with the model's shape and nothing else may be.
func (m *Model) LoadCritic(path string) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("hfmodel: loading critic: %w", err)
	}
	var errs []error
	vals := map[string][]float32{}
	for _, p := range m.CriticParams() {
		t, ok := f.Tensors[p.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("missing %q", p.Name))
			continue
		}
		if !slices.Equal(t.Shape, p.T.Shape) {
			errs = append(errs, fmt.Errorf("%q has shape %v, want %v", p.Name, t.Shape, p.T.Shape))
			continue
		}
		d, err := t.Float32s()
		if err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", p.Name, err))
			continue
		}
		vals[p.Name] = d
	}
	for _, n := range f.Names() {
		switch n {
		case q1W, q1B, q2W, q2B:
		default:
			errs = append(errs, fmt.Errorf("unexpected tensor %q", n))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("hfmodel: %s: %w", path, err)
	}
	for n, d := range vals { // all checked: apply together
		copy(m.w[n].Data, d)
	}
	return nil
}

// weight turns a checkpoint tensor into the model's tensor of the given
// shape: a trainable float32 parameter, or for a frozen trunk a constant,
// kept in 16 bits when the checkpoint has it so and only Linear and
// Embedding read it (2-D weights other than norm gains).
func (m *Model) weight(key string, st safetensors.Tensor, shape []int) (*tensor.Tensor, error) {
	if m.frozen && len(shape) == 2 && strings.HasSuffix(key, ".weight") && !strings.Contains(key, "norm") {
		if kind, ok := halfKinds[st.DType]; ok {
			return tensor.FromHalf(halfBits(st.Data), kind, shape...)
		}
	}
	data, err := st.Float32s()
	if err != nil {
		return nil, err
	}
	t, err := tensor.FromData(data, shape...)
	if err != nil {
		return nil, err
	}
	if !m.frozen {
		t.AsParam()
	}
	return t, nil
}

var halfKinds = map[safetensors.DType]tensor.HalfKind{safetensors.BF16: tensor.BF16, safetensors.F16: tensor.F16}

// halfBits views little-endian 16-bit values in place when the buffer is
// aligned (safetensors data usually is; a frozen trunk then shares the
// file's memory rather than copying it), else copies them.
func halfBits(b []byte) []uint16 {
	n := len(b) / 2
	if n == 0 {
		return []uint16{}
	}
	if p := unsafe.Pointer(unsafe.SliceData(b)); uintptr(p)%2 == 0 && littleEndian {
		return unsafe.Slice((*uint16)(p), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
