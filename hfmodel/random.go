package hfmodel

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"vlmq/hfload"
	"vlmq/safetensors"
	"vlmq/tensor"
	"vlmq/vlm"
)

// randomExtraVocab is the number of xGen-MM extra tokens Random gives a
// checkpoint (config.json does not state it).
const randomExtraVocab = 3

// Random builds a model of config.json raw with random weights, generated
// in memory in the config's dtype (bfloat16 or float32), so a full-size
// model with a frozen trunk never exists in float32: norm gains near 1 (0
// for Gemma's (1+w) norms), small biases, other tensors uniform with
// standard deviation 1/sqrt(fan-in) (0.02 for embeddings). The model has
// no tokenizer.
func Random(raw []byte, seed uint64, o Options) (*Model, error) {
	cfg, err := hfload.ParseConfigJSON(raw)
	if err != nil {
		return nil, err
	}
	plan, err := hfload.Plan(cfg)
	if err != nil {
		return nil, err
	}
	dt := safetensors.F32
	if cfg.DType == "bfloat16" {
		dt = safetensors.BF16
	}
	ts := map[string]safetensors.Tensor{}
	for i, s := range plan {
		if strings.HasPrefix(s.Key, "vision.head.") || (s.Key == "text.lm_head.weight" && cfg.Text.TieEmbeddings) {
			continue // Load skips these
		}
		shape := slices.Clone(s.Shape)
		n := 1
		for j, d := range shape {
			if d == hfload.Any {
				shape[j] = randomExtraVocab
			}
			n *= shape[j]
		}
		mean, std := 0.0, 0.02
		switch {
		case strings.Contains(s.Key, "norm") && strings.HasSuffix(s.Key, ".weight"):
			std = 0.1
			if !(cfg.Text.NormAddOne && strings.HasPrefix(s.Key, "text.")) {
				mean = 1
			}
		case strings.HasSuffix(s.Key, ".bias"):
			std = 0.01
		case len(shape) >= 2 && !strings.Contains(s.Key, "embed"):
			std = 1 / math.Sqrt(float64(n/shape[0]))
		}
		ts[s.Key] = randomTensor(dt, shape, n, mean, std, seed+uint64(i))
	}
	return build("", cfg, ts, o)
}

// randomTensor fills n values uniform on mean ± std·√3 (the given mean and
// standard deviation) from a fast PCG stream, encoded as dt.
func randomTensor(dt safetensors.DType, shape []int, n int, mean, std float64, seed uint64) safetensors.Tensor {
	r := rand.NewPCG(seed, 0x5851f42d4c957f2d)
	half := float32(std * math.Sqrt(3))
	lo := float32(mean) - half
	scale := 2 * half / (1 << 32)
	st := safetensors.Tensor{DType: dt, Shape: shape}
	if dt == safetensors.BF16 {
		st.Data = make([]byte, 2*n)
	} else {
		st.Data = make([]byte, 4*n)
	}
	for i := 0; i < n; i += 2 {
		u := r.Uint64()
		for j, v := range [2]uint32{uint32(u), uint32(u >> 32)} {
			if i+j >= n {
				break
			}
			f := lo + float32(v)*scale
			if dt == safetensors.BF16 {
				binary.LittleEndian.PutUint16(st.Data[2*(i+j):], safetensors.Float32ToBF16(f))
			} else {
				binary.LittleEndian.PutUint32(st.Data[4*(i+j):], math.Float32bits(f))
			}
		}
	}
	return st
}

// BenchResult is one measurement of a model on this machine.
type BenchResult struct {
	Params    int
	Positions int // decoder positions of the training sequence (image, BOS, text)
	Text      int // text tokens in it
	// Forward and Backward are one training step on one image and Text
	// tokens: the taped forward pass (vision tower, projector, decoder,
	// heads) and the backward pass. With a frozen trunk the gradient still
	// runs back through the whole decoder to its input, as LoRA adapters
	// in the decoder need.
	Forward, Backward time.Duration
	// Layers is the decoder depth the step ran with, of FullLayers;
	// Vision is the image encoding (frozen: untaped), part of Forward.
	// ForwardFull and BackwardFull scale the decoder's share of the step
	// to FullLayers (equal to Forward and Backward when they ran at full
	// depth).
	Layers, FullLayers        int
	Vision                    time.Duration
	ForwardFull, BackwardFull time.Duration
	// StepMem is the live Go heap the step adds (activations held by the
	// tape and gradients) at the end of its backward pass, StepMemFull its
	// scaling to FullLayers. (Heap, not RSS: RSS growth misses memory the
	// runtime kept from generation and reuses.)
	StepMem, StepMemFull uint64
	// Prefill is encoding the image and the prompt into the KV cache (plus
	// one token); Decode is each further generated token. Both at full
	// depth.
	Prefill, Decode time.Duration
	// RSS after building, and peak RSS at the end (bytes; /proc/self).
	RSSBuilt, PeakRSS uint64
}

// visionTape is tp, or nil when no vision tower or projector tensor is
// trained (a frozen trunk): the image features then need no gradient, and
// untaped ops free their activations as they go instead of holding them
// in the tape until Reset (gigabytes for a 729-token SigLIP so400m).
func (m *Model) visionTape(tp *tensor.Tape) *tensor.Tape {
	if !m.frozen {
		return tp
	}
	visual := func(k string) bool { return strings.HasPrefix(k, "vision.") || strings.HasPrefix(k, "projector.") }
	for k, t := range m.w {
		if visual(k) && t.RequiresGrad() {
			return tp
		}
	}
	for k := range m.ads { // LoRA adapters (today only decoder ones)
		if visual(k) {
			return tp
		}
	}
	return nil
}

