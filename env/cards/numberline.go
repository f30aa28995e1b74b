package cards

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strconv"
	"sync"

	"vlmq/env"
	"vlmq/render"
)

// NumberLine positions run 0..numberLineMax.
const numberLineMax = 5

// numberLine: move the current number to the target with "+" and "-".
type numberLine struct {
	pos, goal int
	imageOnly bool // ObsImage: the numbers are only in the image
}

func (g *numberLine) reset(rng *rand.Rand) {
	g.pos = rng.IntN(numberLineMax + 1)
	g.goal = rng.IntN(numberLineMax + 1)
	if g.goal == g.pos {
		// As in the original: (goal+1) % 5, so a start of 5 gets goal 1.
		g.goal = (g.goal + 1) % numberLineMax
	}
}

var (
	nlBoth  = []string{"-", "+"}
	nlPlus  = []string{"+"}
	nlMinus = []string{"-"}
)

func (g *numberLine) legal() []string {
	switch g.pos {
	case 0:
		return nlPlus
	case numberLineMax:
		return nlMinus
	}
	return nlBoth
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (g *numberLine) apply(choice string) outcome {
	before := abs(g.pos - g.goal)
	if choice == "+" {
		g.pos++
	} else {
		g.pos--
	}
	switch after := abs(g.pos - g.goal); {
	case after == 0:
		return outcome{reward: 1, done: true, note: "reached the target"}
	case after < before:
		return outcome{}
	default:
		return outcome{reward: -1, note: "did not move closer to the target"}
	}
}

func (g *numberLine) text() string {
	if g.imageOnly {
		return ""
	}
	return fmt.Sprintf("Target: %d, Current: %d", g.goal, g.pos)
}

func (g *numberLine) task() env.Task {
	return env.Task{
		// Short on purpose: every prompt token costs training time, and the
		// example is fixed so it never hints at the right move.
		Goal:    "Move the current number to the target number.",
		Actions: fmt.Sprintf(`"+" adds 1 (up to %d), "-" subtracts 1 (down to 0). A step that does not get closer costs -1; reaching the target gives +1.`, numberLineMax),
		Example: "+",
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (g *numberLine) facts() []env.QA {
	return []env.QA{
		qa("What is the target number?", strconv.Itoa(g.goal)),
		qa("What is the current number?", strconv.Itoa(g.pos)),
		qa("Is the current number smaller than the target?", yesNo(g.pos < g.goal)),
		qa("How far is the current number from the target?", strconv.Itoa(abs(g.pos-g.goal))),
	}
}

func (g *numberLine) background() color.RGBA { return white }

// There are only 6×6 states, so every frame is rendered once and copied.
var (
	nlOnce   sync.Once
	nlFrames [numberLineMax + 1][numberLineMax + 1]*image.RGBA // [goal][pos]
)

func (g *numberLine) draw(dst *image.RGBA) {
	nlOnce.Do(func() {
		for goal := range nlFrames {
			for pos := range nlFrames[goal] {
				img := render.NewRGBA(Size, Size, white)
				drawText(img, render.Bold, 36, 50, 120, "Target: "+strconv.Itoa(goal), black)
				drawText(img, render.Bold, 36, 50, 200, "Current: "+strconv.Itoa(pos), black)
				nlFrames[goal][pos] = img
			}
		}
	})
	copy(dst.Pix, nlFrames[g.goal][g.pos].Pix)
}
