package render

import (
	"image"
	"image/color"
	"image/draw"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

func TestNewFaceErrors(t *testing.T) {
	for _, tc := range []struct {
		w    Weight
		size float64
	}{{Regular, 0}, {Bold, -3}, {Weight(7), 12}} {
		if _, err := NewFace(tc.w, tc.size); err == nil {
			t.Errorf("NewFace(%v, %v): want error", tc.w, tc.size)
		}
	}
}

// The cached-glyph renderer must match a direct x/image font.Drawer
// rendering up to the sub-pixel snapping of glyph origins.
func TestDrawMatchesFontDrawer(t *testing.T) {
	for _, tc := range []struct {
		w    Weight
		size float64
		s    string
	}{
		{Bold, 36, "Target: 3"},
		{Bold, 36, "Current: 0"},
		{Regular, 16, "Formula: 10 + 4 * ( 3 - 1 )"},
		{Bold, 28, "♠♥♦♣ JQK"},
	} {
		f, err := NewFace(tc.w, tc.size)
		if err != nil {
			t.Fatal(err)
		}
		got := NewRGBA(400, 60, white)
		f.Draw(got, 5, 45, tc.s, black)
		f.Draw(got, 5, 45, "", black) // empty string is a no-op

		raw, _ := parsedFont(tc.w)
		ff, _ := opentype.NewFace(raw, &opentype.FaceOptions{Size: tc.size, DPI: 72, Hinting: font.HintingNone})
		want := NewRGBA(400, 60, white)
		d := font.Drawer{Dst: want, Src: image.NewUniform(black), Face: ff, Dot: fixed.P(5, 45)}
		d.DrawString(tc.s)

		if w1, w2 := f.Measure(tc.s), d.MeasureString(tc.s).Ceil(); w1 != w2 {
			t.Errorf("%q: Measure %d, drawer %d", tc.s, w1, w2)
		}
		n, total, err := Diff(got, want, 96)
		if err != nil {
			t.Fatal(err)
		}
		ink := 0
		for i := 0; i < len(got.Pix); i += 4 {
			if got.Pix[i] < 128 {
				ink++
			}
		}
		if ink < 50 {
			t.Errorf("%q: only %d inked pixels", tc.s, ink)
		}
		if n > total/200 {
			t.Errorf("%q: %d of %d pixels differ from font.Drawer", tc.s, n, total)
		}
	}
}

func TestFaceConcurrent(t *testing.T) {
	f, err := NewFace(Regular, 20)
	if err != nil {
		t.Fatal(err)
	}
	ref := NewRGBA(300, 40, white)
	f.Draw(ref, 0, 30, "Hello 0123456789", black)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				img := NewRGBA(300, 40, white)
				f.Draw(img, 0, 30, "Hello 0123456789", black)
				if n, _, _ := Diff(img, ref, 0); n != 0 {
					t.Errorf("concurrent draw differs in %d pixels", n)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestWrap(t *testing.T) {
	f, err := SharedFace(Regular, 20)
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"10", "+", "10", "*", "(", "3", "-", "1", ")", "/", "7", "+", "10", "10", "10", "10"}
	lines := f.Wrap(words, " ", 120)
	if len(lines) < 2 {
		t.Fatalf("want several lines, got %q", lines)
	}
	n := 0
	for _, l := range lines {
		if f.Measure(l) > 120 {
			t.Errorf("line %q wider than 120", l)
		}
		for range splitSpace(l) {
			n++
		}
	}
	if n != len(words) {
		t.Errorf("wrapped %d words, want %d", n, len(words))
	}
	if got := f.Wrap(nil, " ", 100); len(got) != 0 {
		t.Errorf("Wrap(nil) = %q", got)
	}
}

func splitSpace(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ' ' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}

func TestFillAndCopyRect(t *testing.T) {
	img := NewRGBA(10, 10, white)
	red := color.RGBA{200, 0, 0, 255}
	FillRect(img, image.Rect(-5, 8, 3, 20), red) // clipped to x 0..3, y 8..10
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			want := white
			if x < 3 && y >= 8 {
				want = red
			}
			if got := img.RGBAAt(x, y); got != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	dst := NewRGBA(10, 10, black)
	CopyRect(dst, img, image.Rect(0, 7, 10, 12))
	if dst.RGBAAt(1, 9) != red || dst.RGBAAt(5, 8) != white || dst.RGBAAt(1, 6) != black {
		t.Errorf("CopyRect copied the wrong region")
	}
	c := Clone(img)
	c.Pix[0] = 1
	if img.Pix[0] == 1 {
		t.Errorf("Clone shares pixels")
	}
	if err := CopyInto(c, img); err != nil || c.Pix[0] != img.Pix[0] {
		t.Errorf("CopyInto: %v", err)
	}
	if err := CopyInto(NewRGBA(3, 3, white), img); err == nil {
		t.Errorf("CopyInto size mismatch: want error")
	}
}

// Sprite.Draw must equal the generic draw.Draw Over compositing, including
// clipping at every edge.
func TestSpriteMatchesDrawOver(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 40, 56))
	FillRoundRect(src, src.Rect, 7, white)
	FillRect(src, image.Rect(10, 10, 30, 20), color.RGBA{0, 0, 150, 255})
	FillRoundRect(src, image.Rect(5, 30, 35, 50), 4, color.RGBA{100, 0, 0, 128}) // translucent
	sp := NewSprite(src)
	bg := color.RGBA{53, 101, 77, 255}
	for _, at := range []image.Point{{5, 5}, {-10, -7}, {70, 60}, {-39, 20}, {0, 99}, {200, 200}} {
		got := NewRGBA(100, 100, bg)
		sp.Draw(got, at)
		want := NewRGBA(100, 100, bg)
		draw.Draw(want, sp.Bounds().Add(at), src, image.Point{}, draw.Over)
		if n, _, _ := Diff(got, want, 1); n != 0 {
			t.Errorf("at %v: %d pixels differ from draw.Over", at, n)
		}
	}
	// The corners are anti-aliased: partly covered, not fully transparent
	// or opaque.
	partial := 0
	for y := 0; y < 7; y++ {
		for x := 0; x < 7; x++ {
			if a := src.RGBAAt(x, y).A; a != 0 && a != 255 {
				partial++
			}
		}
	}
	if partial < 3 {
		t.Errorf("%d partly covered corner pixels, want anti-aliasing", partial)
	}
	if a := src.RGBAAt(0, 0).A; a != 0 {
		t.Errorf("outer corner alpha %d, want 0", a)
	}
}

