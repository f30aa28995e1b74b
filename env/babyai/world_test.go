package babyai

import "testing"

func TestActions(t *testing.T) {
	ball := func() *Object { return &Object{Kind: Ball, Color: Red} }
	door := func(s DoorState, c Color) *Object { return &Object{Kind: Door, Color: c, State: s} }
	key := func(c Color) *Object { return &Object{Kind: Key, Color: c} }
	front := pt{2, 1} // the agent stands at (1,1) facing east

	cases := []struct {
		name  string
		setup func(w *world)
		a     Action
		check func(t *testing.T, w *world, ef effect)
	}{
		{"left turns counter-clockwise", nil, Left, func(t *testing.T, w *world, _ effect) {
			if w.dir != 3 {
				t.Errorf("dir %d, want 3 (north)", w.dir)
			}
		}},
		{"right turns clockwise", nil, Right, func(t *testing.T, w *world, _ effect) {
			if w.dir != 1 {
				t.Errorf("dir %d, want 1 (south)", w.dir)
			}
		}},
		{"right from north wraps to east", func(w *world) { w.dir = 3 }, Right, func(t *testing.T, w *world, _ effect) {
			if w.dir != 0 {
				t.Errorf("dir %d, want 0", w.dir)
			}
		}},
		{"forward onto empty moves", nil, Forward, wantAgent(front)},
		{"forward into wall blocked", func(w *world) { w.dir = 3 }, Forward, wantAgent(pt{1, 1})},
		{"forward into ball blocked", func(w *world) { w.g.set(front, ball()) }, Forward, wantAgent(pt{1, 1})},
		{"forward into closed door blocked", func(w *world) { w.g.set(front, door(DoorClosed, Blue)) }, Forward, wantAgent(pt{1, 1})},
		{"forward into locked door blocked", func(w *world) { w.g.set(front, door(DoorLocked, Blue)) }, Forward, wantAgent(pt{1, 1})},
		{"forward into open door moves", func(w *world) { w.g.set(front, door(DoorOpen, Blue)) }, Forward, wantAgent(front)},
		{"forward off the grid blocked", func(w *world) {
			w.g.set(pt{7, 3}, door(DoorOpen, Red))
			w.agent, w.dir = pt{7, 3}, 0
		}, Forward, wantAgent(pt{7, 3})},
		{"pickup takes the object", func(w *world) { w.g.set(front, ball()) }, Pickup, func(t *testing.T, w *world, ef effect) {
			if w.carrying == nil || w.carrying.Kind != Ball || w.g.get(front) != nil || ef.picked != w.carrying {
				t.Errorf("carrying %v, front %v", w.carrying, w.g.get(front))
			}
		}},
		{"pickup with full hands does nothing", func(w *world) { w.g.set(front, ball()); w.carrying = key(Red) }, Pickup, func(t *testing.T, w *world, ef effect) {
			if w.carrying.Kind != Key || w.g.get(front) == nil || ef.picked != nil {
				t.Errorf("carrying %v, front %v", w.carrying, w.g.get(front))
			}
		}},
		{"pickup of a door does nothing", func(w *world) { w.g.set(front, door(DoorClosed, Red)) }, Pickup, func(t *testing.T, w *world, _ effect) {
			if w.carrying != nil {
				t.Errorf("picked up %v", w.carrying)
			}
		}},
		{"pickup of a wall does nothing", func(w *world) { w.dir = 2 }, Pickup, func(t *testing.T, w *world, _ effect) {
			if w.carrying != nil {
				t.Errorf("picked up %v", w.carrying)
			}
		}},
		{"drop onto empty places it", func(w *world) { w.carrying = key(Green) }, Drop, func(t *testing.T, w *world, ef effect) {
			if o := w.g.get(front); o == nil || o.Kind != Key || w.carrying != nil || ef.dropped != o {
				t.Errorf("front %v, carrying %v", o, w.carrying)
			}
		}},
		{"drop onto an object does nothing", func(w *world) { w.carrying = key(Green); w.g.set(front, ball()) }, Drop, func(t *testing.T, w *world, _ effect) {
			if w.carrying == nil || w.g.get(front).Kind != Ball {
				t.Errorf("front %v, carrying %v", w.g.get(front), w.carrying)
			}
		}},
		{"drop onto an open door does nothing", func(w *world) { w.carrying = key(Green); w.g.set(front, door(DoorOpen, Red)) }, Drop, func(t *testing.T, w *world, _ effect) {
			if w.carrying == nil {
				t.Error("dropped onto a door")
			}
		}},
		{"drop with empty hands does nothing", nil, Drop, func(t *testing.T, w *world, _ effect) {
			if w.g.get(front) != nil {
				t.Error("something appeared")
			}
		}},
		{"toggle opens a closed door", func(w *world) { w.g.set(front, door(DoorClosed, Red)) }, Toggle, wantDoor(front, DoorOpen)},
		{"toggle closes an open door", func(w *world) { w.g.set(front, door(DoorOpen, Red)) }, Toggle, wantDoor(front, DoorClosed)},
		{"toggle without key keeps locked", func(w *world) { w.g.set(front, door(DoorLocked, Red)) }, Toggle, wantDoor(front, DoorLocked)},
		{"toggle with wrong key keeps locked", func(w *world) { w.g.set(front, door(DoorLocked, Red)); w.carrying = key(Blue) }, Toggle, wantDoor(front, DoorLocked)},
		{"toggle with a red ball keeps locked", func(w *world) { w.g.set(front, door(DoorLocked, Red)); w.carrying = ball() }, Toggle, wantDoor(front, DoorLocked)},
		{"toggle with matching key unlocks and opens", func(w *world) { w.g.set(front, door(DoorLocked, Red)); w.carrying = key(Red) }, Toggle, func(t *testing.T, w *world, ef effect) {
			wantDoor(front, DoorOpen)(t, w, ef)
			if w.carrying == nil {
				t.Error("key consumed; MiniGrid keeps it")
			}
		}},
		{"toggle box reveals contents", func(w *world) {
			w.g.set(front, &Object{Kind: Box, Color: Purple, Contains: key(Yellow)})
		}, Toggle, func(t *testing.T, w *world, _ effect) {
			if o := w.g.get(front); o == nil || o.Kind != Key || o.Color != Yellow {
				t.Errorf("front %v, want the yellow key", o)
			}
		}},
		{"toggle empty box removes it", func(w *world) { w.g.set(front, &Object{Kind: Box, Color: Purple}) }, Toggle, func(t *testing.T, w *world, _ effect) {
			if o := w.g.get(front); o != nil {
				t.Errorf("front %v, want empty", o)
			}
		}},
		{"done changes nothing", func(w *world) { w.g.set(front, ball()) }, Done, func(t *testing.T, w *world, _ effect) {
			if w.agent != (pt{1, 1}) || w.dir != 0 || w.carrying != nil || w.g.get(front) == nil {
				t.Error("done changed the world")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := bareRoom()
			if tc.setup != nil {
				tc.setup(&w)
			}
			ef := w.apply(tc.a)
			tc.check(t, &w, ef)
		})
	}
}

func wantAgent(p pt) func(*testing.T, *world, effect) {
	return func(t *testing.T, w *world, _ effect) {
		if w.agent != p {
			t.Errorf("agent at %v, want %v", w.agent, p)
		}
	}
}

func wantDoor(p pt, s DoorState) func(*testing.T, *world, effect) {
	return func(t *testing.T, w *world, _ effect) {
		if d := w.g.get(p); d == nil || d.Kind != Door || d.State != s {
			t.Errorf("door %v, want state %v", d, s)
		}
	}
}

// A full wall line with one cell that is a wall or door of varying state,
// and a ball straight ahead behind it.
func TestOcclusion(t *testing.T) {
	cases := []struct {
		name    string
		gap     *Object
		visible bool
	}{
		{"wall hides", theWall, false},
		{"closed door hides", &Object{Kind: Door, Color: Blue, State: DoorClosed}, false},
		{"locked door hides", &Object{Kind: Door, Color: Blue, State: DoorLocked}, false},
		{"open door shows", &Object{Kind: Door, Color: Blue, State: DoorOpen}, true},
		{"nothing hides nothing", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := bareRoom()
			for y := 1; y < roomSize-1; y++ {
				w.g.set(pt{3, y}, theWall)
			}
			w.g.set(pt{3, 3}, tc.gap)
			ball := &Object{Kind: Ball, Color: Green}
			w.g.set(pt{5, 3}, ball)
			w.agent, w.dir = pt{1, 3}, 0
			var v view
			computeView(&w, &v)
			// The ball is 4 ahead: view row agentVY-4, centre column.
			got := v.cells[agentVX][agentVY-4] == ball
			if got != tc.visible || v.vis[agentVX][agentVY-4] != tc.visible {
				t.Errorf("ball visible %v, want %v", got, tc.visible)
			}
			// The blocking cell itself is always seen.
			if !v.vis[agentVX][agentVY-2] {
				t.Error("the cell 2 ahead is not visible")
			}
		})
	}
}

