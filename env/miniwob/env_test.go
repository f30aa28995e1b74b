package miniwob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"vlmq/env"
)

func TestNewRejectsBadTasks(t *testing.T) {
	needChromium(t)
	for _, task := range []string{"", "no-such-task", "../tasks/click-button", "core/wob"} {
		if e, err := New(task, Options{Browser: shared}); err == nil {
			e.Close()
			t.Errorf("New(%q) succeeded", task)
		}
	}
	if _, err := New("click-button", Options{Browser: shared, MaxSteps: -1}); err == nil {
		t.Error("New with MaxSteps -1 succeeded")
	}
	if _, err := New("click-button", Options{ChromiumPath: "/nonexistent/chromium"}); err == nil {
		t.Error("New with a missing chromium succeeded")
	}
}

func TestResetIsDeterministic(t *testing.T) {
	for _, task := range []string{"click-button", "login-user", "click-color"} {
		t.Run(task, func(t *testing.T) {
			e := newEnv(t, task, Options{})
			a, err := e.Reset(42)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Reset(43); err != nil {
				t.Fatal(err)
			}
			b, err := e.Reset(42)
			if err != nil {
				t.Fatal(err)
			}
			if a.Text != b.Text || !bytes.Equal(a.Image.Pix, b.Image.Pix) {
				t.Errorf("seed 42 gave two different episodes:\n%s\n---\n%s", a.Text, b.Text)
			}
			seen := map[string]bool{}
			for s := int64(0); s < 8; s++ {
				o, err := e.Reset(s)
				if err != nil {
					t.Fatal(err)
				}
				seen[o.Text] = true
			}
			if len(seen) < 4 {
				t.Errorf("8 seeds gave only %d distinct episodes", len(seen))
			}
		})
	}
}

func TestObservation(t *testing.T) {
	e := newEnv(t, "click-button", Options{})
	o, err := e.Reset(5)
	if err != nil {
		t.Fatal(err)
	}
	if o.Legal != nil {
		t.Errorf("Legal = %v, want nil for a parametric space", o.Legal)
	}
	if b := o.Image.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("image %v, want %dx%d", b, Width, Height)
	}
	// The instruction bar is yellow-ish (red and green high, blue lower);
	// the task area below is white.
	bar := o.Image.RGBAAt(150, 45)
	if !(bar.R > 200 && bar.G > 200 && bar.B < 200) {
		t.Errorf("instruction bar pixel %v is not yellow-ish", bar)
	}
	if c := o.Image.RGBAAt(80, 208); c.R < 240 || c.G < 240 || c.B < 240 {
		t.Errorf("area pixel %v is not white", c)
	}
	task := e.Task()
	if !strings.HasPrefix(task.Goal, `Click on the "`) || !strings.Contains(o.Text, task.Goal) {
		t.Errorf("goal %q not in observation %q", task.Goal, o.Text)
	}
	if _, err := parseAction(task.Example); err != nil {
		t.Errorf("Task().Example %q does not parse: %v", task.Example, err)
	}
	// Every listed element appears in the text with its box, and its box
	// lies in the view.
	els := e.Elements()
	if len(els) < 2 {
		t.Fatalf("only %d elements listed", len(els))
	}
	for _, el := range els {
		line := el.line()
		if !strings.Contains(o.Text, line) {
			t.Errorf("observation lacks %q", line)
		}
		if el.X < 0 || el.Y < 50 || el.X+el.W > Width || el.Y+el.H > Height {
			t.Errorf("element %+v outside the task area", el)
		}
	}
	facts := map[string]string{}
	for _, qa := range e.Facts() {
		facts[qa.Question] = qa.Answer
	}
	if facts["What does the instruction say?"] != task.Goal {
		t.Errorf("instruction fact %q, want %q", facts["What does the instruction say?"], task.Goal)
	}
	label := strings.TrimSuffix(strings.TrimPrefix(task.Goal, `Click on the "`), `" button.`)
	if !strings.Contains(facts["What buttons are visible?"], quoted(label)) {
		t.Errorf("buttons fact %q lacks %q", facts["What buttons are visible?"], label)
	}
	if facts["Which element has the focus?"] != "none" {
		t.Errorf("focus fact %q at the start", facts["Which element has the focus?"])
	}
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }

func TestStepOrderErrors(t *testing.T) {
	e := newEnv(t, "click-button", Options{})
	if _, err := e.Step("[action] click(1,60)"); !errors.Is(err, env.ErrNotStarted) {
		t.Errorf("Step before Reset: %v, want ErrNotStarted", err)
	}
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	x := NewExpert(e)
	c, err := x.Act()
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.Step("[action] " + c)
	if err != nil || !st.Done {
		t.Fatalf("expert step: %+v, %v", st, err)
	}
	if _, err := e.Step("[action] click(1,60)"); !errors.Is(err, env.ErrEpisodeDone) {
		t.Errorf("Step after the end: %v, want ErrEpisodeDone", err)
	}
}

