package pretrain

import (
	"image"
	"image/color"
	"math/rand/v2"
	"strconv"

	"vlmq/render"
)

// TaskGlyph: numbers labelled by words ("Target: 3"), drawn at fixed
// slots of an image and asked about from the image alone: the image form
// of key-value lookup. NumberLine's two numbers are such a list; a fresh
// model that could read one small digit at a fixed place stayed at
// chance on them, because the question must choose where to read
// (results/base-v5/2026-12-07/vision).
const TaskGlyph = "glyph"

const (
	glyphSize  = 300 // px, as the Gym Cards renders
	glyphFont  = 24  // bold; NumberLine draws at 36, but "Current: 8" must fit a column
	glyphRows  = 4
	glyphSlots = 2 * glyphRows // two columns
)

// glyphLabels are the labels: words the envs draw beside numbers, and a
// few more, each short enough for a column.
var glyphLabels = []string{"Target", "Current", "Total", "Score", "Goal", "Card", "Next", "Last", "Sum", "Step", "Left", "Right"}

// glyphPalettes are the backgrounds and ink: the Gym Cards' white, the
// card table's green and BabyAI's black.
var glyphPalettes = []struct{ bg, fg color.RGBA }{
	{color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}},
	{color.RGBA{0, 100, 0, 255}, color.RGBA{255, 255, 255, 255}},
	{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255}},
}

// glyphFace is the task's font. The font is embedded, so an error here
// is a broken build; Synthetic reports it before drawing.
func glyphFace() (*render.Face, error) { return render.SharedFace(render.Bold, glyphFont) }

// glyphSlot is where slot i's text starts (its baseline).
func glyphSlot(i int) image.Point {
	return image.Point{X: 10 + (i/glyphRows)*(glyphSize/2), Y: 60 + (i%glyphRows)*70}
}

// glyphText is an entry as drawn.
func glyphText(label string, v int) string { return label + ": " + strconv.Itoa(v) }

// glyphSequence draws labelled digits at random slots and asks up to q
// questions: the number of a label, the label showing a number (when one
// does), and how many numbers there are. Without extra it draws
// min(n, glyphSlots) digits and asks one number. With extra (training) it
// draws 1 to min(n, glyphSlots) digits, uniformly: images of one or two
// entries, NumberLine's case, need no or little choosing of where to
// read, and lists of 8 alone rose slowly from a plateau (0.05 to 0.24 in
// 450 steps, results/base-v5/2026-12-07/vision). The context is empty:
// the image alone answers.
func glyphSequence(rng *rand.Rand, n, q int, extra bool) Sequence {
	n = min(n, glyphSlots)
	if extra {
		n = 1 + rng.IntN(n)
	}
	labels := pick(rng, glyphLabels, n)
	slots := rng.Perm(glyphSlots)[:n]
	pal := glyphPalettes[rng.IntN(len(glyphPalettes))]
	img := render.NewRGBA(glyphSize, glyphSize, pal.bg)
	values := make([]int, n)
	count := map[int]int{}
	face, _ := glyphFace()
	for i := range n {
		values[i] = rng.IntN(10)
		count[values[i]]++
		if face != nil {
			at := glyphSlot(slots[i])
			face.Draw(img, at.X, at.Y, glyphText(labels[i], values[i]), pal.fg)
		}
	}
	s := Sequence{Image: img, Source: TaskGlyph}
	number := func(i int) Pair { return Pair{"What is the " + labels[i] + " number?", strconv.Itoa(values[i])} }
	if !extra {
		s.QA = []Pair{number(rng.IntN(n))}
		return s
	}
	for _, i := range rng.Perm(n) {
		if len(s.QA) >= q {
			break
		}
		if rng.IntN(4) == 0 && count[values[i]] == 1 {
			s.QA = append(s.QA, Pair{"Which label shows " + strconv.Itoa(values[i]) + "?", labels[i]})
			continue
		}
		s.QA = append(s.QA, number(i))
	}
	if len(s.QA) < q {
		s.QA = append(s.QA, Pair{"How many numbers are shown?", strconv.Itoa(n)})
	}
	return s
}
