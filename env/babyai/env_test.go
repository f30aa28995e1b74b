package babyai

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"vlmq/env"
)

func TestNewErrors(t *testing.T) {
	cases := []struct {
		level string
		opts  Options
	}{
		{"NoSuchLevel", Options{}},
		{"", Options{}},
		{"GoToLocal", Options{TileSize: -1}},
		{"GoToLocal", Options{TileSize: 100000}},
		{"GoToLocal", Options{MaxSteps: -5}},
	}
	for _, tc := range cases {
		if _, err := New(tc.level, tc.opts); err == nil {
			t.Errorf("New(%q, %+v) gave no error", tc.level, tc.opts)
		}
	}
}

func TestStepBeforeResetAndAfterDone(t *testing.T) {
	e, err := New("GoToObj", Options{MaxSteps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step("[action] left"); !errors.Is(err, env.ErrNotStarted) {
		t.Fatalf("Step before Reset: %v", err)
	}
	if _, err := NewBot(e).Act(); !errors.Is(err, env.ErrNotStarted) {
		t.Fatalf("bot before Reset: %v", err)
	}
	if _, err := e.Reset(3); err != nil {
		t.Fatal(err)
	}
	st, err := e.Step("[action] left")
	if err != nil || !st.Done {
		t.Fatalf("one-step episode: done=%v err=%v", st.Done, err)
	}
	if _, err := e.Step("[action] left"); !errors.Is(err, env.ErrEpisodeDone) {
		t.Fatalf("Step after done: %v", err)
	}
}

// Step limits follow Minigrid: navs * room_size^2 * rooms unless the level
// fixes one.
func TestMaxSteps(t *testing.T) {
	want := map[string]int{
		"GoToRedBall": 64, "GoToObjS4": 16, "GoToLocalS5N2": 25, "PutNextLocal": 128,
		"GoToDoor": 441, "Open": 576, "UnlockLocal": 576, "UnlockLocalDist": 576, "KeyInBox": 576,
		"GoTo": 576, "GoToObjMazeS4R2": 64, "OpenRedDoor": 50, "OpenTwoDoors": 720,
		"OpenDoorsOrderN4": 720, "PickupAbove": 288, "PutNextS4N1": 128, "PutNextS7N4Carrying": 392,
		"UnlockPickup": 72, "BlockedUnlockPickup": 576, "UnlockToUnlock": 1080, "FindObjS7": 980,
		"KeyCorridorS3R1": 270, "KeyCorridor": 1080, "OneRoomS20": 400, "MoveTwoAcrossS8N9": 1024,
		"ActionObjDoor": 441, "PickupDist": 49,
	}
	for name, w := range want {
		e := newTestEnv(t, name)
		if e.MaxSteps() != w {
			t.Errorf("%s: max steps %d, want %d", name, e.MaxSteps(), w)
		}
	}
	// Sequences add up their navigations: 1 per action, 2 per put-next.
	for _, name := range Levels {
		lv, _ := findLevel(name)
		e, _ := New(name, Options{})
		for seed := range int64(5) {
			e.Reset(seed)
			w := lv.maxSteps
			if w == 0 {
				w = e.m.navs() * lv.lay.size * lv.lay.size * lv.lay.rooms()
			}
			if e.MaxSteps() != w {
				t.Errorf("%s/%d (%q): max steps %d, want %d", name, seed, e.Mission(), e.MaxSteps(), w)
			}
		}
	}
	e, _ := New("BossLevel", Options{})
	for seed := int64(0); ; seed++ {
		e.Reset(seed)
		if e.m.kind == beforeSeq && e.m.a.kind == putNext && e.m.b.kind == andSeq {
			if n := 2 + e.m.b.navs(); e.MaxSteps() != n*576 {
				t.Errorf("%q: max steps %d, want %d", e.Mission(), e.MaxSteps(), n*576)
			}
			break
		}
	}
	e, _ = New("PutNextLocal", Options{MaxSteps: 7})
	e.Reset(0)
	if e.MaxSteps() != 7 {
		t.Errorf("override: %d", e.MaxSteps())
	}
}

// goToBallWorld: agent at (1,1) facing east, red ball at (4,1); two
// forwards reach it.
func goToBallWorld() (world, mission) {
	w := bareRoom()
	w.g.set(pt{4, 1}, &Object{Kind: Ball, Color: Red})
	return w, mission{kind: goTo, obj: objDesc{kind: Ball, color: Red}}
}

func TestRewardFormula(t *testing.T) {
	cases := []struct {
		maxSteps int
		prefix   []string // replies before the two forwards
	}{
		{0, nil},
		{0, []string{"[action] left", "[action] right"}},
		{0, []string{"nonsense"}}, // invalid replies count as steps
		{10, []string{"[action] done", "[action] done", "[action] done"}},
	}
	for _, tc := range cases {
		e, _ := New("GoToRedBallNoDists", Options{MaxSteps: tc.maxSteps})
		w, m := goToBallWorld()
		setWorld(e, w, m)
		var last env.Step
		for _, r := range append(tc.prefix, "[action] forward", "[action] forward") {
			st, err := e.Step(r)
			if err != nil {
				t.Fatal(err)
			}
			last = st
		}
		steps := len(tc.prefix) + 2
		max := 64
		if tc.maxSteps > 0 {
			max = tc.maxSteps
		}
		want := 1 - 0.9*float64(steps)/float64(max)
		if !last.Done || !last.Info.Success || last.Info.Truncated || math.Abs(last.Reward-want) > 1e-12 {
			t.Errorf("%+v: done=%v success=%v reward=%v want %v", tc, last.Done, last.Info.Success, last.Reward, want)
		}
	}
}

func TestTruncation(t *testing.T) {
	e, _ := New("GoToRedBallNoDists", Options{MaxSteps: 3})
	w, m := goToBallWorld()
	setWorld(e, w, m)
	for i := range 3 {
		st, err := e.Step("[action] left")
		if err != nil {
			t.Fatal(err)
		}
		if st.Done != (i == 2) || st.Reward != 0 {
			t.Fatalf("step %d: done=%v reward=%v", i, st.Done, st.Reward)
		}
		if i == 2 && (!st.Info.Truncated || st.Info.Success) {
			t.Fatalf("last step: %+v", st.Info)
		}
	}
}

// Success on the very last allowed step counts as success, not truncation.
func TestSuccessOnLastStep(t *testing.T) {
	e, _ := New("GoToRedBallNoDists", Options{MaxSteps: 2})
	w, m := goToBallWorld()
	setWorld(e, w, m)
	e.Step("[action] forward")
	st, _ := e.Step("[action] forward")
	if !st.Info.Success || st.Info.Truncated || math.Abs(st.Reward-0.1) > 1e-12 {
		t.Fatalf("%+v reward %v", st.Info, st.Reward)
	}
}

func TestInvalidRepliesLeaveStateUnchanged(t *testing.T) {
	replies := []string{"", "forward", "[action]", "[action] jump", "[action] forward please", "[ACTION]forwardd", "[act] left"}
	penalties := []struct {
		opts Options
		want float64
	}{
		{Options{}, -1},
		{Options{SyntaxPenalty: -0.25}, -0.25},
		{Options{ZeroSyntaxPenalty: true}, 0},
	}
	for _, p := range penalties {
		e, _ := New("GoToLocal", p.opts)
		obs0, _ := e.Reset(11)
		before := e.w
		beforeGrid := append([]*Object(nil), e.w.g.cells...)
		for i, r := range replies {
			st, err := e.Step(r)
			if err != nil {
				t.Fatal(err)
			}
			if st.Info.Valid || st.Reward != p.want || st.Info.Reason == "" {
				t.Errorf("reply %q: valid=%v reward=%v reason=%q", r, st.Info.Valid, st.Reward, st.Info.Reason)
			}
			if e.Steps() != i+1 {
				t.Errorf("steps %d after %d invalid replies", e.Steps(), i+1)
			}
			if e.w.agent != before.agent || e.w.dir != before.dir || e.w.carrying != before.carrying {
				t.Fatalf("agent changed after %q", r)
			}
			for j := range beforeGrid {
				if e.w.g.cells[j] != beforeGrid[j] {
					t.Fatalf("grid changed after %q", r)
				}
			}
			if st.Obs.Text != obs0.Text || !bytes.Equal(st.Obs.Image.Pix, obs0.Image.Pix) {
				t.Fatalf("observation changed after %q", r)
			}
		}
	}
	// Replies are matched case-insensitively, thoughts before the marker allowed.
	e, _ := New("GoToLocal", Options{})
	e.Reset(11)
	st, _ := e.Step("I should turn.\n[action] LEFT")
	if !st.Info.Valid || st.Info.Action != "left" {
		t.Fatalf("valid reply rejected: %+v", st.Info)
	}
}

func TestCustomSyntax(t *testing.T) {
	e, _ := New("GoToLocal", Options{Syntax: env.Syntax{Marker: "Action:"}})
	e.Reset(2)
	if st, _ := e.Step("[action] left"); st.Info.Valid {
		t.Error("default marker accepted by a custom syntax")
	}
	if st, _ := e.Step("Action: left"); !st.Info.Valid {
		t.Errorf("custom marker rejected: %s", st.Info.Reason)
	}
}

// obsKey summarises everything an episode shows the agent.
func obsKey(o env.Observation) string {
	return o.Text + "|" + string(o.Image.Pix)
}

func TestDeterminismPerSeed(t *testing.T) {
	for _, name := range Levels {
		a, _ := New(name, Options{})
		b, _ := New(name, Options{})
		missions := map[string]bool{}
		for seed := int64(0); seed < 20; seed++ {
			oa, err := a.Reset(seed)
			if err != nil {
				t.Fatal(err)
			}
			ob, _ := b.Reset(seed)
			if obsKey(oa) != obsKey(ob) || a.Mission() != b.Mission() {
				t.Fatalf("%s seed %d: resets differ", name, seed)
			}
			missions[fmt.Sprint(a.Mission(), oa.Text, a.w.agent, a.w.dir)] = true
			rng := rand.New(rand.NewPCG(uint64(seed), 1))
			for range 30 {
				r := "[action] " + a.RandomValid(rng)
				sa, _ := a.Step(r)
				sb, _ := b.Step(r)
				if obsKey(sa.Obs) != obsKey(sb.Obs) || sa.Reward != sb.Reward || sa.Done != sb.Done {
					t.Fatalf("%s seed %d: steps differ", name, seed)
				}
				if sa.Done {
					break
				}
			}
		}
		if len(missions) < 10 {
			t.Errorf("%s: only %d distinct episodes over 20 seeds", name, len(missions))
		}
	}
}

// Generated episodes satisfy Minigrid's constraints: grid size, walls and
// doors where the room grid puts them, object and door counts, the agent
// on a free cell not facing an object, and level-specific rules.
func TestGenerationInvariants(t *testing.T) {
	objCount := map[string]int{
		"GoToObj": 1, "GoToRedBallGrey": 8, "GoToRedBall": 8, "GoToRedBallNoDists": 1,
		"GoToLocal": 8, "GoToLocalS6N3": 3, "PickupLoc": 8, "PutNextLocal": 8, "GoToDoor": 0, "Open": 18,
		"UnlockLocal": 1, "UnlockLocalDist": 4, "KeyInBox": 1, "GoTo": 18, "GoToObjMaze": 1,
		"GoToImpUnlock": 18, "Pickup": 18, "UnblockPickup": 20, "PickupDist": 5, "PickupAbove": 1,
		"PutNextS7N4": 8, "PutNextS6N3Carrying": 6, "Unlock": 25, "UnlockPickup": 2, "UnlockPickupDist": 6,
		"BlockedUnlockPickup": 3, "UnlockToUnlock": 3, "ActionObjDoor": 5, "FindObjS5": 1,
		"KeyCorridorS3R3": 2, "OneRoomS12": 1, "MoveTwoAcrossS8N9": 18, "GoToObjDoor": 8,
		"OpenDoor": 0, "OpenTwoDoors": 0, "OpenRedDoor": 0,
	}
	doorCount := map[string]int{
		"GoToDoor": 4, "GoToObjDoor": 4, "ActionObjDoor": 4, "OpenDoor": 4, "OpenTwoDoors": 2,
		"OpenDoorsOrderN4": 4, "OpenDoorsOrderN2": 2, "OpenRedDoor": 1, "UnlockLocal": 1, "KeyInBox": 1,
		"UnlockPickup": 1, "BlockedUnlockPickup": 1, "UnlockToUnlock": 2, "PutNextS5N2": 0, "OneRoomS8": 0,
	}
	for _, name := range Levels {
		lv, _ := findLevel(name)
		e, _ := New(name, Options{})
		for seed := int64(0); seed < 40; seed++ {
			if _, err := e.Reset(seed); err != nil {
				t.Fatal(err)
			}
			w := &e.w
			if w.g.w != lv.lay.width() || w.g.h != lv.lay.height() {
				t.Fatalf("%s/%d: grid %dx%d", name, seed, w.g.w, w.g.h)
			}
			if c := w.g.get(w.agent); c != nil {
				t.Fatalf("%s/%d: agent on %v", name, seed, c)
			}
			if f := w.g.get(w.front()); movable(f) {
				t.Fatalf("%s/%d: agent starts facing %v", name, seed, f)
			}
			objs, doors := 0, 0
			kinds := map[[2]int]int{}
			step := lv.lay.size - 1
			for i, c := range w.g.cells {
				x, y := i%w.g.w, i/w.g.w
				onWall := x%step == 0 || y%step == 0
				corner := x%step == 0 && y%step == 0
				border := x == 0 || y == 0 || x == w.g.w-1 || y == w.g.h-1
				switch {
				case c == nil:
					if border || corner {
						t.Fatalf("%s/%d: hole in the wall at (%d,%d)", name, seed, x, y)
					}
				case c.Kind == Door:
					doors++
					if !onWall || border || corner {
						t.Fatalf("%s/%d: door at (%d,%d)", name, seed, x, y)
					}
				case c.Kind == Wall:
					if !onWall {
						t.Fatalf("%s/%d: wall inside a room at (%d,%d)", name, seed, x, y)
					}
				default:
					objs++
					kinds[[2]int{int(c.Kind), int(c.Color)}]++
					if onWall {
						t.Fatalf("%s/%d: object on a wall", name, seed)
					}
				}
			}
			if w.carrying != nil {
				objs++
			}
			if n, ok := objCount[name]; ok && objs != n {
				t.Fatalf("%s/%d: %d objects, want %d", name, seed, objs, n)
			}
			if n, ok := doorCount[name]; ok && doors != n {
				t.Fatalf("%s/%d: %d doors, want %d", name, seed, doors, n)
			}
			empty := false
			e.m.leaves(func(l *mission) {
				empty = empty || len(l.obj.set) == 0 || (l.kind == putNext && len(l.fixed.set) == 0)
			})
			if empty {
				t.Fatalf("%s/%d: mission %q refers to nothing", name, seed, e.Mission())
			}
			switch name {
			case "GoToRedBall":
				if kinds[[2]int{int(Ball), int(Red)}] < 1 {
					t.Fatalf("%s/%d: no red ball", name, seed)
				}
			case "GoToRedBallGrey":
				if kinds[[2]int{int(Ball), int(Red)}] != 1 {
					t.Fatalf("%s/%d: %d red balls", name, seed, kinds[[2]int{int(Ball), int(Red)}])
				}
			case "PutNextLocal", "MoveTwoAcrossS8N9":
				if len(kinds) != objs {
					t.Fatalf("%s/%d: objects not unique", name, seed)
				}
			case "UnlockLocal", "UnlockLocalDist", "Unlock", "GoToImpUnlock", "UnlockPickup", "KeyCorridor":
				locked := 0
				for _, c := range w.g.cells {
					if c != nil && c.Kind == Door && c.State == DoorLocked {
						locked++
						if kinds[[2]int{int(Key), int(c.Color)}] < 1 {
							t.Fatalf("%s/%d: locked door without its key", name, seed)
						}
					}
				}
				if locked != 1 {
					t.Fatalf("%s/%d: %d locked doors", name, seed, locked)
				}
			case "KeyInBox":
				for _, c := range w.g.cells {
					if c != nil && c.Kind == Box && (c.Contains == nil || c.Contains.Kind != Key) {
						t.Fatalf("%s/%d: box without a key", name, seed)
					}
				}
			case "BlockedUnlockPickup":
				for _, c := range w.g.cells {
					if c != nil && c.Kind == Door && !movable(w.g.get(c.cur.add(pt{-1, 0}))) {
						t.Fatalf("%s/%d: door not blocked", name, seed)
					}
				}
			case "PutNextS5N2Carrying", "PutNextS6N3Carrying", "PutNextS7N4Carrying":
				if !e.m.obj.has(w.carrying) {
					t.Fatalf("%s/%d: not carrying the object to move", name, seed)
				}
			}
			if e.m.kind == putNext && e.m.objsNext(w) {
				t.Fatalf("%s/%d: already solved", name, seed)
			}
		}
	}
}

func TestMissions(t *testing.T) {
	red := func(k Kind) *Object { return &Object{Kind: k, Color: Red} }
	cases := []struct {
		name    string
		build   func() (world, mission)
		replies []string
		success bool
	}{
		{"pickup the target succeeds", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{2, 1}, red(Key))
			return w, mission{kind: pickUp, obj: objDesc{kind: Key, color: Red}}
		}, []string{"pickup"}, true},
		{"pickup another object does not", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{2, 1}, red(Ball))
			w.g.set(pt{5, 5}, red(Key))
			return w, mission{kind: pickUp, obj: objDesc{kind: Key, color: Red}}
		}, []string{"pickup"}, false},
		{"facing the target without going is not enough for pickup", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{2, 1}, red(Key))
			return w, mission{kind: pickUp, obj: objDesc{kind: Key, color: Red}}
		}, []string{"done", "toggle"}, false},
		{"go to a door", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{1, 0}, &Object{Kind: Door, Color: Yellow, State: DoorLocked})
			return w, mission{kind: goTo, obj: objDesc{kind: Door, color: Yellow}}
		}, []string{"left"}, true},
		{"open a closed door", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{1, 0}, &Object{Kind: Door, Color: Yellow, State: DoorClosed})
			return w, mission{kind: openDoor, obj: objDesc{kind: Door, color: Yellow}}
		}, []string{"left", "toggle"}, true},
		{"a locked door needs its key", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{1, 0}, &Object{Kind: Door, Color: Yellow, State: DoorLocked})
			return w, mission{kind: openDoor, obj: objDesc{kind: Door, anyColor: true}}
		}, []string{"left", "toggle", "toggle"}, false},
		{"unlock with the key", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{1, 0}, &Object{Kind: Door, Color: Yellow, State: DoorLocked})
			w.g.set(pt{2, 1}, &Object{Kind: Key, Color: Yellow})
			return w, mission{kind: openDoor, obj: objDesc{kind: Door, anyColor: true}}
		}, []string{"pickup", "left", "toggle"}, true},
		{"opening the wrong door does not count", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{1, 0}, &Object{Kind: Door, Color: Yellow, State: DoorClosed})
			w.g.set(pt{7, 1}, &Object{Kind: Door, Color: Blue, State: DoorClosed})
			return w, mission{kind: openDoor, obj: objDesc{kind: Door, color: Blue}}
		}, []string{"left", "toggle"}, false},
		{"put next to", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{2, 1}, red(Ball))
			w.g.set(pt{4, 2}, &Object{Kind: Box, Color: Green})
			return w, mission{kind: putNext, obj: objDesc{kind: Ball, color: Red}, fixed: objDesc{kind: Box, color: Green}}
		}, []string{"pickup", "forward", "forward", "drop"}, true},
		{"put diagonal is not next to", func() (world, mission) {
			w := bareRoom()
			w.g.set(pt{2, 1}, red(Ball))
			w.g.set(pt{4, 2}, &Object{Kind: Box, Color: Green})
			return w, mission{kind: putNext, obj: objDesc{kind: Ball, color: Red}, fixed: objDesc{kind: Box, color: Green}}
		}, []string{"pickup", "forward", "drop"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := New("GoToLocal", Options{})
			w, m := tc.build()
			setWorld(e, w, m)
			var st env.Step
			for _, r := range tc.replies {
				var err error
				if st, err = e.Step("[action] " + r); err != nil {
					t.Fatal(err)
				}
				if !st.Info.Valid {
					t.Fatalf("%q invalid", r)
				}
			}
			if st.Info.Success != tc.success || (st.Reward > 0) != tc.success {
				t.Errorf("success=%v reward=%v, want success %v", st.Info.Success, st.Reward, tc.success)
			}
		})
	}
}

