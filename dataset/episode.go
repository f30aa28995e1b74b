// Package dataset stores episodes of agent turns (image, prompt, reply,
// reward) as Parquet shards, keeps an in-memory replay buffer for online RL,
// and collects episodes from any env.Env with random, expert or noisy
// policies.
package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
)

// Turn is one agent reply and what the env made of it.
type Turn struct {
	Episode int64
	Turn    int
	Env     string
	Seed    int64
	// Image is the PNG encoding of the observation the reply answered.
	Image []byte
	// Prompt is the text prompt (env.Prompt output) shown with Image.
	Prompt string
	Reply  string
	// ReplyTokens are filled by the caller; the tokenizer lives elsewhere.
	ReplyTokens []int32
	// Reward includes the syntax penalty when the reply was invalid.
	Reward  float64
	Valid   bool
	Done    bool
	Success bool
	// Source names the producer: "random", "expert", "noisy-expert",
	// "base-model", "policy-round-3", ...
	Source string
}

// Episode is a sequence of turns from one env reset.
type Episode struct {
	ID      int64
	Env     string
	Seed    int64
	Turns   []Turn
	Return  float64
	Success bool
}

// Source is the source of the episode's first turn ("" for no turns).
func (e Episode) Source() string {
	if len(e.Turns) == 0 {
		return ""
	}
	return e.Turns[0].Source
}

// Validate checks that the episode is internally consistent, so that a
// stored episode can always be read back into the same value.
func (e Episode) Validate() error {
	if len(e.Turns) == 0 {
		return fmt.Errorf("episode %d has no turns", e.ID)
	}
	if math.IsNaN(e.Return) || math.IsInf(e.Return, 0) {
		return fmt.Errorf("episode %d: return is %v", e.ID, e.Return)
	}
	for i, t := range e.Turns {
		switch {
		case t.Episode != e.ID:
			return fmt.Errorf("episode %d turn %d: Turn.Episode is %d", e.ID, i, t.Episode)
		case t.Turn != i:
			return fmt.Errorf("episode %d turn %d: Turn.Turn is %d (turns must be numbered 0..n-1)", e.ID, i, t.Turn)
		case t.Env != e.Env:
			return fmt.Errorf("episode %d turn %d: Turn.Env %q differs from Episode.Env %q", e.ID, i, t.Env, e.Env)
		case t.Seed != e.Seed:
			return fmt.Errorf("episode %d turn %d: Turn.Seed %d differs from Episode.Seed %d", e.ID, i, t.Seed, e.Seed)
		case math.IsNaN(t.Reward) || math.IsInf(t.Reward, 0):
			return fmt.Errorf("episode %d turn %d: reward is %v", e.ID, i, t.Reward)
		case t.Done && i != len(e.Turns)-1:
			return fmt.Errorf("episode %d turn %d: Done set before the last turn", e.ID, i)
		}
	}
	return nil
}

// NumTurns counts the turns of all episodes.
func NumTurns(eps []Episode) int {
	n := 0
	for _, e := range eps {
		n += len(e.Turns)
	}
	return n
}

// FilterSource keeps the episodes whose Source is one of sources.
func FilterSource(eps []Episode, sources ...string) []Episode {
	var out []Episode
	for _, e := range eps {
		for _, s := range sources {
			if e.Source() == s {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// EncodeImage encodes an observation image as PNG (lossless, so the
// model sees exactly what the env rendered).
func EncodeImage(img *image.RGBA) ([]byte, error) {
	if img == nil {
		return nil, errors.New("dataset: EncodeImage: nil image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("dataset: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeImage decodes PNG bytes into an RGBA image with origin (0,0).
func DecodeImage(b []byte) (*image.RGBA, error) {
	if len(b) == 0 {
		return nil, errors.New("dataset: DecodeImage: no image bytes")
	}
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("dataset: decoding PNG: %w", err)
	}
	if rgba, ok := src.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		return rgba, nil
	}
	r := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(dst, dst.Rect, src, r.Min, draw.Src)
	return dst, nil
}
