package babyai

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// roomSize is BabyAI's room size, walls included.
const roomSize = 8

// level is one BabyAI level: a generator of worlds and missions.
type level struct {
	name string
	doc  string
	gen  func(g *gen) (mission, error)
}

// levelList follows BabyAI's level definitions, adapted to a single 8x8 room
// (see the package documentation for the adaptations).
var levelList = []level{
	{"GoToObj", "go to the only object in the room", genGoToObj},
	{"GoToRedBallGrey", "go to the red ball; 7 grey distractors", genGoToRedBallGrey},
	{"GoToRedBall", "go to a red ball; 7 random distractors (red balls among them make the mission say \"a red ball\")", genGoToRedBall},
	{"GoToRedBallNoDists", "go to the red ball; no distractors", genGoToRedBallNoDists},
	{"GoToLocal", "go to an object among 8", genGoToLocal},
	{"PickupLoc", "pick up an object described by colour, type and maybe location", genPickupLoc},
	{"PutNextLocal", "put one object next to another; 8 distinct objects", genPutNextLocal},
	{"GoToDoor", "go to a door; 4 doors, one per wall", genGoToDoor},
	{"Open", "open a door; 4 closed doors, one per wall, 4 distractors", genOpen},
	{"UnlockLocal", "open the locked door with the key in the room", genUnlockLocal},
	{"UnlockLocalDist", "as UnlockLocal with 3 distractors", genUnlockLocalDist},
}

// Levels lists the level names accepted by New.
var Levels = func() []string {
	s := make([]string, len(levelList))
	for i, l := range levelList {
		s[i] = l.name
	}
	return s
}()

// LevelDoc describes a level in a few words ("" for an unknown name).
func LevelDoc(name string) string {
	if lv, err := findLevel(name); err == nil {
		return lv.doc
	}
	return ""
}

func findLevel(name string) (*level, error) {
	for i := range levelList {
		if levelList[i].name == name {
			return &levelList[i], nil
		}
	}
	return nil, fmt.Errorf("babyai: unknown level %q (known: %v)", name, Levels)
}

// errReject asks the generator to start over (BabyAI's RejectSampling).
var errReject = errors.New("babyai: rejected sample")

// maxGenTries bounds rejection sampling; every level succeeds within a few
// tries, so hitting it means a generator bug.
const maxGenTries = 1000

// generate builds a world and mission for lv from rng.
func generate(lv *level, rng *rand.Rand) (world, mission, error) {
	for range maxGenTries {
		g := newGen(rng)
		m, err := lv.gen(g)
		if errors.Is(err, errReject) {
			continue
		}
		if err != nil {
			return world{}, mission{}, err
		}
		m.resolve(&g.w)
		if len(m.obj.set) == 0 || (m.kind == putNext && len(m.fixed.set) == 0) {
			continue
		}
		if m.kind == putNext {
			// BabyAI's validate_instrs: not already solved, not "next to itself".
			if m.objsNext(&g.w) {
				continue
			}
			if len(m.obj.set) == 1 && len(m.fixed.set) == 1 && m.obj.set[0] == m.fixed.set[0] {
				continue
			}
		}
		return g.w, m, nil
	}
	return world{}, mission{}, fmt.Errorf("babyai: level %s: no valid episode after %d tries", lv.name, maxGenTries)
}

// gen holds one generation attempt in a single walled room.
type gen struct {
	rng     *rand.Rand
	w       world
	placed  bool // agent placed
	objs    []*Object
	doors   []*Object
	hasDoor [4]bool
	doorPos [4]pt // one candidate door position per wall: right, bottom, left, top
}

func newGen(rng *rand.Rand) *gen {
	g := &gen{rng: rng, w: world{g: newGrid(roomSize, roomSize)}}
	g.w.g.wallRect(0, 0, roomSize-1, roomSize-1)
	last := roomSize - 1
	g.doorPos = [4]pt{
		{last, g.randInt(1, last)},
		{g.randInt(1, last), last},
		{0, g.randInt(1, last)},
		{g.randInt(1, last), 0},
	}
	return g
}

