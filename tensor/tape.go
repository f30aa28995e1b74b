package tensor

import "fmt"

// Tape records differentiable ops for one forward pass. A nil *Tape is valid
// for every op and means "no gradient": results are computed, nothing is kept.
type Tape struct {
	nodes []node
	free  map[int][][]float32 // recycled buffers by capacity (a size class)
	used  [][]float32         // buffers handed out since the last Reset
}

type node struct {
	out  *Tensor
	back func(g []float32) // g = out.Grad; accumulates into the inputs' grads
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{free: map[int][][]float32{}} }

// Len is the number of recorded ops.
func (tp *Tape) Len() int {
	if tp == nil {
		return 0
	}
	return len(tp.nodes)
}

// Reset forgets all recorded ops and recycles every buffer the tape handed
// out, so tensors produced on this tape must not be used afterwards.
func (tp *Tape) Reset() {
	if tp == nil {
		return
	}
	for i := range tp.nodes {
		tp.nodes[i] = node{}
	}
	tp.nodes = tp.nodes[:0]
	// Keep only what the last pass used: buffers left idle for a whole pass
	// are dropped, so memory stays near one pass's worth even when shapes
	// vary from batch to batch.
	clear(tp.free)
	for _, b := range tp.used {
		tp.free[cap(b)] = append(tp.free[cap(b)], b)
	}
	for i := range tp.used {
		tp.used[i] = nil
	}
	tp.used = tp.used[:0]
}

// buf returns an uninitialised buffer of length n (arena memory with a tape).
func (tp *Tape) buf(n int) []float32 {
	if tp == nil {
		return make([]float32, n)
	}
	c := sizeClass(n)
	var b []float32
	if l := tp.free[c]; len(l) > 0 {
		b = l[len(l)-1][:n]
		tp.free[c] = l[:len(l)-1]
	} else {
		b = make([]float32, n, c)
	}
	tp.used = append(tp.used, b)
	return b
}

// sizeClass rounds n up to 2^k or 3*2^(k-1), so buffers for slightly
// different shapes (batches padded to different lengths) are shared while
// wasting at most a third of a buffer.
func sizeClass(n int) int {
	if n <= 64 {
		return 64
	}
	p := 64
	for p < n {
		if p+p/2 >= n {
			return p + p/2
		}
		p *= 2
	}
	return p
}

// zbuf is buf with zeroed contents.
func (tp *Tape) zbuf(n int) []float32 {
	b := tp.buf(n)
	if tp != nil {
		clear(b)
	}
	return b
}

// Scratch returns an arena buffer of length n valid until Reset (ordinary
// memory for a nil tape). Contents are undefined.
func (tp *Tape) Scratch(n int) []float32 { return tp.buf(n) }

func anyGrad(ins []*Tensor) bool {
	for _, t := range ins {
		if t != nil && t.requiresGrad {
			return true
		}
	}
	return false
}

// out allocates a result tensor; it requires grad when the tape is live and
// any input does.
func (tp *Tape) out(shape []int, ins ...*Tensor) *Tensor {
	mustNotHalf(ins)
	return &Tensor{Shape: append([]int(nil), shape...), Data: tp.buf(shapeSize(shape)),
		requiresGrad: tp != nil && anyGrad(ins)}
}

// record registers the backward function for out if it needs a gradient.
func (tp *Tape) record(out *Tensor, back func(g []float32)) {
	if tp != nil && out.requiresGrad {
		tp.nodes = append(tp.nodes, node{out: out, back: back})
	}
}

// grad returns t's gradient buffer, allocating a zeroed one when absent, or
// nil when t needs no gradient (callers skip work on nil).
func (tp *Tape) grad(t *Tensor) []float32 {
	if t == nil || !t.requiresGrad {
		return nil
	}
	if t.Grad == nil {
		if t.leaf {
			t.Grad = make([]float32, len(t.Data))
		} else {
			t.Grad = tp.zbuf(len(t.Data))
		}
	}
	return t.Grad
}

// accum adds g into t's gradient (nothing when t needs none). A gradient
// buffer met for the first time takes a copy of g instead of being zeroed
// and then added to: the same values, but for the sign of a zero (0 + -0
// is +0), which no later step can turn into a difference, and without the
// pass that clears it (a sixth of a pretraining step's time went to
// clearing gradient buffers).
func (tp *Tape) accum(t *Tensor, g []float32) {
	if t == nil || !t.requiresGrad {
		return
	}
	if t.Grad == nil && !t.leaf && tp != nil {
		dst := tp.buf(len(t.Data))
		parallelFor(len(g), elemMin, func(lo, hi int) { copy(dst[lo:hi], g[lo:hi]) })
		t.Grad = dst
		return
	}
	addInto(tp.grad(t), g)
}

// Backward seeds d loss = 1 and runs the recorded ops in reverse,
// accumulating gradients into every leaf that requires grad.
func (tp *Tape) Backward(loss *Tensor) error {
	if tp == nil {
		return fmt.Errorf("tensor: Backward on a nil tape")
	}
	if loss == nil || len(loss.Data) != 1 {
		return fmt.Errorf("tensor: Backward needs a scalar loss")
	}
	if !loss.requiresGrad {
		return fmt.Errorf("tensor: loss does not depend on any parameter")
	}
	g := tp.grad(loss)
	g[0] += 1
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := tp.nodes[i]
		if n.out.Grad == nil {
			continue
		}
		n.back(n.out.Grad)
	}
	return nil
}
