package tensor

import (
	"fmt"
	"math"
	"sync"
)

// HalfKind is the 16-bit float format of a frozen weight.
type HalfKind uint8

const (
	BF16 HalfKind = iota + 1 // bfloat16: the top half of a float32
	F16                      // IEEE binary16
)

func (k HalfKind) String() string {
	switch k {
	case BF16:
		return "bf16"
	case F16:
		return "f16"
	}
	return fmt.Sprintf("HalfKind(%d)", uint8(k))
}

// halfChunk bounds the float32 scratch a 16-bit weight is widened into
// (4 MB): large enough for efficient GEMM blocks, small enough that the
// widened copy of a whole matrix never exists.
const halfChunk = 1 << 20

// FromHalf wraps 16-bit values (not copied) as a frozen weight of the given
// shape. Checkpoints store most weights in bfloat16 or float16; a frozen
// trunk kept in that form needs half the memory of float32. Such a tensor
// has no Data and never requires grad: Linear (as the weight), Embedding
// (as the table) and SliceRows widen it to float32 where they read it;
// every other op refuses it.
func FromHalf(bits []uint16, kind HalfKind, shape ...int) (*Tensor, error) {
	if kind != BF16 && kind != F16 {
		return nil, fmt.Errorf("tensor: unknown 16-bit format %v", kind)
	}
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if n := shapeSize(shape); n != len(bits) {
		return nil, fmt.Errorf("tensor: shape %v needs %d values, got %d", shape, n, len(bits))
	}
	return &Tensor{Shape: append([]int(nil), shape...), half: bits, halfKind: kind}, nil
}

// Half returns the 16-bit storage and its format (nil, 0 for a float32
// tensor).
func (t *Tensor) Half() ([]uint16, HalfKind) { return t.half, t.halfKind }

// IsHalf reports whether t is a 16-bit frozen weight.
func (t *Tensor) IsHalf() bool { return t.half != nil }

// ReadInto copies elements [off, off+len(dst)) of t into dst as float32,
// widening a 16-bit tensor.
func (t *Tensor) ReadInto(dst []float32, off int) {
	if t.half == nil {
		copy(dst, t.Data[off:off+len(dst)])
		return
	}
	widen(dst, t.half[off:off+len(dst)], t.halfKind)
}

// Widen returns a float32 copy of t (a plain copy for a float32 tensor).
func (t *Tensor) Widen() *Tensor {
	c := Zeros(t.Shape...)
	t.ReadInto(c.Data, 0)
	return c
}

func widen(dst []float32, src []uint16, k HalfKind) {
	if k == BF16 {
		for i, h := range src {
			dst[i] = math.Float32frombits(uint32(h) << 16)
		}
		return
	}
	for i, h := range src {
		dst[i] = f16ToFloat32(h)
	}
}

// f16ToFloat32 decodes an IEEE binary16 value (exact).
func f16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0: // zero or subnormal: mant·2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// linearHalf is Linear with a 16-bit weight: blocks of output rows are
// widened into scratch for the forward GEMM and again for the input
// gradient (the weight itself gets none).
func (tp *Tape) linearHalf(x, w, b *Tensor, N, in, outF int, shape []int) *Tensor {
	out := tp.out(shape, x, b)
	beta := float32(0)
	if b != nil {
		for r := 0; r < N; r++ {
			copy(out.Data[r*outF:(r+1)*outF], b.Data)
		}
		beta = 1
	}
	rows := max(1, min(outF, halfChunk/max(in, 1)))
	blocks := func(f func(r0, r1 int, wb []float32)) {
		// Scratch from a pool: a model makes hundreds of these calls per
		// step, and fresh blocks would pile up as garbage.
		sp := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(sp)
		if cap(*sp) < rows*in {
			*sp = make([]float32, rows*in)
		}
		scratch := (*sp)[:rows*in]
		for r0 := 0; r0 < outF; r0 += rows {
			r1 := min(outF, r0+rows)
			wb := scratch[:(r1-r0)*in]
			widen(wb, w.half[r0*in:r1*in], w.halfKind)
			f(r0, r1, wb)
		}
	}
	blocks(func(r0, r1 int, wb []float32) {
		Sgemm(false, true, N, r1-r0, in, 1, x.Data, in, wb, in, beta, out.Data[r0:], outF)
	})
	tp.record(out, func(g []float32) {
		if gx := tp.grad(x); gx != nil {
			blocks(func(r0, r1 int, wb []float32) {
				Sgemm(false, false, N, in, r1-r0, 1, g[r0:], outF, wb, in, 1, gx, in)
			})
		}
		if gb := tp.grad(b); gb != nil {
			colSumInto(gb, g, N, outF)
		}
	})
	return out
}

var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// mustNotHalf panics when an op that reads Data directly gets a 16-bit
// weight.
func mustNotHalf(ins []*Tensor) {
	for _, t := range ins {
		if t != nil && t.half != nil {
			panic(fmt.Sprintf("tensor: a 16-bit frozen weight %v reaches an op other than Linear, Embedding or SliceRows", t.Shape))
		}
	}
}
