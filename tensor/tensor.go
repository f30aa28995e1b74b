package tensor

import (
	"fmt"
	"slices"
	"strings"
)

// Tensor is a dense row-major float32 array. Grad has the same length as Data
// once a backward pass has reached the tensor (nil before).
type Tensor struct {
	Shape []int
	Data  []float32
	Grad  []float32

	requiresGrad bool
	leaf         bool // trainable leaf: Grad is ordinary memory that survives Tape.Reset

	// half holds a frozen weight in 16 bits instead of Data (FromHalf).
	half     []uint16
	halfKind HalfKind
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkShape(shape []int) error {
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
	}
	return nil
}

// FromData wraps data (not copied) in a tensor of the given shape, returning
// an error when the shape is invalid or does not match len(data).
func FromData(data []float32, shape ...int) (*Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if n := shapeSize(shape); n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d values, got %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// New is FromData for data the caller controls; it panics on a mismatch.
func New(data []float32, shape ...int) *Tensor {
	t, err := FromData(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// Zeros returns a zero-filled tensor that does not require grad.
func Zeros(shape ...int) *Tensor {
	if err := checkShape(shape); err != nil {
		panic(err)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, shapeSize(shape))}
}

// Param returns a zero-filled trainable leaf (requires grad).
func Param(shape ...int) *Tensor {
	t := Zeros(shape...)
	t.requiresGrad = true
	t.leaf = true
	return t
}

// AsParam marks t as a trainable leaf and returns it.
func (t *Tensor) AsParam() *Tensor {
	if t.half != nil {
		panic("tensor: a 16-bit weight is frozen and cannot be a trainable parameter")
	}
	t.requiresGrad = true
	t.leaf = true
	return t
}

// Freeze makes a trainable leaf take no gradient, until AsParam makes it
// one again: ops whose inputs are all frozen are not recorded, so a
// backward pass stops below the lowest parameter still trained. Its
// gradient buffer is dropped.
func (t *Tensor) Freeze() {
	t.requiresGrad, t.leaf, t.Grad = false, false, nil
}

// Size is the number of elements.
func (t *Tensor) Size() int {
	if t.half != nil {
		return len(t.half)
	}
	return len(t.Data)
}

// RequiresGrad reports whether gradients flow to t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// IsLeaf reports whether t is a trainable leaf (a parameter).
func (t *Tensor) IsLeaf() bool { return t.leaf }

// ZeroGrad clears the accumulated gradient (keeping the buffer).
func (t *Tensor) ZeroGrad() {
	for i := range t.Grad {
		t.Grad[i] = 0
	}
}

// EnsureGrad allocates a zeroed Grad for a leaf if it has none yet.
func (t *Tensor) EnsureGrad() []float32 {
	if t.Grad == nil {
		t.Grad = make([]float32, len(t.Data))
	}
	return t.Grad
}

// Clone deep-copies data (and grad, if any) into ordinary memory; the clone
// keeps t's requires-grad/leaf flags.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...),
		requiresGrad: t.requiresGrad, leaf: t.leaf, halfKind: t.halfKind}
	if t.half != nil {
		c.Data, c.half = nil, append([]uint16(nil), t.half...)
	}
	if t.Grad != nil {
		c.Grad = append([]float32(nil), t.Grad...)
	}
	return c
}

// Dim returns Shape[i], counting from the end for negative i.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Item on tensor of shape %v", t.Shape))
	}
	return t.Data[0]
}

// At returns the element at the given indices.
func (t *Tensor) At(idx ...int) float32 {
	if len(idx) != len(t.Shape) {
		panic(fmt.Sprintf("tensor: At with %d indices on shape %v", len(idx), t.Shape))
	}
	off := 0
	for i, j := range idx {
		if j < 0 || j >= t.Shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.Shape))
		}
		off = off*t.Shape[i] + j
	}
	return t.Data[off]
}

func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v", t.Shape)
	if len(t.Data) <= 8 {
		fmt.Fprintf(&b, "%v", t.Data)
	}
	return b.String()
}

// rows2 views t as a matrix [rows, last dim].
func (t *Tensor) rows2(op string) (int, int) {
	if len(t.Shape) == 0 {
		panic(fmt.Sprintf("tensor: %s needs at least 1-D input, got scalar", op))
	}
	d := t.Shape[len(t.Shape)-1]
	if d == 0 {
		return 0, 0
	}
	return len(t.Data) / d, d
}

func mustSame(op string, a, b *Tensor) {
	if !slices.Equal(a.Shape, b.Shape) {
		panic(fmt.Sprintf("tensor: %s shape mismatch %v vs %v", op, a.Shape, b.Shape))
	}
}

func mustRank(op string, t *Tensor, r int) {
	if len(t.Shape) != r {
		panic(fmt.Sprintf("tensor: %s needs a %d-D tensor, got shape %v", op, r, t.Shape))
	}
}
