package babyai

import (
	"errors"
	"fmt"

	"vlmq/env"
)

// Bot is a planner that acts only on what the agent has seen: it keeps a
// map of every cell observed so far, plans shortest action sequences (turns
// and moves, each one step) over known free cells with BFS, and explores
// toward the nearest pose that would reveal unseen cells while its target
// is unknown. It knows its own pose, what it carries, and the mission.
type Bot struct {
	e   *Env
	mem []memCell
	// BFS buffers, reused across calls.
	first []int8 // first action on the path to the state, -1 unvisited
	queue []int32
	// movedFrom is where the bot last picked up an object to clear the
	// way (valid when moved is set); it does not put it back there.
	movedFrom pt
	moved     bool
}

// memCell is the last observation of a cell.
type memCell struct {
	known bool
	obj   *Object // identity of what was seen (nil: empty)
	snap  Object  // its appearance when seen
}

var _ env.Expert = (*Bot)(nil)

// unknownCell stands for unseen cells when predicting visibility; it does
// not block sight, so unseen walls are assumed absent until seen.
var unknownCell = &Object{Kind: Empty}

// NewBot returns a bot for e. Call Reset after every e.Reset.
func NewBot(e *Env) env.Expert { return &Bot{e: e} }

// Reset forgets the previous episode.
func (b *Bot) Reset() { b.mem, b.moved = b.mem[:0], false }

// ErrBotStuck is returned when the bot finds nothing to do.
var ErrBotStuck = errors.New("babyai: bot found no plan")

// Act returns the bot's next action name.
func (b *Bot) Act() (string, error) {
	e := b.e
	if !e.started {
		return "", env.ErrNotStarted
	}
	if e.done {
		return "", env.ErrEpisodeDone
	}
	n := e.w.g.w * e.w.g.h
	if len(b.mem) != n {
		b.mem = make([]memCell, n)
	}
	b.observe()
	a, err := b.decide()
	if err != nil {
		return "", fmt.Errorf("%w (level %s, mission %q, step %d)", err, e.lv.name, e.goal, e.steps)
	}
	return a.String(), nil
}

func (b *Bot) cell(p pt) *memCell {
	g := &b.e.w.g
	if !g.in(p) {
		return nil
	}
	return &b.mem[p.y*g.w+p.x]
}

// observe records the current view in memory.
func (b *Bot) observe() {
	w := &b.e.w
	var v view
	computeView(w, &v)
	for vx := range ViewSize {
		for vy := range ViewSize {
			if !v.vis[vx][vy] {
				continue
			}
			p := viewToWorld(w.agent, w.dir, vx, vy)
			c := b.cell(p)
			if c == nil {
				continue
			}
			o := v.cells[vx][vy]
			if vx == agentVX && vy == agentVY {
				o = w.g.get(p) // the floor under the agent, not what it carries
			}
			c.known, c.obj = true, o
			if o != nil {
				c.snap = *o
			}
		}
	}
}

// free reports whether the agent may move onto p as far as it knows.
func (b *Bot) free(p pt) bool {
	c := b.cell(p)
	return c != nil && c.known && (c.obj == nil || (c.snap.Kind == Door && c.snap.State == DoorOpen))
}

// emptyFloor reports whether p is known to be empty, so something can be
// dropped there.
func (b *Bot) emptyFloor(p pt) bool {
	c := b.cell(p)
	return c != nil && c.known && c.obj == nil
}

func (b *Bot) objAt(p pt) *Object {
	if c := b.cell(p); c != nil && c.known {
		return c.obj
	}
	return nil
}

// plan runs BFS over (cell, direction) from the agent's pose and returns the
// first action toward the nearest pose satisfying goal (the current pose is
// not considered).
func (b *Bot) plan(goal func(p pt, dir int) bool) (Action, bool) {
	w := &b.e.w
	gw := w.g.w
	ns := gw * w.g.h * 4
	if len(b.first) != ns {
		b.first = make([]int8, ns)
	}
	for i := range b.first {
		b.first[i] = -1
	}
	idx := func(p pt, d int) int32 { return int32((p.y*gw+p.x)*4 + d) }
	start := idx(w.agent, w.dir)
	b.first[start] = int8(Done) // marks the start as visited
	b.queue = append(b.queue[:0], start)
	for head := 0; head < len(b.queue); head++ {
		s := b.queue[head]
		p := pt{int(s/4) % gw, int(s/4) / gw}
		d := int(s % 4)
		if s != start && goal(p, d) {
			return Action(b.first[s]), true
		}
		succ := [3]struct {
			a Action
			s int32
		}{
			{Left, idx(p, (d+3)%4)},
			{Right, idx(p, (d+1)%4)},
			{Forward, -1},
		}
		if f := p.add(dirVec[d]); b.free(f) {
			succ[2].s = idx(f, d)
		}
		for _, n := range succ {
			if n.s < 0 || b.first[n.s] >= 0 {
				continue
			}
			if s == start {
				b.first[n.s] = int8(n.a)
			} else {
				b.first[n.s] = b.first[s]
			}
			b.queue = append(b.queue, n.s)
		}
	}
	return 0, false
}

// facing is a goal: the cell in front holds an object accepted by want.
func (b *Bot) facing(want func(o *Object) bool) func(p pt, dir int) bool {
	return func(p pt, dir int) bool {
		o := b.objAt(p.add(dirVec[dir]))
		return o != nil && want(o)
	}
}

