package babyai

import (
	"errors"
	"math/rand/v2"
)

// layout is a room grid's geometry: rows x cols square rooms of size cells
// (walls included); neighbouring rooms share a wall.
type layout struct{ size, rows, cols int }

func (l layout) width() int  { return (l.size-1)*l.cols + 1 }
func (l layout) height() int { return (l.size-1)*l.rows + 1 }

// rooms is the number of rooms.
func (l layout) rooms() int { return l.rows * l.cols }

// roomOf returns the column and row of the room holding p (a cell on a
// shared wall belongs to the room right of or below it).
func (l layout) roomOf(p pt) (int, int) {
	if l.size < 3 {
		return 0, 0
	}
	i, j := p.x/(l.size-1), p.y/(l.size-1)
	return min(max(i, 0), l.cols-1), min(max(j, 0), l.rows-1)
}

// inRoom reports whether p lies in room (i, j), its walls included.
func (l layout) inRoom(i, j int, p pt) bool {
	if l.size < 3 {
		return true
	}
	x0, y0 := i*(l.size-1), j*(l.size-1)
	return p.x >= x0 && p.y >= y0 && p.x < x0+l.size && p.y < y0+l.size
}

// Wall sides of a room, in Minigrid's order.
const (
	sideRight = iota
	sideDown
	sideLeft
	sideUp
)

// room is one room of the grid during generation.
type room struct {
	i, j    int
	top     pt
	doors   [4]*Object // the door on each side, if any
	removed [4]bool    // the wall on that side was taken down
	hasPos  [4]bool    // a neighbour exists on that side
	doorPos [4]pt      // where a door on that side goes
	nb      [4]*room
	locked  bool // behind a locked door added by addDoor
	objs    []*Object
}

// linked reports whether the room opens onto its neighbour on side k.
func (r *room) linked(k int) bool { return r.doors[k] != nil || r.removed[k] }

// errReject asks the generator to start over (Minigrid's RejectSampling,
// and its RecursionError when placement runs out of tries).
var errReject = errors.New("babyai: rejected sample")

// placeTries is Minigrid's max_tries for placing objects in a room.
const placeTries = 1000

// noKind and noColor ask addObject and addDoor for a random kind or colour.
const (
	noKind  Kind  = 255
	noColor Color = 255
)

// gen is one generation attempt on a room grid.
type gen struct {
	rng   *rand.Rand
	lay   layout
	w     world
	rooms []room // row-major: rooms[j*cols+i]
	// lockedRoom is the room LevelGen locked, if any.
	lockedRoom *room
	// carry is the object the agent starts with (taken off the grid once
	// the mission is resolved, as Minigrid's PutNext...Carrying levels do).
	carry *Object
}

// newGen walls every room, draws the position of each door between
// neighbours and puts the agent at the centre of the middle room, facing
// right (objects placed before the agent keep away from that spot).
func newGen(rng *rand.Rand, lay layout) *gen {
	g := &gen{rng: rng, lay: lay, rooms: make([]room, lay.rooms())}
	g.w = world{g: newGrid(lay.width(), lay.height()), lay: lay}
	s := lay.size
	for j := range lay.rows {
		for i := range lay.cols {
			r := g.room(i, j)
			r.i, r.j = i, j
			r.top = pt{i * (s - 1), j * (s - 1)}
			g.w.g.wallRect(r.top.x, r.top.y, r.top.x+s-1, r.top.y+s-1)
		}
	}
	for j := range lay.rows {
		for i := range lay.cols {
			r := g.room(i, j)
			xl, yl := r.top.x+1, r.top.y+1
			xm, ym := r.top.x+s-1, r.top.y+s-1
			if i < lay.cols-1 {
				r.nb[sideRight], r.hasPos[sideRight] = g.room(i+1, j), true
				r.doorPos[sideRight] = pt{xm, g.randInt(yl, ym)}
			}
			if j < lay.rows-1 {
				r.nb[sideDown], r.hasPos[sideDown] = g.room(i, j+1), true
				r.doorPos[sideDown] = pt{g.randInt(xl, xm), ym}
			}
			if i > 0 {
				r.nb[sideLeft], r.hasPos[sideLeft] = g.room(i-1, j), true
				r.doorPos[sideLeft] = r.nb[sideLeft].doorPos[sideRight]
			}
			if j > 0 {
				r.nb[sideUp], r.hasPos[sideUp] = g.room(i, j-1), true
				r.doorPos[sideUp] = r.nb[sideUp].doorPos[sideDown]
			}
		}
	}
	g.w.agent = pt{(lay.cols/2)*(s-1) + s/2, (lay.rows/2)*(s-1) + s/2}
	g.w.dir = 0
	return g
}

