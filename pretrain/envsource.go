package pretrain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"vlmq/env"
	"vlmq/vlm"
)

// Walks weighs the policies that walk an EnvSource's episodes to the view
// it asks about: uniformly random valid actions, the env's expert, or the
// noisy expert (the expert's action, replaced with probability NoisyRandom
// by a random valid one). Random walks rarely reach the views an expert
// meets (an object in front, a door being opened, a half-written formula);
// the noisy expert reaches them and the states around them.
type Walks struct {
	Random float64 `json:"random"`
	Expert float64 `json:"expert"`
	Noisy  float64 `json:"noisy_expert"`
}

// DefaultWalks gives the three policies equal shares.
func DefaultWalks() Walks { return Walks{Random: 1, Expert: 1, Noisy: 1} }

// NoisyRandom is the probability that a noisy-expert step takes a random
// valid action instead of the expert's.
const NoisyRandom = 0.3

// Walk policies.
const (
	walkRandom = "random"
	walkExpert = "expert"
	walkNoisy  = "noisy-expert"
)

// Check refuses negative, infinite or NaN weights and a mix weighing no
// policy.
func (w Walks) Check() error {
	for _, x := range []float64{w.Random, w.Expert, w.Noisy} {
		if !(x >= 0) || math.IsInf(x, 0) {
			return fmt.Errorf("pretrain: walk weight %v, want a finite number >= 0", x)
		}
	}
	if w.Random+w.Expert+w.Noisy <= 0 {
		return fmt.Errorf("pretrain: walk weights %+v weigh no policy", w)
	}
	return nil
}

// pick draws a policy by weight.
func (w Walks) pick(rng *rand.Rand) string {
	x := rng.Float64() * (w.Random + w.Expert + w.Noisy)
	switch {
	case x < w.Random:
		return walkRandom
	case x < w.Random+w.Expert:
		return walkExpert
	}
	return walkNoisy
}

// EnvSourceOptions configures an EnvSource.
type EnvSourceOptions struct {
	// MaxSteps bounds a walk: it takes a number of steps drawn uniformly
	// from 0 to MaxSteps, or ends at the last view before the episode did.
	MaxSteps int
	// ImageSize (> 0) is the model's; views are stored at it.
	ImageSize int
	// Experts, when set, holds one expert per env (in the envs' order), or
	// nil for an env without one, whose expert and noisy walks are random.
	// Each expert acts on its env, and Draw resets it with every episode.
	Experts []env.Expert
	// Walks weighs the walk policies; the zero value is DefaultWalks with
	// experts and random walks alone without.
	Walks Walks
	// HeldOut draws episodes from the odd reset seeds instead of the even
	// ones, so held-out views never come from a training episode.
	HeldOut bool
	// Keep, when set, keeps only the facts it accepts (an older facts
	// version's questions, to rebuild a run made with them).
	Keep func(env.QA) bool
}

// EnvSource draws a fresh env view per sequence: it resets an env with a
// seed drawn from the stream's rng, walks a random number of steps with a
// policy drawn by weight (random, expert or noisy expert), and asks the
// view's facts, after the env's prompt or from the image alone (a coin
// flip; facts the image does not show only after the prompt). Views do not
// repeat and nothing is stored, so memory stays bounded however long the
// run. Its draws are a function of the rng alone as long as each env's
// episode is a function of its reset seed and the actions taken, and each
// expert's choices a function of its episode since its Reset (the
// contracts Collect and the dataset generators rely on too). It steps its
// envs, so one EnvSource must not draw concurrently.
type EnvSource struct {
	envs    []env.Env
	descs   []env.Describer
	experts []env.Expert
	opts    EnvSourceOptions
}

// NewEnvSource checks that every env describes its views and the options.
func NewEnvSource(envs []env.Env, o EnvSourceOptions) (*EnvSource, error) {
	if len(envs) == 0 {
		return nil, fmt.Errorf("pretrain: env source has no envs")
	}
	if o.MaxSteps < 0 || o.ImageSize < 1 {
		return nil, fmt.Errorf("pretrain: env source walk of %d steps, image size %d", o.MaxSteps, o.ImageSize)
	}
	if o.Experts != nil && len(o.Experts) != len(envs) {
		return nil, fmt.Errorf("pretrain: env source has %d experts for %d envs", len(o.Experts), len(envs))
	}
	if o.Walks == (Walks{}) {
		o.Walks = Walks{Random: 1}
		if o.Experts != nil {
			o.Walks = DefaultWalks()
		}
	}
	if err := o.Walks.Check(); err != nil {
		return nil, err
	}
	s := &EnvSource{envs: envs, opts: o, experts: o.Experts}
	if s.experts == nil {
		s.experts = make([]env.Expert, len(envs))
	}
	for _, e := range envs {
		d, ok := e.(env.Describer)
		if !ok {
			return nil, fmt.Errorf("pretrain: env %s does not describe its views (no Facts)", e.Name())
		}
		s.descs = append(s.descs, d)
	}
	return s, nil
}

