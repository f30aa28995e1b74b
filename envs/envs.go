// Package envs maps environment names to constructors so commands and
// configs can name any domain: "numberline", "babyai/GoToObj",
// "miniwob/click-button".
package envs

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"vlmq/env"
	"vlmq/env/babyai"
	"vlmq/env/cards"
	"vlmq/env/miniwob"
)

// Options are the settings shared by all domains.
type Options struct {
	Syntax        env.Syntax
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

// Check refuses options that do not fit the named env, before any work.
// Unknown names are New's to report.
func (o Options) Check(name string) error {
	web := strings.HasPrefix(name, "miniwob/")
	baby := strings.HasPrefix(name, "babyai/")
	switch {
	// Only Gym Cards have observation modes; the other domains refuse one
	// rather than ignore it.
	case o.Obs != "" && o.Obs != cards.ObsBoth && (baby || web):
		return fmt.Errorf("envs: --obs applies to Gym Cards games only (got %q for %s)", o.Obs, name)
	case o.ObsText != "" && !slices.Contains(babyai.TextModes, o.ObsText):
		return fmt.Errorf("envs: --obs-text %q, want one of %s", o.ObsText, strings.Join(babyai.TextModes, ", "))
	case o.ObsText != "" && o.ObsText != babyai.TextDefault && !baby:
		return fmt.Errorf("envs: --obs-text applies to BabyAI levels only (got %q for %s)", o.ObsText, name)
	case o.History < 0 || o.History > MaxHistory:
		return fmt.Errorf("envs: --history %d, want 0..%d turns", o.History, MaxHistory)
	case (o.Reward != "" || o.Data != "") && !web:
		return fmt.Errorf("envs: --reward and --data-mode apply to MiniWoB tasks only (got %s)", name)
	// miniwob.New refuses these too, but only once a browser runs.
	case o.Reward != "" && o.Reward != miniwob.RewardRaw && o.Reward != miniwob.RewardDecayed:
		return fmt.Errorf("envs: --reward %q, want %s or %s", o.Reward, miniwob.RewardRaw, miniwob.RewardDecayed)
	case o.Data != "" && o.Data != miniwob.DataTrain && o.Data != miniwob.DataTest:
		return fmt.Errorf("envs: --data-mode %q, want %s or %s", o.Data, miniwob.DataTrain, miniwob.DataTest)
	}
	return nil
}

// IsCards reports whether name is a Gym Cards game.
func IsCards(name string) bool {
	for _, g := range cards.Games {
		if name == g {
			return true
		}
	}
	return false
}

// Family is the domain an env name belongs to: "cards" for the Gym Cards
// games, else the name's prefix ("babyai", "miniwob").
func Family(name string) string {
	if IsCards(name) {
		return "cards"
	}
	if f, _, ok := strings.Cut(name, "/"); ok {
		return f
	}
	return name
}

// New builds the named environment.
func New(name string, o Options) (env.Env, error) {
	if err := o.Check(name); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(name, "babyai/"):
		return babyai.New(strings.TrimPrefix(name, "babyai/"), babyai.Options{
			Syntax: o.Syntax, SyntaxPenalty: o.SyntaxPenalty, ZeroSyntaxPenalty: o.ZeroPenalty, MaxSteps: o.MaxSteps, Text: o.ObsText})
	case strings.HasPrefix(name, "miniwob/"):
		b, err := browsers.acquire()
		if err != nil {
			return nil, err
		}
		e, err := miniwob.New(strings.TrimPrefix(name, "miniwob/"), miniwob.Options{
			Syntax: o.Syntax, SyntaxPenalty: o.SyntaxPenalty, ZeroSyntaxPenalty: o.ZeroPenalty, MaxSteps: o.MaxSteps,
			ExternalDir: o.MiniWoBDir, Reward: o.Reward, DataMode: o.Data, Browser: b})
		if err != nil {
			browsers.release()
			return nil, err
		}
		return &sharedWeb{Env: e}, nil
	}
	for _, g := range cards.Games {
		if name == g {
			return cards.New(name, cards.Options{Syntax: o.Syntax, SyntaxPenalty: o.SyntaxPenalty, NoPenalty: o.ZeroPenalty, MaxSteps: o.MaxSteps, Obs: o.Obs})
		}
	}
	return nil, fmt.Errorf("envs: unknown environment %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists every known environment name.
func Names() []string {
	var out []string
	out = append(out, cards.Games...)
	for _, l := range babyai.Levels {
		out = append(out, "babyai/"+l)
	}
	for _, t := range miniwob.Tasks {
		out = append(out, "miniwob/"+t)
	}
	sort.Strings(out)
	return out
}

// Known reports whether name is an environment New can build with o:
// one of Names(), an old name of one of our MiniWoB pages
// (miniwob.Aliases), or with o.MiniWoBDir set, miniwob/<task> for a task
// of that checkout (which then replaces the project's own pages).
func Known(name string, o Options) bool {
	task, web := strings.CutPrefix(name, "miniwob/")
	if web && o.MiniWoBDir == "" {
		_, alias := miniwob.Aliases[task]
		return alias || slices.Contains(miniwob.Tasks, task)
	}
	if !web {
		return slices.Contains(Names(), name)
	}
	tasks, err := miniwob.ExternalTasks(o.MiniWoBDir)
	return err == nil && slices.Contains(tasks, task)
}

// NewExpert returns the domain's expert for an env built by New.
func NewExpert(e env.Env) (env.Expert, error) {
	switch x := e.(type) {
	case *cards.Env:
		return cards.NewExpert(x), nil
	case *babyai.Env:
		return babyai.NewBot(x), nil
	case *miniwob.Env:
		return miniwob.NewExpert(x), nil
	case *sharedWeb:
		return miniwob.NewExpert(x.Env), nil
	}
	return nil, fmt.Errorf("envs: no expert for %T", e)
}

// browsers is one Chromium shared by every MiniWoB env opened here (each
// env gets its own tab), started on first use and closed with the last env.
var browsers browserPool

type browserPool struct {
	mu   sync.Mutex
	b    *miniwob.Browser
	refs int
}

func (p *browserPool) acquire() (*miniwob.Browser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.b == nil {
		b, err := miniwob.NewBrowser("")
		if err != nil {
			return nil, err
		}
		p.b = b
	}
	p.refs++
	return p.b, nil
}

func (p *browserPool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refs--; p.refs == 0 {
		p.b.Close()
		p.b = nil
	}
}

// sharedWeb is a MiniWoB env on the shared browser.
type sharedWeb struct {
	*miniwob.Env
	once sync.Once
}

func (s *sharedWeb) Close() error {
	err := s.Env.Close()
	s.once.Do(browsers.release)
	return err
}
