package babyai

import (
	"math"
	"strings"
	"testing"

	"vlmq/env"
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

// play steps the replies and returns the last step.
func play(t *testing.T, e *Env, replies ...string) env.Step {
	t.Helper()
	var st env.Step
	for i, r := range replies {
		var err error
		if st, err = e.Step(e.Syntax().Format(r)); err != nil {
			t.Fatal(err)
		}
		if st.Done && i < len(replies)-1 {
			t.Fatalf("episode ended at reply %d (%s): %+v", i, r, st.Info)
		}
	}
	return st
}

// twoDoorRoom: agent at (3,3) facing north, a red door straight ahead in
// the top wall at (3,0), a blue door in the right wall at (7,3).
func twoDoorRoom() world {
	w := bareRoom()
	w.agent, w.dir = pt{3, 3}, 3
	w.g.set(pt{3, 0}, &Object{Kind: Door, Color: Red, State: DoorClosed})
	w.g.set(pt{7, 3}, &Object{Kind: Door, Color: Blue, State: DoorClosed})
	return w
}

func openDesc(c Color, strict bool) *mission {
	m := leaf(openDoor, objDesc{kind: Door, color: c})
	m.strict = strict
	return m
}

// To the red door: forward twice, toggle. To the blue door from there:
// back down to row 3 and east.
var (
	toRed  = []string{"forward", "forward", "toggle"}
	toBlue = []string{"right", "right", "forward", "forward", "left", "forward", "forward", "forward", "toggle"}
)

func TestSequenceVerifiers(t *testing.T) {
	cases := []struct {
		name    string
		m       *mission
		replies []string
		done    bool
		success bool
	}{
		{"then: in order", seq(beforeSeq, openDesc(Red, false), openDesc(Blue, false)), append(append([]string{}, toRed...), toBlue...), true, true},
		{"then: second first does not count", seq(beforeSeq, openDesc(Blue, false), openDesc(Red, false)), append(append([]string{}, toRed...), toBlue...), false, false},
		{"after you: second first", seq(afterSeq, openDesc(Blue, false), openDesc(Red, false)), append(append([]string{}, toRed...), toBlue...), true, true},
		{"and: any order", seq(andSeq, openDesc(Blue, false), openDesc(Red, false)), append(append([]string{}, toRed...), toBlue...), true, true},
		{"and: one is not enough", seq(andSeq, openDesc(Blue, false), openDesc(Red, false)), toRed, false, false},
		// OpenRedBlueDoorsDebug: the first instruction is strict.
		{"strict first: wrong door fails", seq(beforeSeq, openDesc(Blue, true), openDesc(Red, false)), toRed, true, false},
		{"strict first: right order", seq(beforeSeq, openDesc(Red, true), openDesc(Blue, false)), append(append([]string{}, toRed...), toBlue...), true, true},
		// Minigrid checks the second instruction with the toggle that
		// completes the first; strict, it sees the wrong door and fails.
		{"two strict opens fail on the first toggle", seq(beforeSeq, openDesc(Red, true), openDesc(Blue, true)), toRed, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, "OpenTwoDoors")
			setWorld(e, twoDoorRoom(), *tc.m)
			st := play(t, e, tc.replies...)
			if st.Done != tc.done || st.Info.Success != tc.success {
				t.Fatalf("done %v success %v, want %v %v (%+v)", st.Done, st.Info.Success, tc.done, tc.success, st.Info)
			}
			if st.Done && !st.Info.Success && st.Reward != 0 {
				t.Fatalf("failure reward %v", st.Reward)
			}
		})
	}
}

// Go-to checks the positions Minigrid's verifier tracks: where the named
// objects stood at the start, refreshed after every drop action.
func TestGoToTrackedPositions(t *testing.T) {
	build := func() (*Env, *mission) {
		e := newTestEnv(t, "GoToLocal")
		w := bareRoom()
		w.agent, w.dir = pt{3, 3}, 0                         // facing east
		w.g.set(pt{4, 3}, &Object{Kind: Ball, Color: Red})   // in front
		w.g.set(pt{1, 6}, &Object{Kind: Key, Color: Purple}) // far away
		m := seq(beforeSeq, leaf(goTo, objDesc{kind: Key, color: Purple}), leaf(goTo, objDesc{kind: Ball, color: Red}))
		setWorld(e, w, *m)
		return e, e.m
	}
	// Pick the ball up (nothing is dropped), go to the key, come back to
	// face the empty cell where the ball was: that counts.
	e, _ := build()
	st := play(t, e, "pickup", "right", "forward", "forward", "forward", "right", "forward",
		"right", "forward", "forward", "forward", "right", "forward")
	if !st.Info.Success {
		t.Fatalf("facing the ball's tracked cell did not count: %+v", st.Info)
	}
	// After a drop the ball is tracked where it lies: its old cell no
	// longer counts.
	e, m := build()
	play(t, e, "pickup", "left", "drop")
	if m.b.obj.at(pt{4, 3}) || !m.b.obj.at(pt{3, 2}) {
		t.Fatalf("tracked positions after the drop: %v", m.b.obj.poss)
	}
}