// Name implements Source.
func (s *EnvSource) Name() string { return "envs" }

// Envs is the number of envs, the range of DrawEnv's index.
func (s *EnvSource) Envs() int { return len(s.envs) }

// Draw implements Source: a view of an env drawn uniformly.
func (s *EnvSource) Draw(rng *rand.Rand) (Sequence, error) {
	return s.DrawEnv(rng, rng.IntN(len(s.envs)))
}

// DrawEnv draws a view of env i. The view is the one after the walk's
// steps, or the last before the episode ended; a view without an image or
// a usable fact is replaced by a new episode's.
func (s *EnvSource) DrawEnv(rng *rand.Rand, i int) (Sequence, error) {
	if i < 0 || i >= len(s.envs) {
		return Sequence{}, fmt.Errorf("pretrain: env %d of %d", i, len(s.envs))
	}
	e, x := s.envs[i], s.experts[i]
	for range maxRedraws {
		// Even seeds train, odd ones are held out.
		seed := rng.Int64() &^ 1
		if s.opts.HeldOut {
			seed |= 1
		}
		policy := s.opts.Walks.pick(rng)
		withPrompt := rng.IntN(2) == 0
		steps := rng.IntN(s.opts.MaxSteps + 1)
		if x == nil {
			policy = walkRandom
		}
		obs, err := e.Reset(seed)
		if err != nil {
			return Sequence{}, fmt.Errorf("pretrain: %s reset: %w", e.Name(), err)
		}
		if policy != walkRandom {
			x.Reset()
		}
		syn := e.Syntax()
		// The facts and task of the view kept, read before the next step:
		// a step that ends the episode changes the state (a blackjack
		// hand settled, an object picked up) but not the view kept.
		facts, task := KeepFacts(s.descs[i].Facts(), s.opts.Keep), e.Task()
		for range steps {
			st, err := e.Step(syn.Format(choose(rng, e, x, policy)))
			if err != nil {
				return Sequence{}, fmt.Errorf("pretrain: %s step: %w", e.Name(), err)
			}
			if st.Done {
				break // short episodes would otherwise be drawn less
			}
			obs, facts, task = st.Obs, KeepFacts(s.descs[i].Facts(), s.opts.Keep), e.Task()
		}
		seq, ok, err := s.view(i, obs, facts, task, syn, withPrompt)
		if err != nil {
			return Sequence{}, err
		}
		if ok {
			// A random order: the stream keeps the leading pairs that
			// fit, and every fact should get its turn.
			rng.Shuffle(len(seq.QA), func(a, b int) { seq.QA[a], seq.QA[b] = seq.QA[b], seq.QA[a] })
			return seq, nil
		}
	}
	return Sequence{}, fmt.Errorf("pretrain: no %s view with facts in %d episodes", e.Name(), maxRedraws)
}

// choose is the walk's next choice. The expert acts at every step of an
// expert or noisy walk, also where the noise overrides it, so an expert
// that remembers what it saw sees every view. Where it has no move (noise
// left a state it cannot mend, such as a MiniWoB field holding a random
// word, or an official MiniWoB++ task without a solver), the step is
// random: its errors are a function of the episode, as its moves are.
func choose(rng *rand.Rand, e env.Env, x env.Expert, policy string) string {
	if policy == walkRandom {
		return e.RandomValid(rng)
	}
	c, err := x.Act()
	noise := policy == walkNoisy && rng.Float64() < NoisyRandom
	if err != nil || noise {
		c = e.RandomValid(rng)
	}
	return c
}

// view is the sequence of a view with its facts and task (ok false if it
// has none).
func (s *EnvSource) view(i int, obs env.Observation, facts []env.QA, task env.Task, syn env.Syntax, withPrompt bool) (Sequence, bool, error) {
	if obs.Image == nil {
		return Sequence{}, false, nil
	}
	marker := strings.ToLower(syn.Marker)
	var qa []Pair
	for _, f := range facts {
		q, a := strings.TrimSpace(f.Question), strings.TrimSpace(f.Answer)
		if q == "" || a == "" || (marker != "" && strings.Contains(strings.ToLower(a), marker)) || (f.TextOnly && !withPrompt) {
			continue
		}
		qa = append(qa, Pair{q, a})
	}
	if len(qa) == 0 {
		return Sequence{}, false, nil
	}
	img, err := vlm.Downscale(obs.Image, s.opts.ImageSize)
	if err != nil {
		return Sequence{}, false, fmt.Errorf("pretrain: %s: %w", s.envs[i].Name(), err)
	}
	seq := Sequence{Image: img, Source: s.envs[i].Name(), QA: qa}
	if withPrompt {
		seq.Context = env.Prompt(task, obs, syn)
	}
	return seq, true, nil
}

// KeepFacts returns the facts keep accepts, in order (all with a nil keep).
func KeepFacts(facts []env.QA, keep func(env.QA) bool) []env.QA {
	if keep == nil {
		return facts
	}
	out := facts[:0:0]
	for _, f := range facts {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}