func (g *gen) room(i, j int) *room { return &g.rooms[j*g.lay.cols+i] }

// roomAt is the room holding p.
func (g *gen) roomAt(p pt) *room { return g.room(g.lay.roomOf(p)) }

func (g *gen) randInt(lo, hi int) int { return lo + g.rng.IntN(hi-lo) }
func (g *gen) randBool() bool         { return g.rng.IntN(2) == 0 }
func (g *gen) randFloat() float64     { return g.rng.Float64() }
func (g *gen) randColor() Color       { return Color(g.rng.IntN(numColors)) }
func (g *gen) randKind() Kind         { return [3]Kind{Key, Ball, Box}[g.rng.IntN(3)] }

// allColors lists the six colours.
var allColors = []Color{Red, Green, Blue, Purple, Yellow, Grey}

// randSubset draws n distinct elements of s, in draw order.
func randSubset[T any](g *gen, s []T, n int) []T {
	rest := append([]T(nil), s...)
	out := make([]T, 0, n)
	for range n {
		k := g.rng.IntN(len(rest))
		out = append(out, rest[k])
		rest = append(rest[:k], rest[k+1:]...)
	}
	return out
}

// placeObj puts o (nil: nothing, to pick a spot for the agent) on a random
// empty cell of the square at top with side size, not where the agent is
// and not where reject says, like Minigrid's place_obj.
func (g *gen) placeObj(o *Object, top pt, size int, reject func(pt) bool) (pt, error) {
	gr := &g.w.g
	for range placeTries + 1 {
		p := pt{g.randInt(top.x, min(top.x+size, gr.w)), g.randInt(top.y, min(top.y+size, gr.h))}
		if gr.get(p) != nil || p == g.w.agent || (reject != nil && reject(p)) {
			continue
		}
		if o != nil {
			gr.set(p, o)
			o.cur = p
		}
		return p, nil
	}
	return pt{}, errReject
}

// nextToAgent is Minigrid's reject_next_to: the cell is the agent's or
// one of its four neighbours.
func (g *gen) nextToAgent(p pt) bool { return manhattan(p, g.w.agent) < 2 }

// placeInRoom puts o in room (i, j) away from the agent.
func (g *gen) placeInRoom(i, j int, o *Object) error {
	r := g.room(i, j)
	if _, err := g.placeObj(o, r.top, g.lay.size, g.nextToAgent); err != nil {
		return err
	}
	r.objs = append(r.objs, o)
	return nil
}

// addObject adds a new key, ball or box to room (i, j); noKind and noColor
// draw them at random (kind first).
func (g *gen) addObject(i, j int, k Kind, c Color) (*Object, error) {
	if k == noKind {
		k = g.randKind()
	}
	if c == noColor {
		c = g.randColor()
	}
	o := &Object{Kind: k, Color: c}
	return o, g.placeInRoom(i, j, o)
}

// addDoor adds a door to side k of room (i, j) (k < 0: a random side with
// a neighbour and no door yet); locked is 1, 0 or -1 for random.
func (g *gen) addDoor(i, j, k int, c Color, locked int) (*Object, error) {
	r := g.room(i, j)
	if k < 0 {
		for tries := 0; ; tries++ {
			if tries > placeTries {
				return nil, errReject
			}
			k = g.rng.IntN(4)
			if r.nb[k] != nil && !r.linked(k) {
				break
			}
		}
	}
	if c == noColor {
		c = g.randColor()
	}
	lk := locked == 1
	if locked < 0 {
		lk = g.randBool()
	}
	if r.linked(k) || r.nb[k] == nil {
		return nil, errors.New("babyai: door on a wall that has one or no neighbour")
	}
	r.locked = lk
	d := &Object{Kind: Door, Color: c, State: DoorClosed}
	if lk {
		d.State = DoorLocked
	}
	d.cur = r.doorPos[k]
	g.w.g.set(r.doorPos[k], d)
	r.doors[k] = d
	r.nb[k].doors[(k+2)%4] = d
	return d, nil
}

// removeWall takes down the wall on side k of room (i, j), corners kept.
func (g *gen) removeWall(i, j, k int) {
	r := g.room(i, j)
	s := g.lay.size
	for t := 1; t < s-1; t++ {
		var p pt
		switch k {
		case sideRight:
			p = pt{r.top.x + s - 1, r.top.y + t}
		case sideDown:
			p = pt{r.top.x + t, r.top.y + s - 1}
		case sideLeft:
			p = pt{r.top.x, r.top.y + t}
		default:
			p = pt{r.top.x + t, r.top.y}
		}
		g.w.g.set(p, nil)
	}
	r.removed[k] = true
	r.nb[k].removed[(k+2)%4] = true
}

