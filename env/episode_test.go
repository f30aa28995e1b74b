package env

import "testing"

func TestPenalty(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		zero bool
		want float64
	}{
		{0, false, DefaultSyntaxPenalty},
		{-3, false, -3},
		{0.5, false, 0.5},
		{0, true, 0},
		{-3, true, 0}, // the switch says exactly 0
	} {
		if got := Penalty(tc.p, tc.zero); got != tc.want {
			t.Errorf("Penalty(%v, %v) = %v, want %v", tc.p, tc.zero, got, tc.want)
		}
	}
}

func TestStepGuard(t *testing.T) {
	for _, tc := range []struct {
		started, done bool
		want          error
	}{
		{false, false, ErrNotStarted},
		{false, true, ErrNotStarted},
		{true, false, nil},
		{true, true, ErrEpisodeDone},
	} {
		if got := StepGuard(tc.started, tc.done); got != tc.want {
			t.Errorf("StepGuard(%v, %v) = %v, want %v", tc.started, tc.done, got, tc.want)
		}
	}
}

func TestCutOff(t *testing.T) {
	for _, tc := range []struct {
		name         string
		st           Step
		steps, limit int
		cut          bool
		reason       string
	}{
		{"below the limit", Step{}, 2, 3, false, ""},
		{"at the limit", Step{}, 3, 3, true, "step limit reached"},
		{"past the limit", Step{}, 4, 3, true, "step limit reached"},
		{"an invalid reply at the limit", Step{Info: Info{Reason: "no choice"}}, 3, 3, true, "no choice; step limit reached"},
		{"the episode ended by itself", Step{Done: true, Info: Info{Success: true}}, 3, 3, false, ""},
	} {
		st := tc.st
		cut := CutOff(&st, tc.steps, tc.limit)
		if cut != tc.cut || st.Info.Truncated != tc.cut || st.Done != (tc.cut || tc.st.Done) || st.Info.Reason != tc.reason {
			t.Errorf("%s: cut %v, step %+v", tc.name, cut, st)
		}
	}
}