// reveals predicts whether the pose would show an unseen cell, treating
// unseen cells as transparent.
func (b *Bot) reveals(p pt, dir int) bool {
	var cells [ViewSize][ViewSize]*Object
	var vis [ViewSize][ViewSize]bool
	for vx := range ViewSize {
		for vy := range ViewSize {
			c := b.cell(viewToWorld(p, dir, vx, vy))
			switch {
			case c == nil:
				cells[vx][vy] = theWall
			case !c.known:
				cells[vx][vy] = unknownCell
			case c.obj != nil:
				cells[vx][vy] = &c.snap
			}
		}
	}
	processVis(&cells, &vis, func(o *Object) bool { return o.seeBehind() })
	for vx := range ViewSize {
		for vy := range ViewSize {
			if vis[vx][vy] && cells[vx][vy] == unknownCell {
				return true
			}
		}
	}
	return false
}

// goOrExplore heads for goal, or explores when goal is unreachable as far
// as the bot knows.
func (b *Bot) goOrExplore(goal func(p pt, dir int) bool) (Action, error) {
	if a, ok := b.plan(goal); ok {
		return a, nil
	}
	if a, ok := b.plan(b.reveals); ok {
		return a, nil
	}
	return b.unblock()
}

// unblock handles an agent boxed in by objects it could carry (a noisy
// demonstrator can drop one in the way, or the objects can stand so):
// with empty hands it picks up the nearest such object, and with full
// hands it puts the load down anywhere but where it came from.
func (b *Bot) unblock() (Action, error) {
	w := &b.e.w
	m := &b.e.m
	if w.carrying != nil {
		away := func(q pt) bool { return b.emptyFloor(q) && !(b.moved && q == b.movedFrom) }
		if away(w.front()) {
			return Drop, nil
		}
		if a, ok := b.plan(func(p pt, dir int) bool { return away(p.add(dirVec[dir])) }); ok {
			return a, nil
		}
		if b.emptyFloor(w.front()) {
			return Drop, nil
		}
		return 0, ErrBotStuck
	}
	movable := func(o *Object) bool {
		return o != nil && (o.Kind == Ball || o.Kind == Box || o.Kind == Key) &&
			!m.obj.has(o) && !(m.kind == putNext && m.fixed.has(o))
	}
	if movable(b.objAt(w.front())) {
		b.movedFrom, b.moved = w.front(), true
		return Pickup, nil
	}
	if a, ok := b.plan(b.facing(movable)); ok {
		return a, nil
	}
	return 0, ErrBotStuck
}

// dropAnywhere puts the carried object down on the nearest known empty cell.
func (b *Bot) dropAnywhere() (Action, error) {
	if b.emptyFloor(b.e.w.front()) {
		return Drop, nil
	}
	return b.goOrExplore(func(p pt, dir int) bool { return b.emptyFloor(p.add(dirVec[dir])) })
}

func (b *Bot) decide() (Action, error) {
	w := &b.e.w
	m := &b.e.m
	front := b.objAt(w.front())
	switch m.kind {
	case goTo:
		if m.obj.has(front) {
			return Done, nil // already there: any action completes the mission
		}
		if c := w.carrying; c != nil && m.obj.has(c) {
			// A stray pickup (noisy demonstrations) took the target off
			// the floor; dropping it in front completes the mission.
			return b.dropAnywhere()
		}
		return b.goOrExplore(b.facing(m.obj.has))

	case pickUp:
		if w.carrying != nil {
			return b.dropAnywhere()
		}
		if m.obj.has(front) {
			return Pickup, nil
		}
		return b.goOrExplore(b.facing(m.obj.has))

	case openDoor:
		return b.decideOpen(front)

	case putNext:
		c := w.carrying
		if c == nil {
			if m.obj.has(front) {
				return Pickup, nil
			}
			return b.goOrExplore(b.facing(m.obj.has))
		}
		if !m.obj.has(c) {
			return b.dropAnywhere()
		}
		nextToFixed := func(q pt) bool {
			if !b.emptyFloor(q) {
				return false
			}
			for _, d := range dirVec {
				if o := b.objAt(q.add(d)); o != nil && o != c && m.fixed.has(o) {
					return true
				}
			}
			return false
		}
		if nextToFixed(w.front()) {
			return Drop, nil
		}
		return b.goOrExplore(func(p pt, dir int) bool { return nextToFixed(p.add(dirVec[dir])) })
	}
	return 0, ErrBotStuck
}

// decideOpen opens a target door, fetching the key for a locked one.
func (b *Bot) decideOpen(front *Object) (Action, error) {
	w := &b.e.w
	m := &b.e.m
	// Door states come from memory: the bot knows only what it saw.
	openable := func(p pt) bool {
		c := b.cell(p)
		if c == nil || !c.known || !m.obj.has(c.obj) {
			return false
		}
		k := w.carrying
		return c.snap.State != DoorLocked || (k != nil && k.Kind == Key && k.Color == c.snap.Color)
	}
	if openable(w.front()) {
		return Toggle, nil // an open door closes; the next toggle opens it
	}
	if a, ok := b.plan(func(p pt, dir int) bool { return openable(p.add(dirVec[dir])) }); ok {
		return a, nil
	}
	// Every known target door is locked: fetch a key of a matching colour.
	var lockedColors [numColors]bool
	for i := range b.mem {
		if c := &b.mem[i]; c.known && m.obj.has(c.obj) && c.snap.State == DoorLocked {
			lockedColors[c.snap.Color] = true
		}
	}
	needKey := func(o *Object) bool { return o.Kind == Key && lockedColors[o.Color] }
	if k := w.carrying; k != nil {
		if needKey(k) {
			// The right key but no known path to its door: look around.
			return b.goOrExplore(b.reveals)
		}
		return b.dropAnywhere()
	}
	if front != nil && needKey(front) {
		return Pickup, nil
	}
	return b.goOrExplore(b.facing(needKey))
}
