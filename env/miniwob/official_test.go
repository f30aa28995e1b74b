package miniwob

import (
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
	}
}
