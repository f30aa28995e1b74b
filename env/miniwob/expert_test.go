package miniwob

import (
	"fmt"
	"testing"

	"vlmq/env"
)

// runExpert plays one episode with the expert and returns the final step.
func runExpert(t *testing.T, e *Env, x env.Expert, seed int64) env.Step {
	t.Helper()
	if _, err := e.Reset(seed); err != nil {
		t.Fatalf("Reset(%d): %v", seed, err)
	}
	x.Reset()
	for i := 0; ; i++ {
		c, err := x.Act()
		if err != nil {
			t.Fatalf("seed %d step %d: expert: %v\nobs:\n%s", seed, i, err, e.obs.Text)
		}
		st, err := e.Step(e.Syntax().Format(c))
		if err != nil {
			t.Fatalf("seed %d: Step(%q): %v", seed, c, err)
		}
		if !st.Info.Valid {
			t.Fatalf("seed %d: expert choice %q invalid: %s", seed, c, st.Info.Reason)
		}
		if st.Done {
			return st
		}
	}
}

func TestExpertsSolveEveryTask(t *testing.T) {
	seeds := []int64{0, 1, 123456789, -5}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, task := range Tasks {
		t.Run(task, func(t *testing.T) {
			t.Parallel() // each task has its own tab; steps mostly wait on IPC
			e := newEnv(t, task, Options{})
			x := NewExpert(e)
			for _, seed := range seeds {
				st := runExpert(t, e, x, seed)
				if !st.Info.Success || st.Reward != 1 || st.Info.Truncated {
					t.Errorf("seed %d: final step reward %v success %v truncated %v reason %q\nlog %+v",
						seed, st.Reward, st.Info.Success, st.Info.Truncated, st.Info.Reason, e.Log())
				}
			}
		})
	}
}

// TestParallelEnvs runs experts in several Envs that share one browser from
// separate goroutines, as a data-collection pool would.
func TestParallelEnvs(t *testing.T) {
	tasks := []string{"click-tab-2", "login-user", "click-checkboxes"}
	envs := make([]*Env, len(tasks))
	for i, task := range tasks {
		envs[i] = newEnv(t, task, Options{})
	}
	errs := make(chan error, len(tasks))
	for i := range tasks {
		go func(e *Env) {
			x := NewExpert(e)
			for seed := int64(0); seed < 3; seed++ {
				if _, err := e.Reset(seed); err != nil {
					errs <- err
					return
				}
				x.Reset()
				for {
					c, err := x.Act()
					if err != nil {
						errs <- err
						return
					}
					st, err := e.Step(e.Syntax().Format(c))
					if err != nil {
						errs <- err
						return
					}
					if st.Done {
						if !st.Info.Success {
							errs <- fmt.Errorf("%s seed %d failed: %s", e.Name(), seed, st.Info.Reason)
							return
						}
						break
					}
				}
			}
			errs <- nil
		}(envs[i])
	}
	for range tasks {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestClickListed: the expert clicks an element by its text when that
// text names it alone among the listed elements, and by id or ref when
// the text is empty, shared (case aside), too long or quoted.
func TestClickListed(t *testing.T) {
	els := []Element{
		{ID: "btn0", Text: "apple"},
		{ID: "btn1", Text: "Send"},
		{ID: "3", Text: "send"},
		{ID: "4", Text: ""},
		{ID: "5", Text: "a label far too long to type"},
		{ID: "6", Text: `say "hi"`},
		{ID: "7", Text: "Log in"},
	}
	for i, want := range []string{`click("apple")`, "click(#btn1)", "click(#3)", "click(#4)", "click(#5)", "click(#6)", `click("Log in")`} {
		got := clickListed(els, i)
		if got != want {
			t.Errorf("element %d (%q): %s, want %s", i, els[i].Text, got, want)
		}
		if a, err := parseIn(got, 160, 210); err != nil || a.String() != got {
			t.Errorf("element %d: %s does not parse back (%v, %v)", i, got, a, err)
		}
	}
}