// PutNext...Carrying starts with the object in hand, but Minigrid's verifier
// only learns what is carried at its first check, so a drop on the very
// first step does not count; the same drop later does.
func TestPutNextCarryingFirstDrop(t *testing.T) {
	build := func() *Env {
		e := newTestEnv(t, "PutNextS5N2Carrying")
		w := bareRoom()
		w.agent, w.dir = pt{3, 3}, 0
		ball := &Object{Kind: Ball, Color: Red}
		w.g.set(pt{5, 3}, &Object{Kind: Box, Color: Green})
		m := leaf(putNext, objDesc{kind: Ball, color: Red})
		m.fixed = objDesc{kind: Box, color: Green}
		w.g.set(pt{2, 2}, ball)
		setWorld(e, w, *m)
		e.w.g.set(pt{2, 2}, nil)
		e.w.carrying = ball
		return e
	}
	if st := play(t, build(), "drop"); st.Done {
		t.Fatalf("a first-step drop counted: %+v", st.Info)
	}
	if st := play(t, build(), "left", "right", "drop"); !st.Info.Success {
		t.Fatalf("a later drop next to the box did not count: %+v", st.Info)
	}
}

// Strict pickups (PickupDistDebug) fail on the wrong object.
func TestStrictPickup(t *testing.T) {
	e := newTestEnv(t, "PickupDistDebug")
	w := bareRoom()
	w.g.set(pt{2, 1}, &Object{Kind: Ball, Color: Red})
	w.g.set(pt{5, 5}, &Object{Kind: Key, Color: Red})
	m := leaf(pickUp, objDesc{kind: Key, anyColor: true})
	m.strict = true
	setWorld(e, w, *m)
	if st := play(t, e, "pickup"); !st.Done || st.Info.Success {
		t.Fatalf("wrong pickup: %+v", st.Info)
	}
}

// Descriptions: location words apply to the agent's starting room only;
// without a kind ("the red object") any cell matches, walls included, so a
// grey object is always "a grey object"; "the" needs exactly one match.
func TestDescriptions(t *testing.T) {
	lay := layout{5, 1, 2}
	w := world{g: newGrid(lay.width(), lay.height()), lay: lay, agent: pt{2, 2}, dir: 0}
	for x := range lay.width() {
		w.g.set(pt{x, 0}, theWall)
		w.g.set(pt{x, 4}, theWall)
	}
	for y := range lay.height() {
		w.g.set(pt{0, y}, theWall)
		w.g.set(pt{4, y}, theWall)
		w.g.set(pt{8, y}, theWall)
	}
	near := &Object{Kind: Ball, Color: Red}
	far := &Object{Kind: Ball, Color: Red}
	w.g.set(pt{3, 2}, near)
	w.g.set(pt{6, 2}, far) // in front too, but in the other room
	d := objDesc{kind: Ball, color: Red, loc: locFront}
	d.resolve(&w)
	if len(d.set) != 1 || d.set[0] != near || d.surface() != "the red ball in front of you" {
		t.Fatalf("front: %v %q", d.set, d.surface())
	}
	d = objDesc{kind: Ball, color: Red}
	d.resolve(&w)
	if d.surface() != "a red ball" {
		t.Fatalf("%q", d.surface())
	}
	grey := &Object{Kind: Key, Color: Grey}
	w.g.set(pt{1, 1}, grey)
	d = objDesc{kind: Empty, color: Grey}
	d.resolve(&w)
	if d.surface() != "a grey object" || !d.has(grey) {
		t.Fatalf("%q", d.surface())
	}
	d = objDesc{kind: Empty, color: Red, loc: locBehind}
	d.resolve(&w)
	if len(d.set) != 0 {
		t.Fatalf("behind: %v", d.set)
	}
}

// The share of "a" missions follows from Minigrid's generation: the target
// is one of n random distractors, and "a" means another one shares its kind
// and colour, with probability 1 - (17/18)^(n-1).
func TestArticleShares(t *testing.T) {
	for _, tc := range []struct {
		level string
		n     int
	}{{"GoToLocal", 8}, {"GoToLocalS6N4", 4}, {"GoTo", 18}, {"Pickup", 18}, {"GoToObjMaze", 1}} {
		e, err := New(tc.level, Options{TileSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		const seeds = 2000
		a := 0
		for s := range seeds {
			if _, err := e.Reset(int64(s)); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(e.Mission(), " a ") {
				a++
			}
		}
		got := float64(a) / seeds
		want := 1 - math.Pow(17.0/18, float64(tc.n-1))
		t.Logf("%s: %.3f of missions say \"a\", expected %.3f", tc.level, got, want)
		if math.Abs(got-want) > 0.035 {
			t.Errorf("%s: share of \"a\" %.3f, want %.3f", tc.level, got, want)
		}
	}
}
