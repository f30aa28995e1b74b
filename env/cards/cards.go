// Package cards implements the four Gym Cards games of RL4VLM in our own
// code: NumberLine, EZPoints, Points24 and Blackjack. Each renders a 300×300
// RGB image, takes free-form replies parsed with an env.Syntax, and has an
// expert (see NewExpert).
package cards

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"

	"vlmq/env"
	"vlmq/render"
)

// Game names accepted by New.
const (
	NumberLine = "numberline"
	EZPoints   = "ezpoints"
	Points24   = "points24"
	Blackjack  = "blackjack"
)

// Games lists every game New accepts.
var Games = []string{NumberLine, EZPoints, Points24, Blackjack}

// Size is the width and height of every observation image.
const Size = 300

// DefaultMaxSteps is the registered step limit of the Gym Cards envs;
// NumberLine is cut off earlier (NumberLineMaxSteps).
const (
	DefaultMaxSteps    = 300
	NumberLineMaxSteps = 10
)

// Options configure an Env.
type Options struct {
	// Syntax parses replies; the zero value means env.DefaultSyntax().
	Syntax env.Syntax
	// SyntaxPenalty is the reward for an invalid reply; 0 means
	// env.DefaultSyntaxPenalty unless NoPenalty is set.
	SyntaxPenalty float64
	// NoPenalty makes invalid replies cost exactly 0.
	NoPenalty bool
	// MaxSteps cuts episodes off; 0 means the game's default.
	MaxSteps int
	// ReuseImage makes every observation share one image buffer that the
	// next Step or Reset overwrites, avoiding a 360 KB allocation per step.
	// Callers must copy (render.Clone) any image they keep. By default each
	// observation gets its own image.
	ReuseImage bool
}

// game is one card game's rules and drawing. Methods are only called with
// an episode in progress; apply only receives choices from legal().
type game interface {
	reset(rng *rand.Rand)
	legal() []string
	apply(choice string) outcome
	text() string
	task() env.Task
	facts() []env.QA
	// draw renders the current state into dst (Size×Size). dst holds the
	// previous frame of this episode, or garbage after reset.
	draw(dst *image.RGBA)
}

// outcome is the effect of one legal choice.
type outcome struct {
	reward          float64
	done, truncated bool
	note            string
}

// Env is one Gym Cards game. It implements env.Env and env.Describer and
// is not safe for concurrent use.
type Env struct {
	name     string
	g        game
	syntax   env.Syntax
	penalty  float64
	maxSteps int
	rng      *rand.Rand

	started, done bool
	steps         int
	ret           float64
	episode       int // counts Resets, so experts notice new episodes

	frame *image.RGBA // last rendered state; observations get copies
	out   *image.RGBA // the shared observation buffer with ReuseImage
}

// New builds the named game (one of Games).
func New(game string, opts Options) (*Env, error) {
	e := &Env{name: game, syntax: opts.Syntax, penalty: opts.SyntaxPenalty, maxSteps: opts.MaxSteps}
	switch game {
	case NumberLine:
		e.g = &numberLine{}
		if e.maxSteps == 0 {
			e.maxSteps = NumberLineMaxSteps
		}
	case EZPoints:
		e.g = newFormulaGame(ezPointsRules)
	case Points24:
		e.g = newFormulaGame(points24Rules)
	case Blackjack:
		e.g = &blackjack{}
	default:
		return nil, fmt.Errorf("cards: unknown game %q (known: %s)", game, strings.Join(Games, ", "))
	}
	if e.maxSteps == 0 {
		e.maxSteps = DefaultMaxSteps
	}
	if e.maxSteps < 0 {
		return nil, fmt.Errorf("cards: MaxSteps %d is negative", opts.MaxSteps)
	}
	if e.syntax == (env.Syntax{}) {
		e.syntax = env.DefaultSyntax()
	}
	if e.syntax.Marker == "" {
		return nil, fmt.Errorf("cards: syntax has an empty marker")
	}
	switch {
	case opts.NoPenalty:
		e.penalty = 0
	case e.penalty == 0:
		e.penalty = env.DefaultSyntaxPenalty
	}
	e.frame = image.NewRGBA(image.Rect(0, 0, Size, Size))
	if opts.ReuseImage {
		e.out = image.NewRGBA(image.Rect(0, 0, Size, Size))
	}
	return e, nil
}

