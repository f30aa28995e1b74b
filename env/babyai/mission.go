package babyai

import "slices"

type instrKind uint8

const (
	goTo instrKind = iota
	pickUp
	openDoor
	putNext
)

// Location words of BabyAI object descriptions, relative to the agent's pose
// when the episode starts.
const (
	locNone   = ""
	locLeft   = "left"
	locRight  = "right"
	locFront  = "front"
	locBehind = "behind"
)

var locNames = [...]string{locLeft, locRight, locFront, locBehind}

// objDesc is a BabyAI object description ("the red ball on your left").
type objDesc struct {
	kind     Kind
	color    Color
	anyColor bool   // no colour word: any colour matches
	loc      string // one of the loc constants
	// set holds the objects the description referred to when the episode
	// started (BabyAI resolves locations once, at reset).
	set []*Object
}

func (d *objDesc) matchesKind(o *Object) bool {
	return o != nil && o.Kind == d.kind && (d.anyColor || o.Color == d.color)
}

// resolve fills set from the world with the agent at its current pose.
func (d *objDesc) resolve(w *world) {
	d.set = d.set[:0]
	d1 := dirVec[w.dir]
	d2 := rightOf(w.dir)
	for y := 0; y < w.g.h; y++ {
		for x := 0; x < w.g.w; x++ {
			o := w.g.get(pt{x, y})
			if !d.matchesKind(o) {
				continue
			}
			if d.loc != locNone {
				v := pt{x - w.agent.x, y - w.agent.y}
				fwd := v.x*d1.x + v.y*d1.y
				side := v.x*d2.x + v.y*d2.y
				ok := false
				switch d.loc {
				case locLeft:
					ok = side < 0
				case locRight:
					ok = side > 0
				case locFront:
					ok = fwd > 0
				case locBehind:
					ok = fwd < 0
				}
				if !ok {
					continue
				}
			}
			d.set = append(d.set, o)
		}
	}
}

func (d *objDesc) has(o *Object) bool { return o != nil && slices.Contains(d.set, o) }

// surface renders the description; "the" when it refers to exactly one
// object, "a" otherwise (BabyAI's rule).
func (d *objDesc) surface() string {
	s := d.kind.String()
	if !d.anyColor {
		s = d.color.String() + " " + s
	}
	switch d.loc {
	case locFront:
		s += " in front of you"
	case locBehind:
		s += " behind you"
	case locLeft, locRight:
		s += " on your " + d.loc
	}
	if len(d.set) == 1 {
		return "the " + s
	}
	return "a " + s
}

// mission is a BabyAI instruction with its verifier.
type mission struct {
	kind  instrKind
	obj   objDesc // the object to go to, pick up, open, or move
	fixed objDesc // putNext only: the object to put obj next to
}

func (m *mission) resolve(w *world) {
	m.obj.resolve(w)
	if m.kind == putNext {
		m.fixed.resolve(w)
	}
}

func (m *mission) surface() string {
	switch m.kind {
	case goTo:
		return "go to " + m.obj.surface()
	case pickUp:
		return "pick up " + m.obj.surface()
	case openDoor:
		return "open " + m.obj.surface()
	default:
		return "put " + m.obj.surface() + " next to " + m.fixed.surface()
	}
}

// navs is BabyAI's number of navigations the instruction needs; the step
// limit is navs * room_size^2 * rooms.
func (m *mission) navs() int {
	if m.kind == putNext {
		return 2
	}
	return 1
}

// verify reports success after action a with effect ef.
func (m *mission) verify(w *world, a Action, ef effect) bool {
	switch m.kind {
	case goTo:
		return m.obj.has(w.g.get(w.front()))
	case pickUp:
		return ef.picked != nil && m.obj.has(ef.picked)
	case openDoor:
		d := ef.toggled
		return a == Toggle && d != nil && d.Kind == Door && d.State == DoorOpen && m.obj.has(d)
	case putNext:
		// Minigrid's PutNext verifier: the object just dropped must be one
		// named to move, and it must land next to a fixed one.
		return ef.dropped != nil && m.obj.has(ef.dropped) && m.nextToFixed(w, ef.dropped)
	}
	return false
}

// objsNext reports whether some object to move lies next to (4-adjacent)
// some fixed object.
func (m *mission) objsNext(w *world) bool {
	for _, a := range m.obj.set {
		pa, ok := w.find(a)
		if !ok {
			continue
		}
		for _, b := range m.fixed.set {
			if pb, ok := w.find(b); ok && a != b && manhattan(pa, pb) == 1 {
				return true
			}
		}
	}
	return false
}

// nextToFixed reports whether o lies next to (4-adjacent) some fixed object.
func (m *mission) nextToFixed(w *world, o *Object) bool {
	pa, ok := w.find(o)
	if !ok {
		return false
	}
	for _, b := range m.fixed.set {
		if pb, ok := w.find(b); ok && b != o && manhattan(pa, pb) == 1 {
			return true
		}
	}
	return false
}
