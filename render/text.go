// Package render holds the drawing helpers shared by the envs: embedded
// DejaVu fonts with cached glyph masks, fast rectangle fills and copies,
// sprites with per-row opaque spans, and PNG encoding.
package render

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

//go:embed fonts/DejaVuSans.ttf
var regularTTF []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var boldTTF []byte

// Weight selects one of the embedded fonts.
type Weight int

const (
	Regular Weight = iota // DejaVuSans
	Bold                  // DejaVuSans-Bold
)

func (w Weight) String() string {
	switch w {
	case Regular:
		return "DejaVuSans"
	case Bold:
		return "DejaVuSans-Bold"
	}
	return fmt.Sprintf("Weight(%d)", int(w))
}

var (
	parseOnce   sync.Once
	parsedFonts [2]*opentype.Font
	parseErr    error
)

func parsedFont(w Weight) (*opentype.Font, error) {
	parseOnce.Do(func() {
		for i, b := range [][]byte{regularTTF, boldTTF} {
			f, err := opentype.Parse(b)
			if err != nil {
				parseErr = fmt.Errorf("render: parse %v: %w", Weight(i), err)
				return
			}
			parsedFonts[i] = f
		}
	})
	if parseErr != nil {
		return nil, parseErr
	}
	if w != Regular && w != Bold {
		return nil, fmt.Errorf("render: unknown font weight %d", int(w))
	}
	return parsedFonts[w], nil
}

// glyph is a rasterised rune: its coverage mask, placed at Off relative to
// an integer dot, and the advance to the next dot.
type glyph struct {
	mask *image.Alpha
	off  image.Point
	adv  fixed.Int26_6
}

// Face is one font at one pixel size. Glyphs are rasterised once and then
// blitted from cache, so repeated strings cost only mask compositing. A Face
// is safe for concurrent use.
type Face struct {
	mu     sync.RWMutex
	face   font.Face // not concurrency-safe: used under mu's write lock
	glyphs map[rune]*glyph
	kerns  map[[2]rune]fixed.Int26_6
	labels map[labelKey]*label

	ascent, descent, lineHeight int
}

// NewFace returns a new, unshared face of the given weight at size pixels
// per em (72 DPI, so Pillow's truetype(size) matches).
func NewFace(w Weight, size float64) (*Face, error) {
	if !(size > 0 && size <= 1000) {
		return nil, fmt.Errorf("render: font size %v out of range (0,1000]", size)
	}
	f, err := parsedFont(w)
	if err != nil {
		return nil, err
	}
	ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("render: face %v %v: %w", w, size, err)
	}
	m := ff.Metrics()
	return &Face{
		face:       ff,
		glyphs:     make(map[rune]*glyph),
		kerns:      make(map[[2]rune]fixed.Int26_6),
		labels:     make(map[labelKey]*label),
		ascent:     m.Ascent.Ceil(),
		descent:    m.Descent.Ceil(),
		lineHeight: m.Height.Ceil(),
	}, nil
}

type faceKey struct {
	w    Weight
	size float64
}

var (
	sharedMu    sync.Mutex
	sharedFaces = map[faceKey]*Face{}
)

// SharedFace returns a process-wide face for (w, size) so that every env
// reuses the same warm glyph cache.
func SharedFace(w Weight, size float64) (*Face, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	k := faceKey{w, size}
	if f, ok := sharedFaces[k]; ok {
		return f, nil
	}
	f, err := NewFace(w, size)
	if err != nil {
		return nil, err
	}
	sharedFaces[k] = f
	return f, nil
}

// Ascent is the distance in pixels from the baseline to the top of a line.
func (f *Face) Ascent() int { return f.ascent }

// Descent is the distance in pixels from the baseline to the bottom of a line.
func (f *Face) Descent() int { return f.descent }

// LineHeight is the recommended baseline-to-baseline distance in pixels.
func (f *Face) LineHeight() int { return f.lineHeight }

