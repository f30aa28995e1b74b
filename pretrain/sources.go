package pretrain

import (
	"fmt"
	"image"
	"math/rand/v2"
)

// ViewSource asks many questions of one env view per sequence. It groups
// a corpus (Collect's QA, the fixed-corpus machinery, for now) by view:
// the same image and context. A drawn sequence asks the view's questions
// in a random order; the stream keeps those that fit.
type ViewSource struct {
	name  string
	qa    []QAExample
	views [][]int // indices into qa, one slice per view
}

// NewViewSource groups examples by view. It refuses an example without an
// image or whose answer is an action reply.
func NewViewSource(name string, examples []QAExample) (*ViewSource, error) {
	if len(examples) == 0 {
		return nil, fmt.Errorf("pretrain: view source %q has no examples", name)
	}
	type key struct {
		img *image.RGBA
		ctx string
	}
	at := map[key]int{}
	s := &ViewSource{name: name, qa: examples}
	for i, qa := range examples {
		if qa.Image == nil {
			return nil, fmt.Errorf("pretrain: view source %q example %d has no image", name, i)
		}
		if err := checkAnswer(qa.Answer); err != nil {
			return nil, fmt.Errorf("pretrain: view source %q example %d: %w", name, i, err)
		}
		k := key{qa.Image, qa.Context}
		v, ok := at[k]
		if !ok {
			v = len(s.views)
			at[k] = v
			s.views = append(s.views, nil)
		}
		s.views[v] = append(s.views[v], i)
	}
	return s, nil
}

// Name implements Source.
func (s *ViewSource) Name() string { return s.name }

// Views is the number of distinct views.
func (s *ViewSource) Views() int { return len(s.views) }

// Draw implements Source.
func (s *ViewSource) Draw(rng *rand.Rand) (Sequence, error) {
	v := s.views[rng.IntN(len(s.views))]
	first := s.qa[v[0]]
	seq := Sequence{Image: first.Image, Context: first.Context, Source: first.Env, QA: make([]Pair, len(v))}
	for i, j := range rng.Perm(len(v)) {
		seq.QA[i] = Pair{s.qa[v[j]].Question, s.qa[v[j]].Answer}
	}
	return seq, nil
}

// SyntheticSource draws one synthetic task with a distractor count drawn
// uniformly from [MinDistractors, MaxDistractors] and Questions questions
// (the stream keeps those that fit).
type SyntheticSource struct {
	task                           string
	minDistractors, maxDistractors int
	questions                      int
}

// NewSyntheticSource checks the task and ranges.
func NewSyntheticSource(task string, minDistractors, maxDistractors, questions int) (*SyntheticSource, error) {
	if minDistractors < 0 || maxDistractors < minDistractors || maxDistractors > MaxDistractors {
		return nil, fmt.Errorf("pretrain: distractors %d to %d, want 0 <= min <= max <= %d", minDistractors, maxDistractors, MaxDistractors)
	}
	if questions < 1 {
		return nil, fmt.Errorf("pretrain: %d questions per sequence, want at least 1", questions)
	}
	// One draw checks the task name.
	if _, err := Synthetic(task, rand.New(rand.NewPCG(0, 0)), minDistractors, questions); err != nil {
		return nil, err
	}
	return &SyntheticSource{task, minDistractors, maxDistractors, questions}, nil
}

// Name implements Source.
func (s *SyntheticSource) Name() string { return s.task }

// Draw implements Source.
func (s *SyntheticSource) Draw(rng *rand.Rand) (Sequence, error) {
	d := s.minDistractors + rng.IntN(s.maxDistractors-s.minDistractors+1)
	return Synthetic(s.task, rng, d, s.questions)
}

// FormatSource asks an inner source's questions in a named answer form
// (see formatPair), each pair with probability Share, so a sequence mixes
// formatted and plain questions and the model follows a form only when one
// is named.
type FormatSource struct {
	inner Source
	share float64
}

// NewFormatSource wraps inner; share is in (0, 1].
func NewFormatSource(inner Source, share float64) (*FormatSource, error) {
	if inner == nil {
		return nil, fmt.Errorf("pretrain: format source has no inner source")
	}
	if !(share > 0 && share <= 1) {
		return nil, fmt.Errorf("pretrain: format share %v, want (0, 1]", share)
	}
	return &FormatSource{inner, share}, nil
}

// Name implements Source.
func (s *FormatSource) Name() string { return "format(" + s.inner.Name() + ")" }

// Draw implements Source.
func (s *FormatSource) Draw(rng *rand.Rand) (Sequence, error) {
	seq, err := s.inner.Draw(rng)
	if err != nil {
		return seq, err
	}
	qa := make([]Pair, len(seq.QA)) // the inner's pairs may be shared
	for i, p := range seq.QA {
		qa[i] = p
		if rng.Float64() < s.share {
			qa[i] = formatPair(rng, p)
		}
	}
	seq.QA = qa
	return seq, nil
}
