package dataset

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// benchEpisodes makes n episodes of 10 turns with 300x300 images (the
// Gym Cards size) holding some structure, so PNGs have realistic sizes.
func benchEpisodes(b *testing.B, n int) []Episode {
	img := image.NewRGBA(image.Rect(0, 0, 300, 300))
	rng := rand.New(rand.NewPCG(1, 1))
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{uint8(x / 30 * 25), uint8(y / 30 * 25), uint8(rng.IntN(4)), 255})
		}
	}
	png, err := EncodeImage(img)
	if err != nil {
		b.Fatal(err)
	}
	eps := make([]Episode, n)
	for i := range eps {
		e := Episode{ID: int64(i), Env: "bench", Seed: int64(i)}
		for t := range 10 {
			e.Turns = append(e.Turns, Turn{Episode: int64(i), Turn: t, Env: "bench", Seed: int64(i), Image: png,
				Prompt: "Goal: reach the target\nActions: - or +\nObservation: Current: 3\nReply:", Reply: "[action] +",
				ReplyTokens: []int32{1, 2, 3, 4}, Reward: -0.1, Valid: true, Source: "bench"})
		}
		eps[i] = e
	}
	return eps
}

func BenchmarkStoreAppendRead(b *testing.B) {
	eps := benchEpisodes(b, 100)
	b.SetBytes(int64(len(eps[0].Turns[0].Image) * NumTurns(eps)))
	for b.Loop() {
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Append(eps); err != nil {
			b.Fatal(err)
		}
		if got, err := s.Episodes(); err != nil || len(got) != len(eps) {
			b.Fatal(err)
		}
	}
}
