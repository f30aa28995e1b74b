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
// text is a short phrase of plain words that names it alone among the
// listed elements, and by id or ref otherwise.
func TestClickListed(t *testing.T) {
	cases := []struct{ text, want string }{
		{"apple", `click("apple")`},
		{"Send", "click(#e1)"}, // shared with "send", case aside
		{"send", "click(#e2)"},
		{"", "click(#e3)"},
		{"a label far too long", "click(#e4)"},
		{`say "hi"`, "click(#e5)"},
		{"Log in", `click("Log in")`},
		{"OK", `click("OK")`},
		{"tR5wXy", "click(#e8)"}, // a random label: too many tokens
		{"tRwXy", "click(#e9)"},
		{"OKay", "click(#e10)"},
		{"SUBMIT", "click(#e11)"},
		{"two  spaces", "click(#e12)"},
		{"Cancel", `click("Cancel")`},
	}
	var els []Element
	for i, c := range cases {
		els = append(els, Element{ID: fmt.Sprintf("e%d", i), Text: c.text})
	}
	for i, c := range cases {
		got := clickListed(els, i)
		if got != c.want {
			t.Errorf("element %d (%q): %s, want %s", i, c.text, got, c.want)
		}
		if a, err := parseIn(got, 160, 210); err != nil || a.String() != got {
			t.Errorf("element %d: %s does not parse back (%v, %v)", i, got, a, err)
		}
	}
}
