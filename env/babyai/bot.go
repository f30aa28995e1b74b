package babyai

import (
	"errors"
	"fmt"

	"vlmq/env"
)

// Bot is a planner that acts only on what the agent has seen. It keeps a
// map of every cell observed so far and replans from it at every step, so
// any state a noisy demonstrator leaves is a fresh start. Plans are
// cheapest action sequences over (cell, direction) found by Dijkstra's
// algorithm on known cells: turns and moves cost one step, a closed door on
// the way costs its toggle, a locked one can be crossed with its key in
// hand, and with empty hands a key, ball or box in the way can be picked up
// and put aside. While its target is unknown the bot heads for the nearest
// pose that would show unseen cells (opening doors into unseen rooms);
// when nothing is left to see it unlocks a locked door with a key it has
// seen, or opens boxes in search of keys. It knows its own pose, what it
// carries, the mission and which of the mission's parts are done.
type Bot struct {
	e   *Env
	mem []memCell
	// Search buffers, reused across calls.
	cost    []int32
	first   []int8
	buckets [][]int32
	// Frontier prefix sums for the exploration goal, valid while front is.
	fsum  []int32
	front bool
	// from is where the bot last saw the object it now carries (fromObj),
	// so a blocker is not put back where it stood.
	from    pt
	fromObj *Object
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
func (b *Bot) Reset() { b.mem, b.fromObj = b.mem[:0], nil }

// debugBot compiles in trace calls of the planner's branches, which
// botTrace then hears (for debugging by hand).
const debugBot = false

var botTrace func(format string, args ...any)

func trace(format string, args ...any) {
	if botTrace != nil {
		botTrace(format, args...)
	}
}

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
	b.front = false
	a, err := b.decide()
	if err != nil {
		return "", fmt.Errorf("%w (level %s, mission %q, step %d)", err, e.lv.name, e.goal, e.steps)
	}
	return e.choice(a), nil
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
	if c := w.carrying; c != nil {
		for i := range b.mem {
			if b.mem[i].known && b.mem[i].obj == c {
				b.from, b.fromObj = pt{i % w.g.w, i / w.g.w}, c
				break
			}
		}
	}
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

func (b *Bot) known(p pt) bool { c := b.cell(p); return c != nil && c.known }

// emptyFloor reports whether p is known to be empty, so something can be
// dropped there.
func (b *Bot) emptyFloor(p pt) bool {
	c := b.cell(p)
	return c != nil && c.known && c.obj == nil
}

// objAt is what the bot last saw at p (nil: empty or unknown).
func (b *Bot) objAt(p pt) *Object {
	if c := b.cell(p); c != nil && c.known {
		return c.obj
	}
	return nil
}

// snapAt is the appearance of what the bot last saw at p.
func (b *Bot) snapAt(p pt) *Object {
	if c := b.cell(p); c != nil && c.known && c.obj != nil {
		return &c.snap
	}
	return nil
}

func movable(o *Object) bool { return o != nil && (o.Kind == Key || o.Kind == Ball || o.Kind == Box) }

// opts says what a plan may pass through.
type opts struct {
	key      Color // locked doors of this colour open (with hasKey)
	hasKey   bool
	blockers bool // keys, balls and boxes in the way can be picked up
	free     []pt // cells to treat as empty
}

// hands are the options for what the agent carries now.
func (b *Bot) hands() opts {
	c := b.e.w.carrying
	if c == nil {
		return opts{blockers: !b.strictPickup()}
	}
	if c.Kind == Key {
		return opts{key: c.Color, hasKey: true}
	}
	return opts{}
}

// emptyHands are the options once the load is put down.
func (b *Bot) emptyHands() opts { return opts{blockers: !b.strictPickup()} }

// live calls f on the actions the verifier still checks.
func live(m *mission, f func(*mission)) {
	switch m.kind {
	case andSeq:
		if m.aDone != succeeded {
			live(m.a, f)
		}
		if m.bDone != succeeded {
			live(m.b, f)
		}
	case beforeSeq:
		if m.aDone != succeeded {
			live(m.a, f)
		} else {
			live(m.b, f)
		}
	case afterSeq:
		if m.bDone != succeeded {
			live(m.b, f)
		} else {
			live(m.a, f)
		}
	default:
		f(m)
	}
}

// strictPickup: picking up the wrong object fails the mission.
func (b *Bot) strictPickup() bool {
	s := false
	live(b.e.m, func(l *mission) { s = s || (l.strict && (l.kind == pickUp || l.kind == putNext)) })
	return s
}

// strictOpen: toggling the wrong door fails the mission, so the bot opens
// no door on its way.
func (b *Bot) strictOpen() bool {
	s := false
	live(b.e.m, func(l *mission) { s = s || (l.strict && l.kind == openDoor) })
	return s
}

// protected reports whether o is named by the mission (moving it out of
// the way costs more).
func (b *Bot) protected(o *Object) bool {
	p := false
	b.e.m.leaves(func(l *mission) { p = p || l.obj.has(o) || (l.kind == putNext && l.fixed.has(o)) })
	return p
}

// Edge costs.
const (
	costStep    = 1
	costDoor    = 2  // toggle, then forward
	costBlocker = 6  // pick up, turn, drop, turn back, forward
	costNamed   = 12 // moving an object the mission names
)

// step is the cost and first action of moving onto f, or ok false.
func (b *Bot) step(f pt, o *opts, noDoors bool) (int32, Action, bool) {
	for _, q := range o.free {
		if q == f {
			return costStep, Forward, true
		}
	}
	c := b.cell(f)
	if c == nil || !c.known {
		return 0, 0, false
	}
	if c.obj == nil {
		return costStep, Forward, true
	}
	s := &c.snap
	switch s.Kind {
	case Door:
		switch {
		case s.State == DoorOpen:
			return costStep, Forward, true
		case noDoors:
		case s.State == DoorClosed, o.hasKey && o.key == s.Color:
			return costDoor, Toggle, true
		}
	case Key, Ball, Box:
		if o.blockers {
			if b.protected(c.obj) {
				return costNamed, Pickup, true
			}
			return costBlocker, Pickup, true
		}
	}
	return 0, 0, false
}

// search runs Dijkstra from the agent's pose (or from starts, if given)
// and returns the first action toward the cheapest pose other than the
// agent's own that satisfies goal.
func (b *Bot) search(starts []int32, goal func(p pt, dir int) bool, o opts) (Action, bool) {
	w := &b.e.w
	gw := w.g.w
	ns := gw * w.g.h * 4
	if len(b.cost) != ns {
		b.cost = make([]int32, ns)
		b.first = make([]int8, ns)
	}
	for i := range b.cost {
		b.cost[i] = -1
	}
	for i := range b.buckets {
		b.buckets[i] = b.buckets[i][:0]
	}
	push := func(s int32, c int32, a int8) {
		if old := b.cost[s]; old >= 0 && old <= c {
			return
		}
		b.cost[s], b.first[s] = c, a
		for int(c) >= len(b.buckets) {
			b.buckets = append(b.buckets, nil)
		}
		b.buckets[c] = append(b.buckets[c], s)
	}
	idx := func(p pt, d int) int32 { return int32((p.y*gw+p.x)*4 + d) }
	start := int32(-1)
	if starts == nil {
		start = idx(w.agent, w.dir)
		push(start, 0, -1)
	} else {
		for _, s := range starts {
			push(s, 0, -1)
		}
	}
	noDoors := b.strictOpen()
	for c := 0; c < len(b.buckets); c++ {
		for k := 0; k < len(b.buckets[c]); k++ {
			s := b.buckets[c][k]
			if b.cost[s] != int32(c) {
				continue // stale entry
			}
			p := pt{int(s/4) % gw, int(s/4) / gw}
			d := int(s % 4)
			if s != start && goal(p, d) {
				if b.first[s] < 0 {
					return Done, true // a start pose of several satisfies it
				}
				return Action(b.first[s]), true
			}
			inherit := func(a Action) int8 {
				if s == start {
					return int8(a)
				}
				return b.first[s]
			}
			cc := int32(c)
			push(idx(p, (d+3)%4), cc+costStep, inherit(Left))
			push(idx(p, (d+1)%4), cc+costStep, inherit(Right))
			f := p.add(dirVec[d])
			if sc, a, ok := b.step(f, &o, noDoors); ok {
				push(idx(f, d), cc+sc, inherit(a))
			}
		}
	}
	return 0, false
}

// plan searches from the agent's pose, moving objects out of the way only
// when there is no other way (as Minigrid's bot does).
func (b *Bot) plan(goal func(p pt, dir int) bool, o opts) (Action, bool) {
	if o.blockers {
		o.blockers = false
		if a, ok := b.search(nil, goal, o); ok {
			return a, true
		}
		o.blockers = true
	}
	return b.search(nil, goal, o)
}

// facing turns a cell predicate into a pose goal.
func facing(t func(q pt) bool) func(p pt, dir int) bool {
	return func(p pt, dir int) bool { return t(p.add(dirVec[dir])) }
}

// facingStarts are the poses on known free cells that face a cell in qs.
func (b *Bot) facingStarts(qs []pt) []int32 {
	gw := b.e.w.g.w
	var out []int32
	for _, q := range qs {
		for d := range 4 {
			p := q.add(dirVec[d].scale(-1))
			if c := b.cell(p); c != nil && c.known && (c.obj == nil || (c.snap.Kind == Door && c.snap.State == DoorOpen)) || p == b.e.w.agent {
				out = append(out, int32((p.y*gw+p.x)*4+d))
			}
		}
	}
	return out
}

// seeThrough reports whether a remembered cell lets sight through.
func seeThrough(c *memCell) bool {
	return !c.known || c.obj == nil || c.snap.seeBehind()
}

// buildFrontier sums, for every cell, the unknown cells next to a cell
// sight can pass or a door (the only unknown cells a new pose can show).
func (b *Bot) buildFrontier() {
	g := &b.e.w.g
	w, h := g.w, g.h
	if len(b.fsum) != (w+1)*(h+1) {
		b.fsum = make([]int32, (w+1)*(h+1))
	}
	for y := range h {
		for x := range w {
			v := int32(0)
			if c := b.cell(pt{x, y}); !c.known {
				for dy := -1; dy <= 1 && v == 0; dy++ {
					for dx := -1; dx <= 1; dx++ {
						if n := b.cell(pt{x + dx, y + dy}); n != nil && n.known && (seeThrough(n) || n.snap.Kind == Door) {
							v = 1
							break
						}
					}
				}
			}
			b.fsum[(y+1)*(w+1)+x+1] = v + b.fsum[y*(w+1)+x+1] + b.fsum[(y+1)*(w+1)+x] - b.fsum[y*(w+1)+x]
		}
	}
	b.front = true
}

// frontierIn counts frontier cells in the rectangle [x0,x1]x[y0,y1].
func (b *Bot) frontierIn(x0, y0, x1, y1 int) int32 {
	g := &b.e.w.g
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, g.w-1), min(y1, g.h-1)
	if x0 > x1 || y0 > y1 {
		return 0
	}
	W := g.w + 1
	return b.fsum[(y1+1)*W+x1+1] - b.fsum[y0*W+x1+1] - b.fsum[(y1+1)*W+x0] + b.fsum[y0*W+x0]
}

