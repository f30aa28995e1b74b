package afsft

import "slices"

// StepTrace is what one Step computed for its batch, for reproducing the
// step outside Go (the PyTorch twin in package bench): the per-token actor
// weights and TD targets, the data-support sets, and the gradient norm
// before clipping.
type StepTrace struct {
	// Steps is the trainer's step count when the step began (it decides
	// the SFT and actor warm-ups).
	Steps int
	// W and Y are the actor weight (as the loss takes it, with
	// Config.ChoiceWeight applied) and the TD target of every reply token,
	// in batch order (Y is nil when the step trains no critic).
	W, Y []float32
	// Allowed holds, per sample, len(Reply)+1 support sets (the tokens the
	// data holds before each reply position and after the last one; nil
	// entries where it holds none), concatenated in batch order; nil
	// without Config.DataSupport. First is the support set of a reply's
	// first token, the one V(s') of a bootstrap is taken over.
	Allowed [][]int
	First   []int
	// GradNorm is the global L2 norm of the gradients before clipping
	// (measured even when Config.ClipNorm is 0).
	GradNorm float64
}

// TraceStep is Step, also returning what the step computed.
func (t *Trainer) TraceStep(batch []*Sample) (Stats, StepTrace, error) {
	tr := StepTrace{Steps: t.Steps}
	t.trace = &tr
	defer func() { t.trace = nil }()
	st, err := t.Step(batch)
	return st, tr, err
}

func (tr *StepTrace) record(w, y []float32, allowed [][]int, sup *support) {
	tr.W, tr.Y = slices.Clone(w), slices.Clone(y)
	if sup != nil {
		tr.Allowed = make([][]int, len(allowed))
		for i, s := range allowed {
			tr.Allowed[i] = slices.Clone(s)
		}
		tr.First = slices.Clone(sup.root.keys())
	}
}
