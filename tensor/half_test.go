package tensor

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"vlmq/safetensors"
)

// halfOf rounds data to kind and returns the 16-bit tensor and its exact
// float32 widening.
func halfOf(t *testing.T, kind HalfKind, data []float32, shape ...int) (*Tensor, *Tensor) {
	t.Helper()
	bits := make([]uint16, len(data))
	for i, v := range data {
		if kind == BF16 {
			bits[i] = safetensors.Float32ToBF16(v)
		} else {
			bits[i] = safetensors.Float32ToF16(v)
		}
	}
	h, err := FromHalf(bits, kind, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return h, h.Widen()
}

func TestF16Decode(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got, want := f16ToFloat32(uint16(h)), safetensors.F16ToFloat32(uint16(h))
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("f16 %#04x: %v, want %v", h, got, want)
		}
	}
}

// TestHalfLinear: Linear, SliceRows+Linear and Embedding on a 16-bit
// weight give the values and input gradients of the same ops on its
// float32 widening, including a weight larger than one widening block.
func TestHalfLinear(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, tc := range []struct {
		kind        HalfKind
		n, in, out  int
		lo, hi      int // rows of the weight used (a fused slice)
		bias, embed bool
	}{
		{BF16, 3, 8, 12, 0, 12, true, true},
		{F16, 2, 8, 12, 4, 10, false, false},
		// More rows than one widening block holds.
		{BF16, 2, 64, halfChunk/64 + 70, 0, halfChunk/64 + 70, true, false},
	} {
		raw := make([]float32, tc.out*tc.in)
		for i := range raw {
			raw[i] = float32(r.NormFloat64())
		}
		h, w := halfOf(t, tc.kind, raw, tc.out, tc.in)
		if got := h.Size(); got != tc.out*tc.in || h.Data != nil {
			t.Fatalf("Size %d, Data %d", got, len(h.Data))
		}
		proj := randConst(r, 2, tc.in) // mixes embedding rows into the loss
		run := func(w *Tensor) (out, gx, gb []float32) {
			tp := NewTape()
			x := randParam(rand.New(rand.NewSource(5)), tc.n, tc.in)
			var b *Tensor
			if tc.bias {
				b = randParam(rand.New(rand.NewSource(6)), tc.hi-tc.lo)
			}
			y := tp.Linear(x, tp.SliceRows(w, tc.lo, tc.hi), b)
			if tc.embed {
				e := tp.Embedding(w, []int{3, 0, 3})
				y = tp.ConcatLast(y, tp.Linear(e, proj, nil))
			}
			loss := tp.Sum(tp.Mul(y, tp.Tanh(y)))
			if err := tp.Backward(loss); err != nil {
				t.Fatal(err)
			}
			out = append(out, y.Data...)
			if b != nil {
				gb = b.Grad
			}
			return out, x.Grad, gb
		}
		o1, gx1, gb1 := run(h)
		o2, gx2, gb2 := run(w)
		for name, p := range map[string][2][]float32{"out": {o1, o2}, "grad x": {gx1, gx2}, "grad b": {gb1, gb2}} {
			if len(p[0]) != len(p[1]) {
				t.Fatalf("%v: %s lengths %d, %d", tc.kind, name, len(p[0]), len(p[1]))
			}
			for i := range p[0] {
				if d := math.Abs(float64(p[0][i] - p[1][i])); d > 1e-4*(1+math.Abs(float64(p[1][i]))) {
					t.Fatalf("%v %dx%d: %s[%d] = %v, float32 weight gives %v", tc.kind, tc.out, tc.in, name, i, p[0][i], p[1][i])
				}
			}
		}
	}
}

func TestHalfRefused(t *testing.T) {
	if _, err := FromHalf(make([]uint16, 5), BF16, 2, 3); err == nil {
		t.Error("FromHalf accepted 5 values for shape [2 3]")
	}
	if _, err := FromHalf(make([]uint16, 6), HalfKind(9), 2, 3); err == nil {
		t.Error("FromHalf accepted an unknown format")
	}
	h, _ := FromHalf(make([]uint16, 6), BF16, 2, 3)
	for name, f := range map[string]func(){
		"AsParam": func() { h.AsParam() },
		"Add":     func() { (*Tape)(nil).Add(h, h) },
		// These two build their result without Tape.out.
		"StopGrad": func() { (*Tape)(nil).StopGrad(h) },
		"Reshape":  func() { (*Tape)(nil).Reshape(h, 3, 2) },
	} {
		func() {
			// The refusal itself, not a panic for another reason (an
			// index out of range on the missing Data, a shape check).
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, "16-bit") {
					t.Errorf("%s on a 16-bit weight: panic %q, want its refusal", name, r)
				}
			}()
			f()
		}()
	}
}
