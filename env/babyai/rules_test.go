package babyai

import (
	"strings"
	"testing"
)

// Minigrid's PutNext verifier: success needs the dropped object to be the
// one named to move. Dropping the fixed object next to the moved one does
// not count (it used to, in this package).
func TestPutNextOnlyTheMovedObjectCounts(t *testing.T) {
	build := func() (world, mission) {
		w := bareRoom()                                     // agent (1,1) facing east
		w.g.set(pt{2, 1}, &Object{Kind: Box, Color: Green}) // the fixed object, in front
		w.g.set(pt{4, 2}, &Object{Kind: Ball, Color: Red})  // the object to move
		return w, mission{kind: putNext, obj: objDesc{kind: Ball, color: Red}, fixed: objDesc{kind: Box, color: Green}}
	}
	cases := []struct {
		name    string
		replies []string
		success bool
	}{
		// Carry the green box to (3,2) (next to the red ball at (4,2)) and drop it.
		{"fixed dropped next to moved", []string{"pickup", "forward", "forward", "right", "drop"}, false},
		// Carry the box away, fetch the ball and drop it next to the box.
		{"moved dropped next to fixed", []string{"pickup", "right", "drop", "left", "forward", "forward", "forward", "right", "pickup", "right", "forward", "forward", "left", "drop"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, "PutNextLocal")
			w, m := build()
			setWorld(e, w, m)
			var success bool
			for i, r := range tc.replies {
				st, err := e.Step(e.Syntax().Format(r))
				if err != nil {
					t.Fatal(err)
				}
				if st.Done && i < len(tc.replies)-1 {
					t.Fatalf("episode ended at reply %d (%s)", i, r)
				}
				success = st.Info.Success
			}
			if success != tc.success {
				t.Fatalf("success %v, want %v", success, tc.success)
			}
		})
	}
}

// Minigrid's GoToRedBall adds 7 distractors that may repeat and may be red
// balls: P(at least one more red ball) = 1 - (17/18)^7 = 0.33. The mission
// then refers to every red ball and says "a red ball".
func TestGoToRedBallDistractorShare(t *testing.T) {
	e, err := New("GoToRedBall", Options{TileSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	const seeds = 3000
	multi := 0
	for s := range seeds {
		if _, err := e.Reset(int64(s)); err != nil {
			t.Fatal(err)
		}
		reds := 0
		for _, c := range e.w.g.cells {
			if c != nil && c.Kind == Ball && c.Color == Red {
				reds++
			}
		}
		if reds == 0 || len(e.m.obj.set) != reds {
			t.Fatalf("seed %d: %d red balls, mission refers to %d", s, reds, len(e.m.obj.set))
		}
		want := "go to the red ball"
		if reds > 1 {
			multi++
			want = "go to a red ball"
		}
		if e.Mission() != want {
			t.Fatalf("seed %d: %d red balls, mission %q", s, reds, e.Mission())
		}
	}
	share := float64(multi) / seeds
	t.Logf("GoToRedBall: %.3f of %d episodes have 2+ red balls (Minigrid: 1-(17/18)^7 = 0.330)", share, seeds)
	if share < 0.30 || share > 0.36 {
		t.Fatalf("share of episodes with 2+ red balls %.3f, want about 0.33", share)
	}
	if strings.Contains(LevelDoc("GoToRedBall"), "none a red ball") {
		t.Error("stale level doc")
	}
}
