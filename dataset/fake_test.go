package dataset

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"

	"vlmq/env"
)

// lineEnv is a tiny number-line env: move pos to goal with "-"/"+".
// Reward +1 at the goal (ends), -1 for an invalid reply, 0 otherwise;
// cut off after limit steps.
type lineEnv struct {
	pos, goal, steps, limit int
	started, done           bool
	resets                  int
}

func newLine() *lineEnv { return &lineEnv{limit: 10} }

func (l *lineEnv) Name() string       { return "line" }
func (l *lineEnv) Syntax() env.Syntax { return env.DefaultSyntax() }
func (l *lineEnv) Close() error       { return nil }

func (l *lineEnv) Reset(seed int64) (env.Observation, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	l.pos, l.goal = rng.IntN(6), rng.IntN(6)
	if l.pos == l.goal {
		l.goal = (l.goal + 1) % 6
	}
	l.steps, l.started, l.done = 0, true, false
	l.resets++
	return l.obs(), nil
}

func (l *lineEnv) legal() []string {
	var out []string
	if l.pos > 0 {
		out = append(out, "-")
	}
	if l.pos < 5 {
		out = append(out, "+")
	}
	return out
}

func (l *lineEnv) obs() env.Observation {
	img := image.NewRGBA(image.Rect(0, 0, 6, 2))
	img.Set(l.pos, 0, color.RGBA{255, 0, 0, 255})
	img.Set(l.goal, 1, color.RGBA{0, 0, 255, 255})
	return env.Observation{Text: fmt.Sprintf("Current: %d", l.pos), Image: img, Legal: l.legal()}
}

func (l *lineEnv) Task() env.Task {
	return env.Task{Goal: fmt.Sprintf("reach %d", l.goal), Actions: `"-" or "+"`, Example: "+"}
}

func (l *lineEnv) Step(reply string) (env.Step, error) {
	if !l.started {
		return env.Step{}, env.ErrNotStarted
	}
	if l.done {
		return env.Step{}, env.ErrEpisodeDone
	}
	l.steps++
	st := env.Step{}
	c, ok := l.Syntax().Choose(reply, l.legal())
	if !ok {
		st.Reward = env.DefaultSyntaxPenalty
		st.Info.Reason = "unparsable"
	} else {
		st.Info.Valid, st.Info.Action = true, c
		before := abs(l.pos - l.goal)
		if c == "+" {
			l.pos++
		} else {
			l.pos--
		}
		switch after := abs(l.pos - l.goal); {
		case after == 0:
			st.Reward, st.Done, st.Info.Success = 1, true, true
		case after >= before:
			st.Reward = -1
		}
	}
	if !st.Done && l.steps >= l.limit {
		st.Done, st.Info.Truncated = true, true
	}
	l.done = st.Done
	st.Obs = l.obs()
	return st, nil
}

func (l *lineEnv) RandomValid(rng *rand.Rand) string {
	lg := l.legal()
	return lg[rng.IntN(len(lg))]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// lineExpert moves toward the goal and counts resets.
type lineExpert struct {
	l      *lineEnv
	resets int
	acts   int
}

func (x *lineExpert) Reset() { x.resets++ }

func (x *lineExpert) Act() (string, error) {
	x.acts++
	if x.l.goal > x.l.pos {
		return "+", nil
	}
	return "-", nil
}