// reveals predicts whether the pose would show an unseen cell, treating
// unseen cells as transparent.
func (b *Bot) reveals(p pt, dir int) bool {
	if !b.front {
		b.buildFrontier()
	}
	a := viewToWorld(p, dir, 0, 0)
	c := viewToWorld(p, dir, ViewSize-1, ViewSize-1)
	if b.frontierIn(min(a.x, c.x), min(a.y, c.y), max(a.x, c.x), max(a.y, c.y)) == 0 {
		return false
	}
	var cells [ViewSize][ViewSize]*Object
	var vis [ViewSize][ViewSize]bool
	for vx := range ViewSize {
		for vy := range ViewSize {
			m := b.cell(viewToWorld(p, dir, vx, vy))
			switch {
			case m == nil:
				cells[vx][vy] = theWall
			case !m.known:
				cells[vx][vy] = unknownCell
			case m.obj != nil:
				cells[vx][vy] = &m.snap
			}
		}
	}
	cells[agentVX][agentVY] = nil // a door the agent stands in is open
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

// active is the instruction the bot works on: the first unfinished action
// of the mission in the order its words require.
func active(m *mission) *mission {
	switch m.kind {
	case andSeq, beforeSeq:
		if m.aDone != succeeded {
			return active(m.a)
		}
		return active(m.b)
	case afterSeq:
		if m.bDone != succeeded {
			return active(m.b)
		}
		return active(m.a)
	}
	return m
}

// knownCells lists the known cells whose content satisfies want.
func (b *Bot) knownCells(want func(o *Object) bool) []pt {
	var out []pt
	gw := b.e.w.g.w
	for i := range b.mem {
		if c := &b.mem[i]; c.known && c.obj != nil && want(c.obj) {
			out = append(out, pt{i % gw, i / gw})
		}
	}
	return out
}

func inCells(qs []pt) func(q pt) bool {
	return func(q pt) bool {
		for _, p := range qs {
			if p == q {
				return true
			}
		}
		return false
	}
}

func (b *Bot) decide() (Action, error) {
	w := &b.e.w
	m := active(b.e.m)
	c := w.carrying
	fp := w.front()
	switch m.kind {
	case goTo:
		t := func(q pt) bool { return m.obj.at(q) && b.known(q) }
		if t(fp) {
			return Done, nil // already there: any action completes the mission
		}
		if c != nil && m.obj.has(c) && b.emptyFloor(fp) {
			// The target is in hand (a stray pickup): dropping it in
			// front moves its tracked position there.
			return Drop, nil
		}
		return b.reach(t, 0)

	case pickUp:
		t := func(q pt) bool { o := b.objAt(q); return movable(o) && m.obj.has(o) }
		if c != nil && m.obj.has(c) && b.emptyFloor(fp) {
			return Drop, nil // picked up before this instruction began: again
		}
		if c == nil {
			if t(fp) {
				return Pickup, nil
			}
		} else if len(b.knownCellsWhere(t)) > 0 {
			// Carry the load (a key may open the way) to the target, and
			// put it down there.
			return b.dropNear(t, true)
		}
		return b.reach(t, 0)

	case openDoor:
		return b.open(m)

	case putNext:
		isMove := func(o *Object) bool { return m.obj.has(o) }
		fixedAt := func(q pt) bool { return m.fixed.at(q) && b.known(q) && b.objAt(q) != c }
		nextToFixed := func(q pt) bool {
			if !b.emptyFloor(q) {
				return false
			}
			for _, d := range dirVec {
				if fixedAt(q.add(d)) {
					return true
				}
			}
			return false
		}
		if len(b.knownCellsWhere(nextToFixed)) == 0 {
			// Every side of the fixed objects is taken: clear one.
			crowd := func(q pt) bool {
				o := b.objAt(q)
				if !movable(o) || isMove(o) || m.fixed.has(o) {
					return false
				}
				for _, d := range dirVec {
					if fixedAt(q.add(d)) {
						return true
					}
				}
				return false
			}
			if len(b.knownCellsWhere(crowd)) > 0 && (c == nil || !isMove(c)) {
				if c != nil {
					return b.dropHarmless()
				}
				if crowd(fp) {
					return Pickup, nil
				}
				return b.reach(crowd, 0)
			}
		}
		return b.carryTo(isMove, nextToFixed, Drop, 0)
	}
	return 0, ErrBotStuck
}

// knownCellsWhere lists known cells satisfying t.
func (b *Bot) knownCellsWhere(t func(q pt) bool) []pt {
	var out []pt
	gw := b.e.w.g.w
	for i := range b.mem {
		if b.mem[i].known {
			if q := (pt{i % gw, i / gw}); t(q) {
				out = append(out, q)
			}
		}
	}
	return out
}

// open opens a door of the instruction, fetching the key of a locked one.
func (b *Bot) open(m *mission) (Action, error) {
	w := &b.e.w
	c := w.carrying
	target := func(q pt) bool { return m.obj.has(b.objAt(q)) }
	openable := func(q pt) bool {
		if !target(q) {
			return false
		}
		s := b.snapAt(q)
		return s.State != DoorLocked || (c != nil && c.Kind == Key && c.Color == s.Color)
	}
	if openable(w.front()) {
		return Toggle, nil // an open door closes; the next toggle opens it
	}
	if a, ok := b.plan(facing(openable), b.hands()); ok {
		return a, nil
	}
	var colors [numColors]bool
	any := false
	for _, q := range b.knownCellsWhere(target) {
		if s := b.snapAt(q); s.State == DoorLocked {
			colors[s.Color], any = true, true
		}
	}
	if !any {
		return b.reach(target, 0)
	}
	isKey := func(o *Object) bool { return o != nil && o.Kind == Key && colors[o.Color] }
	lockedTarget := func(q pt) bool {
		s := b.snapAt(q)
		return target(q) && s.State == DoorLocked && (!isKey(c) || c.Color == s.Color)
	}
	return b.carryTo(isKey, lockedTarget, Toggle, 0)
}

// reach heads for a pose facing a cell satisfying t: directly, by
// exploring, by putting the load down to clear the way, by unlocking a
// door whose key it has seen, or by opening boxes in search of keys.
func (b *Bot) reach(t func(q pt) bool, depth int) (Action, error) {
	w := &b.e.w
	h := b.hands()
	if a, ok := b.plan(facing(t), h); ok {
		if debugBot {
			trace("reach %d: path %v", depth, a)
		}
		return a, nil
	}
	if a, ok := b.plan(b.reveals, h); ok {
		if debugBot {
			trace("reach %d: explore %v", depth, a)
		}
		return a, nil
	}
	if c := w.carrying; c != nil {
		free := b.emptyHands()
		if _, ok := b.plan(facing(t), free); ok {
			return b.dropHarmless()
		}
		if _, ok := b.plan(b.reveals, free); ok {
			return b.dropHarmless()
		}
	}
	if depth < 2 {
		if a, ok, err := b.unlockSomething(t, depth); ok || err != nil {
			return a, err
		}
	}
	return b.unstick()
}

// unlockSomething opens the way into unseen parts: a locked door whose key
// the bot has seen, else a box that might hold a key.
func (b *Bot) unlockSomething(t func(q pt) bool, depth int) (Action, bool, error) {
	w := &b.e.w
	locked := b.knownCellsWhere(func(q pt) bool {
		s := b.snapAt(q)
		return s != nil && s.Kind == Door && s.State == DoorLocked
	})
	var useful []pt
	for _, q := range locked {
		for _, d := range dirVec {
			if !b.known(q.add(d)) && b.e.w.g.in(q.add(d)) {
				useful = append(useful, q)
				break
			}
		}
	}
	if len(useful) == 0 {
		useful = locked
	}
	if len(useful) == 0 {
		return 0, false, nil
	}
	var keyColors [numColors]bool
	for _, q := range b.knownCells(func(o *Object) bool { return o.Kind == Key }) {
		keyColors[b.snapAt(q).Color] = true
	}
	if c := w.carrying; c != nil && c.Kind == Key {
		keyColors[c.Color] = true
	}
	var doorColors [numColors]bool
	anyDoor := false
	for _, q := range useful {
		if s := b.snapAt(q); keyColors[s.Color] {
			doorColors[s.Color], anyDoor = true, true
		}
	}
	if debugBot {
		trace("unlock %d: %d locked, %d useful, key for one %v", depth, len(locked), len(useful), anyDoor)
	}
	if anyDoor {
		isKey := func(o *Object) bool { return o != nil && o.Kind == Key && doorColors[o.Color] }
		c := w.carrying
		door := func(q pt) bool {
			s := b.snapAt(q)
			if s == nil || s.Kind != Door || s.State != DoorLocked || !doorColors[s.Color] {
				return false
			}
			return !isKey(c) || c.Color == s.Color
		}
		a, err := b.carryTo(isKey, door, Toggle, depth+1)
		return a, true, err
	}
	// No key in sight for any locked door: look inside boxes the mission
	// does not name.
	box := func(q pt) bool {
		o := b.objAt(q)
		return o != nil && o.Kind == Box && !b.protected(o)
	}
	if len(b.knownCellsWhere(box)) == 0 {
		return 0, false, nil
	}
	if box(w.front()) {
		if w.carrying != nil {
			a, err := b.dropHarmless()
			return a, true, err
		}
		return Toggle, true, nil
	}
	a, err := b.reach(box, depth+1)
	return a, true, err
}

// carryTo brings an object accepted by isL to a pose facing a cell
// satisfying g and then does final (drop, toggle). It first makes sure the
// way there can be walked with full hands (clearing, unlocking, exploring
// with empty hands as needed), then fetches the object.
func (b *Bot) carryTo(isL func(o *Object) bool, g func(q pt) bool, final Action, depth int) (Action, error) {
	w := &b.e.w
	c := w.carrying
	if debugBot {
		trace("carryTo %d: carrying %v", depth, c)
	}
	if c != nil && isL(c) {
		if g(w.front()) {
			return final, nil
		}
		h := b.hands()
		if a, ok := b.plan(facing(g), h); ok {
			return a, nil
		}
		if len(b.knownCellsWhere(g)) == 0 {
			if a, ok := b.plan(b.reveals, h); ok {
				return a, nil
			}
		}
		return b.dropHarmless()
	}
	ls := b.knownCells(isL)
	if len(ls) == 0 {
		return b.reach(func(q pt) bool { return isL(b.objAt(q)) }, depth)
	}
	// The objects whose way to g is walkable once in hand.
	var good []pt
	for _, l := range ls {
		o := opts{free: []pt{l}}
		if s := b.snapAt(l); s.Kind == Key {
			o.key, o.hasKey = s.Color, true
		}
		starts := b.facingStarts([]pt{l})
		if debugBot {
			trace("carryTo %d: object at %v, %d starts", depth, l, len(starts))
		}
		if len(starts) == 0 {
			continue
		}
		if _, ok := b.search(starts, facing(g), o); ok {
			good = append(good, l)
		}
	}
	if debugBot {
		trace("carryTo %d: %d objects, %d walkable", depth, len(ls), len(good))
	}
	if len(good) > 0 {
		if c != nil {
			return b.dropNear(inCells(good), false)
		}
		isGood := inCells(good)
		if isGood(w.front()) {
			return Pickup, nil
		}
		return b.reach(isGood, depth)
	}
	// No walkable way from any of them. If the agent itself can walk to
	// g, the way to the object is what needs clearing: go and fetch it
	// (blockers on the way are put aside, so the way back is walkable).
	// Otherwise make the way to g first.
	isL2 := func(q pt) bool { return isL(b.objAt(q)) }
	_, walk := b.plan(facing(g), opts{})
	if g(w.front()) || walk {
		if c != nil {
			return b.dropHarmless()
		}
		if isL2(w.front()) {
			return Pickup, nil
		}
		return b.reach(isL2, depth)
	}
	return b.reach(g, depth)
}

// cutCells marks the known empty cells where a dropped object would cut
// a way: articulation points of the walkable graph (unseen cells and doors
// count as walkable), and the last free side of an object or door.
func (b *Bot) cutCells() []bool {
	g := &b.e.w.g
	n := g.w * g.h
	cut := make([]bool, n)
	walk := func(p pt) bool {
		c := b.cell(p)
		return c != nil && (!c.known || c.obj == nil || c.snap.Kind == Door || p == b.e.w.agent)
	}
	order := make([]int32, n)
	low := make([]int32, n)
	t := int32(0)
	var dfs func(p pt, parent int)
	dfs = func(p pt, parent int) {
		i := p.y*g.w + p.x
		t++
		order[i], low[i] = t, t
		children := 0
		for _, d := range dirVec {
			q := p.add(d)
			if !walk(q) {
				continue
			}
			j := q.y*g.w + q.x
			if order[j] == 0 {
				children++
				dfs(q, i)
				low[i] = min(low[i], low[j])
				if parent >= 0 && low[j] >= order[i] {
					cut[i] = true
				}
			} else if j != parent {
				low[i] = min(low[i], order[j])
			}
		}
		if parent < 0 && children > 1 {
			cut[i] = true
		}
	}
	dfs(b.e.w.agent, -1)
	for y := range g.h {
		for x := range g.w {
			p := pt{x, y}
			c := b.cell(p)
			if !c.known || c.obj == nil || c.snap.Kind == Wall {
				continue
			}
			var only pt
			k := 0
			for _, d := range dirVec {
				if q := p.add(d); walk(q) && !(b.known(q) && b.objAt(q) != nil && b.snapAt(q).Kind == Door && c.snap.Kind == Door) {
					only, k = q, k+1
				}
			}
			if k == 1 && g.in(only) {
				cut[only.y*g.w+only.x] = true
			}
		}
	}
	return cut
}

// cameFrom reports whether the carried object was picked up from q.
func (b *Bot) cameFrom(q pt) bool {
	return b.fromObj != nil && b.fromObj == b.e.w.carrying && b.from == q
}

// harmless reports whether dropping something on q keeps every way open:
// q is known empty and cuts nothing, and (strict) it is not beside a door
// or an object the mission names.
func (b *Bot) harmless(q pt, cut []bool, strict bool) bool {
	if !b.emptyFloor(q) || q == b.e.w.agent || cut[q.y*b.e.w.g.w+q.x] || b.cameFrom(q) {
		return false
	}
	if !strict {
		return true
	}
	for _, d := range dirVec {
		if o := b.objAt(q.add(d)); o != nil && (o.Kind == Door || b.protected(o)) {
			return false
		}
	}
	return true
}

// dropNear puts the load down on a free cell beside a pose next to a cell
// satisfying t (where the agent then picks up or works), so it does not
// walk back and forth; cells that cut no way first. Without such a place
// it drops the load harmlessly elsewhere.
//
// With last, the pickup that follows ends the instruction, so the load may
// go back where it was picked up from.
func (b *Bot) dropNear(t func(q pt) bool, last bool) (Action, error) {
	w := &b.e.w
	cut := b.cutCells()
	for _, loose := range []bool{false, true} {
		goal := func(p pt, d int) bool {
			q := p.add(dirVec[d])
			if !b.emptyFloor(q) || t(q) || (b.cameFrom(q) && !(loose && last)) || (!loose && cut[q.y*w.g.w+q.x]) {
				return false
			}
			for _, e := range dirVec {
				if t(p.add(e)) {
					return true
				}
			}
			return false
		}
		if goal(w.agent, w.dir) {
			return Drop, nil
		}
		if a, ok := b.plan(goal, b.hands()); ok {
			return a, nil
		}
	}
	return b.dropHarmless()
}

// dropHarmless puts the load down where it blocks nothing, or failing
// that anywhere.
func (b *Bot) dropHarmless() (Action, error) {
	if debugBot {
		trace("dropHarmless")
	}
	w := &b.e.w
	if w.carrying == nil {
		return b.unstick()
	}
	h := b.hands()
	cut := b.cutCells()
	for _, t := range []func(q pt) bool{
		func(q pt) bool { return b.harmless(q, cut, true) },
		func(q pt) bool { return b.harmless(q, cut, false) },
		func(q pt) bool { return b.emptyFloor(q) && !b.cameFrom(q) },
		b.emptyFloor,
	} {
		if t(w.front()) {
			return Drop, nil
		}
		if a, ok := b.plan(facing(t), h); ok {
			return a, nil
		}
	}
	return b.unstick()
}

// unstick is the last resort: put the load down in front, or pick up what
// is in front, or else wait with done (the state has no way out: a strict
// level forbids the pickups that would free the agent). It never fails, so
// collecting demonstrations never stops on a state noise has made hopeless.
func (b *Bot) unstick() (Action, error) {
	if debugBot {
		trace("unstick")
	}
	w := &b.e.w
	fp := w.front()
	if w.carrying != nil {
		if b.emptyFloor(fp) {
			return Drop, nil
		}
		if a, ok := b.search(nil, facing(b.emptyFloor), opts{}); ok {
			return a, nil
		}
		return Done, nil
	}
	if b.strictPickup() {
		return Done, nil
	}
	if movable(b.objAt(fp)) {
		return Pickup, nil
	}
	if a, ok := b.search(nil, facing(func(q pt) bool { return movable(b.objAt(q)) }), opts{}); ok {
		return a, nil
	}
	return Done, nil
}
