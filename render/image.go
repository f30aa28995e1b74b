package render

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"vlmq/atomicfile"
)

// NewRGBA returns a w×h image filled with c.
func NewRGBA(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	FillRect(img, img.Rect, c)
	return img
}

// FillRect sets every pixel of r ∩ dst.Bounds() to c (no blending). It
// fills one row and copies it, which is much faster than per-pixel Set.
func FillRect(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	w := r.Dx() * 4
	first := dst.PixOffset(r.Min.X, r.Min.Y)
	row := dst.Pix[first : first+w]
	for i := 0; i < w; i += 4 {
		row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		o := dst.PixOffset(r.Min.X, y)
		copy(dst.Pix[o:o+w], row)
	}
}

// Clone returns a deep copy of img.
func Clone(img *image.RGBA) *image.RGBA {
	out := &image.RGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	copy(out.Pix, img.Pix)
	return out
}

// CopyInto overwrites dst with src; both must have the same bounds and
// stride (true for images made by this package or image.NewRGBA).
func CopyInto(dst, src *image.RGBA) error {
	if dst.Rect != src.Rect || dst.Stride != src.Stride || len(dst.Pix) != len(src.Pix) {
		return fmt.Errorf("render: CopyInto size mismatch %v vs %v", dst.Rect, src.Rect)
	}
	copy(dst.Pix, src.Pix)
	return nil
}

// CopyRect copies r of src into the same place of dst (no blending),
// clipped to both images.
func CopyRect(dst, src *image.RGBA, r image.Rectangle) {
	r = r.Intersect(dst.Rect).Intersect(src.Rect)
	if r.Empty() {
		return
	}
	w := r.Dx() * 4
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst.PixOffset(r.Min.X, y)
		s := src.PixOffset(r.Min.X, y)
		copy(dst.Pix[d:d+w], src.Pix[s:s+w])
	}
}

// FillRoundRect composites an anti-aliased rounded rectangle of colour c
// (alpha-premultiplied, as image/color uses) over dst. Corner coverage is
// estimated with 4×4 supersampling.
func FillRoundRect(dst *image.RGBA, r image.Rectangle, radius float64, c color.RGBA) {
	if r.Empty() {
		return
	}
	maxR := math.Min(float64(r.Dx()), float64(r.Dy())) / 2
	radius = math.Max(0, math.Min(radius, maxR))
	x0, y0 := float64(r.Min.X), float64(r.Min.Y)
	x1, y1 := float64(r.Max.X), float64(r.Max.Y)
	inside := func(px, py float64) bool {
		cx := math.Max(x0+radius, math.Min(px, x1-radius))
		cy := math.Max(y0+radius, math.Min(py, y1-radius))
		dx, dy := px-cx, py-cy
		return dx*dx+dy*dy <= radius*radius
	}
	cl := r.Intersect(dst.Rect)
	rad := int(math.Ceil(radius))
	for y := cl.Min.Y; y < cl.Max.Y; y++ {
		for x := cl.Min.X; x < cl.Max.X; x++ {
			cov := 16
			nearX := x < r.Min.X+rad || x >= r.Max.X-rad
			nearY := y < r.Min.Y+rad || y >= r.Max.Y-rad
			if nearX && nearY {
				cov = 0
				for sy := 0; sy < 4; sy++ {
					for sx := 0; sx < 4; sx++ {
						if inside(float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4) {
							cov++
						}
					}
				}
			}
			if cov == 0 {
				continue
			}
			blendPixel(dst, x, y, scale(c, cov, 16))
		}
	}
}

// scale multiplies a premultiplied colour by num/den.
func scale(c color.RGBA, num, den int) color.RGBA {
	if num == den {
		return c
	}
	f := func(v uint8) uint8 { return uint8((int(v)*num + den/2) / den) }
	return color.RGBA{f(c.R), f(c.G), f(c.B), f(c.A)}
}

// blendPixel composites premultiplied c over dst at (x, y).
func blendPixel(dst *image.RGBA, x, y int, c color.RGBA) {
	o := dst.PixOffset(x, y)
	p := dst.Pix[o : o+4 : o+4]
	if c.A == 255 {
		p[0], p[1], p[2], p[3] = c.R, c.G, c.B, 255
		return
	}
	k := 255 - int(c.A)
	p[0] = uint8(int(c.R) + (int(p[0])*k+127)/255)
	p[1] = uint8(int(c.G) + (int(p[1])*k+127)/255)
	p[2] = uint8(int(c.B) + (int(p[2])*k+127)/255)
	p[3] = uint8(int(c.A) + (int(p[3])*k+127)/255)
}

