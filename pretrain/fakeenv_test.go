package pretrain

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"

	"vlmq/env"
)

// colourEnv shows a solid-colour image; the colour is only visible in the
// image (the observation text does not reveal it). Facts ask for it.
type colourEnv struct {
	rng     *rand.Rand
	colour  int
	steps   int
	started bool
	done    bool
}

var colourNames = []string{"red", "green", "blue", "yellow"}
var colourRGB = []color.RGBA{{220, 30, 30, 255}, {30, 200, 40, 255}, {30, 40, 220, 255}, {230, 220, 30, 255}}

func (e *colourEnv) Name() string { return "colour" }

func (e *colourEnv) Reset(seed int64) (env.Observation, error) {
	e.rng = rand.New(rand.NewPCG(uint64(seed), 1))
	e.colour = e.rng.IntN(len(colourNames))
	e.steps, e.started, e.done = 0, true, false
	return e.obs(), nil
}

func (e *colourEnv) obs() env.Observation {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := 0; i < len(img.Pix); i += 4 {
		c := colourRGB[e.colour]
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return env.Observation{Text: "A coloured card.", Image: img, Legal: []string{"next", "stop"}}
}

func (e *colourEnv) Task() env.Task {
	return env.Task{Goal: "stop on the blue card", Actions: "next, stop", Example: "next"}
}

func (e *colourEnv) Step(reply string) (env.Step, error) {
	if !e.started {
		return env.Step{}, env.ErrNotStarted
	}
	if e.done {
		return env.Step{}, env.ErrEpisodeDone
	}
	e.steps++
	c, ok := e.Syntax().Choose(reply, []string{"next", "stop"})
	if !ok {
		return env.Step{Obs: e.obs(), Reward: env.DefaultSyntaxPenalty, Done: e.steps >= 10}, nil
	}
	st := env.Step{Info: env.Info{Valid: true, Action: c}}
	if c == "stop" {
		e.done = true
		st.Done = true
		if e.colour == 2 {
			st.Reward, st.Info.Success = 1, true
		}
	} else {
		e.colour = e.rng.IntN(len(colourNames))
		e.done = e.steps >= 10
		st.Done = e.done
	}
	st.Obs = e.obs()
	return st, nil
}

func (e *colourEnv) RandomValid(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return "stop"
	}
	return "next"
}

func (e *colourEnv) Syntax() env.Syntax { return env.DefaultSyntax() }
func (e *colourEnv) Close() error       { return nil }

func (e *colourEnv) Facts() []env.QA {
	return []env.QA{{Question: "What colour is the card?", Answer: colourNames[e.colour]}}
}

// leakyEnv is colourEnv with a fact whose answer is an action reply; the
// corpus must drop it.
type leakyEnv struct{ colourEnv }

func (e *leakyEnv) Facts() []env.QA {
	return append(e.colourEnv.Facts(), env.QA{Question: "What should you do?", Answer: "[action] stop"})
}

// plainEnv hides Facts: embedding the interface promotes only env.Env.
type plainEnv struct{ env.Env }

var (
	_ env.Describer = (*colourEnv)(nil)
	_ env.Describer = (*lineEnv)(nil)
	_ env.Env       = (*plainEnv)(nil)
	_ env.Expert    = (*lineExpert)(nil)
)

// lineEnv walks a line from 0: "up" adds one, "down" takes one (not below
// 0); an episode ends after 12 steps. The image's grey level shows the
// position. It records its reset seeds.
type lineEnv struct {
	pos, steps int
	episode    int
	seeds      []int64
	started    bool
	done       bool
}

func (e *lineEnv) Name() string { return "line" }

func (e *lineEnv) Reset(seed int64) (env.Observation, error) {
	e.pos, e.steps, e.started, e.done = 0, 0, true, false
	e.episode++
	e.seeds = append(e.seeds, seed)
	return e.obs(), nil
}

func (e *lineEnv) obs() env.Observation {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(img.Pix); i += 4 {
		v := uint8(20 * e.pos)
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 255
	}
	return env.Observation{Text: "A line.", Image: img, Legal: []string{"up", "down"}}
}

func (e *lineEnv) Task() env.Task {
	return env.Task{Goal: "climb the line", Actions: "up, down", Example: "up"}
}

func (e *lineEnv) Step(reply string) (env.Step, error) {
	if !e.started {
		return env.Step{}, env.ErrNotStarted
	}
	if e.done {
		return env.Step{}, env.ErrEpisodeDone
	}
	e.steps++
	c, ok := e.Syntax().Choose(reply, []string{"up", "down"})
	switch {
	case ok && c == "up":
		e.pos++
	case ok && c == "down" && e.pos > 0:
		e.pos--
	}
	e.done = e.steps >= 12
	return env.Step{Obs: e.obs(), Done: e.done, Info: env.Info{Valid: ok, Action: c}}, nil
}

func (e *lineEnv) RandomValid(rng *rand.Rand) string { return []string{"up", "down"}[rng.IntN(2)] }
func (e *lineEnv) Syntax() env.Syntax                { return env.DefaultSyntax() }
func (e *lineEnv) Close() error                      { return nil }

// Facts: the position (the image shows it) and the goal (only the prompt
// does).
func (e *lineEnv) Facts() []env.QA {
	return []env.QA{
		{Question: "Where are you on the line?", Answer: fmt.Sprint(e.pos)},
		{Question: "What is the goal?", Answer: "climb", TextOnly: true},
	}
}

// lineExpert climbs. It goes down instead when it was not reset since the
// env's last reset, so a walk that skipped its Reset shows.
type lineExpert struct {
	e       *lineEnv
	episode int
}

func (x *lineExpert) Reset() { x.episode = x.e.episode }

func (x *lineExpert) Act() (string, error) {
	if x.episode != x.e.episode {
		return "down", nil
	}
	return "up", nil
}