// lookup returns the cached glyph for r, rasterising it on first use.
// Runes missing from the font fall back to the font's notdef glyph.
func (f *Face) lookup(r rune) *glyph {
	f.mu.RLock()
	g := f.glyphs[r]
	f.mu.RUnlock()
	if g != nil {
		return g
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if g = f.glyphs[r]; g != nil {
		return g
	}
	dr, mask, mp, adv, _ := f.face.Glyph(fixed.Point26_6{}, r)
	g = &glyph{adv: adv, off: dr.Min}
	// The face reuses its mask buffer, so copy the coverage out.
	a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	if mask != nil && !dr.Empty() {
		draw.Draw(a, a.Rect, mask, mp, draw.Src)
	}
	g.mask = a
	f.glyphs[r] = g
	return g
}

func (f *Face) kern(a, b rune) fixed.Int26_6 {
	k := [2]rune{a, b}
	f.mu.RLock()
	v, ok := f.kerns[k]
	f.mu.RUnlock()
	if ok {
		return v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v = f.face.Kern(a, b)
	f.kerns[k] = v
	return v
}

// advance walks s and calls fn with each glyph and its integer dot x.
// Dots are snapped to whole pixels so the cached masks can be reused.
func (f *Face) advance(s string, fn func(g *glyph, x int)) fixed.Int26_6 {
	var dot fixed.Int26_6
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			dot += f.kern(prev, r)
		}
		g := f.lookup(r)
		if fn != nil {
			fn(g, dot.Round())
		}
		dot += g.adv
		prev = r
	}
	return dot
}

// Measure returns the advance width of s in pixels.
func (f *Face) Measure(s string) int { return f.advance(s, nil).Ceil() }

// Draw composites s onto dst in colour c with its baseline at y and its
// origin at x. Drawing is clipped to dst's bounds.
func (f *Face) Draw(dst *image.RGBA, x, y int, s string, c color.Color) {
	src := image.NewUniform(c)
	f.advance(s, func(g *glyph, gx int) {
		if g.mask.Rect.Empty() {
			return
		}
		r := g.mask.Rect.Add(g.off).Add(image.Pt(x+gx, y))
		draw.DrawMask(dst, r, src, image.Point{}, g.mask, image.Point{}, draw.Over)
	})
}

// DrawCentered draws s horizontally centred on cx with its baseline at y.
func (f *Face) DrawCentered(dst *image.RGBA, cx, y int, s string, c color.Color) {
	f.Draw(dst, cx-f.Measure(s)/2, y, s, c)
}

// Wrap splits words (already tokenised) into lines no wider than width,
// joining words on a line with sep. A single word wider than width gets a
// line of its own.
func (f *Face) Wrap(words []string, sep string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range words {
		if cur == "" {
			cur = w
			continue
		}
		if f.Measure(cur+sep+w) <= width {
			cur += sep + w
			continue
		}
		lines = append(lines, cur)
		cur = w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

type labelKey struct {
	s      string
	fg, bg color.RGBA
}

// label is a string pre-composited over an opaque background; origin is
// the baseline start relative to img's top-left corner.
type label struct {
	img    *image.RGBA
	origin image.Point
}

// maxLabels bounds the label cache; it is emptied when full, which is
// cheap because labels are re-rendered from cached glyphs.
const maxLabels = 4096

// Box returns the pixel bounds s covers when drawn with its baseline
// origin at (0, 0).
func (f *Face) Box(s string) image.Rectangle {
	r := image.Rect(0, -f.ascent, 0, f.descent)
	end := f.advance(s, func(g *glyph, x int) {
		if !g.mask.Rect.Empty() {
			r = r.Union(g.mask.Rect.Add(g.off).Add(image.Pt(x, 0)))
		}
	})
	if e := end.Ceil(); e > r.Max.X {
		r.Max.X = e
	}
	return r
}

// DrawLabel draws s like Draw but from a cache of whole strings
// pre-composited over the opaque colour bg: a repeated label costs a few
// row copies. The label's box (see Box) is overwritten with bg, so use it
// on areas of that colour.
func (f *Face) DrawLabel(dst *image.RGBA, x, y int, s string, fg, bg color.RGBA) {
	k := labelKey{s, fg, bg}
	f.mu.RLock()
	l := f.labels[k]
	f.mu.RUnlock()
	if l == nil {
		box := f.Box(s)
		img := image.NewRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
		FillRect(img, img.Rect, bg)
		l = &label{img: img, origin: box.Min.Mul(-1)}
		f.Draw(img, l.origin.X, l.origin.Y, s, fg)
		f.mu.Lock()
		if len(f.labels) >= maxLabels {
			clear(f.labels)
		}
		f.labels[k] = l
		f.mu.Unlock()
	}
	at := image.Pt(x, y).Sub(l.origin)
	r := l.img.Rect.Add(at).Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	w := 4 * r.Dx()
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		d := dst.PixOffset(r.Min.X, yy)
		src := l.img.PixOffset(r.Min.X-at.X, yy-at.Y)
		copy(dst.Pix[d:d+w], l.img.Pix[src:src+w])
	}
}