// The view is egocentric: the same world cell appears at the position
// given by the agent's heading.
func TestViewRotation(t *testing.T) {
	ball := &Object{Kind: Ball, Color: Blue}
	cases := []struct {
		dir    int
		vx, vy int // where the ball at (4,2) appears for an agent at (4,4)
	}{
		{3, agentVX, agentVY - 2}, // facing north: 2 ahead
		{0, agentVX - 2, agentVY}, // facing east: 2 left
		{2, agentVX + 2, agentVY}, // facing west: 2 right
	}
	for _, tc := range cases {
		w := bareRoom()
		w.g.set(pt{4, 2}, ball)
		w.agent, w.dir = pt{4, 4}, tc.dir
		var v view
		computeView(&w, &v)
		if v.cells[tc.vx][tc.vy] != ball {
			t.Errorf("dir %d: ball not at view (%d,%d)", tc.dir, tc.vx, tc.vy)
		}
	}
	// Facing south the ball is behind the agent: not in view at all.
	w := bareRoom()
	w.g.set(pt{4, 2}, ball)
	w.agent, w.dir = pt{4, 4}, 1
	var v view
	computeView(&w, &v)
	for vx := range ViewSize {
		for vy := range ViewSize {
			if v.cells[vx][vy] == ball {
				t.Errorf("ball behind the agent seen at (%d,%d)", vx, vy)
			}
		}
	}
}

