// Package optim holds vlmq's optimiser and parameter utilities: AdamW with
// exportable state (for checkpoint resume), gradient-norm clipping, and the
// Polyak / hard copies used for target networks.
package optim

import (
	"fmt"
	"math"

	"vlmq/tensor"
)

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), matching
// torch.optim.AdamW: p -= lr*wd*p; p -= lr * mhat/(sqrt(vhat)+eps).
type AdamW struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
	// Scale multiplies the learning rate (step and decay alike) of the
	// tensors it holds; the rest take LR. Pretraining gives the token
	// embeddings a larger rate this way.
	Scale map[*tensor.Tensor]float32

	step int
	m, v map[*tensor.Tensor][]float32
}

// NewAdamW returns AdamW with PyTorch's defaults for the other fields.
func NewAdamW(lr float32) *AdamW {
	return &AdamW{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
}

// StepCount is the number of Step calls so far.
func (o *AdamW) StepCount() int { return o.step }

// Step updates every parameter that has a gradient (params without Grad are
// skipped but keep their state).
func (o *AdamW) Step(params []*tensor.Tensor) {
	if o.m == nil {
		o.m, o.v = map[*tensor.Tensor][]float32{}, map[*tensor.Tensor][]float32{}
	}
	o.step++
	bc1 := 1 - math.Pow(float64(o.Beta1), float64(o.step))
	bc2 := 1 - math.Pow(float64(o.Beta2), float64(o.step))
	stepSize := float32(float64(o.LR) / bc1)
	rbc2 := float32(1 / math.Sqrt(bc2))
	decay := 1 - o.LR*o.WeightDecay
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		step, dec := stepSize, decay
		if k, ok := o.Scale[p]; ok {
			step, dec = stepSize*k, 1-k*o.LR*o.WeightDecay
		}
		m, ok := o.m[p]
		if !ok {
			m = make([]float32, len(p.Data))
			o.m[p] = m
			o.v[p] = make([]float32, len(p.Data))
		}
		tensor.AdamWUpdate(p.Data, p.Grad, m, o.v[p], b1, b2, eps, rbc2, step, dec)
	}
}

// State is AdamW's resumable state for one ordered parameter list.
type State struct {
	Step int
	M, V [][]float32 // per parameter, nil where the parameter has no state yet
}

// State exports the moments for params (in that order); slices are copies.
func (o *AdamW) State(params []*tensor.Tensor) State {
	s := State{Step: o.step, M: make([][]float32, len(params)), V: make([][]float32, len(params))}
	for i, p := range params {
		if m, ok := o.m[p]; ok {
			s.M[i] = append([]float32(nil), m...)
			s.V[i] = append([]float32(nil), o.v[p]...)
		}
	}
	return s
}

// LoadState restores moments exported by State for the same parameter order.
func (o *AdamW) LoadState(params []*tensor.Tensor, s State) error {
	if len(s.M) != len(params) || len(s.V) != len(params) {
		return fmt.Errorf("optim: state has %d/%d moment slices for %d params", len(s.M), len(s.V), len(params))
	}
	if s.Step < 0 {
		return fmt.Errorf("optim: negative step count %d", s.Step)
	}
	m, v := map[*tensor.Tensor][]float32{}, map[*tensor.Tensor][]float32{}
	for i, p := range params {
		if (s.M[i] == nil) != (s.V[i] == nil) {
			return fmt.Errorf("optim: param %d has only one of its two moments", i)
		}
		if s.M[i] == nil {
			continue
		}
		if len(s.M[i]) != len(p.Data) || len(s.V[i]) != len(p.Data) {
			return fmt.Errorf("optim: param %d has %d values but state has %d/%d", i, len(p.Data), len(s.M[i]), len(s.V[i]))
		}
		m[p] = append([]float32(nil), s.M[i]...)
		v[p] = append([]float32(nil), s.V[i]...)
	}
	o.m, o.v, o.step = m, v, s.Step
	return nil
}

// GradNorm returns the global L2 norm of all gradients.
func GradNorm(params []*tensor.Tensor) float64 {
	var s float64
	for _, p := range params {
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm rescales all gradients so their global L2 norm is at most
// maxNorm and returns the norm before clipping.
func ClipGradNorm(params []*tensor.Tensor, maxNorm float64) float64 {
	n := GradNorm(params)
	if maxNorm > 0 && n > maxNorm {
		c := float32(maxNorm / (n + 1e-6))
		for _, p := range params {
			for i := range p.Grad {
				p.Grad[i] *= c
			}
		}
	}
	return n
}

// ZeroGrad clears every gradient.
func ZeroGrad(params []*tensor.Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

func pairCheck(dst, src []*tensor.Tensor) error {
	if len(dst) != len(src) {
		return fmt.Errorf("optim: %d destination params for %d sources", len(dst), len(src))
	}
	for i := range dst {
		if len(dst[i].Data) != len(src[i].Data) {
			return fmt.Errorf("optim: param %d sizes differ (%v vs %v)", i, dst[i].Shape, src[i].Shape)
		}
	}
	return nil
}

// Polyak sets dst = (1-tau)*dst + tau*src elementwise (target networks).
func Polyak(dst, src []*tensor.Tensor, tau float32) error {
	if err := pairCheck(dst, src); err != nil {
		return err
	}
	for i := range dst {
		d, s := dst[i].Data, src[i].Data
		for j := range d {
			d[j] += tau * (s[j] - d[j])
		}
	}
	return nil
}

// HardCopy copies src's values into dst.
func HardCopy(dst, src []*tensor.Tensor) error {
	if err := pairCheck(dst, src); err != nil {
		return err
	}
	for i := range dst {
		copy(dst[i].Data, src[i].Data)
	}
	return nil
}
