package miniwob

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// officialDir is a checkout of the official MiniWoB++ suite
// (git clone https://github.com/Farama-Foundation/miniwob-plusplus); the
// tests on it are skipped without one.
func officialDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VLMQ_MINIWOB_DIR")
	if dir == "" {
		t.Skip("VLMQ_MINIWOB_DIR not set (a checkout of Farama-Foundation/miniwob-plusplus)")
	}
	needChromium(t)
	return dir
}

// officialTasks lists the checkout's tasks, or those named in
// VLMQ_MINIWOB_TASKS (comma-separated) to rerun a few.
func officialTasks(t *testing.T, dir string) []string {
	t.Helper()
	if only := os.Getenv("VLMQ_MINIWOB_TASKS"); only != "" {
		return strings.Split(only, ",")
	}
	tasks, err := ExternalTasks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

// TestOfficialResetStep resets every official task with two seeds in both
// data modes' default (train) and takes a few random valid steps: no task
// may fail to start, fail a step, or end its episode at the start.
func TestOfficialResetStep(t *testing.T) {
	dir := officialDir(t)
	tasks := officialTasks(t, dir)
	listed := 0
	for _, task := range tasks {
		t.Run(task, func(t *testing.T) {
			e := newEnv(t, task, Options{ExternalDir: dir, MaxSteps: 4})
			rng := rand.New(rand.NewPCG(7, uint64(len(task))))
			for _, seed := range []int64{0, 1} {
				o, err := e.Reset(seed)
				if err != nil {
					t.Fatal(err)
				}
				if e.Instruction() == "" {
					t.Errorf("seed %d: empty instruction", seed)
				}
				w, h := e.Size()
				if b := o.Image.Bounds(); b.Dx() != w || b.Dy() != h {
					t.Errorf("image %v, want %dx%d", b, w, h)
				}
				if seed == 0 && len(e.Elements()) > 0 {
					listed++
				}
				for i := 0; i < 3; i++ {
					choice := e.RandomValid(rng)
					st, err := e.Step(e.Syntax().Format(choice))
					if err != nil {
						t.Fatalf("seed %d step %d %s: %v", seed, i, choice, err)
					}
					if !st.Info.Valid && !strings.Contains(st.Info.Reason, "not visible") {
						t.Logf("seed %d step %d %s: %s", seed, i, choice, st.Info.Reason)
					}
					if st.Done {
						break
					}
				}
			}
			if e.Restarts() != 0 {
				t.Errorf("%d browser restarts", e.Restarts())
			}
		})
	}
	t.Logf("%d tasks, %d list elements at reset", len(tasks), listed)
}

// TestOfficialSeeds checks the seed protocol: the same number gives the
// same episode, and the test data mode is accepted.
func TestOfficialSeeds(t *testing.T) {
	dir := officialDir(t)
	for _, task := range []string{"click-button", "book-flight", "email-inbox-nl-turk"} {
		e := newEnv(t, task, Options{ExternalDir: dir, DataMode: DataTest})
		a, err := e.Reset(5)
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.Reset(5)
		if err != nil {
			t.Fatal(err)
		}
		if a.Text != b.Text {
			t.Errorf("%s: seed 5 gave two episodes:\n%s\n---\n%s", task, a.Text, b.Text)
		}
		var mode string
		if err := e.run(func(ctx context.Context) error {
			var err error
			mode, err = eval[string](ctx, `WOB_DATA_MODE`)
			return err
		}); err != nil || mode != DataTest {
			t.Errorf("%s: data mode %q, %v; want %q", task, mode, err, DataTest)
		}
	}
}

// TestOfficialActions plays the action kinds that need a real page: a date
// and a time typed into their inputs, copy and paste with the editing
// keys, and a wheel scroll.
func TestOfficialActions(t *testing.T) {
	dir := officialDir(t)
	value := func(e *Env, id string) string {
		for _, el := range e.Elements() {
			if el.DOMID == id && el.Value != nil {
				return *el.Value
			}
		}
		return "(not listed)"
	}
	for _, c := range []struct{ task, typed, want string }{
		{"enter-date", "11/19/2016", "2016-11-19"},
		{"enter-time", "2:05 PM", "14:05"},
	} {
		e := newEnv(t, c.task, Options{ExternalDir: dir})
		if _, err := e.Reset(1); err != nil {
			t.Fatal(err)
		}
		mustStep(t, e, `type(#tt,"`+c.typed+`")`)
		if got := value(e, "tt"); got != c.want {
			t.Errorf("%s: typed %q, input holds %q, want %q", c.task, c.typed, got, c.want)
		}
	}

	e := newEnv(t, "copy-paste", Options{ExternalDir: dir})
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	text := value(e, "to-copy")
	mustStep(t, e, "click(#to-copy)")
	mustStep(t, e, "press(Ctrl+A)")
	mustStep(t, e, "press(Ctrl+C)")
	mustStep(t, e, "click(#answer-input)")
	mustStep(t, e, "press(Ctrl+V)")
	if got := value(e, "answer-input"); text == "" || !strings.HasPrefix(text, got) || got == "" {
		t.Errorf("pasted %q, copied from %q", got, text)
	}

	e = newEnv(t, "scroll-text", Options{ExternalDir: dir})
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	var box Element
	for _, el := range e.Elements() {
		if el.DOMID == "text-area" {
			box = el
		}
	}
	top := func() float64 {
		var v float64
		if err := e.run(func(ctx context.Context) error {
			var err error
			v, err = eval[float64](ctx, `document.getElementById("text-area").scrollTop`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := top()
	mustStep(t, e, fmt.Sprintf("scroll(%d,%d,down)", box.X+box.W/2, box.Y+box.H/2))
	if after := top(); after <= before {
		t.Errorf("scroll down over the text area: scrollTop %v -> %v", before, after)
	}
}
