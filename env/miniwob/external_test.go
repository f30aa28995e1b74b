package miniwob

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fakeCheckout is a tiny MiniWoB++-layout folder (html/miniwob/*.html next
// to html/core/core.js) whose core.js speaks the MiniWoB++ protocol.
const fakeCheckout = "testdata/fake-miniwob"

func TestExternalTasks(t *testing.T) {
	got, err := ExternalTasks(fakeCheckout)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"click-test-fake", "nl-fake"}) {
		t.Errorf("ExternalTasks = %v", got)
	}
	if _, err := ExternalTasks(t.TempDir()); err == nil {
		t.Error("ExternalTasks of an empty dir succeeded")
	}
	// The checkout may also be given as the repository root
	// (miniwob/html/miniwob, as in Farama's repository).
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "miniwob", "html", "miniwob"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "miniwob", "html", "core"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"miniwob/html/core/core.js", "miniwob/html/miniwob/a.html", "miniwob/html/miniwob/b.html"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := ExternalTasks(root); err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("ExternalTasks(repo root) = %v, %v", got, err)
	}
}

func TestExternalEpisode(t *testing.T) {
	e := newEnv(t, "click-test-fake", Options{ExternalDir: fakeCheckout, MaxSteps: 3})
	if _, err := New("click-button", Options{ExternalDir: fakeCheckout, Browser: shared}); err == nil {
		t.Error("an unknown external task opened")
	}
	if e.Name() != "miniwob/click-test-fake" {
		t.Errorf("Name = %q", e.Name())
	}
	wins := map[string]bool{}
	texts := map[string]bool{}
	for seed := int64(0); seed < 6; seed++ {
		o, err := e.Reset(seed)
		if err != nil {
			t.Fatal(err)
		}
		texts[o.Text] = true
		goal := e.Task().Goal
		want, ok := strings.CutPrefix(goal, "Click button ")
		want = strings.TrimSuffix(want, ".")
		if !ok || (want != "ONE" && want != "TWO") {
			t.Fatalf("instruction %q (from core.getUtterance)", goal)
		}
		wins[want] = true
		// The harness tags id-less elements so they can be named.
		var ids []string
		for _, el := range e.Elements() {
			if el.Tag == "button" {
				ids = append(ids, el.ID)
			}
		}
		if len(ids) != 2 {
			t.Fatalf("buttons %v in\n%s", ids, o.Text)
		}
		other := "ONE"
		if want == "ONE" {
			other = "TWO"
		}
		// Even seeds win by text, odd seeds lose by clicking the other one.
		choice, reward := `click("`+want+`")`, 1.0
		if seed%2 == 1 {
			choice, reward = `click("`+other+`")`, -1.0
		}
		st := mustStep(t, e, choice)
		// The raw reward is used, not the time-decayed one.
		if !st.Done || st.Reward != reward || st.Info.Success != (reward > 0) {
			t.Errorf("seed %d %s: %+v", seed, choice, st)
		}
	}
	if len(wins) < 2 || len(texts) < 4 {
		t.Errorf("seeds vary too little: instructions %v, %d distinct observations", wins, len(texts))
	}
	// Same seed, same problem.
	a, _ := e.Reset(4)
	b, _ := e.Reset(4)
	if a.Text != b.Text {
		t.Errorf("seed 4 gave different episodes:\n%s\n%s", a.Text, b.Text)
	}
	if _, err := NewExpert(e).Act(); err == nil {
		t.Error("expert for an external task did not fail")
	}
}

// TestExternalTruncation checks the step limit, not the page clock, ends
// an external episode that is never solved.
func TestExternalTruncation(t *testing.T) {
	e := newEnv(t, "click-test-fake", Options{ExternalDir: fakeCheckout, MaxSteps: 2})
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	if st := mustStep(t, e, "click(80,5)"); st.Done {
		t.Fatalf("first blank click ended the episode: %+v", st)
	}
	st := mustStep(t, e, "click(80,5)")
	if !st.Done || !st.Info.Truncated || st.Reward != TruncationReward {
		t.Errorf("second blank click: %+v", st)
	}
}

// TestResetAfterNavigation checks Reset reloads the task page when the
// agent left it.
func TestResetAfterNavigation(t *testing.T) {
	e := newEnv(t, "click-test-fake", Options{ExternalDir: fakeCheckout})
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	if err := e.run(func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Navigate(e.srv.base+"html/core/core.css"))
	}); err != nil {
		t.Fatal(err)
	}
	o, err := e.Reset(1)
	if err != nil {
		t.Fatalf("Reset after navigating away: %v", err)
	}
	if !strings.HasPrefix(o.Text, "Instruction: Click button ") {
		t.Errorf("observation after reload:\n%s", o.Text)
	}
}

// TestRewardModes checks raw and decayed rewards, and that the decay clock
// stops while the agent thinks: a second's pause before the winning click
// costs the decayed reward (10 s budget) far less than the 0.1 it would
// on the wall clock.
func TestRewardModes(t *testing.T) {
	for _, mode := range []string{RewardRaw, RewardDecayed} {
		for _, opts := range []Options{{ExternalDir: fakeCheckout}, {}} {
			opts.Reward = mode
			task := "click-test-fake"
			if opts.ExternalDir == "" {
				task = "click-button"
			}
			e := newEnv(t, task, opts)
			if _, err := e.Reset(2); err != nil {
				t.Fatal(err)
			}
			var choice string
			if opts.ExternalDir != "" {
				choice = `click("` + strings.TrimSuffix(strings.TrimPrefix(e.Task().Goal, "Click button "), ".") + `")`
			} else {
				c, err := NewExpert(e).Act()
				if err != nil {
					t.Fatal(err)
				}
				choice = c
			}
			time.Sleep(time.Second)
			st := mustStep(t, e, choice)
			if !st.Done || !st.Info.Success {
				t.Fatalf("%s %s: %+v", mode, task, st)
			}
			if mode == RewardRaw && st.Reward != 1 {
				t.Errorf("%s: raw reward %v", task, st.Reward)
			}
			// The 1-s pause above is the agent's time and must not decay the
			// reward: counted, it alone would take 1 s / EPISODE_MAX_TIME
			// (10 s) = 0.1 off. The browser's own time is a few tenths of a
			// second on a busy machine, so the bound is the pause's, not a
			// guess at the browser's speed.
			if mode == RewardDecayed && (st.Reward >= 1 || st.Reward <= 0.9) {
				t.Errorf("%s: decayed reward %v, want in (0.9, 1): the agent's pause must not count", task, st.Reward)
			}
		}
	}
	if _, err := New("click-button", Options{Reward: "scaled", Browser: shared}); err == nil {
		t.Error("an unknown reward mode was accepted")
	}
	if _, err := New("click-button", Options{DataMode: "dev", Browser: shared}); err == nil {
		t.Error("an unknown data mode was accepted")
	}
}

// TestPageAnswerIsNoBrowserFailure checks an answer of the page that does
// not decode (an instruction object where a string was expected, say) is
// reported as the page's error, not taken for a broken browser.
func TestPageAnswerIsNoBrowserFailure(t *testing.T) {
	var v struct{ S string }
	err := json.Unmarshal([]byte(`{"S":{"utterance":"x"}}`), &v)
	if err == nil || browserFailure(err) || !pageError(err) {
		t.Errorf("decode error %v: browserFailure %v", err, browserFailure(err))
	}
	if !browserFailure(errors.New("connection reset")) {
		t.Error("a connection error is not a browser failure")
	}
}

// TestObjectInstruction checks an instruction given as an object (MiniWoB++'s
// NL tasks) is read by its utterance, and that a partial reward is a
// reward but not a success.
func TestObjectInstruction(t *testing.T) {
	e := newEnv(t, "nl-fake", Options{ExternalDir: fakeCheckout})
	if _, err := e.Reset(3); err != nil {
		t.Fatal(err)
	}
	if g := e.Task().Goal; !strings.HasPrefix(g, "Forward the email of ") {
		t.Errorf("instruction %q", g)
	}
	st := mustStep(t, e, `click("HALF")`)
	if !st.Done || st.Reward != 0.5 || st.Info.Success || !strings.Contains(st.Info.Reason, "partial reward 0.50") {
		t.Errorf("partial step %+v", st)
	}
	if e.Restarts() != 0 {
		t.Errorf("%d browser restarts", e.Restarts())
	}
}
