// Package cards implements the four Gym Cards games of RL4VLM in our own
// code: NumberLine, EZPoints, Points24 and Blackjack. Each renders a 300×300
// RGB image, takes free-form replies parsed with an env.Syntax, and has an
// expert (see NewExpert).
package cards

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
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

// Observation modes (Options.Obs): where the game state is shown.
const (
	// ObsBoth shows the state in the observation text and in the image.
	ObsBoth = "both"
	// ObsImage is RL4VLM's protocol: the state is only in the image, so the
	// agent must read it; the text holds at most the formula being built.
	ObsImage = "image"
	// ObsText shows the state only in the text; the image is a blank
	// background of the game's colour, to measure what vision adds.
	ObsText = "text"
)

// ObsModes lists the values Options.Obs accepts ("" means ObsBoth).
var ObsModes = []string{ObsBoth, ObsImage, ObsText}

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
	// Obs is the observation mode, one of ObsModes; "" means ObsBoth.
	Obs string
}

// game is one card game's rules and drawing. Methods are only called with
// an episode in progress; apply only receives choices from legal().
// In ObsImage mode text, task and draw must not reveal the state beyond
// what RL4VLM shows (see each game); facts always describe the full state,
// which the image shows in every mode but ObsText.
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
	// background is the colour the game paints its table with.
	background() color.RGBA
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
	obs      string // observation mode, one of ObsModes
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
	e := &Env{name: game, obs: opts.Obs, syntax: opts.Syntax, maxSteps: opts.MaxSteps}
	if e.obs == "" {
		e.obs = ObsBoth
	}
	if !slices.Contains(ObsModes, e.obs) {
		return nil, fmt.Errorf("cards: unknown observation mode %q (known: %s)", opts.Obs, strings.Join(ObsModes, ", "))
	}
	imageOnly := e.obs == ObsImage
	switch game {
	case NumberLine:
		e.g = &numberLine{imageOnly: imageOnly}
		if e.maxSteps == 0 {
			e.maxSteps = NumberLineMaxSteps
		}
	case EZPoints:
		e.g = newFormulaGame(ezPointsRules, imageOnly)
	case Points24:
		e.g = newFormulaGame(points24Rules, imageOnly)
	case Blackjack:
		e.g = &blackjack{imageOnly: imageOnly}
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
	e.penalty = env.Penalty(opts.SyntaxPenalty, opts.NoPenalty)
	e.frame = image.NewRGBA(image.Rect(0, 0, Size, Size))
	if e.obs == ObsText {
		// The blank frame is painted once; draw is never called.
		render.FillRect(e.frame, e.frame.Rect, e.g.background())
	}
	if opts.ReuseImage {
		e.out = image.NewRGBA(image.Rect(0, 0, Size, Size))
	}
	return e, nil
}

// Name returns the game name.
func (e *Env) Name() string { return e.name }

// Obs returns the observation mode (one of ObsModes).
func (e *Env) Obs() string { return e.obs }

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
	e.draw()
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
	if err := env.StepGuard(e.started, e.done); err != nil {
		return env.Step{}, err
	}
	e.steps++
	var st env.Step
	legal := e.g.legal()
	choice, ok := e.syntax.Choose(reply, legal)
	if ok {
		o := e.g.apply(choice)
		st.Reward, st.Done = o.reward, o.done
		st.Info = env.Info{Valid: true, Action: choice, Reason: o.note, Truncated: o.truncated}
		e.draw()
	} else {
		st.Reward = e.penalty
		st.Info.Reason = e.invalidReason(reply, legal)
	}
	e.ret += st.Reward
	env.CutOff(&st, e.steps, e.maxSteps)
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

// draw renders the state into the frame, except in ObsText mode where the
// frame stays blank.
func (e *Env) draw() {
	if e.obs != ObsText {
		e.g.draw(e.frame)
	}
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