func (g *gen) randInt(lo, hi int) int { return lo + g.rng.IntN(hi-lo) }
func (g *gen) randBool() bool         { return g.rng.IntN(2) == 0 }
func (g *gen) randColor() Color       { return Color(g.rng.IntN(numColors)) }
func (g *gen) randKind() Kind         { return [3]Kind{Key, Ball, Box}[g.rng.IntN(3)] }

// randPos draws a cell of the room like MiniGrid's place_obj (walls included,
// rejected by the caller because they are occupied).
func (g *gen) randPos() pt { return pt{g.randInt(0, roomSize), g.randInt(0, roomSize)} }

// placeObj puts o on a random empty cell, not on or next to the agent's start
// (BabyAI's reject_next_to).
func (g *gen) placeObj(o *Object) error {
	for range maxGenTries {
		p := g.randPos()
		if g.w.g.get(p) != nil {
			continue
		}
		if g.placed && manhattan(p, g.w.agent) < 2 {
			continue
		}
		g.w.g.set(p, o)
		return nil
	}
	return errReject
}

// placeAgent puts the agent on a random empty cell with a random direction,
// not facing an object (walls are fine), like BabyAI's place_agent.
func (g *gen) placeAgent() error {
	for range maxGenTries {
		p := g.randPos()
		dir := g.rng.IntN(4)
		if g.w.g.get(p) != nil {
			continue
		}
		f := g.w.g.get(p.add(dirVec[dir]))
		if f != nil && f.Kind != Wall {
			continue
		}
		g.w.agent, g.w.dir, g.placed = p, dir, true
		return nil
	}
	return errReject
}

func (g *gen) addObject(k Kind, c Color) (*Object, error) {
	o := &Object{Kind: k, Color: c}
	if err := g.placeObj(o); err != nil {
		return nil, err
	}
	g.objs = append(g.objs, o)
	return o, nil
}

// addDistractors adds n random keys, balls and boxes; with allUnique no two
// objects in the room share type and colour.
func (g *gen) addDistractors(n int, allUnique bool) ([]*Object, error) {
	var dists []*Object
	for len(dists) < n {
		c := g.randColor()
		k := g.randKind()
		if allUnique && g.exists(k, c) {
			continue
		}
		o, err := g.addObject(k, c)
		if err != nil {
			return nil, err
		}
		dists = append(dists, o)
	}
	return dists, nil
}

func (g *gen) exists(k Kind, c Color) bool {
	for _, o := range g.objs {
		if o.Kind == k && o.Color == c {
			return true
		}
	}
	return false
}

// addDoor puts a door on a random wall that has none. color < 0 and
// locked < 0 mean random.
func (g *gen) addDoor(color int, locked int) *Object {
	var idx int
	for {
		idx = g.rng.IntN(4)
		if !g.hasDoor[idx] {
			break
		}
	}
	c := Color(color)
	if color < 0 {
		c = g.randColor()
	}
	lk := locked == 1
	if locked < 0 {
		lk = g.randBool()
	}
	d := &Object{Kind: Door, Color: c, State: DoorClosed}
	if lk {
		d.State = DoorLocked
	}
	g.hasDoor[idx] = true
	g.w.g.set(g.doorPos[idx], d)
	g.doors = append(g.doors, d)
	return d
}

// checkReachable rejects worlds where some object cannot be reached from the
// agent (objects block movement, doors do not), like BabyAI's
// check_objs_reachable.
func (g *gen) checkReachable() error {
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
			return errReject
		}
	}
	return nil
}

func goToDesc(o *Object) mission {
	return mission{kind: goTo, obj: objDesc{kind: o.Kind, color: o.Color}}
}

func genGoToObj(g *gen) (mission, error) {
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	objs, err := g.addDistractors(1, true)
	if err != nil {
		return mission{}, err
	}
	return goToDesc(objs[0]), nil
}