func TestInvalidReplies(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		penalty float64
	}{
		{"default", Options{}, -1},
		{"custom", Options{SyntaxPenalty: -0.25}, -0.25},
		{"zero", Options{ZeroSyntaxPenalty: true}, 0},
	}
	replies := []string{
		"I would click the button",  // no marker
		"[action]",                  // marker without choice
		"[action] click the button", // malformed
		"[action] click(500,5)",     // outside the view
		"[action] click(#nothing)",  // no such element
		`[action] click("no such text anywhere")`,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.MaxSteps = len(replies)
			e := newEnv(t, "enter-text", tc.opts)
			o, err := e.Reset(9)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range replies {
				st, err := e.Step(r)
				if err != nil {
					t.Fatalf("Step(%q): %v", r, err)
				}
				if st.Info.Valid || st.Info.Action != "" || !strings.Contains(st.Info.Reason, "invalid") {
					t.Errorf("Step(%q) info %+v, want invalid", r, st.Info)
				}
				last := i == len(replies)-1
				want := tc.penalty
				if last {
					want = TruncationReward
				}
				if st.Reward != want || st.Done != last || st.Info.Truncated != last {
					t.Errorf("Step(%q) reward %v done %v truncated %v; want %v %v %v",
						r, st.Reward, st.Done, st.Info.Truncated, want, last, last)
				}
				if st.Obs.Text != o.Text || !bytes.Equal(st.Obs.Image.Pix, o.Image.Pix) {
					t.Errorf("Step(%q) changed the observation", r)
				}
			}
			if n := len(e.Log()); n != len(replies) {
				t.Errorf("log has %d entries, want %d", n, len(replies))
			}
		})
	}
}

// TestActionKinds solves tasks through each action form: coordinates, text,
// typing and a key press, and checks a wrong click loses.
func TestActionKinds(t *testing.T) {
	t.Run("click-xy", func(t *testing.T) {
		e := newEnv(t, "click-button", Options{})
		if _, err := e.Reset(11); err != nil {
			t.Fatal(err)
		}
		tr, err := e.truth()
		if err != nil {
			t.Fatal(err)
		}
		for _, el := range e.Elements() {
			if el.ID == tr["id"] {
				st := mustStep(t, e, fmt.Sprintf("click(%d,%d)", el.X+el.W/2, el.Y+el.H/2))
				if !st.Done || st.Reward != 1 || !st.Info.Success {
					t.Errorf("clicking the target's centre: %+v", st)
				}
				return
			}
		}
		t.Fatalf("target %v not listed", tr["id"])
	})
	t.Run("click-text-wrong", func(t *testing.T) {
		e := newEnv(t, "click-button", Options{})
		if _, err := e.Reset(12); err != nil {
			t.Fatal(err)
		}
		tr, _ := e.truth()
		for _, el := range e.Elements() {
			if el.ID != tr["id"] {
				st := mustStep(t, e, fmt.Sprintf("click(%q)", el.Text))
				if !st.Done || st.Reward != -1 || st.Info.Success || st.Info.Reason == "" {
					t.Errorf("clicking a wrong button: %+v", st)
				}
				return
			}
		}
	})
	t.Run("click-blank-does-nothing", func(t *testing.T) {
		e := newEnv(t, "click-button", Options{MaxSteps: 3})
		if _, err := e.Reset(13); err != nil {
			t.Fatal(err)
		}
		st := mustStep(t, e, "click(80,10)") // on the instruction bar
		if st.Done || st.Reward != 0 || !st.Info.Valid {
			t.Errorf("clicking the bar: %+v", st)
		}
	})
	t.Run("tab-moves-focus", func(t *testing.T) {
		e := newEnv(t, "login-user", Options{})
		if _, err := e.Reset(15); err != nil {
			t.Fatal(err)
		}
		mustStep(t, e, "click(#username)")
		st := mustStep(t, e, "press(Tab)")
		focused := ""
		for _, el := range e.Elements() {
			if el.Focused {
				focused = el.ID
			}
			if el.ID == "username" && (el.Value == nil || *el.Value != "") {
				t.Errorf("Tab changed the username to %v", el.Value)
			}
		}
		if focused != "password" || !strings.Contains(st.Obs.Text, `value="" focused`) {
			t.Errorf("focus on %q after Tab, want password:\n%s", focused, st.Obs.Text)
		}
	})
	t.Run("type-and-enter", func(t *testing.T) {
		e := newEnv(t, "enter-text", Options{})
		if _, err := e.Reset(14); err != nil {
			t.Fatal(err)
		}
		tr, _ := e.truth()
		mustStep(t, e, "click(#tt)")
		if f := e.Facts()[3].Answer; f != "#tt" {
			t.Errorf("focus after click(#tt) = %q", f)
		}
		st := mustStep(t, e, fmt.Sprintf("type(%q)", tr["text"]))
		if !strings.Contains(st.Obs.Text, fmt.Sprintf("value=%q", tr["text"])) {
			t.Errorf("typed text not in observation:\n%s", st.Obs.Text)
		}
		st = mustStep(t, e, "press(Enter)")
		if !st.Done || st.Reward != 1 {
			t.Errorf("Enter after typing: %+v", st)
		}
	})
}

