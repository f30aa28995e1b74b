// Package tensor is vlmq's numerical core: row-major float32 tensors and a
// reverse-mode autograd tape built for CPU training of small transformers.
//
// Ops are methods on *Tape. A nil *Tape means inference: ops compute their
// results but record nothing and allocate ordinary Go memory. With a non-nil
// tape, outputs and intermediate gradients live in a per-tape arena that
// Reset recycles, so a steady-state training step allocates almost nothing;
// consequently tensors produced on a tape are only valid until its next
// Reset (copy with Clone what must outlive the step).
//
// Matrix products go through Sgemm: OpenBLAS (cgo, forced to one thread and
// split across goroutines here) by default, or gonum's pure-Go blas when
// built with CGO_ENABLED=0 or the build tag noblas. Elementwise maths uses
// float32 approximations (Exp, Tanh, GELU) that are tested for accuracy.
//
// Shape mismatches inside ops are programmer errors and panic with a clear
// message; constructors fed with external data (FromData) return errors.
package tensor
