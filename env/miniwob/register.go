package miniwob

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"vlmq/env"
)

// prefix starts the name of every MiniWoB env: "miniwob/" plus the task.
const prefix = "miniwob/"

// The MiniWoB family: its envs share one Chromium (browsers), and besides
// Tasks it knows the old names of our pages (Aliases) and, with
// --miniwob-dir, the tasks of a MiniWoB++ checkout.
func init() {
	env.Register(env.Family{
		Name:   "miniwob",
		Prefix: prefix,
		Title:  "MiniWoB tasks",
		Names: func() []string {
			out := make([]string, len(Tasks))
			for i, t := range Tasks {
				out[i] = prefix + t
			}
			return out
		},
		Known:     known,
		New:       newShared,
		NewExpert: expertOf,
		Options: []env.Option{
			{Flag: "--reward", Value: func(o env.Options) string { return o.Reward }, Check: func(v string) error {
				// New refuses it too, but only once a browser runs.
				if v != RewardRaw && v != RewardDecayed {
					return fmt.Errorf("envs: --reward %q, want %s or %s", v, RewardRaw, RewardDecayed)
				}
				return nil
			}},
			{Flag: "--data-mode", Value: func(o env.Options) string { return o.Data }, Check: func(v string) error {
				if v != DataTrain && v != DataTest {
					return fmt.Errorf("envs: --data-mode %q, want %s or %s", v, DataTrain, DataTest)
				}
				return nil
			}},
		},
	})
}

// known reports whether name is one of our tasks or their old names, or
// with o.MiniWoBDir set, a task of that checkout (which then replaces the
// project's own pages).
func known(name string, o env.Options) bool {
	task := strings.TrimPrefix(name, prefix)
	if o.MiniWoBDir == "" {
		_, alias := Aliases[task]
		return alias || slices.Contains(Tasks, task)
	}
	tasks, err := ExternalTasks(o.MiniWoBDir)
	return err == nil && slices.Contains(tasks, task)
}

// newShared opens the named task in a tab of the shared browser.
func newShared(name string, o env.Options) (env.Env, error) {
	b, err := browsers.acquire()
	if err != nil {
		return nil, err
	}
	e, err := New(strings.TrimPrefix(name, prefix), Options{
		Syntax: o.Syntax, SyntaxPenalty: o.SyntaxPenalty, ZeroSyntaxPenalty: o.ZeroPenalty, MaxSteps: o.MaxSteps,
		ExternalDir: o.MiniWoBDir, Reward: o.Reward, DataMode: o.Data, Browser: b})
	if err != nil {
		browsers.release()
		return nil, err
	}
	return &sharedWeb{Env: e}, nil
}

func expertOf(e env.Env) (env.Expert, bool) {
	switch x := e.(type) {
	case *Env:
		return NewExpert(x), true
	case *sharedWeb:
		return NewExpert(x.Env), true
	}
	return nil, false
}

// browsers is one Chromium shared by every MiniWoB env the registry opens
// (each env gets its own tab), started on first use and closed with the
// last env.
var browsers browserPool

type browserPool struct {
	mu   sync.Mutex
	b    *Browser
	refs int
}

func (p *browserPool) acquire() (*Browser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.b == nil {
		b, err := NewBrowser("")
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
	*Env
	once sync.Once
}

func (s *sharedWeb) Close() error {
	err := s.Env.Close()
	s.once.Do(browsers.release)
	return err
}