func TestLocations(t *testing.T) {
	// Agent at (3,3) facing north; one ball on each side.
	w := bareRoom()
	w.agent, w.dir = pt{3, 3}, 3
	left := &Object{Kind: Ball, Color: Red}
	right := &Object{Kind: Ball, Color: Red}
	ahead := &Object{Kind: Ball, Color: Red}
	behind := &Object{Kind: Ball, Color: Red}
	w.g.set(pt{1, 3}, left)
	w.g.set(pt{5, 3}, right)
	w.g.set(pt{3, 1}, ahead)
	w.g.set(pt{3, 5}, behind)
	cases := []struct {
		loc  string
		want *Object
		text string
	}{
		{locLeft, left, "the red ball on your left"},
		{locRight, right, "the red ball on your right"},
		{locFront, ahead, "the red ball in front of you"},
		{locBehind, behind, "the red ball behind you"},
	}
	for _, tc := range cases {
		d := objDesc{kind: Ball, color: Red, loc: tc.loc}
		d.resolve(&w)
		if len(d.set) != 1 || d.set[0] != tc.want {
			t.Errorf("%s: matched %d objects", tc.loc, len(d.set))
		}
		if got := d.surface(); got != tc.text {
			t.Errorf("%s: surface %q, want %q", tc.loc, got, tc.text)
		}
	}
	d := objDesc{kind: Ball, anyColor: true}
	d.resolve(&w)
	if len(d.set) != 4 || d.surface() != "a ball" {
		t.Errorf("any ball: %d matches, %q", len(d.set), d.surface())
	}
}