func mustStep(t *testing.T, e *Env, choice string) env.Step {
	t.Helper()
	st, err := e.Step(e.Syntax().Format(choice))
	if err != nil {
		t.Fatalf("Step(%q): %v", choice, err)
	}
	if !st.Info.Valid {
		t.Fatalf("Step(%q) invalid: %s", choice, st.Info.Reason)
	}
	return st
}

func TestRandomValidIsValid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, task := range []string{"login-user", "click-tab-2", "click-checkboxes"} {
		e := newEnv(t, task, Options{MaxSteps: 6})
		for ep := int64(0); ep < 3; ep++ {
			if _, err := e.Reset(ep); err != nil {
				t.Fatal(err)
			}
			for done := false; !done; {
				c := e.RandomValid(rng)
				st, err := e.Step(e.Syntax().Format(c))
				if err != nil {
					t.Fatal(err)
				}
				if !st.Info.Valid {
					t.Fatalf("%s: RandomValid gave %q, invalid: %s", task, c, st.Info.Reason)
				}
				if st.Reward < -1 || st.Reward > 1 {
					t.Errorf("reward %v outside [-1,1]", st.Reward)
				}
				done = st.Done
			}
		}
	}
}

// TestOwnBrowserCleanUp checks an Env without a shared browser starts its
// own and removes the process and its data dir on Close.
func TestOwnBrowserCleanUp(t *testing.T) {
	needChromium(t)
	e, err := New("focus-text-2", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reset(1); err != nil {
		e.Close()
		t.Fatal(err)
	}
	p := e.browser.Process()
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.Pid))
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	var dir string
	for _, arg := range bytes.Split(cmd, []byte{0}) {
		if d, ok := strings.CutPrefix(string(arg), "--user-data-dir="); ok {
			dir = d
		}
	}
	if dir == "" {
		t.Errorf("no --user-data-dir in %q", cmd)
	} else if _, err := os.Stat(dir); err != nil {
		t.Errorf("user data dir: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if dir != "" {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("user data dir %s still there after Close: %v", dir, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(p.Pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if syscall.Kill(p.Pid, 0) == nil {
		t.Errorf("chromium pid %d still alive after Close", p.Pid)
	}
	if _, err := e.Reset(1); err == nil {
		t.Error("Reset after Close succeeded")
	}
}

// TestAliases checks the old names of renamed pages open them under the
// old name, with the same episodes.
func TestAliases(t *testing.T) {
	for old, name := range Aliases {
		a := newEnv(t, old, Options{})
		b := newEnv(t, name, Options{})
		if a.Name() != "miniwob/"+old || b.Name() != "miniwob/"+name {
			t.Errorf("names %q, %q", a.Name(), b.Name())
		}
		oa, err := a.Reset(7)
		if err != nil {
			t.Fatal(err)
		}
		ob, err := b.Reset(7)
		if err != nil {
			t.Fatal(err)
		}
		if oa.Text != ob.Text {
			t.Errorf("%s and %s differ:\n%s\n---\n%s", old, name, oa.Text, ob.Text)
		}
		if !slices.Contains(Tasks, name) {
			t.Errorf("alias %s names %s, not a task", old, name)
		}
	}
}

// TestWindowSize checks the page sees MiniWoB++'s 500x320 window while
// the observation is its 160x210 top-left corner.
func TestWindowSize(t *testing.T) {
	e := newEnv(t, "click-button", Options{})
	o, err := e.Reset(1)
	if err != nil {
		t.Fatal(err)
	}
	var size []int
	if err := e.run(func(ctx context.Context) error {
		var err error
		size, err = eval[[]int](ctx, `[window.innerWidth, window.innerHeight]`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(size, []int{WindowWidth, WindowHeight}) {
		t.Errorf("window %v, want %dx%d", size, WindowWidth, WindowHeight)
	}
	if b := o.Image.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Errorf("observation %v, want %dx%d", b, Width, Height)
	}
}
