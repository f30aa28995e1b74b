package babyai

import (
	"math/rand/v2"
	"testing"
)

// benchStep measures Step with rendering and text under random actions,
// resetting (to the next seed) whenever an episode ends.
func benchStep(b *testing.B, level string) {
	e, err := New(level, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.Reset(0); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	replies := make([]string, len(actionNames))
	for i, a := range actionNames {
		replies[i] = e.Syntax().Format(a)
	}
	seed := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := e.Step(replies[rng.IntN(len(replies))])
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

func BenchmarkStepGoToObj(b *testing.B)      { benchStep(b, "GoToObj") }
func BenchmarkStepGoToRedBall(b *testing.B)  { benchStep(b, "GoToRedBall") }
func BenchmarkStepGoToLocal(b *testing.B)    { benchStep(b, "GoToLocal") }
func BenchmarkStepPickupLoc(b *testing.B)    { benchStep(b, "PickupLoc") }
func BenchmarkStepPutNextLocal(b *testing.B) { benchStep(b, "PutNextLocal") }
func BenchmarkStepGoToDoor(b *testing.B)     { benchStep(b, "GoToDoor") }
func BenchmarkStepOpen(b *testing.B)         { benchStep(b, "Open") }
func BenchmarkStepUnlockLocal(b *testing.B)  { benchStep(b, "UnlockLocal") }

// benchBot measures expert demonstrations end to end.
func benchBot(b *testing.B, level string) {
	e, _ := New(level, Options{})
	bot := NewBot(e)
	steps := 0
	for i := 0; i < b.N; i++ {
		e.Reset(int64(i))
		bot.Reset()
		for {
			a, err := bot.Act()
			if err != nil {
				b.Fatal(err)
			}
			st, _ := e.Step(e.Syntax().Format(a))
			steps++
			if st.Done {
				break
			}
		}
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkBotEpisodeGoToLocal(b *testing.B) { benchBot(b, "GoToLocal") }
func BenchmarkBotEpisodeBossLevel(b *testing.B) { benchBot(b, "BossLevel") }
func BenchmarkStepBossLevel(b *testing.B)       { benchStep(b, "BossLevel") }
