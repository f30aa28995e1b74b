package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"vlmq/env"
)

// Policy writes a reply for an observation.
type Policy interface {
	Reply(obs env.Observation, task env.Task) (string, error)
}

// Resetter is implemented by policies with per-episode state; Collect
// calls Reset right after each env Reset.
type Resetter interface {
	Reset()
}

// CollectOptions tunes Collect.
type CollectOptions struct {
	// FirstID is the ID of the first episode; the rest count up from it.
	FirstID int64
	// Source labels every turn (e.g. "expert").
	Source string
	// MaxTurns cuts an episode off (Done stays false on its last turn) if
	// the env has not ended it; 0 means 1000. Envs have their own limits;
	// this only guards against an env that never ends.
	MaxTurns int
	// History is how many earlier turns each prompt shows
	// (env.PromptWithHistory); 0 = none. Prompts keep every such turn: the
	// model that will read them is not known here, so the trainer cuts
	// them to its length (env.FitPrompt).
	History int
}

// Collect runs one episode per seed with pol and records every turn.
func Collect(e env.Env, pol Policy, seeds []int64, opts CollectOptions) ([]Episode, error) {
	if e == nil || pol == nil {
		return nil, errors.New("dataset: Collect: nil env or policy")
	}
	maxTurns := opts.MaxTurns
	if maxTurns == 0 {
		maxTurns = 1000
	}
	if maxTurns < 0 {
		return nil, fmt.Errorf("dataset: Collect: MaxTurns %d < 0", maxTurns)
	}
	if opts.History < 0 {
		return nil, fmt.Errorf("dataset: Collect: History %d < 0", opts.History)
	}
	hist := env.History{K: opts.History}
	syn := e.Syntax()
	eps := make([]Episode, 0, len(seeds))
	for i, seed := range seeds {
		id := opts.FirstID + int64(i)
		obs, err := e.Reset(seed)
		if err != nil {
			return eps, fmt.Errorf("dataset: Collect: %s reset seed %d: %w", e.Name(), seed, err)
		}
		if r, ok := pol.(Resetter); ok {
			r.Reset()
		}
		ep := Episode{ID: id, Env: e.Name(), Seed: seed}
		hist.Reset()
		for t := 0; t < maxTurns; t++ {
			task := e.Task()
			var img []byte
			if obs.Image != nil {
				if img, err = EncodeImage(obs.Image); err != nil {
					return eps, err
				}
			}
			reply, err := pol.Reply(obs, task)
			if err != nil {
				return eps, fmt.Errorf("dataset: Collect: %s seed %d turn %d: policy: %w", e.Name(), seed, t, err)
			}
			st, err := e.Step(reply)
			if err != nil {
				return eps, fmt.Errorf("dataset: Collect: %s seed %d turn %d: step: %w", e.Name(), seed, t, err)
			}
			ep.Turns = append(ep.Turns, Turn{
				Episode: id, Turn: t, Env: ep.Env, Seed: seed,
				Image: img, Prompt: hist.Prompt(task, obs, syn), Reply: reply,
				Reward: st.Reward, Valid: st.Info.Valid, Done: st.Done, Success: st.Info.Success,
				Source: opts.Source,
			})
			ep.Return += st.Reward
			ep.Success = ep.Success || st.Info.Success
			if st.Done {
				break
			}
			hist.Add(obs, st.Info)
			obs = st.Obs
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(obs env.Observation, task env.Task) (string, error)

// Reply calls f.
func (f PolicyFunc) Reply(obs env.Observation, task env.Task) (string, error) { return f(obs, task) }

// RandomValid replies with a uniformly random legal choice of e.
func RandomValid(e env.Env, rng *rand.Rand) Policy {
	return PolicyFunc(func(env.Observation, env.Task) (string, error) {
		if rng == nil {
			return "", errors.New("dataset: RandomValid: nil rng")
		}
		return e.Syntax().Format(e.RandomValid(rng)), nil
	})
}

type expertPolicy struct {
	exp env.Expert
	syn env.Syntax
}

// ExpertPolicy replies with the expert's choice written in syn. It resets
// the expert when Collect resets the env.
func ExpertPolicy(exp env.Expert, syn env.Syntax) Policy { return &expertPolicy{exp, syn} }

func (p *expertPolicy) Reset() { p.exp.Reset() }

func (p *expertPolicy) Reply(env.Observation, env.Task) (string, error) {
	c, err := p.exp.Act()
	if err != nil {
		return "", fmt.Errorf("expert: %w", err)
	}
	return p.syn.Format(c), nil
}

// NoiseConfig sets how often Noisy replaces the inner policy's reply.
type NoiseConfig struct {
	PRandomValid float64 // probability of a random legal choice
	// PWrongValid is the probability of a legal choice other than the inner
	// policy's: a systematic mistake, which imitation copies wherever it
	// outweighs the inner policy, unlike random noise that only dilutes it.
	PWrongValid float64
	PInvalid    float64 // probability of a malformed reply
	Rng         *rand.Rand
}

// NoiseKind says what a NoisyPolicy did for one reply.
type NoiseKind int

const (
	NoiseNone        NoiseKind = iota // the inner policy's reply
	NoiseRandomValid                  // a random legal choice
	NoiseEmpty                        // "" or whitespace
	NoiseTruncated                    // the reply cut inside the marker: "[act"
	NoiseNoMarker                     // the choice without the marker: "+"
	NoiseBadMarker                    // a misspelt marker: "[acton] +"
	NoiseNoChoice                     // the marker alone, or the choice on the next line
	NoiseWrongChoice                  // a word that is no legal choice: "[action] jump"
	NoiseTrailing                     // the choice followed by more words on its line
	NoiseFreeText                     // prose with no marker
	numNoiseKinds
	// NoiseWrongValid is a legal choice other than the inner policy's. It
	// sits after numNoiseKinds so the malformed kinds keep their numbers
	// (and existing datasets their exact replies for a given seed).
	NoiseWrongValid = numNoiseKinds
	numAllKinds     = numNoiseKinds + 1
)

var noiseNames = [...]string{"none", "random-valid", "empty", "truncated", "no-marker", "bad-marker", "no-choice", "wrong-choice", "trailing", "free-text", "wrong-valid"}

func (k NoiseKind) String() string {
	if k < 0 || k >= numAllKinds {
		return fmt.Sprintf("NoiseKind(%d)", int(k))
	}
	return noiseNames[k]
}

// NoisyPolicy perturbs another policy's replies. The inner policy is
// always consulted first, so stateful experts see every turn.
type NoisyPolicy struct {
	inner  Policy
	e      env.Env
	cfg    NoiseConfig
	counts [numAllKinds]int
	last   NoiseKind
}

// Noisy wraps inner: with probability PInvalid the reply is replaced by a
// malformed one, with probability PRandomValid by a random legal choice,
// with probability PWrongValid by a legal choice the inner policy did not make.
// Deterministic given cfg.Rng.
func Noisy(inner Policy, e env.Env, cfg NoiseConfig) (*NoisyPolicy, error) {
	switch {
	case inner == nil || e == nil:
		return nil, errors.New("dataset: Noisy: nil inner policy or env")
	case cfg.Rng == nil:
		return nil, errors.New("dataset: Noisy: nil rng")
	case !(cfg.PRandomValid >= 0 && cfg.PWrongValid >= 0 && cfg.PInvalid >= 0 && cfg.PRandomValid+cfg.PWrongValid+cfg.PInvalid <= 1):
		return nil, fmt.Errorf("dataset: Noisy: probabilities must be >= 0 with sum <= 1 (random %v, wrong %v, invalid %v)",
			cfg.PRandomValid, cfg.PWrongValid, cfg.PInvalid)
	}
	return &NoisyPolicy{inner: inner, e: e, cfg: cfg}, nil
}

// Reset forwards to the inner policy.
func (p *NoisyPolicy) Reset() {
	if r, ok := p.inner.(Resetter); ok {
		r.Reset()
	}
}

// Counts is how many replies of each kind were produced.
func (p *NoisyPolicy) Counts() map[NoiseKind]int {
	m := map[NoiseKind]int{}
	for k, n := range p.counts {
		if n > 0 {
			m[NoiseKind(k)] = n
		}
	}
	return m
}

// Last is the kind of the latest reply.
func (p *NoisyPolicy) Last() NoiseKind { return p.last }

// Reply implements Policy.
func (p *NoisyPolicy) Reply(obs env.Observation, task env.Task) (string, error) {
	reply, err := p.inner.Reply(obs, task)
	if err != nil {
		return "", err
	}
	u := p.cfg.Rng.Float64()
	kind := NoiseNone
	switch {
	case u < p.cfg.PInvalid:
		reply, kind = p.invalid(reply, obs)
	case u < p.cfg.PInvalid+p.cfg.PRandomValid:
		reply, kind = p.e.Syntax().Format(p.e.RandomValid(p.cfg.Rng)), NoiseRandomValid
	case u < p.cfg.PInvalid+p.cfg.PRandomValid+p.cfg.PWrongValid:
		reply, kind = p.wrong(reply)
	}
	p.counts[kind]++
	p.last = kind
	return reply, nil
}

// wrong returns a legal choice other than the one in reply, drawn by
// rejection from RandomValid; when the state has no other legal choice the
// reply is kept (and counted as the inner policy's).
func (p *NoisyPolicy) wrong(reply string) (string, NoiseKind) {
	syn := p.e.Syntax()
	mine, ok := syn.Extract(reply)
	for range 32 {
		c := p.e.RandomValid(p.cfg.Rng)
		if !ok || c != mine {
			return syn.Format(c), NoiseWrongValid
		}
	}
	return reply, NoiseNone
}

var (
	wrongWords = []string{"jump", "fly", "wait", "north", "banana", "restart", "xyzzy", "?", "none", "quit"}
	freeTexts  = []string{
		"I think the best move is %s.",
		"Let me look at the image first. The answer should be %s",
		"Choosing %s because it gets closer to the goal.",
		"%s",
	}
	trailers = []string{"because it is closer", "now", "please", "and then stop", "(I think)"}
)

// invalid makes a malformed reply around the inner reply's choice. Each
// candidate is checked against the syntax (and the legal choices when the
// space is enumerable) so it is certain to be rejected; kinds that could
// accidentally parse for a parametric action space are not used there.
func (p *NoisyPolicy) invalid(valid string, obs env.Observation) (string, NoiseKind) {
	syn := p.e.Syntax()
	rng := p.cfg.Rng
	choice, ok := syn.Extract(valid)
	if !ok {
		choice = p.e.RandomValid(rng)
	}
	marker := syn.Marker
	for range 16 {
		kind := NoiseKind(int(NoiseEmpty) + rng.IntN(int(numNoiseKinds-NoiseEmpty)))
		var r string
		switch kind {
		case NoiseEmpty:
			r = []string{"", " ", "\n"}[rng.IntN(3)]
		case NoiseTruncated:
			full := syn.Format(choice)
			if len(marker) < 2 {
				continue
			}
			r = full[:1+rng.IntN(len(marker)-1)]
		case NoiseNoMarker:
			r = []string{choice, "action: " + choice, strings.Trim(marker, "[]<>() ") + " " + choice}[rng.IntN(3)]
		case NoiseBadMarker:
			r = misspell(marker, rng) + " " + choice
		case NoiseNoChoice:
			r = []string{marker, marker + " ", marker + "\n" + choice}[rng.IntN(3)]
		case NoiseWrongChoice:
			r = syn.Format(wrongWords[rng.IntN(len(wrongWords))])
		case NoiseTrailing:
			r = syn.Format(choice + " " + trailers[rng.IntN(len(trailers))])
		case NoiseFreeText:
			r = fmt.Sprintf(freeTexts[rng.IntN(len(freeTexts))], choice)
		}
		if surelyInvalid(syn, r, obs.Legal) {
			return r, kind
		}
	}
	return "", NoiseEmpty
}

// misspell damages a marker: drops, doubles or swaps a character, or
// drops a bracket.
func misspell(m string, rng *rand.Rand) string {
	if len(m) < 2 {
		return m + m
	}
	b := []byte(m)
	i := rng.IntN(len(b))
	switch rng.IntN(3) {
	case 0:
		return string(append(b[:i:i], b[i+1:]...))
	case 1:
		j := (i + 1) % len(b)
		b[i], b[j] = b[j], b[i]
		return string(b)
	default:
		return string(b[:i]) + "_" + string(b[i:])
	}
}

func surelyInvalid(syn env.Syntax, reply string, legal []string) bool {
	if legal != nil {
		_, ok := syn.Choose(reply, legal)
		return !ok
	}
	_, ok := syn.Extract(reply)
	return !ok
}
