// Package nn builds transformer modules on vlmq/tensor: Linear, LayerNorm,
// RMSNorm, Embedding, MLP, multi-head attention, pre-LN blocks and a
// Transformer stack, plus a KV cache for incremental decoding. Parameter
// names follow Hugging Face conventions (e.g. "layers.0.attn.q_proj.weight")
// so checkpoints map onto safetensors keys directly.
package nn

import (
	"fmt"
	"math/rand"

	"vlmq/tensor"
)

// Param is a named trainable tensor.
type Param struct {
	Name string
	T    *tensor.Tensor
}

// Tensors returns the tensors of ps in order (for optimisers).
func Tensors(ps []Param) []*tensor.Tensor {
	ts := make([]*tensor.Tensor, len(ps))
	for i, p := range ps {
		ts[i] = p.T
	}
	return ts
}

// ByName indexes ps by name, failing on duplicates.
func ByName(ps []Param) (map[string]*tensor.Tensor, error) {
	m := make(map[string]*tensor.Tensor, len(ps))
	for _, p := range ps {
		if _, dup := m[p.Name]; dup {
			return nil, fmt.Errorf("nn: duplicate parameter name %q", p.Name)
		}
		m[p.Name] = p.T
	}
	return m, nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// InitStd is the GPT-2 initialisation standard deviation.
const InitStd = 0.02

// Normal fills t with N(0, std²) draws from r.
func Normal(r *rand.Rand, t *tensor.Tensor, std float64) {
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64() * std)
	}
}

// Linear is y = x·Wᵀ + B with W [out, in] (PyTorch layout); B may be nil.
type Linear struct {
	W, B *tensor.Tensor
}

// NewLinear makes a Linear with N(0, 0.02²) weights and zero bias.
func NewLinear(r *rand.Rand, in, out int, bias bool) *Linear {
	l := &Linear{W: tensor.Param(out, in)}
	Normal(r, l.W, InitStd)
	if bias {
		l.B = tensor.Param(out)
	}
	return l
}

// Forward applies the layer to x [..., in].
func (l *Linear) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tp.Linear(x, l.W, l.B)
}

// Params names the weights prefix.weight and prefix.bias.
func (l *Linear) Params(prefix string) []Param {
	ps := []Param{{join(prefix, "weight"), l.W}}
	if l.B != nil {
		ps = append(ps, Param{join(prefix, "bias"), l.B})
	}
	return ps
}

// LayerNorm normalises the last dimension with gain G and bias B.
type LayerNorm struct {
	G, B *tensor.Tensor
	Eps  float32
}

// NewLayerNorm makes a LayerNorm with unit gain, zero bias and eps 1e-5.
func NewLayerNorm(d int) *LayerNorm {
	n := &LayerNorm{G: tensor.Param(d), B: tensor.Param(d), Eps: 1e-5}
	for i := range n.G.Data {
		n.G.Data[i] = 1
	}
	return n
}

// Forward normalises x [..., d].
func (n *LayerNorm) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tp.LayerNorm(x, n.G, n.B, n.Eps)
}

// Params names prefix.weight (gain) and prefix.bias.
func (n *LayerNorm) Params(prefix string) []Param {
	return []Param{{join(prefix, "weight"), n.G}, {join(prefix, "bias"), n.B}}
}

// RMSNorm scales the last dimension by its inverse RMS and gain G.
type RMSNorm struct {
	G   *tensor.Tensor
	Eps float32
}

// NewRMSNorm makes an RMSNorm with unit gain and eps 1e-6.
func NewRMSNorm(d int) *RMSNorm {
	n := &RMSNorm{G: tensor.Param(d), Eps: 1e-6}
	for i := range n.G.Data {
		n.G.Data[i] = 1
	}
	return n
}

// Forward normalises x [..., d].
func (n *RMSNorm) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tp.RMSNorm(x, n.G, n.Eps)
}

// Params names prefix.weight.
func (n *RMSNorm) Params(prefix string) []Param {
	return []Param{{join(prefix, "weight"), n.G}}
}

// Embedding is a lookup table W [vocab, d].
type Embedding struct {
	W *tensor.Tensor
}

// NewEmbedding makes an N(0, 0.02²) table.
func NewEmbedding(r *rand.Rand, vocab, d int) *Embedding {
	e := &Embedding{W: tensor.Param(vocab, d)}
	Normal(r, e.W, InitStd)
	return e
}

// Forward looks up ids, giving [len(ids), d].
func (e *Embedding) Forward(tp *tensor.Tape, ids []int) *tensor.Tensor {
	return tp.Embedding(e.W, ids)
}

// Params names prefix.weight.
func (e *Embedding) Params(prefix string) []Param {
	return []Param{{join(prefix, "weight"), e.W}}
}

// MLP is fc2(GELU(fc1(x))).
type MLP struct {
	FC1, FC2 *Linear
}

// NewMLP makes an MLP d -> hidden -> d; fc2 uses GPT-2's depth-scaled init
// when nLayers > 0.
func NewMLP(r *rand.Rand, d, hidden, nLayers int) *MLP {
	m := &MLP{FC1: NewLinear(r, d, hidden, true), FC2: NewLinear(r, hidden, d, true)}
	scaleResidual(r, m.FC2, nLayers)
	return m
}

// Forward applies the MLP to x [..., d].
func (m *MLP) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return m.FC2.Forward(tp, tp.GELU(m.FC1.Forward(tp, x)))
}

// Params names prefix.fc1.* and prefix.fc2.*.
func (m *MLP) Params(prefix string) []Param {
	return append(m.FC1.Params(join(prefix, "fc1")), m.FC2.Params(join(prefix, "fc2"))...)
}

// scaleResidual re-draws a residual projection with std 0.02/sqrt(2·layers).
func scaleResidual(r *rand.Rand, l *Linear, nLayers int) {
	if nLayers > 0 {
		Normal(r, l.W, InitStd/sqrt(float64(2*nLayers)))
	}
}
