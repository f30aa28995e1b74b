package babyai

// Kind is the type of a grid cell's content.
type Kind uint8

// Cell kinds. Empty is only used for descriptions; an empty cell holds nil.
const (
	Empty Kind = iota
	Wall
	Door
	Key
	Ball
	Box
)

var kindNames = [...]string{"empty", "wall", "door", "key", "ball", "box"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Color is one of MiniGrid's six object colours.
type Color uint8

// The six colours, in MiniGrid's order.
const (
	Red Color = iota
	Green
	Blue
	Purple
	Yellow
	Grey
)

const numColors = 6

var colorNames = [numColors]string{"red", "green", "blue", "purple", "yellow", "grey"}

func (c Color) String() string {
	if int(c) < numColors {
		return colorNames[c]
	}
	return "unknown"
}

// DoorState is whether a door is open, closed or locked.
type DoorState uint8

// Door states. A locked door opens (and unlocks) when toggled by an agent
// carrying a key of the door's colour.
const (
	DoorOpen DoorState = iota
	DoorClosed
	DoorLocked
)

var doorStateNames = [...]string{"open", "closed", "locked"}

func (s DoorState) String() string {
	if int(s) < len(doorStateNames) {
		return doorStateNames[s]
	}
	return "unknown"
}

// Object is a wall, door, key, ball or box on the grid.
type Object struct {
	Kind     Kind
	Color    Color
	State    DoorState // doors only
	Contains *Object   // boxes only: what toggling the box reveals (nil: nothing)
	// cur is where the object was last put on the grid, {-1,-1} once the
	// agent picks it up (Minigrid's cur_pos, which PutNext checks).
	cur pt
}

// seeBehind reports whether the object lets sight through (MiniGrid: walls
// and doors that are not open block it).
func (o *Object) seeBehind() bool {
	if o == nil {
		return true
	}
	switch o.Kind {
	case Wall:
		return false
	case Door:
		return o.State == DoorOpen
	}
	return true
}

// canOverlap reports whether the agent may stand on the object's cell.
func (o *Object) canOverlap() bool {
	return o == nil || (o.Kind == Door && o.State == DoorOpen)
}

func (o *Object) canPickup() bool {
	return o != nil && (o.Kind == Key || o.Kind == Ball || o.Kind == Box)
}

// describe names the object as in missions and observations, e.g.
// "red ball" or "locked blue door".
func (o *Object) describe() string {
	switch o.Kind {
	case Wall:
		return "wall"
	case Door:
		return o.State.String() + " " + o.Color.String() + " door"
	}
	return o.Color.String() + " " + o.Kind.String()
}

// theWall is shared by every wall cell and by everything outside the grid.
var theWall = &Object{Kind: Wall, Color: Grey}

type pt struct{ x, y int }

func (p pt) add(q pt) pt    { return pt{p.x + q.x, p.y + q.y} }
func (p pt) scale(k int) pt { return pt{p.x * k, p.y * k} }
func manhattan(a, b pt) int { return abs(a.x-b.x) + abs(a.y-b.y) }
func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// dirVec maps MiniGrid directions to unit vectors: 0 east, 1 south, 2 west,
// 3 north (y grows downwards).
var dirVec = [4]pt{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}

// rightOf is the unit vector to the agent's right when facing dir.
func rightOf(dir int) pt { d := dirVec[dir]; return pt{-d.y, d.x} }

type grid struct {
	w, h  int
	cells []*Object
}

func newGrid(w, h int) grid { return grid{w: w, h: h, cells: make([]*Object, w*h)} }

func (g *grid) in(p pt) bool { return p.x >= 0 && p.y >= 0 && p.x < g.w && p.y < g.h }

// get returns the cell content; everything outside the grid is wall.
func (g *grid) get(p pt) *Object {
	if !g.in(p) {
		return theWall
	}
	return g.cells[p.y*g.w+p.x]
}

func (g *grid) set(p pt, o *Object) {
	if g.in(p) {
		g.cells[p.y*g.w+p.x] = o
	}
}

// wallRect draws the walls of a room whose corners are (x0,y0) and (x1,y1).
func (g *grid) wallRect(x0, y0, x1, y1 int) {
	for x := x0; x <= x1; x++ {
		g.set(pt{x, y0}, theWall)
		g.set(pt{x, y1}, theWall)
	}
	for y := y0; y <= y1; y++ {
		g.set(pt{x0, y}, theWall)
		g.set(pt{x1, y}, theWall)
	}
}

// Action is one of the seven MiniGrid actions.
type Action uint8

// The actions, in MiniGrid's order.
const (
	Left Action = iota
	Right
	Forward
	Pickup
	Drop
	Toggle
	Done
)

// actionNames are the reply choices, indexed by Action.
var actionNames = [...]string{"left", "right", "forward", "pickup", "drop", "toggle", "done"}

// Actions returns the seven reply choices in MiniGrid's order.
func Actions() []string { return append([]string(nil), actionNames[:]...) }

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// world is the full state: the grid, its room layout and the agent.
type world struct {
	g        grid
	lay      layout
	agent    pt
	dir      int
	carrying *Object
}

func (w *world) front() pt { return w.agent.add(dirVec[w.dir]) }

// effect records what an action changed, for the mission verifier.
type effect struct {
	picked  *Object // object picked up by this action
	dropped *Object // object dropped by this action
	toggled *Object // door or box toggled successfully
}

// apply performs an action with MiniGrid semantics.
func (w *world) apply(a Action) effect {
	var ef effect
	fp := w.front()
	fc := w.g.get(fp)
	switch a {
	case Left:
		w.dir = (w.dir + 3) % 4
	case Right:
		w.dir = (w.dir + 1) % 4
	case Forward:
		if w.g.in(fp) && fc.canOverlap() {
			w.agent = fp
		}
	case Pickup:
		if fc.canPickup() && w.carrying == nil {
			w.carrying = fc
			w.g.set(fp, nil)
			fc.cur = pt{-1, -1}
			ef.picked = fc
		}
	case Drop:
		if fc == nil && w.carrying != nil && w.g.in(fp) {
			w.g.set(fp, w.carrying)
			w.carrying.cur = fp
			ef.dropped = w.carrying
			w.carrying = nil
		}
	case Toggle:
		if fc == nil {
			break
		}
		switch fc.Kind {
		case Door:
			switch fc.State {
			case DoorLocked:
				if k := w.carrying; k != nil && k.Kind == Key && k.Color == fc.Color {
					fc.State = DoorOpen
					ef.toggled = fc
				}
			case DoorClosed:
				fc.State = DoorOpen
				ef.toggled = fc
			case DoorOpen:
				fc.State = DoorClosed
				ef.toggled = fc
			}
		case Box:
			// MiniGrid replaces a toggled box by its contents (possibly nothing).
			w.g.set(fp, fc.Contains)
			ef.toggled = fc
		}
	case Done:
		// No effect on the world; the mission is re-checked as after any action.
	}
	return ef
}

// find returns the position of o on the grid.
func (w *world) find(o *Object) (pt, bool) {
	for i, c := range w.g.cells {
		if c == o {
			return pt{i % w.g.w, i / w.g.w}, true
		}
	}
	return pt{}, false
}