// placeAgent puts the agent in room (i, j) (negative: random) with a
// random direction, again until it does not face an object (walls are
// fine).
func (g *gen) placeAgent(i, j int) error {
	if i < 0 {
		i = g.randInt(0, g.lay.cols)
	}
	if j < 0 {
		j = g.randInt(0, g.lay.rows)
	}
	r := g.room(i, j)
	for range placeTries {
		g.w.agent = pt{-1, -1}
		p, err := g.placeObj(nil, r.top, g.lay.size, nil)
		if err != nil {
			return err
		}
		g.w.agent = p
		g.w.dir = g.rng.IntN(4)
		if f := g.w.g.get(g.w.front()); f == nil || f.Kind == Wall {
			return nil
		}
	}
	return errReject
}

// connectAll adds unlocked doors between random neighbours (never into a
// locked room) until every room is reachable from the agent's.
func (g *gen) connectAll(colors []Color) error {
	n := g.lay.rooms()
	seen := make([]bool, n)
	for itr := 0; ; itr++ {
		if itr > 5000 {
			return errReject
		}
		clear(seen)
		start := g.roomAt(g.w.agent)
		stack := []*room{start}
		count := 0
		for len(stack) > 0 {
			r := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[r.j*g.lay.cols+r.i] {
				continue
			}
			seen[r.j*g.lay.cols+r.i] = true
			count++
			for k := range 4 {
				if r.linked(k) {
					stack = append(stack, r.nb[k])
				}
			}
		}
		if count == n {
			return nil
		}
		i, j, k := g.randInt(0, g.lay.cols), g.randInt(0, g.lay.rows), g.randInt(0, 4)
		r := g.room(i, j)
		if !r.hasPos[k] || r.linked(k) || r.locked || r.nb[k].locked {
			continue
		}
		c := colors[g.rng.IntN(len(colors))]
		if _, err := g.addDoor(i, j, k, c, 0); err != nil {
			return err
		}
	}
}

// addDistractors adds n random keys, balls and boxes (colour drawn first)
// to room (i, j), or to random rooms where i or j is negative; with unique
// no two objects of the grid share kind and colour.
func (g *gen) addDistractors(i, j, n int, unique bool) ([]*Object, error) {
	type kc struct {
		k Kind
		c Color
	}
	var have []kc
	for r := range g.rooms {
		for _, o := range g.rooms[r].objs {
			have = append(have, kc{o.Kind, o.Color})
		}
	}
	var out []*Object
	for len(out) < n {
		c := g.randColor()
		k := g.randKind()
		if unique {
			dup := false
			for _, h := range have {
				if h == (kc{k, c}) {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
		}
		ri, rj := i, j
		if ri < 0 {
			ri = g.randInt(0, g.lay.cols)
		}
		if rj < 0 {
			rj = g.randInt(0, g.lay.rows)
		}
		o, err := g.addObject(ri, rj, k, c)
		if err != nil {
			return nil, err
		}
		have = append(have, kc{k, c})
		out = append(out, o)
	}
	return out, nil
}

// doors lists every door of the grid once per room it borders, in room
// order (as Minigrid's Open level draws from).
func (g *gen) doorList() []*Object {
	var out []*Object
	for j := range g.lay.rows {
		for i := range g.lay.cols {
			for _, d := range g.room(i, j).doors {
				if d != nil {
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// openAllDoors opens every door.
func (g *gen) openAllDoors() {
	for _, d := range g.doorList() {
		d.State = DoorOpen
	}
}

// objsReachable reports whether every object can be reached from the agent
// without moving any (doors, even locked, let through), like Minigrid's
// check_objs_reachable.
func (g *gen) objsReachable() bool {
	gr := &g.w.g
	seen := make([]bool, gr.w*gr.h)
	stack := []pt{g.w.agent}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !gr.in(p) || seen[p.y*gr.w+p.x] {
			continue
		}
		seen[p.y*gr.w+p.x] = true
		if c := gr.get(p); c != nil && c.Kind != Door {
			continue
		}
		for _, d := range dirVec {
			stack = append(stack, p.add(d))
		}
	}
	for i, c := range gr.cells {
		if c != nil && c.Kind != Wall && !seen[i] {
			return false
		}
	}
	return true
}

// checkReachable rejects the sample unless objsReachable.
func (g *gen) checkReachable() error {
	if !g.objsReachable() {
		return errReject
	}
	return nil
}
