package miniwob

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ownBrowser starts a browser just for one test, so that killing it does
// not disturb the shared one.
func ownBrowser(t *testing.T) *Browser {
	t.Helper()
	needChromium(t)
	b, err := NewBrowser("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// playUntil runs the expert for n steps (or to the end) and returns whether
// the episode ended.
func playUntil(t *testing.T, e *Env, x interface{ Act() (string, error) }, n int) bool {
	t.Helper()
	for i := 0; i < n; i++ {
		c, err := x.Act()
		if err != nil {
			t.Fatalf("expert: %v", err)
		}
		st := mustStep(t, e, c)
		if st.Done {
			if !st.Info.Success {
				t.Fatalf("episode failed: %+v log %+v", st, e.Log())
			}
			return true
		}
	}
	return false
}

// TestRecoverFromKilledBrowser kills Chromium in the middle of a login and
// checks the Env restarts it, replays the typed fields and finishes the
// episode with the full log.
func TestRecoverFromKilledBrowser(t *testing.T) {
	b := ownBrowser(t)
	e := newEnv(t, "login-user", Options{Browser: b})
	// A second Env on the same browser must survive the restart too.
	other := newEnv(t, "click-button", Options{Browser: b})
	if _, err := other.Reset(3); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reset(21); err != nil {
		t.Fatal(err)
	}
	x := NewExpert(e)
	x.Reset()
	if playUntil(t, e, x, 3) { // click username, type it, click password
		t.Fatal("episode ended too early")
	}
	before := e.Elements()
	p := b.Process()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Wait()

	c, err := x.Act() // reads the (cached) view, not the dead page
	if err != nil {
		t.Fatal(err)
	}
	st := mustStep(t, e, c)
	if e.Restarts() != 1 || b.Restarts() != 1 {
		t.Errorf("restarts: env %d browser %d, want 1 and 1", e.Restarts(), b.Restarts())
	}
	// The username typed before the crash is still in its field.
	after := map[string]Element{}
	for _, el := range e.Elements() {
		after[el.ID] = el
	}
	for _, el := range before {
		if el.ID == "username" && (after["username"].Value == nil || *after["username"].Value != *el.Value) {
			t.Errorf("username after replay %v, before %q", after["username"].Value, *el.Value)
		}
	}
	if !st.Done && !playUntil(t, e, x, 5) {
		t.Fatal("episode did not end after the restart")
	}
	if n := len(e.Log()); n < 5 {
		t.Errorf("log has %d entries, want the whole episode (>= 5)", n)
	}
	// The other Env reopens its tab on its next step.
	xo := NewExpert(other)
	if !playUntil(t, other, xo, 2) {
		t.Error("the other env did not finish")
	}
	if other.Restarts() != 1 || b.Restarts() != 1 {
		t.Errorf("other env restarts %d, browser %d; want 1 and 1 (no second launch)", other.Restarts(), b.Restarts())
	}
}

// TestRecoverReplaysTextClicks: a click by text before the crash is
// replayed on the restarted page, which must list its elements first
// (choose-list's expert picks the option by its text, then submits).
func TestRecoverReplaysTextClicks(t *testing.T) {
	b := ownBrowser(t)
	e := newEnv(t, "choose-list", Options{Browser: b})
	x := NewExpert(e)
	// A seed whose list does not start at the right item, so the expert
	// first picks it by its text.
	for seed := int64(1); ; seed++ {
		if _, err := e.Reset(seed); err != nil {
			t.Fatal(err)
		}
		x.Reset()
		c, err := x.Act()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(c, `click("`) {
			break
		}
		if seed == 20 {
			t.Fatal("no seed in 1-20 whose first expert action clicks by text")
		}
	}
	if playUntil(t, e, x, 1) {
		t.Fatalf("episode ended too early: %+v", e.Log())
	}
	p := b.Process()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	if !playUntil(t, e, x, 3) { // fails the test unless the replayed choice counts
		t.Fatal("episode did not end after the restart")
	}
	if e.Restarts() != 1 {
		t.Errorf("env restarts %d, want 1", e.Restarts())
	}
}

// TestRecoverFromHang freezes the page with an endless script; the step
// times out, the browser restarts and the episode continues.
func TestRecoverFromHang(t *testing.T) {
	b := ownBrowser(t)
	e := newEnv(t, "enter-password", Options{Browser: b, StepTimeout: 2 * time.Second})
	if _, err := e.Reset(8); err != nil {
		t.Fatal(err)
	}
	x := NewExpert(e)
	x.Reset()
	if playUntil(t, e, x, 2) {
		t.Fatal("episode ended too early")
	}
	err := e.run(func(ctx context.Context) error {
		_, err := eval[bool](ctx, `setTimeout(function(){for(;;){}}, 0), true`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !playUntil(t, e, x, 6) {
		t.Fatal("episode did not end after the hang")
	}
	if e.Restarts() != 1 {
		t.Errorf("restarts %d, want 1", e.Restarts())
	}
	t.Logf("recovered from a hang in %v", time.Since(start))
}

// TestUnrecoverableEndsEpisode closes the browser under the Env: the step
// cannot be recovered, so the episode ends with a reason and the log stays.
func TestUnrecoverableEndsEpisode(t *testing.T) {
	b := ownBrowser(t)
	e := newEnv(t, "login-user", Options{Browser: b})
	if _, err := e.Reset(2); err != nil {
		t.Fatal(err)
	}
	mustStep(t, e, "click(#username)")
	b.Close()
	st, err := e.Step("[action] type(\"bob\")")
	if err != nil {
		t.Fatalf("Step: %v", err)
	}
	if !st.Done || st.Info.Success || !strings.Contains(st.Info.Reason, "browser failure") {
		t.Errorf("step after the browser closed: %+v", st)
	}
	log := e.Log()
	if len(log) != 2 || log[0].Action != "click(#username)" || log[1].Action != `type("bob")` {
		t.Errorf("log %+v, want both steps", log)
	}
}

// TestBrowserLeavesNoTempFiles: a killed Chromium leaves its singleton
// socket folder in TMPDIR; every launch must clean up after itself, through
// restarts and Close.
func TestBrowserLeavesNoTempFiles(t *testing.T) {
	needChromium(t)
	// A short folder: Chromium's socket path must fit 108 bytes.
	dir, err := os.MkdirTemp("/tmp", "vt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	t.Setenv("TMPDIR", dir)
	b, err := NewBrowser("")
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("a running browser should own one temp folder, found %d", len(ents))
	}
	if err := b.restart(b.generation()); err != nil {
		t.Fatal(err)
	}
	b.Close()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

// TestRecoverBrowserKilledAtChunkStart: a collector opens its env at the
// start of every chunk, so Chromium can die between its launch and the
// first tab, or before the first Reset. Both must recover: New reopens the
// tab on a restarted browser and the episode plays to success.
func TestRecoverBrowserKilledAtChunkStart(t *testing.T) {
	b := ownBrowser(t)
	kill := func() {
		t.Helper()
		p := b.Process()
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		p.Wait()
	}
	kill() // before the env opens its tab
	e := newEnv(t, "click-button", Options{Browser: b})
	if e.Restarts() != 1 || b.Restarts() != 1 {
		t.Errorf("after a kill before the tab: restarts env %d browser %d, want 1 and 1", e.Restarts(), b.Restarts())
	}
	kill() // after the tab opened, before the first Reset
	if _, err := e.Reset(4); err != nil {
		t.Fatal(err)
	}
	x := NewExpert(e)
	x.Reset()
	if !playUntil(t, e, x, 3) {
		t.Fatal("episode did not end")
	}
	if e.Restarts() != 2 || b.Restarts() != 2 {
		t.Errorf("restarts env %d browser %d, want 2 and 2", e.Restarts(), b.Restarts())
	}
}

// TestLaunchRetriesKilledBrowser: a Chromium killed while it starts is
// started again. The fake browser kills itself on its first launch and
// runs the real one afterwards.
func TestLaunchRetriesKilledBrowser(t *testing.T) {
	needChromium(t)
	dir := t.TempDir()
	count := filepath.Join(dir, "launches")
	script := filepath.Join(dir, "chromium")
	body := fmt.Sprintf("#!/bin/sh\necho x >> %q\nif [ $(wc -l < %q) -eq 1 ]; then kill -9 $$; fi\nexec %q \"$@\"\n", count, count, DefaultChromium())
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := NewBrowser(script)
	if err != nil {
		t.Fatalf("NewBrowser after a killed launch: %v", err)
	}
	defer b.Close()
	e := newEnv(t, "click-button", Options{Browser: b})
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(count); strings.Count(string(data), "x") != 2 {
		t.Errorf("%d launches, want 2", strings.Count(string(data), "x"))
	}
	// A browser that dies at every launch still fails, with the cause.
	if err := os.WriteFile(script, []byte("#!/bin/sh\nkill -9 $$\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewBrowser(script); err == nil || !strings.Contains(err.Error(), "attempts") {
		t.Errorf("NewBrowser of a browser that always dies: %v", err)
	}
}
