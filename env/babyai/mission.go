package babyai

import "slices"

type instrKind uint8

// Instruction kinds: four actions and three ways to combine two
// instructions (Minigrid's AndInstr, BeforeInstr, AfterInstr).
const (
	goTo instrKind = iota
	pickUp
	openDoor
	putNext
	andSeq    // "A and B": both, in any order
	beforeSeq // "A, then B"
	afterSeq  // "A after you B": B first
)

func (k instrKind) isSeq() bool { return k >= andSeq }

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
	kind     Kind // Empty: any kind ("object")
	color    Color
	anyColor bool   // no colour word: any colour matches
	loc      string // one of the loc constants
	// set holds the objects the description referred to when the episode
	// started (BabyAI resolves locations once, at reset).
	set []*Object
	// poss are the positions of set's objects on the grid, as Minigrid's
	// verifier tracks them: taken at reset and refreshed after every drop
	// action (so an object picked up keeps its old position until then).
	poss []pt
}

// matches reports whether o fits the kind and colour. A description without
// a kind matches any cell, walls included, as Minigrid's does (that only
// changes "the" into "a": walls cannot be picked up).
func (d *objDesc) matches(o *Object) bool {
	return o != nil && (d.kind == Empty || o.Kind == d.kind) && (d.anyColor || o.Color == d.color)
}

