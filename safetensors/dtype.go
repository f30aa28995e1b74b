package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DType is a safetensors element type, spelled exactly as in the file header.
type DType string

// Element types of the safetensors format. Sub-byte types (F4, F6_*) are not
// supported because their tensors cannot be addressed per element in bytes.
const (
	BOOL   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E5M2 DType = "F8_E5M2"
	F8E4M3 DType = "F8_E4M3"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	F64    DType = "F64"
	I64    DType = "I64"
	U64    DType = "U64"
)

var dtypeSizes = map[DType]int{
	BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// Size returns the number of bytes per element, or 0 for an unknown dtype.
func (d DType) Size() int { return dtypeSizes[d] }

// Valid reports whether d is a dtype this package can read and write.
func (d DType) Valid() bool { return dtypeSizes[d] != 0 }

// numElements multiplies the dimensions, reporting overflow or negative sizes
// instead of wrapping around (shapes come from untrusted headers).
func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= d
	}
	return n, nil
}

// byteSize is prod(shape)*dtype size with overflow checks.
func byteSize(dt DType, shape []int) (int, error) {
	sz := dt.Size()
	if sz == 0 {
		return 0, fmt.Errorf("unknown dtype %q", string(dt))
	}
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt/sz {
		return 0, fmt.Errorf("shape %v of %s is too large", shape, dt)
	}
	return n * sz, nil
}

// Float32s decodes the tensor into float32 values. F32, F16, BF16 and F64 are
// supported (F64 is rounded); other dtypes are an error rather than a silent
// reinterpretation.
func (t Tensor) Float32s() ([]float32, error) {
	want, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return nil, err
	}
	if len(t.Data) != want {
		return nil, fmt.Errorf("tensor data has %d bytes, shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, want)
	}
	n := want / t.DType.Size()
	out := make([]float32, n)
	b := t.Data
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = F16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = BF16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	default:
		return nil, fmt.Errorf("cannot convert %s tensor to float32", t.DType)
	}
	return out, nil
}

// FromFloat32 wraps float32 values as an F32 tensor. The data length is not
// checked here; Write rejects a tensor whose data does not match its shape.
func FromFloat32(shape []int, data []float32) Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Tensor{DType: F32, Shape: append([]int(nil), shape...), Data: b}
}

// FromFloat32As encodes float32 values as F32, F16, BF16 or F64 (rounding to
// nearest even for the 16-bit types).
func FromFloat32As(dt DType, shape []int, data []float32) (Tensor, error) {
	n, err := numElements(shape)
	if err != nil {
		return Tensor{}, err
	}
	if n != len(data) {
		return Tensor{}, fmt.Errorf("shape %v needs %d values, got %d", shape, n, len(data))
	}
	var b []byte
	switch dt {
	case F32:
		return FromFloat32(shape, data), nil
	case F16, BF16:
		b = make([]byte, 2*len(data))
		for i, v := range data {
			h := Float32ToBF16(v)
			if dt == F16 {
				h = Float32ToF16(v)
			}
			binary.LittleEndian.PutUint16(b[2*i:], h)
		}
	case F64:
		b = make([]byte, 8*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(float64(v)))
		}
	default:
		return Tensor{}, fmt.Errorf("cannot encode float32 values as %s", dt)
	}
	return Tensor{DType: dt, Shape: append([]int(nil), shape...), Data: b}, nil
}

// F16ToFloat32 decodes an IEEE 754 binary16 value (exact).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0:
		// Zero or subnormal: mant * 2^-24, exact in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32ToF16 rounds to the nearest binary16 value, ties to even; overflow
// gives infinity and NaN stays NaN.
func Float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Result is subnormal (or rounds up to the smallest normal).
		shift := uint(14 - e)
		if shift > 24 {
			return sign
		}
		full := mant | 0x800000
		m := full >> shift
		rem := full & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rem > halfway || (rem == halfway && m&1 == 1) {
			m++
		}
		return sign | uint16(m)
	}
	h := uint16(e)<<10 | uint16(mant>>13)
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent is the correct next value (up to Inf)
	}
	return sign | h
}

// BF16ToFloat32 decodes a bfloat16 value (exact).
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBF16 rounds to the nearest bfloat16 value, ties to even.
func Float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // keep NaN a (quiet) NaN
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
