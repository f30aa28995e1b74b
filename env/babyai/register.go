package babyai

import (
	"fmt"
	"slices"
	"strings"

	"vlmq/env"
)

// prefix starts the name of every BabyAI env: "babyai/" plus the level.
const prefix = "babyai/"

func init() {
	env.Register(env.Family{
		Name:   "babyai",
		Prefix: prefix,
		Title:  "BabyAI levels",
		Names: func() []string {
			out := make([]string, len(Levels))
			for i, l := range Levels {
				out[i] = prefix + l
			}
			return out
		},
		New: func(name string, o env.Options) (env.Env, error) {
			e, err := New(strings.TrimPrefix(name, prefix), Options{
				Syntax: o.Syntax, SyntaxPenalty: o.SyntaxPenalty, ZeroSyntaxPenalty: o.ZeroPenalty, MaxSteps: o.MaxSteps, Text: o.ObsText})
			if err != nil {
				return nil, err // not a nil *Env in a non-nil env.Env
			}
			return e, nil
		},
		NewExpert: func(e env.Env) (env.Expert, bool) {
			b, ok := e.(*Env)
			if !ok {
				return nil, false
			}
			return NewBot(b), true
		},
		Options: []env.Option{{
			Flag:    "--obs-text",
			Value:   func(o env.Options) string { return o.ObsText },
			Neutral: TextDefault,
			Check: func(v string) error {
				if !slices.Contains(TextModes, v) {
					return fmt.Errorf("envs: --obs-text %q, want one of %s", v, strings.Join(TextModes, ", "))
				}
				return nil
			},
		}},
	})
}
