// Package bench defines vlmq's reference training benchmark: a 4-layer,
// d=256 transformer LM with an LM head and a critic head, trained with
// AdamW, plus the analytic FLOP count, a CPU peak estimate, and a runner
// for the equivalent PyTorch script (torch_ref.py) so both can be compared
// in one run (see cmd/vlmq-bench). It also holds the real training step, the
// project's VLM trained by afsft.Trainer.Step, and its PyTorch twin
// (real.go, torch_vlm.py).
package bench

import (
	"fmt"
	"math/rand"

	"vlmq/nn"
	"vlmq/optim"
	"vlmq/tensor"
)

// Config sizes the reference model and batch.
type Config struct {
	Layers, D, Heads, Hidden, Vocab, Seq, Batch int
}

// Reference is the benchmark configuration.
var Reference = Config{Layers: 4, D: 256, Heads: 4, Hidden: 1024, Vocab: 512, Seq: 256, Batch: 8}

// Model is token + learned position embeddings, a pre-LN transformer, and
// LM and critic heads (both [vocab] outputs).
type Model struct {
	Cfg        Config
	Tok, Pos   *nn.Embedding
	Trunk      *nn.Transformer
	LM, Critic *nn.Linear
}

// NewModel initialises the model from seed.
func NewModel(c Config, seed int64) (*Model, error) {
	r := rand.New(rand.NewSource(seed))
	tr, err := nn.NewTransformer(r, nn.Config{Layers: c.Layers, D: c.D, Heads: c.Heads, Hidden: c.Hidden})
	if err != nil {
		return nil, err
	}
	return &Model{Cfg: c, Tok: nn.NewEmbedding(r, c.Vocab, c.D), Pos: nn.NewEmbedding(r, c.Seq, c.D),
		Trunk: tr, LM: nn.NewLinear(r, c.D, c.Vocab, true), Critic: nn.NewLinear(r, c.D, c.Vocab, true)}, nil
}

// Params lists all parameters with names.
func (m *Model) Params() []nn.Param {
	ps := m.Tok.Params("tok_emb")
	ps = append(ps, m.Pos.Params("pos_emb")...)
	ps = append(ps, m.Trunk.Params("trunk")...)
	ps = append(ps, m.LM.Params("lm_head")...)
	return append(ps, m.Critic.Params("critic_head")...)
}

// Batch is one training batch: ids and targets are [Batch*Seq]; QTarget
// holds the critic regression targets for the taken tokens.
type Batch struct {
	IDs, Targets []int
	PosIDs       []int
	QTarget      *tensor.Tensor
}

// RandomBatch draws a deterministic synthetic batch.
func RandomBatch(c Config, seed int64) *Batch {
	r := rand.New(rand.NewSource(seed))
	n := c.Batch * c.Seq
	b := &Batch{IDs: make([]int, n), Targets: make([]int, n), PosIDs: make([]int, n), QTarget: tensor.Zeros(n)}
	for i := 0; i < n; i++ {
		b.IDs[i] = r.Intn(c.Vocab)
		b.Targets[i] = r.Intn(c.Vocab)
		b.PosIDs[i] = i % c.Seq
		b.QTarget.Data[i] = float32(r.NormFloat64())
	}
	return b
}

// Loss is CE(LM logits, targets) + MSE(critic Q gathered at targets, QTarget).
func (m *Model) Loss(tp *tensor.Tape, b *Batch) *tensor.Tensor {
	c := m.Cfg
	x := tp.Add(m.Tok.Forward(tp, b.IDs), m.Pos.Forward(tp, b.PosIDs))
	h := m.Trunk.Forward(tp, x, c.Batch, c.Seq, tensor.AttnOpts{Causal: true})
	ce := tp.CrossEntropy(m.LM.Forward(tp, h), b.Targets, nil)
	q := tp.Gather(m.Critic.Forward(tp, h), b.Targets)
	return tp.Add(ce, tp.MSE(q, b.QTarget))
}

// Trainer owns a model, its optimiser and a reusable tape.
type Trainer struct {
	M      *Model
	Opt    *optim.AdamW
	Tape   *tensor.Tape
	params []*tensor.Tensor
}

// NewTrainer builds the reference trainer (AdamW lr 3e-4, wd 0.01).
func NewTrainer(c Config, seed int64) (*Trainer, error) {
	m, err := NewModel(c, seed)
	if err != nil {
		return nil, err
	}
	return &Trainer{M: m, Opt: optim.NewAdamW(3e-4), Tape: tensor.NewTape(), params: nn.Tensors(m.Params())}, nil
}

// Step runs forward, backward and an AdamW update, returning the loss.
func (t *Trainer) Step(b *Batch) (float32, error) {
	optim.ZeroGrad(t.params)
	loss := t.M.Loss(t.Tape, b)
	if err := t.Tape.Backward(loss); err != nil {
		return 0, fmt.Errorf("bench: backward: %w", err)
	}
	v := loss.Item()
	t.Opt.Step(t.params)
	t.Tape.Reset()
	return v, nil
}

// FLOPs counts the matrix-multiply floating-point operations of one training
// step analytically (forward GEMMs + attention, backward = 2x forward);
// elementwise ops are ignored.
func FLOPs(c Config) float64 {
	n := float64(c.Batch * c.Seq)
	d, f, v := float64(c.D), float64(c.Hidden), float64(c.Vocab)
	t := float64(c.Seq)
	proj := 4 * 2 * n * d * d
	mlp := 2 * 2 * n * d * f
	attn := 2 * 2 * float64(c.Batch) * t * t * d // q·kᵀ and p·v over all heads
	heads := 2 * 2 * n * d * v
	fwd := float64(c.Layers)*(proj+mlp+attn) + heads
	return 3 * fwd
}
