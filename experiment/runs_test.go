package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/jsonfile"
	"vlmq/metrics"
)

// TestDemoRounds: a demo's online rounds are its AFSFT row (round 0),
// its numbered AFSFT+online rows and its last AFSFT+online row; a demo
// without an AFSFT+online row has none.
func TestDemoRounds(t *testing.T) {
	row := func(m string) Result { return Result{Method: m} }
	for _, c := range []struct {
		name   string
		rows   []Result
		rounds int
		want   string
	}{
		{"full", []Result{row("dataset (x)"), row("SFT"), row("AFSFT"), row(onlineMethod(1)), row(onlineMethod(2)), row("AFSFT+online")}, 3, "[0 1 2 3]"},
		{"one round", []Result{row("AFSFT"), row("AFSFT+online")}, 1, "[0 1]"},
		{"spec says fewer rounds", []Result{row("AFSFT"), row(onlineMethod(1)), row(onlineMethod(2)), row("AFSFT+online")}, 0, "[0 1 2 3]"},
		{"no AFSFT row", []Result{row(onlineMethod(1)), row("AFSFT+online")}, 2, "[1 2]"},
		{"offline only", []Result{row("SFT"), row("AFSFT")}, 5, "[]"},
		{"look-alike names", []Result{row("AFSFT"), row("AFSFT+online (round x)"), row("AFSFT+online (round 2")}, 5, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ns []int
			for _, r := range demoRounds(c.rows, c.rounds) {
				ns = append(ns, r.N)
			}
			if got := fmt.Sprint(ns); got != c.want {
				t.Errorf("rounds %s, want %s", got, c.want)
			}
		})
	}
}

// TestReadRunTrain: a training run's rounds start at its offline
// evaluation, or at round 1 when it trained no offline steps; one
// without evals/ is ErrNoEvals, one whose evals/ lacks the first
// evaluation an error naming that file, and a pretraining spec
// ErrNotRun.
func TestReadRunTrain(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, spec any, evals ...string) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(d, "evals"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := jsonfile.Write(filepath.Join(d, "spec.json"), spec); err != nil {
			t.Fatal(err)
		}
		for i, e := range evals {
			if err := jsonfile.Write(filepath.Join(d, "evals", e+".json"), Result{Summary: metrics.Summary{Episodes: i + 1}, Step: 10 * (i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	online := TrainSpec{Env: "ezpoints", Schedule: afsft.Schedule{OnlineRounds: 2}}
	offline := TrainSpec{Env: "ezpoints", Schedule: afsft.Schedule{OfflineSteps: 10}, TrainSettings: TrainSettings{Train: afsft.Config{Mode: afsft.SFT}}}
	noEvals := mk("no-evals", offline)
	if err := os.Remove(filepath.Join(noEvals, "evals")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir string
		rows      string // methods, or the error
		rounds    string
		sentinel  error
	}{
		{"online from a checkpoint", mk("online", online, "round-1", "round-2"), "AFSFT round 1, step 10 (online); AFSFT round 2, step 20 (online)", "[1 2]", nil},
		{"offline only", mk("offline", offline, "offline", "val-10"), "SFT offline, step 10 (offline)", "[]", nil},
		{"offline and rounds", mk("both", TrainSpec{Env: "ezpoints", Schedule: afsft.Schedule{OfflineSteps: 10}}, "offline", "round-1"), "AFSFT offline, step 10 (both); AFSFT round 1, step 20 (both)", "[0 1]", nil},
		{"rounds without offline", mk("damaged", offline, "round-1"), filepath.Join("damaged", "evals", "offline.json"), "", nil},
		{"no evals folder", noEvals, "without its evaluation", "", ErrNoEvals},
		{"pretraining spec", mk("pretrain", map[string]any{"envs": []string{"ezpoints"}}), "names no env", "", ErrNotRun},
		{"empty folder", t.TempDir(), "not a run folder", "", ErrNotRun},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ReadRun(c.dir)
			if c.rounds == "" {
				if err == nil || !strings.Contains(err.Error(), c.rows) || (c.sentinel != nil) != errors.Is(err, c.sentinel) {
					t.Fatalf("error %v, want one with %q (sentinel %v)", err, c.rows, c.sentinel)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var methods []string
			for _, row := range r.Rows {
				methods = append(methods, row.Method)
			}
			var ns []int
			for _, rd := range r.Rounds {
				ns = append(ns, rd.N)
			}
			if got := strings.Join(methods, "; "); got != c.rows || fmt.Sprint(ns) != c.rounds || r.Kind != TrainFolder || r.Env != "ezpoints" {
				t.Errorf("rows %q rounds %v kind %s env %s, want %q %s", got, ns, r.Kind, r.Env, c.rows, c.rounds)
			}
		})
	}
}
