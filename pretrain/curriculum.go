package pretrain

import (
	"fmt"
	"math"
	"math/rand/v2"

	"vlmq/vlm"
)

// Curriculum sets the mix of a pretraining stream: the weight of each
// source (0 leaves it out) and the synthetic tasks' sizes.
type Curriculum struct {
	// Views weighs env views (many questions per view).
	Views float64
	// KV, Word, Match, Span, Page, Copy and Glyph weigh the synthetic
	// tasks (the later ones are left out of the JSON at 0, so specs made
	// before them stay equal).
	KV, Word, Match float64
	Span            float64 `json:",omitempty"`
	Page            float64 `json:",omitempty"`
	Copy            float64 `json:",omitempty"`
	Glyph           float64 `json:",omitempty"`
	// Format weighs format questions, asked over env views and the
	// synthetic tasks alike.
	Format float64
	// MaxDistractors bounds the synthetic lists' distractors, drawn
	// uniformly from 1 to it (0 = GateDistractors).
	MaxDistractors int
	// Questions per synthetic sequence before fitting (0 = 8).
	Questions int
	// FormatShare is the share of a format sequence's pairs asked in a
	// named form (0 = 0.5).
	FormatShare float64
	// Walks weighs the policies that walk to the env views (see
	// EnvSource; the zero value is DefaultWalks).
	Walks Walks
	// SyntheticSteps > 0 draws the first SyntheticSteps steps from the
	// synthetic tasks alone (their weights, and format questions over
	// them), and the env views join after. A lookup circuit forms far
	// sooner on lookups alone: diluted among env views, a base's probe
	// stayed at chance for 1000 steps (results/base-v3).
	SyntheticSteps int `json:",omitempty"`
}

// DefaultCurriculum gives env views and the synthetic retrieval tasks
// about equal shares, with one sequence in eight asking for formats, and
// views walked to by random, expert and noisy-expert policies alike.
func DefaultCurriculum() Curriculum {
	return Curriculum{Views: 4, KV: 1, Word: 1, Match: 2, Format: 1, Walks: DefaultWalks()}
}

// taskWeight is a synthetic task and its weight in the mix.
type taskWeight struct {
	task string
	w    float64
}

// synthetic lists the synthetic tasks with their weights, in the order
// the stream draws them: the one place a new task's weight joins the mix.
func (c Curriculum) synthetic() []taskWeight {
	return []taskWeight{{TaskKV, c.KV}, {TaskWord, c.Word}, {TaskMatch, c.Match}, {TaskSpan, c.Span}, {TaskPage, c.Page}, {TaskCopy, c.Copy}, {TaskGlyph, c.Glyph}}
}

// Check reports the first invalid setting: a weight that is negative or
// not finite, a mix that weighs nothing, a synthetic phase without a
// synthetic task, list sizes out of range, or walk weights that weigh no
// policy.
func (c Curriculum) Check() error {
	ws := []float64{c.Views}
	synth := 0.0
	for _, t := range c.synthetic() {
		ws = append(ws, t.w)
		synth += t.w
	}
	for _, w := range append(ws, c.Format, c.FormatShare) {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("pretrain: curriculum weight %v, want a finite number >= 0", w)
		}
	}
	switch {
	case c.Views+synth+c.Format <= 0:
		return fmt.Errorf("pretrain: the curriculum weighs no source")
	case c.SyntheticSteps < 0 || (c.SyntheticSteps > 0 && synth <= 0):
		return fmt.Errorf("pretrain: curriculum synthetic-steps %d needs a non-negative count and a synthetic task with a positive weight", c.SyntheticSteps)
	case c.MaxDistractors < 0 || c.MaxDistractors > MaxDistractors || c.Questions < 0:
		return fmt.Errorf("pretrain: curriculum distractors %d (at most %d) and questions %d", c.MaxDistractors, MaxDistractors, c.Questions)
	}
	if c.Walks != (Walks{}) {
		return c.Walks.Check()
	}
	return nil
}

// Stream builds the curriculum's stream for m. views gives the env views:
// an EnvSource (fresh views, walked as Walks says) or a ViewSource (a
// collected corpus); it may be nil when Views is 0.
func (c Curriculum) Stream(m vlm.Model, views Source) (*Stream, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if c.MaxDistractors == 0 {
		c.MaxDistractors = GateDistractors
	}
	if c.Questions == 0 {
		c.Questions = 8
	}
	if c.FormatShare == 0 {
		c.FormatShare = 0.5
	}
	var viewW []Weighted
	if c.Views > 0 {
		if views == nil {
			return nil, fmt.Errorf("pretrain: curriculum weighs env views %v but has no view source", c.Views)
		}
		viewW = append(viewW, Weighted{views, c.Views})
	}
	var synth []Weighted
	for _, t := range c.synthetic() {
		if t.w == 0 {
			continue
		}
		s, err := NewSyntheticSource(t.task, 1, c.MaxDistractors, c.Questions)
		if err != nil {
			return nil, err
		}
		synth = append(synth, Weighted{s, t.w})
	}
	full, err := c.withFormat(append(viewW, synth...))
	if err != nil {
		return nil, err
	}
	st, err := NewStream(m, full...)
	if err != nil || c.SyntheticSteps == 0 {
		return st, err
	}
	early, err := c.withFormat(synth)
	if err != nil {
		return nil, err
	}
	if st.early, err = NewMix("synthetic phase", early...); err != nil {
		return nil, err
	}
	st.earlySteps = c.SyntheticSteps
	return st, nil
}

// withFormat adds the format questions, asked over the given sources, to
// them.
func (c Curriculum) withFormat(all []Weighted) ([]Weighted, error) {
	if len(all) == 0 {
		return nil, fmt.Errorf("pretrain: curriculum has no source with a positive weight")
	}
	if c.Format == 0 {
		return all, nil
	}
	inner, err := NewMix("curriculum", all...)
	if err != nil {
		return nil, err
	}
	f, err := NewFormatSource(inner, c.FormatShare)
	if err != nil {
		return nil, err
	}
	return append(all, Weighted{f, c.Format}), nil
}

// Mix is a source drawing from others by weight.
type Mix struct {
	name    string
	sources []Weighted
	total   float64
}

// NewMix checks the weights.
func NewMix(name string, sources ...Weighted) (*Mix, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("pretrain: mix %q has no sources", name)
	}
	m := &Mix{name: name}
	for _, w := range sources {
		if w.Source == nil {
			return nil, fmt.Errorf("pretrain: mix %q has a nil source", name)
		}
		if !(w.Weight > 0) || math.IsInf(w.Weight, 0) {
			return nil, fmt.Errorf("pretrain: source %s has weight %v, want a finite positive number", w.Source.Name(), w.Weight)
		}
		m.total += w.Weight
		m.sources = append(m.sources, w)
	}
	return m, nil
}

// Name implements Source.
func (m *Mix) Name() string { return m.name }

// Draw implements Source.
func (m *Mix) Draw(rng *rand.Rand) (Sequence, error) { return m.pick(rng).Draw(rng) }

func (m *Mix) pick(rng *rand.Rand) Source {
	x := rng.Float64() * m.total
	for _, w := range m.sources {
		if x < w.Weight {
			return w.Source
		}
		x -= w.Weight
	}
	return m.sources[len(m.sources)-1].Source
}