func TestObservationTextAndFacts(t *testing.T) {
	e, _ := New("GoToLocal", Options{})
	w := bareRoom()
	w.agent, w.dir = pt{1, 4}, 0                         // facing east along row 4; wall 6 ahead
	w.g.set(pt{3, 3}, &Object{Kind: Ball, Color: Red})   // 2 ahead 1 left
	w.g.set(pt{2, 4}, &Object{Kind: Box, Color: Blue})   // 1 ahead
	w.g.set(pt{1, 6}, &Object{Kind: Key, Color: Purple}) // 2 right
	w.carrying = &Object{Kind: Key, Color: Yellow}
	obs := setWorld(e, w, mission{kind: goTo, obj: objDesc{kind: Ball, color: Red}})
	for _, want := range []string{"blue box 1 ahead", "red ball 2 ahead 1 left", "purple key 2 right", "You carry a yellow key"} {
		if !strings.Contains(obs.Text, want) {
			t.Errorf("text %q lacks %q", obs.Text, want)
		}
	}
	if strings.Contains(obs.Text, "Wall") {
		t.Errorf("text %q mentions a wall hidden behind the box", obs.Text)
	}
	if len(obs.Legal) != 7 || obs.Legal[0] != "left" || obs.Legal[6] != "done" {
		t.Errorf("legal %v", obs.Legal)
	}
	obs.Legal[0] = "mutated"
	if Actions()[0] != "left" {
		t.Error("Legal aliases package state")
	}
	if e.Task().Goal != "go to the red ball" || e.Task().Example != "forward" || !strings.Contains(e.Task().Actions, "toggle") {
		t.Errorf("task %+v", e.Task())
	}
	facts := map[string]string{}
	for _, qa := range e.Facts() {
		facts[qa.Question] = qa.Answer
	}
	want := map[string]string{
		"What is directly in front of you?": "blue box",
		"Can you move forward?":             "no",
		"What are you carrying?":            "yellow key",
		"Is there a door in view?":          "no",
		"Is there a ball in view?":          "yes",
		"What colour is the ball you see?":  "red",
		"How many keys do you see?":         "1",
		"Where is the red ball?":            "red ball 2 ahead 1 left",
		"Where is the purple key?":          "purple key 2 right",
	}
	for q, a := range want {
		if facts[q] != a {
			t.Errorf("%q: got %q, want %q", q, facts[q], a)
		}
	}

	// Facing the wall with nothing around.
	w = bareRoom()
	w.dir = 3
	setWorld(e, w, mission{kind: goTo, obj: objDesc{kind: Ball, anyColor: true}})
	facts = map[string]string{}
	for _, qa := range e.Facts() {
		facts[qa.Question] = qa.Answer
	}
	if facts["What is directly in front of you?"] != "wall" || facts["How far ahead is the wall in front of you?"] != "1" ||
		facts["What are you carrying?"] != "nothing" || facts["Is there a ball in view?"] != "no" {
		t.Errorf("facts %v", facts)
	}
	if !strings.HasPrefix(e.observe().Text, "You see no objects. Wall 1 ahead.") {
		t.Errorf("text %q", e.observe().Text)
	}
}

