// Package envs maps environment names to constructors so commands and
// configs can name any domain: "numberline", "babyai/GoToObj",
// "miniwob/click-button". The families register themselves with package
// env (env.Register, in their init); all.go imports them, and the
// functions here ask that registry.
package envs

import (
	"strings"

	"vlmq/env"
)

// Options are the settings shared by all domains (env.Options).
type Options = env.Options

// MaxHistory bounds Options.History.
const MaxHistory = env.MaxHistory

// IsCards reports whether name is a Gym Cards game.
func IsCards(name string) bool { return Family(name) == "cards" }

// Family is the family an env name belongs to: its registered name
// ("cards", "babyai", "miniwob"), else the name's prefix, else the name.
func Family(name string) string {
	if f, ok := env.Lookup(name); ok {
		return f.Name
	}
	if f, _, ok := strings.Cut(name, "/"); ok {
		return f
	}
	return name
}

// New builds the named environment.
func New(name string, o Options) (env.Env, error) { return env.New(name, o) }

// Names lists every known environment name, sorted.
func Names() []string { return env.Names() }

// Known reports whether name is an environment New can build with o:
// one of Names(), or a name its family knows beyond them (MiniWoB's old
// page names, and with o.MiniWoBDir the tasks of that checkout).
func Known(name string, o Options) bool { return env.Known(name, o) }

// NewExpert returns the domain's expert for an env built by New.
func NewExpert(e env.Env) (env.Expert, error) { return env.NewExpert(e) }
