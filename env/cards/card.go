package cards

import (
	"image"
	"image/color"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"vlmq/env"
	"vlmq/render"
)

// card is a playing card: rank 1 (ace) .. 13 (king), suit 0..3.
type card struct{ rank, suit int }

var (
	suitGlyphs = [4]string{"♠", "♥", "♦", "♣"}
	suitNames  = [4]string{"spades", "hearts", "diamonds", "clubs"}
)

func randomCard(rng *rand.Rand) card { return card{rank: 1 + rng.IntN(13), suit: rng.IntN(4)} }

// value counts J, Q and K as 10 and the ace as 1.
func (c card) value() int { return min(c.rank, 10) }

// label is the rank as printed on the card.
func (c card) label() string {
	switch c.rank {
	case 1:
		return "A"
	case 11:
		return "J"
	case 12:
		return "Q"
	case 13:
		return "K"
	}
	return strconv.Itoa(c.rank)
}

func (c card) red() bool { return c.suit == 1 || c.suit == 2 }

// joinAnd writes "a", "a and b", "a, b and c".
func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return "none"
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

var (
	tableGreen = color.RGBA{0x35, 0x65, 0x4d, 255}
	white      = color.RGBA{255, 255, 255, 255}
	black      = color.RGBA{0, 0, 0, 255}
	cardRed    = color.RGBA{200, 20, 30, 255}
	cardEdge   = color.RGBA{150, 150, 150, 255}
	backBlue   = color.RGBA{35, 65, 160, 255}
	backStripe = color.RGBA{80, 110, 200, 255}
)

type spriteKey struct {
	c    card
	w, h int
	back bool
}

var (
	spriteMu sync.Mutex
	sprites  = map[spriteKey]*render.Sprite{}
)

// cardSprite returns the cached image of c (or of a card back) at w×h.
func cardSprite(c card, w, h int, back bool) *render.Sprite {
	k := spriteKey{c, w, h, back}
	if back {
		k.c = card{}
	}
	spriteMu.Lock()
	defer spriteMu.Unlock()
	if s := sprites[k]; s != nil {
		return s
	}
	s := render.NewSprite(paintCard(k))
	sprites[k] = s
	return s
}

// face returns a shared font face. The embedded fonts always parse and the
// sizes used here are valid, so an error is a build defect; fall back to a
// nil-safe no-op by returning nil.
func face(w render.Weight, size float64) *render.Face {
	f, err := render.SharedFace(w, size)
	if err != nil {
		return nil
	}
	return f
}

func drawText(dst *image.RGBA, w render.Weight, size float64, x, y int, s string, c color.Color) {
	if f := face(w, size); f != nil {
		f.Draw(dst, x, y, s, c)
	}
}

// drawLabel draws a cached, pre-composited string on a bg-coloured area.
func drawLabel(dst *image.RGBA, w render.Weight, size float64, x, y int, s string, fg, bg color.RGBA) {
	if f := face(w, size); f != nil {
		f.DrawLabel(dst, x, y, s, fg, bg)
	}
}

func drawCentered(dst *image.RGBA, w render.Weight, size float64, cx, y int, s string, c color.Color) {
	if f := face(w, size); f != nil {
		f.DrawCentered(dst, cx, y, s, c)
	}
}

func measure(w render.Weight, size float64, s string) int {
	if f := face(w, size); f != nil {
		return f.Measure(s)
	}
	return 0
}

// paintCard draws a card: white rounded face with the rank and suit in the
// top-left and bottom-right corners and a large suit (or J/Q/K letter) in
// the middle; or a blue patterned back.
func paintCard(k spriteKey) *image.RGBA {
	w, h := k.w, k.h
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rad := float64(w) / 9
	render.FillRoundRect(img, img.Rect, rad, cardEdge)
	inner := img.Rect.Inset(1)
	render.FillRoundRect(img, inner, rad-1, white)
	if k.back {
		in := img.Rect.Inset(max(3, w/16))
		render.FillRoundRect(img, in, rad/2, backBlue)
		for y := in.Min.Y + 2; y < in.Max.Y-2; y++ {
			for x := in.Min.X + 2; x < in.Max.X-2; x++ {
				if (x+y)%8 < 2 || (x-y+1000)%8 < 2 {
					img.SetRGBA(x, y, backStripe)
				}
			}
		}
		return img
	}
	ink := black
	if k.c.red() {
		ink = cardRed
	}
	lab, suit := k.c.label(), suitGlyphs[k.c.suit]
	cs, ss := float64(h)*0.19, float64(h)*0.14 // corner rank and suit sizes
	pad := max(3, w/16)
	cx := pad + max(measure(render.Bold, cs, lab), measure(render.Regular, ss, suit))/2
	top := pad + int(cs*0.75) // digits and capitals are ~0.73 em tall
	drawCentered(img, render.Bold, cs, cx, top, lab, ink)
	drawCentered(img, render.Regular, ss, cx, top+int(ss*1.05), suit, ink)
	// The bottom-right corner mirrors the top-left one (unrotated).
	rx, bottom := w-cx, h-pad-1
	drawCentered(img, render.Bold, cs, rx, bottom, lab, ink)
	drawCentered(img, render.Regular, ss, rx, bottom-int(cs*0.8)-1, suit, ink)
	big := float64(h) * 0.36
	mid := h/2 + int(big*0.36)
	if k.c.rank >= 11 {
		drawCentered(img, render.Bold, big, w/2, mid, lab, ink)
	} else {
		drawCentered(img, render.Regular, big, w/2, mid, suit, ink)
	}
	return img
}

func qa(q, a string) env.QA { return env.QA{Question: q, Answer: a} }
