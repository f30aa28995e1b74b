package miniwob

import "testing"

// TestScrollReachesThePage plays scroll actions on one of our pages: each
// must reach the page as a valid step without a browser restart (Chromium
// once rejected every wheel event, whose zero deltaX the typed CDP
// parameters left out, and the Env took that for a broken browser).
func TestScrollReachesThePage(t *testing.T) {
	e := newEnv(t, "click-button", Options{})
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	for _, reply := range []string{"scroll(down)", "scroll(80,120,up)", "scroll(10,60,down)"} {
		st, err := e.Step(e.Syntax().Format(reply))
		if err != nil {
			t.Fatalf("%s: %v", reply, err)
		}
		if !st.Info.Valid || st.Done {
			t.Errorf("%s: valid %v done %v (%s)", reply, st.Info.Valid, st.Done, st.Info.Reason)
		}
	}
	if e.Restarts() != 0 {
		t.Errorf("%d browser restarts", e.Restarts())
	}
}
