package vlm

import (
	"fmt"
	"image"
)

// axisWeights gives, for each of n output cells along an axis of src input
// pixels, the input indices it covers and their area weights (summing to 1).
// Area averaging is the right filter for the large downscales used here
// (300 px renders to 48 px) and degrades to nearest-neighbour on upscales.
func axisWeights(src, n int) ([][]int, [][]float32) {
	idx := make([][]int, n)
	w := make([][]float32, n)
	scale := float64(src) / float64(n)
	for o := 0; o < n; o++ {
		lo, hi := float64(o)*scale, float64(o+1)*scale
		for i := int(lo); i < src && float64(i) < hi; i++ {
			cover := min(hi, float64(i+1)) - max(lo, float64(i))
			if cover <= 0 {
				continue
			}
			idx[o] = append(idx[o], i)
			w[o] = append(w[o], float32(cover/scale))
		}
	}
	return idx, w
}

// Downscale resizes img to size×size by area averaging, rounding to 8
// bits. It is the one resize of the project: training replays store images
// already downscaled with it, and Pixels applies it to a native
// observation, so a model reads the same pixels when it trains as when it
// acts. An image already of that size is returned as it is.
func Downscale(img *image.RGBA, size int) (*image.RGBA, error) {
	if img == nil {
		return nil, fmt.Errorf("vlm: nil image")
	}
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	if W <= 0 || H <= 0 || size <= 0 {
		return nil, fmt.Errorf("vlm: cannot resize image %v to %d", b, size)
	}
	if len(img.Pix) < (H-1)*img.Stride+W*4 {
		return nil, fmt.Errorf("vlm: image buffer too short for bounds %v", b)
	}
	if W == size && H == size {
		return img, nil
	}
	xi, xw := axisWeights(W, size)
	yi, yw := axisWeights(H, size)
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	for oy := 0; oy < size; oy++ {
		for ox := 0; ox < size; ox++ {
			var r, g, bl float32
			for a, y := range yi[oy] {
				row := img.Pix[y*img.Stride:]
				for c, x := range xi[ox] {
					wt := yw[oy][a] * xw[ox][c]
					p := row[x*4 : x*4+3]
					r += wt * float32(p[0])
					g += wt * float32(p[1])
					bl += wt * float32(p[2])
				}
			}
			o := out.PixOffset(ox, oy)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = round8(r), round8(g), round8(bl), 255
		}
	}
	return out, nil
}

func round8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// Pixels resizes img to size×size (Downscale) and returns RGB values
// scaled to [-1, 1] in row-major (y, x, channel) order.
func Pixels(img *image.RGBA, size int) ([]float32, error) {
	img, err := Downscale(img, size)
	if err != nil {
		return nil, err
	}
	out := make([]float32, size*size*3)
	for y := 0; y < size; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < size; x++ {
			o := (y*size + x) * 3
			out[o] = float32(row[x*4])/127.5 - 1
			out[o+1] = float32(row[x*4+1])/127.5 - 1
			out[o+2] = float32(row[x*4+2])/127.5 - 1
		}
	}
	return out, nil
}
