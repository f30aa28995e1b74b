package cards

import (
	"math/rand/v2"
	"testing"
)

// benchStep measures env steps per second, rendering included, under a
// random legal policy (resets are counted in the time, not as steps).
func benchStep(b *testing.B, game string) {
	b.Run("fresh", func(b *testing.B) { benchStepOpts(b, game, Options{}) })
	b.Run("reuse", func(b *testing.B) { benchStepOpts(b, game, Options{ReuseImage: true}) })
}

func benchStepOpts(b *testing.B, game string, o Options) {
	e, err := New(game, o)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	seed := int64(0)
	if _, err := e.Reset(seed); err != nil {
		b.Fatal(err)
	}
	replies := map[string]string{}
	for _, c := range e.g.legal() {
		replies[c] = e.Syntax().Format(c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := e.RandomValid(rng)
		r, ok := replies[c]
		if !ok {
			r = e.Syntax().Format(c)
			replies[c] = r
		}
		st, err := e.Step(r)
		if err != nil {
			b.Fatal(err)
		}
		if st.Done {
			seed++
			if _, err := e.Reset(seed); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkStepNumberLine(b *testing.B) { benchStep(b, NumberLine) }
func BenchmarkStepEZPoints(b *testing.B)   { benchStep(b, EZPoints) }
func BenchmarkStepPoints24(b *testing.B)   { benchStep(b, Points24) }
func BenchmarkStepBlackjack(b *testing.B)  { benchStep(b, Blackjack) }