func FuzzStep(f *testing.F) {
	f.Add(int64(0), uint8(0), "[action] forward")
	f.Add(int64(5), uint8(6), "[action] toggle\n[action] pickup")
	f.Add(int64(-9), uint8(3), "\x00[action]\xff")
	f.Add(int64(1<<40), uint8(200), strings.Repeat("[action] ", 50))
	f.Fuzz(func(t *testing.T, seed int64, lv uint8, reply string) {
		e, err := New(Levels[int(lv)%len(Levels)], Options{MaxSteps: 20})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Reset(seed); err != nil {
			t.Fatal(err)
		}
		bot := NewBot(e)
		bot.Reset()
		for i := 0; ; i++ {
			r := reply
			if i%2 == 1 {
				r = "[action] " + fuzzAction(i, reply)
			}
			st, err := e.Step(r)
			if err != nil {
				t.Fatal(err)
			}
			if st.Obs.Image == nil || st.Reward > 1 || st.Reward < -1 {
				t.Fatalf("bad step %+v", st)
			}
			_ = e.Facts()
			if st.Done {
				break
			}
			if _, err := bot.Act(); err != nil && !errors.Is(err, ErrBotStuck) {
				t.Fatal(err)
			}
		}
	})
}

// fuzzAction picks an action from the fuzz input, to mix valid moves with
// the arbitrary reply.
func fuzzAction(i int, s string) string {
	return actionNames[(i+len(s))%len(actionNames)]
}

func TestLevelDoc(t *testing.T) {
	for _, name := range Levels {
		if LevelDoc(name) == "" {
			t.Errorf("%s has no doc", name)
		}
	}
	if LevelDoc("nope") != "" {
		t.Error("doc for an unknown level")
	}
}