func TestPNGRoundTrip(t *testing.T) {
	img := NewRGBA(30, 20, color.RGBA{53, 101, 77, 255})
	f, _ := SharedFace(Bold, 12)
	f.Draw(img, 2, 15, "A♠", white)
	path := filepath.Join(t.TempDir(), "x.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPNG(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, _, err := Diff(img, back, 0); err != nil || n != 0 {
		t.Errorf("round trip differs in %d pixels (%v)", n, err)
	}
	if _, err := ReadPNG(filepath.Join(t.TempDir(), "missing.png")); err == nil {
		t.Errorf("ReadPNG missing file: want error")
	}
	if _, _, err := Diff(img, NewRGBA(3, 3, white), 0); err == nil {
		t.Errorf("Diff size mismatch: want error")
	}
}

func BenchmarkDrawText(b *testing.B) {
	f, _ := SharedFace(Regular, 20)
	img := NewRGBA(300, 300, white)
	for i := 0; i < b.N; i++ {
		f.Draw(img, 10, 200, "10 + 4 * ( 3 - 1 ) / 7", black)
	}
}

// DrawLabel over its background colour must equal Draw, also when clipped.
func TestDrawLabelMatchesDraw(t *testing.T) {
	bg := color.RGBA{53, 101, 77, 255}
	f, err := NewFace(Bold, 18)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    string
		x, y int
	}{{"Dealer shows 10", 10, 24}, {"Player: 17, soft", 10, 150}, {"Qjy", -5, 8}, {"You win", 250, 295}, {"", 3, 3}} {
		for round := 0; round < 2; round++ { // miss, then cache hit
			got := NewRGBA(300, 300, bg)
			f.DrawLabel(got, tc.x, tc.y, tc.s, white, bg)
			want := NewRGBA(300, 300, bg)
			f.Draw(want, tc.x, tc.y, tc.s, white)
			if n, _, _ := Diff(got, want, 0); n != 0 {
				t.Errorf("%q round %d: %d pixels differ", tc.s, round, n)
			}
		}
	}
}
