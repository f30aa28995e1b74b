package miniwob

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// officialExpertMinSuccess is the share of seeds an expert must solve when
// the test runs many seeds (VLMQ_MINIWOB_EXPERT_SEEDS); with the default
// few seeds it must solve every one.
const officialExpertMinSuccess = 0.95

// TestOfficialExperts plays every official task that has an expert on a
// few seeds (VLMQ_MINIWOB_TASKS picks tasks). Every action goes through
// Step as an agent's reply would and must be valid; success is a raw
// reward of 1.
//
// With VLMQ_MINIWOB_EXPERT_SEEDS=N it plays N seeds per task, requires
// officialExpertMinSuccess and prints one Markdown table row per task
// (task, successes, mean steps): docs/environments.md's table is made from them with
//
//	VLMQ_MINIWOB_DIR=... VLMQ_MINIWOB_EXPERT_SEEDS=50 GOMAXPROCS=1 \
//	  go test ./env/miniwob -run TestOfficialExperts -count=1 -v -timeout 2h | grep '^| '
func TestOfficialExperts(t *testing.T) {
	dir := officialDir(t)
	seeds, table := 3, false
	if s := os.Getenv("VLMQ_MINIWOB_EXPERT_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("VLMQ_MINIWOB_EXPERT_SEEDS=%q: want a positive number", s)
		}
		seeds, table = n, true
	}
	tasks := OfficialExpertTasks()
	if only := os.Getenv("VLMQ_MINIWOB_TASKS"); only != "" {
		tasks = slices.DeleteFunc(strings.Split(only, ","), func(s string) bool { return officialSolvers[s] == "" })
	}
	if table {
		fmt.Printf("| task | success (%d seeds) | mean steps |\n|---|---|---|\n", seeds)
	}
	for _, task := range tasks {
		t.Run(task, func(t *testing.T) {
			e := newEnv(t, task, Options{ExternalDir: dir, MaxSteps: OfficialExpertSteps(task)})
			x := NewExpert(e)
			wins, steps := 0, 0
			for seed := int64(0); seed < int64(seeds); seed++ {
				n, ok, why := playOfficial(t, e, x, seed)
				steps += n
				if ok {
					wins++
					continue
				}
				if table {
					t.Logf("seed %d: %s", seed, why)
				} else {
					t.Errorf("seed %d: %s", seed, why)
				}
			}
			if table {
				fmt.Printf("| %s | %d/%d | %.1f |\n", task, wins, seeds, float64(steps)/float64(seeds))
				if float64(wins) < officialExpertMinSuccess*float64(seeds) {
					t.Errorf("%d/%d successes, below %.0f%%", wins, seeds, 100*officialExpertMinSuccess)
				}
			}
		})
	}
}

// playOfficial plays one episode with the expert: the steps taken, whether
// it succeeded, and why not.
func playOfficial(t *testing.T, e *Env, x interface {
	Reset()
	Act() (string, error)
}, seed int64) (int, bool, string) {
	t.Helper()
	if _, err := e.Reset(seed); err != nil {
		t.Fatalf("Reset(%d): %v", seed, err)
	}
	x.Reset()
	for i := 1; ; i++ {
		c, err := x.Act()
		if err != nil {
			return i, false, fmt.Sprintf("step %d: %v\n%s", i, err, e.obs.Text)
		}
		st, err := e.Step(e.Syntax().Format(c))
		if err != nil {
			t.Fatalf("seed %d: Step(%q): %v", seed, c, err)
		}
		if !st.Info.Valid {
			return i, false, fmt.Sprintf("step %d: %s invalid: %s", i, c, st.Info.Reason)
		}
		if st.Done {
			if st.Info.Success {
				return i, true, ""
			}
			return i, false, fmt.Sprintf("reward %v after %d steps (%s), log %+v", st.Reward, i, st.Info.Reason, e.Log())
		}
	}
}
