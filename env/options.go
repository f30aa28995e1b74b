package env

import "fmt"

// Options are the env settings commands take, shared by all families (each
// family reads the fields it has and refuses those of other families, see
// Family.Options). Run specs and dataset markers store them as JSON; the
// flag and help tags are their command-line flags (package cli/flagspec).
type Options struct {
	Syntax        Syntax  `flag:"-"` // set by code: no command chooses it
	SyntaxPenalty float64 `flag:"syntax-penalty" help:"reward for a reply that does not parse (0 = the env default, -1)"`
	ZeroPenalty   bool    `flag:"zero-syntax-penalty" help:"give invalid replies a reward of exactly 0"`
	MaxSteps      int     `flag:"max-steps" help:"episode step limit (0 = the env's own)"`
	MiniWoBDir    string  `flag:"miniwob-dir" help:"MiniWoB++ checkout whose tasks miniwob/<task> names (default: the project's own pages)"`
	// Reward is the MiniWoB reward mode, raw (default) or decayed; Data is
	// MiniWoB++'s data mode, train (default) or test. Both are left out of
	// stored settings when unset, so older specs read back the same.
	Reward string `json:",omitempty" flag:"reward" help:"MiniWoB reward: raw (default) or decayed (MiniWoB++'s time decay); success is a raw reward of 1 either way"`
	Data   string `json:",omitempty" flag:"data-mode" help:"MiniWoB++ data mode: train (default) or test"`
	// Obs is the Gym Cards observation mode (cards.ObsModes; "" = both).
	Obs string `flag:"obs" help:"Gym Cards observation: both (default), image (state only in the image, RL4VLM's protocol) or text"`
	// ObsText is the BabyAI observation text and action vocabulary
	// (babyai.TextModes; "" = default). The tags keep the JSON of specs
	// stored before it existed unchanged.
	ObsText string `json:",omitempty" flag:"obs-text" help:"BabyAI observation text and action names: default, or balrog (BALROG's one fact per line and turn left/go forward/...)"`
	// History is how many earlier turns (observation text and action)
	// prompts show, for every domain; 0 = none. The env ignores it: the
	// prompt builders (dataset.Collect, agent.Agent) apply it.
	History int `json:",omitempty" flag:"history" help:"show the last K turns' observation text and action in every prompt (BALROG uses 16; the oldest are cut first when a prompt is too long)"`
}

// MaxHistory bounds Options.History: prompts this long leave the models
// here no room anyway, and the bound keeps a typo from building huge ones.
const MaxHistory = 64

// Check refuses options that do not fit the named env, before any work:
// a history out of range, another family's option, or a value the env's
// family does not take. Unknown names are New's to report.
func (o Options) Check(name string) error {
	if err := checkHistory(o); err != nil {
		return err
	}
	return families.Check(name, o)
}

// checkHistory refuses a history no prompt should have, for every family.
func checkHistory(o Options) error {
	if o.History < 0 || o.History > MaxHistory {
		return fmt.Errorf("envs: --history %d, want 0..%d turns", o.History, MaxHistory)
	}
	return nil
}