// Name returns the game name.
func (e *Env) Name() string { return e.name }

// Syntax returns the reply syntax.
func (e *Env) Syntax() env.Syntax { return e.syntax }

// MaxSteps is the step limit of an episode.
func (e *Env) MaxSteps() int { return e.maxSteps }

// SyntaxPenalty is the reward of an invalid reply.
func (e *Env) SyntaxPenalty() float64 { return e.penalty }

// Close releases nothing; it exists for env.Env.
func (e *Env) Close() error { return nil }

// Reset starts a new episode determined by seed.
func (e *Env) Reset(seed int64) (env.Observation, error) {
	// The second PCG word keeps seeds of different games apart from other
	// users of the same seed; any constant works.
	e.rng = rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	e.g.reset(e.rng)
	e.started, e.done = true, false
	e.steps, e.ret = 0, 0
	e.episode++
	e.g.draw(e.frame)
	return e.observe(), nil
}

// Task describes the current episode.
func (e *Env) Task() env.Task {
	if !e.started {
		return env.Task{}
	}
	return e.g.task()
}

// Facts states question/answer pairs about the current image.
func (e *Env) Facts() []env.QA {
	if !e.started {
		return nil
	}
	return e.g.facts()
}

// RandomValid returns a uniformly random legal choice.
func (e *Env) RandomValid(rng *rand.Rand) string {
	if !e.started {
		return ""
	}
	l := e.g.legal()
	if len(l) == 0 {
		return ""
	}
	return l[rng.IntN(len(l))]
}

// Done reports whether the current episode has ended.
func (e *Env) Done() bool { return e.done }

// Steps is the number of steps taken in the current episode.
func (e *Env) Steps() int { return e.steps }

// Return is the summed reward of the current episode, penalties included.
func (e *Env) Return() float64 { return e.ret }

// Step applies one reply. An unparsable or illegal reply earns the syntax
// penalty, leaves the game untouched and still counts toward MaxSteps.
func (e *Env) Step(reply string) (env.Step, error) {
	if !e.started {
		return env.Step{}, env.ErrNotStarted
	}
	if e.done {
		return env.Step{}, env.ErrEpisodeDone
	}
	e.steps++
	var st env.Step
	legal := e.g.legal()
	choice, ok := e.syntax.Choose(reply, legal)
	if ok {
		o := e.g.apply(choice)
		st.Reward, st.Done = o.reward, o.done
		st.Info = env.Info{Valid: true, Action: choice, Reason: o.note, Truncated: o.truncated}
		e.g.draw(e.frame)
	} else {
		st.Reward = e.penalty
		st.Info.Reason = e.invalidReason(reply, legal)
	}
	e.ret += st.Reward
	if !st.Done && e.steps >= e.maxSteps {
		st.Done, st.Info.Truncated = true, true
		if st.Info.Reason == "" {
			st.Info.Reason = "step limit reached"
		}
	}
	if st.Done {
		e.done = true
		st.Info.Success = e.ret > 0
	}
	st.Obs = e.observe()
	return st, nil
}

func (e *Env) invalidReason(reply string, legal []string) string {
	c, ok := e.syntax.Extract(reply)
	if !ok {
		return fmt.Sprintf("no choice after %q", e.syntax.Marker)
	}
	if len(c) > 40 {
		c = c[:40] + "..."
	}
	return fmt.Sprintf("%q is not a legal choice (legal: %s)", c, strings.Join(legal, " "))
}

func (e *Env) observe() env.Observation {
	o := env.Observation{Text: e.g.text()}
	if e.out != nil {
		copy(e.out.Pix, e.frame.Pix) // the caller may have drawn on out
		o.Image = e.out
	} else {
		o.Image = render.Clone(e.frame)
	}
	if !e.done {
		o.Legal = append([]string(nil), e.g.legal()...)
	}
	return o
}