func genGoToRedBallGrey(g *gen) (mission, error) {
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	ball, err := g.addObject(Ball, Red)
	if err != nil {
		return mission{}, err
	}
	dists, err := g.addDistractors(7, false)
	if err != nil {
		return mission{}, err
	}
	for _, d := range dists {
		d.Color = Grey
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	return goToDesc(ball), nil
}

// genRedBall follows Minigrid's GoToRedBall: the agent, one red ball, then
// ndists random distractors that may repeat and may themselves be red balls
// (then the mission refers to every red ball and says "a red ball").
func genRedBall(g *gen, ndists int) (mission, error) {
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	ball, err := g.addObject(Ball, Red)
	if err != nil {
		return mission{}, err
	}
	if _, err := g.addDistractors(ndists, false); err != nil {
		return mission{}, err
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	return goToDesc(ball), nil
}

func genGoToRedBall(g *gen) (mission, error)        { return genRedBall(g, 7) }
func genGoToRedBallNoDists(g *gen) (mission, error) { return genRedBall(g, 0) }

func genGoToLocal(g *gen) (mission, error) {
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	objs, err := g.addDistractors(8, false)
	if err != nil {
		return mission{}, err
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	return goToDesc(objs[g.rng.IntN(len(objs))]), nil
}

// genPickupLoc follows BabyAI's LevelGen with action "pickup" and locations:
// 8 distractors, then the agent, then the description drawn as in rand_obj
// (colour may be omitted, location added with probability 1/2) until it
// matches some object.
func genPickupLoc(g *gen) (mission, error) {
	if _, err := g.addDistractors(8, false); err != nil {
		return mission{}, err
	}
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	for range 100 {
		d := objDesc{}
		if c := g.rng.IntN(numColors + 1); c == 0 {
			d.anyColor = true
		} else {
			d.color = Color(c - 1)
		}
		d.kind = g.randKind()
		if g.randBool() {
			d.loc = locNames[g.rng.IntN(len(locNames))]
		}
		d.resolve(&g.w)
		if len(d.set) > 0 {
			return mission{kind: pickUp, obj: d}, nil
		}
	}
	return mission{}, errReject
}

func genPutNextLocal(g *gen) (mission, error) {
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	objs, err := g.addDistractors(8, true)
	if err != nil {
		return mission{}, err
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	i := g.rng.IntN(len(objs))
	j := g.rng.IntN(len(objs) - 1)
	if j >= i {
		j++
	}
	a, b := objs[i], objs[j]
	return mission{
		kind:  putNext,
		obj:   objDesc{kind: a.Kind, color: a.Color},
		fixed: objDesc{kind: b.Kind, color: b.Color},
	}, nil
}

func genGoToDoor(g *gen) (mission, error) {
	for range 4 {
		g.addDoor(-1, -1)
	}
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	d := g.doors[g.rng.IntN(len(g.doors))]
	return mission{kind: goTo, obj: objDesc{kind: Door, color: d.Color}}, nil
}

func genOpen(g *gen) (mission, error) {
	for range 4 {
		g.addDoor(-1, 0)
	}
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	if _, err := g.addDistractors(4, false); err != nil {
		return mission{}, err
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	d := g.doors[g.rng.IntN(len(g.doors))]
	return mission{kind: openDoor, obj: objDesc{kind: Door, color: d.Color}}, nil
}

func genUnlock(g *gen, ndists int) (mission, error) {
	door := g.addDoor(-1, 1)
	if _, err := g.addObject(Key, door.Color); err != nil {
		return mission{}, err
	}
	if _, err := g.addDistractors(ndists, true); err != nil {
		return mission{}, err
	}
	if err := g.placeAgent(); err != nil {
		return mission{}, err
	}
	if err := g.checkReachable(); err != nil {
		return mission{}, err
	}
	return mission{kind: openDoor, obj: objDesc{kind: Door, anyColor: true}}, nil
}

func genUnlockLocal(g *gen) (mission, error)     { return genUnlock(g, 0) }
func genUnlockLocalDist(g *gen) (mission, error) { return genUnlock(g, 3) }
