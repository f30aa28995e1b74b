package model

// patchify cuts size×size×3 pixels into (size/p)² patches of p*p*3 values,
// patches in row-major order, each patch laid out (y, x, channel).
func patchify(px []float32, size, p int, dst []float32) {
	n := size / p
	k := 0
	for py := 0; py < n; py++ {
		for pxi := 0; pxi < n; pxi++ {
			for y := 0; y < p; y++ {
				row := ((py*p+y)*size + pxi*p) * 3
				k += copy(dst[k:], px[row:row+p*3])
			}
		}
	}
}

// subtractBackground subtracts from each channel of px (interleaved RGB
// values that Pixels gives, 8-bit levels mapped to [-1, 1]) its most
// common value.
func subtractBackground(px []float32) {
	for c := 0; c < 3; c++ {
		var hist [256]int
		for i := c; i < len(px); i += 3 {
			hist[level(px[i])]++
		}
		mode := 0
		for v, n := range hist {
			if n > hist[mode] {
				mode = v
			}
		}
		bg := float32(mode)/127.5 - 1
		for i := c; i < len(px); i += 3 {
			px[i] -= bg
		}
	}
}

// level inverts Pixels' map from an 8-bit level to [-1, 1].
func level(v float32) int {
	return min(255, max(0, int((v+1)*127.5+0.5)))
}
