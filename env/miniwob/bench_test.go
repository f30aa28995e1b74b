package miniwob

import (
	"testing"
)

// BenchmarkClickScreenshot measures one agent step: parse, a mouse click,
// reading the page state and a 160x210 screenshot (target <= 15 ms).
func BenchmarkClickScreenshot(b *testing.B) {
	e := newEnv(b, "click-button", Options{MaxSteps: 1 << 30})
	if _, err := e.Reset(1); err != nil {
		b.Fatal(err)
	}
	reply := e.Syntax().Format("click(80,10)") // the instruction bar: no effect
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := e.Step(reply)
		if err != nil || !st.Info.Valid || st.Done {
			b.Fatalf("step %d: %+v %v", i, st, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/step")
}

// BenchmarkReset measures starting an episode (new problem + observation).
func BenchmarkReset(b *testing.B) {
	e := newEnv(b, "login-user", Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Reset(int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/reset")
}
