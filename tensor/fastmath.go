package tensor

import "math"

// Float32 approximations used by the kernels: float64 math.Exp dominated the
// elementwise ops in profiles. Accuracy is checked in fastmath_test.go.

const (
	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375
	ln2Lo  = -2.12194440e-4
	expMax = 88.3762626647949
	expMin = -87.3365447504
)

// Exp is a float32 e^x with relative error below ~2e-7 over its range
// (flushes to 0 below ~-87.3 and returns +Inf above ~88.4).
func Exp(x float32) float32 {
	if x > expMax {
		return float32(math.Inf(1))
	}
	if x < expMin {
		return 0
	}
	if x != x {
		return x
	}
	// x = n*ln2 + r, |r| <= ln2/2, e^x = 2^n * e^r (Cephes-style polynomial).
	// Adding 1.5*2^23 rounds x*log2e to the nearest integer in float32
	// arithmetic (much cheaper than math.Floor through float64).
	const magic = 12582912
	fn := x*log2e + magic
	fn -= magic
	r := x - fn*ln2Hi
	r -= fn * ln2Lo
	r2 := r * r
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r2 + r + 1
	n := int32(fn)
	return y * math.Float32frombits(uint32(n+127)<<23)
}

// Tanh is a float32 tanh with absolute error below ~1e-6.
func Tanh(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	var t float32
	switch {
	case ax < 0.0625:
		x2 := ax * ax
		t = ax * (1 + x2*(-1.0/3+x2*(2.0/15-x2*(17.0/315))))
	case ax > 9:
		t = 1
	default:
		e := Exp(-2 * ax)
		t = (1 - e) / (1 + e)
	}
	if x < 0 {
		return -t
	}
	return t
}

// Sigmoid is 1/(1+e^-x) in float32.
func Sigmoid(x float32) float32 {
	if x >= 0 {
		return 1 / (1 + Exp(-x))
	}
	e := Exp(x)
	return e / (1 + e)
}

const (
	geluC = 0.7978845608028654 // sqrt(2/pi)
	geluA = 0.044715
)

// GELU is the tanh approximation 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))),
// matching PyTorch's gelu(approximate="tanh"); computed as x*sigmoid(2u)
// (the same function, one exp and no cancellation for negative x).
func GELU(x float32) float32 {
	return x * geluSig(x)
}

// geluSig is sigmoid(2u) = (1+tanh(u))/2 for u = sqrt(2/pi)(x+0.044715x^3).
func geluSig(x float32) float32 {
	return 1 / (1 + Exp(-2*geluC*(x+geluA*x*x*x)))
}

// SoftmaxRow overwrites row with its softmax (max-subtracted, stable) and
// returns the log of the normaliser (logsumexp of the input). A fully
// masked row (all -Inf) becomes zeros.
func SoftmaxRow(row []float32) float32 { return vkSoftmax(row) }

// LogSumExp returns log(sum(exp(row))) computed stably.
func LogSumExp(row []float32) float32 { return vkLogSumExp(row) }
