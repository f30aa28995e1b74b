package env

import "fmt"

// Options are the env settings commands take, shared by all families (each
// family reads the fields it has and refuses those of other families, see
// Family.Options). Run specs and dataset markers store them as JSON.
type Options struct {
	Syntax        Syntax
	SyntaxPenalty float64 // 0 means the default (-1)
	ZeroPenalty   bool    // use a syntax penalty of exactly 0
	MaxSteps      int     // 0 means the env's own limit
	MiniWoBDir    string  // external MiniWoB++ checkout (optional)
	// Reward is the MiniWoB reward mode, raw (default) or decayed; Data is
	// MiniWoB++'s data mode, train (default) or test. Both are left out of
	// stored settings when unset, so older specs read back the same.
	Reward string `json:",omitempty"`
	Data   string `json:",omitempty"`
	// Obs is the Gym Cards observation mode (cards.ObsModes; "" = both).
	Obs string
	// ObsText is the BabyAI observation text and action vocabulary
	// (babyai.TextModes; "" = default). The tags keep the JSON of specs
	// stored before it existed unchanged.
	ObsText string `json:",omitempty"`
	// History is how many earlier turns (observation text and action)
	// prompts show, for every domain; 0 = none. The env ignores it: the
	// prompt builders (dataset.Collect, agent.Agent) apply it.
	History int `json:",omitempty"`
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
