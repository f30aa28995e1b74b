package cards

import (
	"fmt"
	"slices"
	"strings"

	"vlmq/env"
)

// The Gym Cards games register as the family "cards"; their names have no
// prefix, so the family owns exactly Games.
func init() {
	env.Register(env.Family{
		Name:  "cards",
		Title: "Gym Cards games",
		Names: func() []string { return slices.Clone(Games) },
		New: func(name string, o env.Options) (env.Env, error) {
			e, err := New(name, Options{Syntax: o.Syntax, SyntaxPenalty: o.SyntaxPenalty, NoPenalty: o.ZeroPenalty, MaxSteps: o.MaxSteps, Obs: o.Obs})
			if err != nil {
				return nil, err // not a nil *Env in a non-nil env.Env
			}
			return e, nil
		},
		NewExpert: func(e env.Env) (env.Expert, bool) {
			c, ok := e.(*Env)
			if !ok {
				return nil, false
			}
			return NewExpert(c), true
		},
		Options: []env.Option{{
			Flag:    "--obs",
			Value:   func(o env.Options) string { return o.Obs },
			Neutral: ObsBoth,
			Check:   checkObs,
		}},
	})
}

// checkObs is the one check of --obs; New repeats it only for callers that
// build a game directly.
func checkObs(v string) error {
	if !slices.Contains(ObsModes, v) {
		return fmt.Errorf("envs: observation mode %q, want one of %s", v, strings.Join(ObsModes, ", "))
	}
	return nil
}
