// Package env defines the agent-facing interface every domain implements:
// text + image observations in, free-form model replies out. Replies are
// parsed into actions with a configurable Syntax; a reply that does not parse
// earns the syntax penalty and leaves the world unchanged.
package env

import (
	"errors"
	"image"
	"math/rand/v2"
)

// Observation is what the agent sees at one turn.
type Observation struct {
	// Text is the current observation in words (e.g. "Current: 3"). The
	// static task description lives in Task.
	Text string
	// Image is the rendered view; its size is the env's native size.
	Image *image.RGBA
	// Legal lists the currently legal action choices for enumerable action
	// spaces (cards, BabyAI). Nil for parametric spaces such as MiniWoB.
	Legal []string
}

// Task is the per-episode description placed in the prompt.
type Task struct {
	Goal    string // what to achieve, e.g. "move the current number to the target"
	Actions string // documentation of the action choices
	Example string // one example choice, rendered with the syntax in prompts
}

// Info reports what happened in a step beyond the reward.
type Info struct {
	Valid     bool   // the reply parsed into a legal action
	Action    string // the parsed choice ("" when invalid)
	Success   bool   // the episode has been solved (set on the final step)
	Truncated bool   // the episode ended by the step limit
	Reason    string // short human-readable note (e.g. why a reply was invalid)
}

// Step is the outcome of one agent turn.
type Step struct {
	Obs    Observation
	Reward float64
	Done   bool
	Info   Info
}

// Env is one episode-at-a-time environment. Implementations are not safe
// for concurrent use; run one Env per goroutine.
type Env interface {
	Name() string
	// Reset starts a new episode; the same seed gives the same episode.
	Reset(seed int64) (Observation, error)
	// Task describes the current episode (valid after Reset).
	Task() Task
	// Step applies the agent's raw reply text.
	Step(reply string) (Step, error)
	// RandomValid returns a uniformly random legal choice (not a reply) for
	// the current state, used to build random-action datasets.
	RandomValid(rng *rand.Rand) string
	// Syntax is the reply syntax this env parses.
	Syntax() Syntax
	Close() error
}

// Expert proposes the choice (not the full reply) an expert would take in
// the env's current state. Experts may keep per-episode memory; Reset is
// called after each env Reset.
type Expert interface {
	Reset()
	Act() (choice string, err error)
}

// ErrNotStarted is returned by Step before the first Reset.
var ErrNotStarted = errors.New("env: Step called before Reset")

// ErrEpisodeDone is returned by Step after the episode has ended.
var ErrEpisodeDone = errors.New("env: Step called after episode end")

// QA is one question about the current view with its true answer.
type QA struct {
	Question, Answer string
	// TextOnly marks a fact the image does not show (a BabyAI mission is
	// only in the prompt's goal): it is asked only after the prompt.
	TextOnly bool
}

// Describer is implemented by envs that can state facts about their current
// view. The base VLM is pretrained on these (seeing without acting), never
// on action replies.
type Describer interface {
	Facts() []QA
}
