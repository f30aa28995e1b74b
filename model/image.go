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
