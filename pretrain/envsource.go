package pretrain

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"vlmq/env"
	"vlmq/vlm"
)

// EnvSource draws a fresh env view per sequence: it resets an env with a
// seed drawn from the stream's rng, walks a random number of random valid
// steps, and asks the view's facts, after the env's prompt or from the
// image alone (a coin flip). Views do not repeat and nothing is stored, so
// memory stays bounded however long the run. Its draws are a function of
// the rng alone as long as each env's episode is a function of its reset
// seed and the actions taken (the envs' contract, which Collect relies on
// too). It steps its envs, so one EnvSource must not draw concurrently.
type EnvSource struct {
	envs      []env.Env
	descs     []env.Describer
	maxSteps  int
	imageSize int
}

// NewEnvSource checks that every env describes its views. maxSteps bounds
// the random walk; imageSize (> 0) is the model's, views are stored at it.
func NewEnvSource(envs []env.Env, maxSteps, imageSize int) (*EnvSource, error) {
	if len(envs) == 0 {
		return nil, fmt.Errorf("pretrain: env source has no envs")
	}
	if maxSteps < 0 || imageSize < 1 {
		return nil, fmt.Errorf("pretrain: env source walk of %d steps, image size %d", maxSteps, imageSize)
	}
	s := &EnvSource{envs: envs, maxSteps: maxSteps, imageSize: imageSize}
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

// Draw implements Source. The view is the one after a random number of
// steps, or the last before the episode ended; a view without an image or
// a usable fact is replaced by a new episode's.
func (s *EnvSource) Draw(rng *rand.Rand) (Sequence, error) {
	for range maxRedraws {
		i := rng.IntN(len(s.envs))
		e := s.envs[i]
		obs, err := e.Reset(rng.Int64())
		if err != nil {
			return Sequence{}, fmt.Errorf("pretrain: %s reset: %w", e.Name(), err)
		}
		syn := e.Syntax()
		withPrompt := rng.IntN(2) == 0
		for range rng.IntN(s.maxSteps + 1) {
			st, err := e.Step(syn.Format(e.RandomValid(rng)))
			if err != nil {
				return Sequence{}, fmt.Errorf("pretrain: %s step: %w", e.Name(), err)
			}
			if st.Done {
				break // short episodes would otherwise be drawn less
			}
			obs = st.Obs
		}
		seq, ok, err := s.view(i, obs, syn, withPrompt)
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
	return Sequence{}, fmt.Errorf("pretrain: no env view with facts in %d episodes", maxRedraws)
}

// view is the sequence of the current view (ok false if it has none).
func (s *EnvSource) view(i int, obs env.Observation, syn env.Syntax, withPrompt bool) (Sequence, bool, error) {
	if obs.Image == nil {
		return Sequence{}, false, nil
	}
	marker := strings.ToLower(syn.Marker)
	var qa []Pair
	for _, f := range s.descs[i].Facts() {
		q, a := strings.TrimSpace(f.Question), strings.TrimSpace(f.Answer)
		if q == "" || a == "" || (marker != "" && strings.Contains(strings.ToLower(a), marker)) {
			continue
		}
		qa = append(qa, Pair{q, a})
	}
	if len(qa) == 0 {
		return Sequence{}, false, nil
	}
	img, err := vlm.Downscale(obs.Image, s.imageSize)
	if err != nil {
		return Sequence{}, false, fmt.Errorf("pretrain: %s: %w", s.envs[i].Name(), err)
	}
	seq := Sequence{Image: img, Source: s.envs[i].Name(), QA: qa}
	if withPrompt {
		seq.Context = env.Prompt(s.envs[i].Task(), obs, syn)
	}
	return seq, true, nil
}