// BenchOpts configure Bench.
type BenchOpts struct {
	Text int // text tokens of the training step and of the generation prompt
	Gen  int // tokens generated after the first
	Seed uint64
	// NoCriticGrad leaves the critic heads out of the step's loss, so
	// their weight gradients (Vocab x Hidden x 2 floats) are never
	// allocated: for vocabularies too large for the machine's memory.
	NoCriticGrad bool
	// Layers is how many decoder layers the training step runs (0: all).
	// A full-size step holds every layer's activations and their
	// gradients (about 0.5 GB per layer for Moondream's 734 positions),
	// more than a 24 GB machine has beside the weights; the layers are
	// alike, so the full step is estimated by scaling the decoder's share.
	Layers int
}

// Bench times a training step on one random image with o.Text tokens, and
// generation of o.Gen tokens after a prompt of the same length.
func (m *Model) Bench(o BenchOpts) (BenchResult, error) {
	text, gen, seed := o.Text, o.Gen, o.Seed
	if text <= 0 || gen < 0 {
		return BenchResult{}, fmt.Errorf("hfmodel: bench needs text tokens (got %d) and gen >= 0 (got %d)", text, gen)
	}
	res := BenchResult{Params: m.NumParams(), Text: text}
	res.RSSBuilt, _ = procStatus("VmRSS")
	r := rand.New(rand.NewPCG(seed, 1))
	S := m.Cfg.Vision.ImageSize
	img := image.NewRGBA(image.Rect(0, 0, S, S))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	toks := make([]int, text)
	tg := make([]int, text)
	ys := make([]int, text)
	for i := range toks {
		toks[i] = 3 + r.IntN(min(m.Vocab, 30000)-3)
		tg[i] = i
	}
	for i := range ys {
		if i+1 < text {
			ys[i] = toks[i+1]
		}
	}
	batch := []vlm.Input{{Image: img, Tokens: toks, Targets: tg}}
	// Generation first, at full depth (no tape: little memory).
	gin := []vlm.GenInput{{Image: img, Prompt: toks}}
	t0 := time.Now()
	if _, err := m.Generate(gin, vlm.GenOpts{MaxTokens: 1}); err != nil {
		return res, err
	}
	res.Prefill = time.Since(t0)
	t0 = time.Now()
	if _, err := m.Generate(gin, vlm.GenOpts{MaxTokens: 1 + gen}); err != nil {
		return res, err
	}
	if gen > 0 {
		res.Decode = (time.Since(t0) - res.Prefill) / time.Duration(gen)
	}
	// The training step, on the first o.Layers decoder layers.
	L := m.Cfg.Text.Layers
	res.FullLayers, res.Layers = L, L
	step := m
	if o.Layers > 0 && o.Layers < L {
		c := *m
		cfg := *m.Cfg
		cfg.Text.Layers = o.Layers
		c.Cfg = &cfg
		step, res.Layers = &c, o.Layers
	}
	before := liveHeap()
	tp := tensor.NewTape()
	t0 = time.Now()
	vis, err := step.EncodeImages(step.visionTape(tp), []*image.RGBA{img})
	if err != nil {
		return res, err
	}
	res.Vision = time.Since(t0)
	x, T, keyLen, prefix := step.sequence(tp, vis, batch, nil)
	if !x.RequiresGrad() { // frozen trunk: a gradient for the decoder input
		x = tensor.New(slices.Clone(x.Data), x.Shape...).AsParam()
	}
	h := step.decoder(tp, x, 1, T, keyLen, prefix)
	rows := make([]int, text)
	for i := range rows {
		rows[i] = step.TextOffset() + i - 1
	}
	out := step.heads(tp, tp.SelectRows(h, rows))
	loss := tp.CrossEntropy(out.Logits, ys, nil)
	if !o.NoCriticGrad {
		loss = tp.Add(loss, tp.Add(tp.Mean(tp.Mul(out.Q1, out.Q1)), tp.Mean(tp.Mul(out.Q2, out.Q2))))
	}
	res.Forward, res.Positions = time.Since(t0), T
	t0 = time.Now()
	if err := tp.Backward(loss); err != nil {
		return res, err
	}
	res.Backward = time.Since(t0)
	after := liveHeap()
	tp.Reset()
	scale := float64(L) / float64(res.Layers)
	res.ForwardFull = res.Vision + time.Duration(float64(res.Forward-res.Vision)*scale)
	res.BackwardFull = time.Duration(float64(res.Backward) * scale)
	if after > before {
		res.StepMem = after - before
	}
	// The critics' weight gradients do not grow with depth.
	fixed := uint64(0)
	if !o.NoCriticGrad {
		fixed = uint64(2 * 4 * (m.W(q1W).Size() + m.W(q1B).Size()))
	}
	res.StepMemFull = res.StepMem
	if res.StepMem > fixed {
		res.StepMemFull = fixed + uint64(float64(res.StepMem-fixed)*scale)
	}
	res.PeakRSS, _ = procStatus("VmHWM")
	return res, nil
}

// procStatus reads a memory line (kB) of /proc/self/status, in bytes.
func procStatus(key string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseUint(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("hfmodel: no %s in /proc/self/status", key)
}

// liveHeap is the Go heap still reachable after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