// resolve fills set and poss from the world with the agent at its current
// pose. Location words only apply to objects in the agent's room.
func (d *objDesc) resolve(w *world) {
	d.set, d.poss = d.set[:0], d.poss[:0]
	d1 := dirVec[w.dir]
	d2 := rightOf(w.dir)
	ri, rj := w.lay.roomOf(w.agent)
	for x := 0; x < w.g.w; x++ {
		for y := 0; y < w.g.h; y++ {
			p := pt{x, y}
			o := w.g.get(p)
			if !d.matches(o) {
				continue
			}
			if d.loc != locNone {
				if !w.lay.inRoom(ri, rj, p) {
					continue
				}
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
			d.poss = append(d.poss, p)
		}
	}
}

// updatePoss recomputes poss: where set's objects are now on the grid.
func (d *objDesc) updatePoss(w *world) {
	d.poss = d.poss[:0]
	for x := 0; x < w.g.w; x++ {
		for y := 0; y < w.g.h; y++ {
			if o := w.g.get(pt{x, y}); o != nil && d.has(o) {
				d.poss = append(d.poss, pt{x, y})
			}
		}
	}
}

func (d *objDesc) has(o *Object) bool { return o != nil && slices.Contains(d.set, o) }

// at reports whether p is one of the tracked positions.
func (d *objDesc) at(p pt) bool { return slices.Contains(d.poss, p) }

// name is the description's colour and kind without article or location:
// "red ball", "ball" for any colour, "purple object" for any kind.
func (d *objDesc) name() string {
	s := "object"
	if d.kind != Empty {
		s = d.kind.String()
	}
	if !d.anyColor {
		s = d.color.String() + " " + s
	}
	return s
}

// surface renders the description; "the" when it refers to exactly one
// object, "a" otherwise (BabyAI's rule).
func (d *objDesc) surface() string {
	s := d.name()
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

// status is a verifier's verdict after an action.
type status uint8

const (
	running status = iota
	succeeded
	failed
)

// mission is a BabyAI instruction with Minigrid's verifier: an action (go
// to, pick up, open, put next to) or two instructions combined.
type mission struct {
	kind  instrKind
	obj   objDesc // the object to go to, pick up, open, or move
	fixed objDesc // putNext only: the object to put obj next to
	// strict: picking up (pickUp, putNext) or opening (openDoor) the wrong
	// thing fails the episode (Minigrid's debug levels).
	strict bool
	a, b   *mission // combined instructions only

	// Verifier state, set by reset.
	pre          *Object // what the agent carried at the previous check
	aDone, bDone status
}

// leaf builds an action instruction.
func leaf(k instrKind, d objDesc) *mission { return &mission{kind: k, obj: d} }

// seq combines two instructions.
func seq(k instrKind, a, b *mission) *mission { return &mission{kind: k, a: a, b: b} }

// descOf describes an object by kind and colour.
func descOf(o *Object) objDesc { return objDesc{kind: o.Kind, color: o.Color} }

// reset resolves every description against the world and clears the
// verifier state (Minigrid's reset_verifier).
func (m *mission) reset(w *world) {
	m.pre, m.aDone, m.bDone = nil, running, running
	if m.kind.isSeq() {
		m.a.reset(w)
		m.b.reset(w)
		return
	}
	m.obj.resolve(w)
	if m.kind == putNext {
		m.fixed.resolve(w)
	}
}

// leaves calls f on every action instruction.
func (m *mission) leaves(f func(*mission)) {
	if m.kind.isSeq() {
		m.a.leaves(f)
		m.b.leaves(f)
		return
	}
	f(m)
}

// updatePoss refreshes tracked positions after a drop action.
func (m *mission) updatePoss(w *world) {
	m.leaves(func(l *mission) {
		l.obj.updatePoss(w)
		if l.kind == putNext {
			l.fixed.updatePoss(w)
		}
	})
}

func (m *mission) surface() string {
	switch m.kind {
	case goTo:
		return "go to " + m.obj.surface()
	case pickUp:
		return "pick up " + m.obj.surface()
	case openDoor:
		return "open " + m.obj.surface()
	case putNext:
		return "put " + m.obj.surface() + " next to " + m.fixed.surface()
	case andSeq:
		return m.a.surface() + " and " + m.b.surface()
	case beforeSeq:
		return m.a.surface() + ", then " + m.b.surface()
	default:
		return m.a.surface() + " after you " + m.b.surface()
	}
}

// navs is BabyAI's number of navigations the instruction needs; the step
// limit is navs * room_size^2 * rooms.
func (m *mission) navs() int {
	switch {
	case m.kind.isSeq():
		return m.a.navs() + m.b.navs()
	case m.kind == putNext:
		return 2
	}
	return 1
}

// check runs Minigrid's verifier after action a (positions already updated
// if a was a drop).
func (m *mission) check(w *world, a Action) status {
	switch m.kind {
	case goTo:
		if m.obj.at(w.front()) {
			return succeeded
		}
	case openDoor:
		if a != Toggle {
			break
		}
		f := w.g.get(w.front())
		if f != nil && f.Kind == Door && f.State == DoorOpen && m.obj.has(f) {
			return succeeded
		}
		if m.strict && f != nil && f.Kind == Door {
			return failed
		}
	case pickUp:
		pre := m.pre
		m.pre = w.carrying
		if a != Pickup {
			break
		}
		if pre == nil && m.obj.has(w.carrying) {
			return succeeded
		}
		if m.strict && w.carrying != nil {
			return failed
		}
	case putNext:
		pre := m.pre
		m.pre = w.carrying
		if m.strict && a == Pickup && w.carrying != nil {
			return failed
		}
		if a != Drop || !m.obj.has(pre) {
			break
		}
		for _, p := range m.fixed.poss {
			if manhattan(pre.cur, p) == 1 {
				return succeeded
			}
		}
	case andSeq:
		if m.aDone != succeeded {
			m.aDone = m.a.check(w, a)
		}
		if m.bDone != succeeded {
			m.bDone = m.b.check(w, a)
		}
		if m.aDone == succeeded && m.bDone == succeeded {
			return succeeded
		}
	case beforeSeq:
		return m.ordered(w, a, m.a, m.b, &m.aDone, &m.bDone)
	case afterSeq:
		return m.ordered(w, a, m.b, m.a, &m.bDone, &m.aDone)
	}
	return running
}

// ordered verifies first, then second; the action that completes first is
// checked against second too.
func (m *mission) ordered(w *world, a Action, first, second *mission, firstDone, secondDone *status) status {
	if *firstDone != succeeded {
		*firstDone = first.check(w, a)
		switch *firstDone {
		case failed:
			return failed
		case running:
			return running
		}
	}
	*secondDone = second.check(w, a)
	return *secondDone
}

// objsNext reports whether some object to move already lies next to some
// fixed object's position (used to reject already solved episodes).
func (m *mission) objsNext(w *world) bool {
	for _, a := range m.obj.set {
		for _, p := range m.fixed.poss {
			if manhattan(a.cur, p) == 1 {
				return true
			}
		}
	}
	return false
}
