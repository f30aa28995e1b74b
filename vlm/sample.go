package vlm

import (
	"math"
	"math/rand/v2"
)

// SampleToken picks a token: argmax (lowest id on ties) at temperature 0,
// else a draw from softmax(logits/temperature). Shared by every decoder.
func SampleToken(logits []float32, temp float64, r *rand.Rand) int {
	best := 0
	for j, v := range logits {
		if v > logits[best] {
			best = j
		}
	}
	if temp == 0 {
		return best
	}
	mx := float64(logits[best])
	var sum float64
	p := make([]float64, len(logits))
	for j, v := range logits {
		p[j] = math.Exp((float64(v) - mx) / temp)
		sum += p[j]
	}
	u := r.Float64() * sum
	for j, w := range p {
		u -= w
		if u < 0 {
			return j
		}
	}
	return best
}