// Sprite is a pre-rendered image (e.g. a playing card) that is drawn many
// times. Each row's fully opaque run is copied with copy(); only the few
// partly transparent pixels (anti-aliased corners) are blended.
type Sprite struct {
	Img   *image.RGBA
	spans [][2]int // per row: [start, end) of the longest opaque run, image-relative
}

// NewSprite wraps img (alpha-premultiplied) for fast repeated drawing.
func NewSprite(img *image.RGBA) *Sprite {
	s := &Sprite{Img: img, spans: make([][2]int, img.Rect.Dy())}
	w := img.Rect.Dx()
	for y := 0; y < img.Rect.Dy(); y++ {
		o := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		best, start := [2]int{0, 0}, -1
		for x := 0; x <= w; x++ {
			opaque := x < w && img.Pix[o+4*x+3] == 255
			switch {
			case opaque && start < 0:
				start = x
			case !opaque && start >= 0:
				if x-start > best[1]-best[0] {
					best = [2]int{start, x}
				}
				start = -1
			}
		}
		s.spans[y] = best
	}
	return s
}

// Bounds is the sprite's size at the origin.
func (s *Sprite) Bounds() image.Rectangle { return image.Rect(0, 0, s.Img.Rect.Dx(), s.Img.Rect.Dy()) }

// Draw composites the sprite over dst with its top-left corner at at.
func (s *Sprite) Draw(dst *image.RGBA, at image.Point) {
	w, h := s.Img.Rect.Dx(), s.Img.Rect.Dy()
	vis := image.Rect(at.X, at.Y, at.X+w, at.Y+h).Intersect(dst.Rect)
	if vis.Empty() {
		return
	}
	for y := vis.Min.Y; y < vis.Max.Y; y++ {
		sy := y - at.Y
		so := s.Img.PixOffset(s.Img.Rect.Min.X, s.Img.Rect.Min.Y+sy)
		l := max(vis.Min.X, at.X+s.spans[sy][0])
		r := min(vis.Max.X, at.X+s.spans[sy][1])
		if l < r {
			d := dst.PixOffset(l, y)
			src := so + 4*(l-at.X)
			copy(dst.Pix[d:d+4*(r-l)], s.Img.Pix[src:src+4*(r-l)])
		} else {
			l, r = vis.Max.X, vis.Max.X
		}
		for x := vis.Min.X; x < vis.Max.X; x++ {
			if x == l {
				x = r - 1
				continue
			}
			p := so + 4*(x-at.X)
			a := s.Img.Pix[p+3]
			if a == 0 {
				continue
			}
			blendPixel(dst, x, y, color.RGBA{s.Img.Pix[p], s.Img.Pix[p+1], s.Img.Pix[p+2], a})
		}
	}
}

// EncodePNG writes img as PNG, favouring speed over size.
func EncodePNG(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

// PNGBytes returns img encoded as PNG.
func PNGBytes(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := EncodePNG(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WritePNG writes img to path atomically (temporary file + rename).
func WritePNG(path string, img image.Image) error {
	b, err := PNGBytes(img)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b)
}

// ReadPNG decodes the PNG file at path into an RGBA image.
func ReadPNG(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("render: decode %s: %w", path, err)
	}
	return ToRGBA(img), nil
}

// ToRGBA converts any image to an *image.RGBA with a zero origin.
func ToRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// Diff compares two same-sized images and counts pixels where any channel
// differs by more than tol. It errors if the sizes differ.
func Diff(a, b *image.RGBA, tol uint8) (differing, total int, err error) {
	if a.Rect.Size() != b.Rect.Size() {
		return 0, 0, fmt.Errorf("render: Diff size mismatch %v vs %v", a.Rect.Size(), b.Rect.Size())
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		ao := a.PixOffset(a.Rect.Min.X, a.Rect.Min.Y+y)
		bo := b.PixOffset(b.Rect.Min.X, b.Rect.Min.Y+y)
		for x := 0; x < 4*w; x += 4 {
			for c := 0; c < 4; c++ {
				d := int(a.Pix[ao+x+c]) - int(b.Pix[bo+x+c])
				if d < 0 {
					d = -d
				}
				if d > int(tol) {
					differing++
					break
				}
			}
		}
	}
	return differing, w * h, nil
}
