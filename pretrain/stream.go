package pretrain

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"

	"vlmq/vlm"
)

// Source draws sequences for a Stream. Draw must depend on rng alone (a
// source holds no state that draws change), so that every batch is a pure
// function of (seed, step) and a resumed run takes the same batches.
type Source interface {
	Name() string
	Draw(rng *rand.Rand) (Sequence, error)
}

// Weighted is a source and its share of a stream's sequences.
type Weighted struct {
	Source Source
	Weight float64
}

// Stream yields batches of many-questions sequences indefinitely, mixing
// sources by weight. It keeps no history: memory is the sources' (a fixed
// view corpus, or nothing for the synthetic tasks) whatever the steps.
type Stream struct {
	mix *Mix
	// early, when set, replaces mix for the steps before earlySteps.
	early      *Mix
	earlySteps int
	tok        vlm.Tokenizer
	maxText    int
	// plain are the images of text-only sequences: black, then solid
	// colours, at the model's size (shared: Forward never writes them).
	plain []*image.RGBA
}

// maxRedraws bounds the draws for one batch item whose first question does
// not fit the model's text length.
const maxRedraws = 16

// NewStream makes a stream of sequences tokenised for m (its tokenizer,
// text length and image size).
func NewStream(m vlm.Model, sources ...Weighted) (*Stream, error) {
	mix, err := NewMix("stream", sources...)
	if err != nil {
		return nil, err
	}
	s := &Stream{mix: mix, tok: m.Tokenizer(), maxText: m.MaxText()}
	size := m.ImageSize()
	if size < 1 {
		return nil, fmt.Errorf("pretrain: model image size %d", size)
	}
	for _, c := range plainColours {
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
		}
		s.plain = append(s.plain, img)
	}
	return s, nil
}

// plainColours: black (a blank image) half the time, else a solid colour,
// so the model learns the text alone answers these questions.
var plainColours = []color.RGBA{{0, 0, 0, 255}, {0, 0, 0, 255}, {0, 0, 0, 255}, {0, 0, 0, 255},
	{200, 40, 40, 255}, {40, 180, 60, 255}, {40, 60, 200, 255}, {220, 210, 50, 255}}

// Batch draws step's n sequences from seed, trimmed to the pairs that fit
// the model's text length, and their inputs (targets on every answer). It
// is a pure function of (seed, step, n).
func (s *Stream) Batch(seed uint64, step, n int) ([]Sequence, []vlm.Input, error) {
	if n < 1 || step < 0 {
		return nil, nil, fmt.Errorf("pretrain: stream batch of %d at step %d", n, step)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(step)))
	seqs := make([]Sequence, n)
	ins := make([]vlm.Input, n)
	mix := s.mix
	if step < s.earlySteps {
		mix = s.early
	}
	for i := range seqs {
		var err error
		if seqs[i], ins[i], err = s.draw(rng, mix); err != nil {
			return nil, nil, fmt.Errorf("pretrain: step %d item %d: %w", step, i, err)
		}
	}
	return seqs, ins, nil
}

func (s *Stream) draw(rng *rand.Rand, mix *Mix) (Sequence, vlm.Input, error) {
	var last error
	for range maxRedraws {
		src := mix.pick(rng)
		seq, err := src.Draw(rng)
		if err != nil {
			return Sequence{}, vlm.Input{}, fmt.Errorf("%s: %w", src.Name(), err)
		}
		if seq.Image == nil {
			seq.Image = s.plain[rng.IntN(len(s.plain))]
		}
		in, kept, err := sequenceInput(s.tok, s.tok.Encode, seq, s.maxText)
		if errors.As(err, new(errTooLong)) {
			last = err
			continue
		}
		if err != nil {
			return Sequence{}, vlm.Input{}, err
		}
		seq.QA = seq.QA[:kept]
		return seq, in, nil
	}
	return Sequence{}, vlm.Input{}, fmt.Errorf("no sequence fits in %d draws (last: %w)", maxRedraws, last)
}

// PretrainStream trains the trunk and LM head on the stream's batches
// (opts.BatchSize sequences per step, drawn from (opts.Seed, step)), with
// the resume and checkpoint semantics of Pretrain.
func PretrainStream(ctx context.Context, m vlm.Model, s *Stream, opts Options) (Stats, error) {
	if err := opts.Validate(); err != nil {
		return Stats{}, err
	}
	opts.defaults()
	if s == nil {
		return Stats{}, fmt.Errorf("pretrain: no stream")
	}
	if s.maxText > m.MaxText() || s.tok.VocabSize() != m.Tokenizer().VocabSize() || s.plain[0].Bounds().Dx() != m.ImageSize() {
		return Stats{}, fmt.Errorf("pretrain: the stream was made for another model (%d text tokens, vocabulary %d, %d px)", s.maxText, s.tok.VocabSize(), s.plain[0].Bounds().Dx())
	}
	return train(ctx, m, opts, func(step int) ([]vlm.Input, error) {
		_, ins, err := s.Batch(opts.Seed, step, opts.BatchSize)
		return ins, err
	})
}
