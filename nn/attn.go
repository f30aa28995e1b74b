package nn

import (
	"fmt"
	"math"
	"math/rand"

	"vlmq/tensor"
)

func sqrt(x float64) float64 { return math.Sqrt(x) }

// MultiHeadAttention has separate q/k/v/o projections (HF naming:
// q_proj, k_proj, v_proj, o_proj), each [D, D] with bias.
type MultiHeadAttention struct {
	Q, K, V, O *Linear
	Heads      int
	// RoPETheta, if positive, rotates queries and keys by their rows'
	// positions (opts.Pos) with this base: relative positions, so a head
	// that reads the previous token, or a key wherever it stands, is the
	// same at every position.
	RoPETheta float64
}

// NewMultiHeadAttention makes attention over d features in heads heads.
func NewMultiHeadAttention(r *rand.Rand, d, heads, nLayers int) *MultiHeadAttention {
	if heads <= 0 || d%heads != 0 {
		panic(fmt.Sprintf("nn: %d features do not split into %d heads", d, heads))
	}
	a := &MultiHeadAttention{Q: NewLinear(r, d, d, true), K: NewLinear(r, d, d, true),
		V: NewLinear(r, d, d, true), O: NewLinear(r, d, d, true), Heads: heads}
	scaleResidual(r, a.O, nLayers)
	return a
}

// Forward attends within each of B sequences of length T: x [B*T, D].
// With opts.Seqs set, x instead holds sequences of any length packed back
// to back (B and T are then unused). opts.H is filled in from the module.
func (a *MultiHeadAttention) Forward(tp *tensor.Tape, x *tensor.Tensor, B, T int, opts tensor.AttnOpts) *tensor.Tensor {
	H := a.Heads
	opts.H = H
	q, k := a.QK(tp, x, opts.Pos)
	if opts.Seqs != nil {
		return a.O.Forward(tp, tp.PackedAttention(q, k, a.V.Forward(tp, x), opts))
	}
	q = tp.SplitHeads(q, B, T, H)
	k = tp.SplitHeads(k, B, T, H)
	v := tp.SplitHeads(a.V.Forward(tp, x), B, T, H)
	return a.O.Forward(tp, tp.MergeHeads(tp.Attention(q, k, v, opts), B, T, H))
}

// QK projects x [N, D] to queries and keys, rotated by the rows'
// positions pos when the module uses RoPE (pos must then have N entries).
func (a *MultiHeadAttention) QK(tp *tensor.Tape, x *tensor.Tensor, pos []int) (q, k *tensor.Tensor) {
	q, k = a.Q.Forward(tp, x), a.K.Forward(tp, x)
	if a.RoPETheta > 0 {
		if len(pos) != x.Shape[0] {
			panic(fmt.Sprintf("nn: RoPE attention over %d rows given %d positions", x.Shape[0], len(pos)))
		}
		dh := x.Shape[1] / a.Heads
		q = RoPE(tp, q, pos, a.Heads, dh, dh, a.RoPETheta)
		k = RoPE(tp, k, pos, a.Heads, dh, dh, a.RoPETheta)
	}
	return q, k
}

// Params names prefix.{q,k,v,o}_proj.{weight,bias}.
func (a *MultiHeadAttention) Params(prefix string) []Param {
	var ps []Param
	for _, p := range []struct {
		n string
		l *Linear
	}{{"q_proj", a.Q}, {"k_proj", a.K}, {"v_proj", a.V}, {"o_proj", a.O}} {
		ps = append(ps, p.l.Params(join(prefix, p.n))...)
	}
	return ps
}

// Block is a pre-LN transformer block:
// x += attn(ln_1(x)); x += mlp(ln_2(x)).
type Block struct {
	LN1  *LayerNorm
	Attn *MultiHeadAttention
	LN2  *LayerNorm
	MLP  *MLP
}

// NewBlock makes a block of width d with the given heads and MLP hidden size.
func NewBlock(r *rand.Rand, d, heads, hidden, nLayers int) *Block {
	return &Block{LN1: NewLayerNorm(d), Attn: NewMultiHeadAttention(r, d, heads, nLayers),
		LN2: NewLayerNorm(d), MLP: NewMLP(r, d, hidden, nLayers)}
}

// Forward applies the block to x [B*T, D].
func (b *Block) Forward(tp *tensor.Tape, x *tensor.Tensor, B, T int, opts tensor.AttnOpts) *tensor.Tensor {
	x = tp.Add(x, b.Attn.Forward(tp, b.LN1.Forward(tp, x), B, T, opts))
	return tp.Add(x, b.MLP.Forward(tp, b.LN2.Forward(tp, x)))
}

// Params names prefix.ln_1, prefix.attn, prefix.ln_2, prefix.mlp.
func (b *Block) Params(prefix string) []Param {
	ps := b.LN1.Params(join(prefix, "ln_1"))
	ps = append(ps, b.Attn.Params(join(prefix, "attn"))...)
	ps = append(ps, b.LN2.Params(join(prefix, "ln_2"))...)
	return append(ps, b.MLP.Params(join(prefix, "mlp"))...)
}

// Config sizes a Transformer.
type Config struct {
	Layers, D, Heads, Hidden int
	// RoPETheta, if positive, gives every attention rotary positions.
	RoPETheta float64
}

// Transformer is a stack of pre-LN blocks followed by a final LayerNorm.
type Transformer struct {
	Blocks    []*Block
	FinalNorm *LayerNorm
}

// NewTransformer initialises a stack GPT-2 style from r.
func NewTransformer(r *rand.Rand, c Config) (*Transformer, error) {
	if c.Layers < 0 || c.D <= 0 || c.Heads <= 0 || c.D%c.Heads != 0 || c.Hidden <= 0 {
		return nil, fmt.Errorf("nn: invalid transformer config %+v", c)
	}
	t := &Transformer{FinalNorm: NewLayerNorm(c.D)}
	for i := 0; i < c.Layers; i++ {
		b := NewBlock(r, c.D, c.Heads, c.Hidden, c.Layers)
		b.Attn.RoPETheta = c.RoPETheta
		t.Blocks = append(t.Blocks, b)
	}
	return t, nil
}

// Forward runs all blocks and the final norm on x [B*T, D].
func (t *Transformer) Forward(tp *tensor.Tape, x *tensor.Tensor, B, T int, opts tensor.AttnOpts) *tensor.Tensor {
	for _, b := range t.Blocks {
		x = b.Forward(tp, x, B, T, opts)
	}
	return t.FinalNorm.Forward(tp, x)
}

// Params names prefix.layers.{i}.* and prefix.final_norm.*.
func (t *Transformer) Params(prefix string) []Param {
	var ps []Param
	for i, b := range t.Blocks {
		ps = append(ps, b.Params(join(prefix, fmt.Sprintf("layers.%d", i)))...)
	}
	return append(ps, t.FinalNorm.Params(join(prefix, "final_norm"))...)
}
