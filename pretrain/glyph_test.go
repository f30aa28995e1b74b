package pretrain

import (
	"image"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"vlmq/render"
)

// glyphEntries reads a glyph image back: for each slot, the entry whose
// drawing (on the image's background, in either ink) matches the slot's
// pixels exactly, or "" when the slot is empty. It parses pixels, not the
// generator's state, so every answer must be readable from the image.
func glyphEntries(t *testing.T, img *image.RGBA) []string {
	t.Helper()
	bg := img.RGBAAt(0, 0)
	var pal = glyphPalettes[0]
	for _, p := range glyphPalettes {
		if p.bg == bg {
			pal = p
		}
	}
	face, err := glyphFace()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, glyphSlots)
	for i := range glyphSlots {
		at := glyphSlot(i)
		cell := image.Rect(at.X-4, at.Y-face.Ascent(), at.X+glyphSize/2-12, at.Y+face.Descent())
		for _, l := range glyphLabels {
			for v := range 10 {
				probe := render.NewRGBA(glyphSize, glyphSize, pal.bg)
				face.Draw(probe, at.X, at.Y, glyphText(l, v), pal.fg)
				if sameRect(probe, img, cell) {
					out[i] = glyphText(l, v)
				}
			}
		}
		if out[i] == "" && !sameRect(render.NewRGBA(glyphSize, glyphSize, pal.bg), img, cell) {
			t.Fatalf("slot %d holds something no entry draws", i)
		}
	}
	return out
}

func sameRect(a, b *image.RGBA, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				return false
			}
		}
	}
	return true
}

// TestGlyphAnswersAreReadable: the same seed draws the same image; every
// entry fits its column; and every answer is the one the pixels give.
func TestGlyphAnswersAreReadable(t *testing.T) {
	face, err := glyphFace()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range glyphLabels {
		if w := face.Measure(glyphText(l, 8)); 10+w >= glyphSize/2 {
			t.Errorf("%q is %d px wide: it runs into the next column", glyphText(l, 8), w)
		}
	}
	number := regexp.MustCompile(`^What is the (\w+) number\?$`)
	shows := regexp.MustCompile(`^Which label shows (\d)\?$`)
	entry := regexp.MustCompile(`^(\w+): (\d)$`)
	sizes := map[int]map[int]bool{}
	for _, d := range []int{0, 1, 4, 16} {
		sizes[d] = map[int]bool{}
		for seed := uint64(0); seed < 6; seed++ {
			s, err := Synthetic(TaskGlyph, rand.New(rand.NewPCG(seed, 4)), d, 8)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Synthetic(TaskGlyph, rand.New(rand.NewPCG(seed, 4)), d, 8)
			if !reflect.DeepEqual(s, again) {
				t.Fatalf("seed %d: two draws differ", seed)
			}
			if s.Context != "" || s.Image == nil || s.Source != TaskGlyph {
				t.Fatalf("seed %d: context %q, image %v, source %q", seed, s.Context, s.Image != nil, s.Source)
			}
			values := map[string]string{}
			byValue := map[string][]string{}
			for _, e := range glyphEntries(t, s.Image) {
				if m := entry.FindStringSubmatch(e); m != nil {
					values[m[1]] = m[2]
					byValue[m[2]] = append(byValue[m[2]], m[1])
				}
			}
			if most := min(d+1, glyphSlots); len(values) < 1 || len(values) > most {
				t.Fatalf("d %d seed %d: %d entries drawn, want 1 to %d", d, seed, len(values), most)
			}
			sizes[d][len(values)] = true
			for _, p := range s.QA {
				var got string
				switch {
				case number.MatchString(p.Question):
					got = values[number.FindStringSubmatch(p.Question)[1]]
				case shows.MatchString(p.Question):
					if ls := byValue[shows.FindStringSubmatch(p.Question)[1]]; len(ls) == 1 {
						got = ls[0]
					}
				case p.Question == "How many numbers are shown?":
					got = strconv.Itoa(len(values))
				}
				if got != p.Answer {
					t.Errorf("d %d seed %d: %q answered %q, the image gives %q", d, seed, p.Question, p.Answer, got)
				}
			}
		}
	}
	// Training lists vary in size, up to the slots; the probe's one
	// question is asked over the full list.
	if len(sizes[0]) != 1 || !sizes[0][1] || len(sizes[16]) < 3 {
		t.Errorf("entries drawn per distractor count: %v, want one at 0 and several sizes at 16", sizes)
	}
	for seed := uint64(0); seed < 4; seed++ {
		s := glyphSequence(rand.New(rand.NewPCG(seed, 5)), 16, 8, false)
		n := 0
		for _, e := range glyphEntries(t, s.Image) {
			if e != "" {
				n++
			}
		}
		if n != glyphSlots || len(s.QA) != 1 {
			t.Errorf("probe sequence: %d entries and %d questions, want %d and 1", n, len(s.QA), glyphSlots)
		}
	}
}
