package experiment

import (
	"strings"
	"testing"

	"vlmq/env"
)

// TestEvaluateScripted: the expert wins every NumberLine episode and
// random legal moves do not; both play the held-out seeds, so the same
// call gives the same episodes; bad input is an error before any episode.
func TestEvaluateScripted(t *testing.T) {
	spec := EvalSpec{Env: "numberline", Episodes: 20, EnvOpts: env.Options{MaxSteps: 10}}
	for _, tc := range []struct {
		policy       string
		minS, maxS   float64
		wantEpisodes int
	}{
		{PolicyExpert, 1, 1, 20},
		{PolicyRandom, 0, 0.6, 20},
		{"always:+", 0, 0.6, 20},
	} {
		s, eps, err := EvaluateScripted(tc.policy, spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.SuccessRate.Value; got < tc.minS || got > tc.maxS || len(eps) != tc.wantEpisodes {
			t.Errorf("%s: success %.2f over %d episodes, want [%.2f, %.2f] over %d", tc.policy, got, len(eps), tc.minS, tc.maxS, tc.wantEpisodes)
		}
		for i, ep := range eps {
			if ep.Seed != EvalSeed(i) {
				t.Fatalf("%s: episode %d has seed %d, want the held-out seed %d", tc.policy, i, ep.Seed, EvalSeed(i))
			}
		}
		_, again, err := EvaluateScripted(tc.policy, spec)
		if err != nil || len(again) != len(eps) || again[3].Return != eps[3].Return || len(again[3].Turns) != len(eps[3].Turns) {
			t.Errorf("%s: a second call played different episodes (%v)", tc.policy, err)
		}
	}
	for _, tc := range []struct {
		policy string
		spec   EvalSpec
		want   string
	}{
		{"oracle", spec, "unknown scripted policy"},
		{"always:", spec, "unknown scripted policy"},
		{PolicyExpert, EvalSpec{Env: "numberline"}, "episodes"},
		{PolicyExpert, EvalSpec{Env: "nowhere", Episodes: 1}, "nowhere"},
	} {
		if _, _, err := EvaluateScripted(tc.policy, tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on %+v: error %v, want one mentioning %q", tc.policy, tc.spec, err, tc.want)
		}
	}
}
