package safetensors

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
)

func TestF16KnownValues(t *testing.T) {
	// Bit patterns from the IEEE 754 binary16 definition.
	cases := []struct {
		h uint16
		f float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0400, 6.103515625e-05}, {0x0001, 5.960464477539063e-08},
		{0x03ff, 6.097555160522461e-05}, {0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, c := range cases {
		if got := F16ToFloat32(c.h); got != c.f {
			t.Errorf("F16ToFloat32(%#04x) = %v, want %v", c.h, got, c.f)
		}
		if got := Float32ToF16(c.f); got != c.h {
			t.Errorf("Float32ToF16(%v) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if got := F16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("negative zero decoded as %v", got)
	}
	// Rounding: 65520 is halfway between 65504 and 65536 (=Inf in f16): ties
	// to even gives Inf; 2^-25 is halfway between 0 and the smallest
	// subnormal: ties to even gives 0; slightly more rounds up.
	if got := Float32ToF16(65520); got != 0x7c00 {
		t.Errorf("65520 -> %#04x, want Inf", got)
	}
	if got := Float32ToF16(65519); got != 0x7bff {
		t.Errorf("65519 -> %#04x, want 65504", got)
	}
	if got := Float32ToF16(float32(math.Ldexp(1, -25))); got != 0 {
		t.Errorf("2^-25 -> %#04x, want 0", got)
	}
	if got := Float32ToF16(float32(math.Ldexp(1.0001, -25))); got != 1 {
		t.Errorf("just above 2^-25 -> %#04x, want 1", got)
	}
	if got := Float32ToF16(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
		t.Errorf("NaN -> %#04x", got)
	}
}

func TestF16RoundTripExhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := F16ToFloat32(h)
		back := Float32ToF16(f)
		if f != f {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != h {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
		}
	}
}

// nearest checks that enc(x) decodes to a value no farther from x than its
// neighbouring codes, and that on a tie the even code was chosen.
func checkNearest(t *testing.T, name string, x float32, enc func(float32) uint16, dec func(uint16) float32, maxFinite uint16) {
	h := enc(x)
	got := float64(dec(h))
	xf := float64(x)
	if math.IsInf(got, 0) {
		if math.Abs(xf) < float64(dec(maxFinite)) {
			t.Fatalf("%s(%v) overflowed to Inf", name, x)
		}
		return
	}
	d := math.Abs(got - xf)
	for _, nb := range []uint16{h - 1, h + 1} {
		if nb&0x7fff > maxFinite || (h&0x7fff == 0 && nb&0x7fff != 1) {
			continue // neighbour outside the finite range or across zero
		}
		dn := math.Abs(float64(dec(nb)) - xf)
		if dn < d || (dn == d && h&1 == 1) {
			t.Fatalf("%s(%v) = %#04x (%v) but %#04x (%v) is nearer/even", name, x, h, got, nb, dec(nb))
		}
	}
}

func TestRoundingIsNearestEven(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for i := 0; i < 200000; i++ {
		// Random bit patterns cover subnormals, normals and huge values.
		x := math.Float32frombits(rng.Uint32())
		if x != x {
			continue
		}
		checkNearest(t, "Float32ToBF16", x, Float32ToBF16, BF16ToFloat32, 0x7f7f)
		// Concentrate F16 tests on its range.
		y := float32(rng.NormFloat64() * math.Pow(2, float64(rng.Intn(40)-24)))
		checkNearest(t, "Float32ToF16", y, Float32ToF16, F16ToFloat32, 0x7bff)
	}
	// Exact ties between two bf16 values.
	if got := Float32ToBF16(math.Float32frombits(0x3f808000)); got != 0x3f80 {
		t.Errorf("tie to even (down) gave %#04x", got)
	}
	if got := Float32ToBF16(math.Float32frombits(0x3f818000)); got != 0x3f82 {
		t.Errorf("tie to even (up) gave %#04x", got)
	}
	if got := Float32ToBF16(float32(math.NaN())); BF16ToFloat32(got) == BF16ToFloat32(got) {
		t.Errorf("NaN became %v", BF16ToFloat32(got))
	}
}

func TestFloat32sAllFloatTypes(t *testing.T) {
	vals := []float32{0, 1, -2.5, 0.125, 1024, -0.0009765625} // exact in every float type
	for _, dt := range []DType{F32, F16, BF16, F64} {
		tt, err := FromFloat32As(dt, []int{2, 3}, vals)
		if err != nil {
			t.Fatal(err)
		}
		if len(tt.Data) != 6*dt.Size() {
			t.Fatalf("%s: %d bytes", dt, len(tt.Data))
		}
		got, err := tt.Float32s()
		if err != nil || !reflect.DeepEqual(got, vals) {
			t.Fatalf("%s: %v %v", dt, got, err)
		}
	}
	if _, err := FromFloat32As(I32, []int{1}, []float32{1}); err == nil {
		t.Fatal("encoding float32 as I32 accepted")
	}
	if _, err := FromFloat32As(F16, []int{4}, []float32{1}); err == nil {
		t.Fatal("shape/data mismatch accepted")
	}
	bad := []Tensor{
		{DType: I32, Shape: []int{1}, Data: make([]byte, 4)},
		{DType: F32, Shape: []int{2}, Data: make([]byte, 4)},
		{DType: "X", Shape: []int{1}, Data: make([]byte, 4)},
		{DType: F32, Shape: []int{-1}},
	}
	for _, b := range bad {
		if _, err := b.Float32s(); err == nil {
			t.Errorf("Float32s accepted %v %v with %d bytes", b.DType, b.Shape, len(b.Data))
		}
	}
}
