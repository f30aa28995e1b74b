package babyai

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// roomSize is BabyAI's default room size, walls included.
const roomSize = 8

// level is one BabyAI level: a room grid, a generator of worlds and
// missions, and the step limit.
type level struct {
	name string
	doc  string
	lay  layout
	// maxSteps is a fixed step limit; 0 means BabyAI's
	// navs * room_size^2 * rooms, computed from each episode's mission.
	maxSteps int
	gen      func(g *gen) (*mission, error)
	// unblocking: no instruction may name a key that opens a locked door
	// (LevelGen's validate_instrs for levels that may need unblocking).
	unblocking bool
}

// one is a single room of the given size; grid3 the default 3x3 grid.
func one(size int) layout   { return layout{size, 1, 1} }
func grid3(size int) layout { return layout{size, 3, 3} }

// levelList is Minigrid's BabyAI registry (ids without "BabyAI-" and the
// version suffix), in its order.
var levelList = []level{
	// GoTo family.
	{name: "GoToRedBallGrey", doc: "go to the red ball; 7 grey distractors, one room", lay: one(8), gen: genGoToRedBall(7, true)},
	{name: "GoToRedBall", doc: "go to a red ball; 7 random distractors (more red balls make it \"a red ball\"), one room", lay: one(8), gen: genGoToRedBall(7, false)},
	{name: "GoToRedBallNoDists", doc: "go to the red ball; no distractors, one room", lay: one(8), gen: genGoToRedBall(0, false)},
	{name: "GoToObj", doc: "go to the only object in the room", lay: one(8), gen: genGoToObj},
	{name: "GoToObjS4", doc: "GoToObj in a 4x4 room", lay: one(4), gen: genGoToObj},
	{name: "GoToObjS6", doc: "GoToObj in a 6x6 room", lay: one(6), gen: genGoToObj},
	{name: "GoToLocal", doc: "go to an object among 8 in one room", lay: one(8), gen: genGoToLocal(8)},
	{name: "GoToLocalS5N2", doc: "GoToLocal, 5x5 room, 2 objects", lay: one(5), gen: genGoToLocal(2)},
	{name: "GoToLocalS6N2", doc: "GoToLocal, 6x6 room, 2 objects", lay: one(6), gen: genGoToLocal(2)},
	{name: "GoToLocalS6N3", doc: "GoToLocal, 6x6 room, 3 objects", lay: one(6), gen: genGoToLocal(3)},
	{name: "GoToLocalS6N4", doc: "GoToLocal, 6x6 room, 4 objects", lay: one(6), gen: genGoToLocal(4)},
	{name: "GoToLocalS7N4", doc: "GoToLocal, 7x7 room, 4 objects", lay: one(7), gen: genGoToLocal(4)},
	{name: "GoToLocalS7N5", doc: "GoToLocal, 7x7 room, 5 objects", lay: one(7), gen: genGoToLocal(5)},
	{name: "GoToLocalS8N2", doc: "GoToLocal, 8x8 room, 2 objects", lay: one(8), gen: genGoToLocal(2)},
	{name: "GoToLocalS8N3", doc: "GoToLocal, 8x8 room, 3 objects", lay: one(8), gen: genGoToLocal(3)},
	{name: "GoToLocalS8N4", doc: "GoToLocal, 8x8 room, 4 objects", lay: one(8), gen: genGoToLocal(4)},
	{name: "GoToLocalS8N5", doc: "GoToLocal, 8x8 room, 5 objects", lay: one(8), gen: genGoToLocal(5)},
	{name: "GoToLocalS8N6", doc: "GoToLocal, 8x8 room, 6 objects", lay: one(8), gen: genGoToLocal(6)},
	{name: "GoToLocalS8N7", doc: "GoToLocal, 8x8 room, 7 objects", lay: one(8), gen: genGoToLocal(7)},
	{name: "GoTo", doc: "go to an object anywhere in a 3x3 maze of rooms with closed doors; 18 objects", lay: grid3(8), gen: genGoTo(18, false)},
	{name: "GoToOpen", doc: "GoTo with every door open", lay: grid3(8), gen: genGoTo(18, true)},
	{name: "GoToObjMaze", doc: "go to the only object in a 3x3 maze", lay: grid3(8), gen: genGoTo(1, false)},
	{name: "GoToObjMazeOpen", doc: "GoToObjMaze with every door open", lay: grid3(8), gen: genGoTo(1, true)},
	{name: "GoToObjMazeS4R2", doc: "GoToObjMaze, 2x2 rooms of 4x4", lay: layout{4, 2, 2}, gen: genGoTo(1, false)},
	{name: "GoToObjMazeS4", doc: "GoToObjMaze, rooms of 4x4", lay: grid3(4), gen: genGoTo(1, false)},
	{name: "GoToObjMazeS5", doc: "GoToObjMaze, rooms of 5x5", lay: grid3(5), gen: genGoTo(1, false)},
	{name: "GoToObjMazeS6", doc: "GoToObjMaze, rooms of 6x6", lay: grid3(6), gen: genGoTo(1, false)},
	{name: "GoToObjMazeS7", doc: "GoToObjMaze, rooms of 7x7", lay: grid3(7), gen: genGoTo(1, false)},
	{name: "GoToImpUnlock", doc: "go to an object in a locked room of a 3x3 maze; its key lies in another room", lay: grid3(8), gen: genGoToImpUnlock},
	{name: "GoToSeq", doc: "sequences of go-to instructions in a 3x3 maze", lay: grid3(8), gen: levelGen{dists: 18, actions: []instrKind{goTo}, kinds: allInstrKinds}.gen},
	{name: "GoToSeqS5R2", doc: "GoToSeq, 2x2 rooms of 5x5, 4 objects", lay: layout{5, 2, 2}, gen: levelGen{dists: 4, actions: []instrKind{goTo}, kinds: allInstrKinds}.gen},
	{name: "GoToRedBlueBall", doc: "go to the only red or blue ball; 7 distractors, one room", lay: one(8), gen: genGoToRedBlueBall},
	{name: "GoToDoor", doc: "go to one of the 4 doors of the middle room of a 3x3 grid", lay: grid3(7), gen: genGoToDoor},
	{name: "GoToObjDoor", doc: "go to an object or a door of the middle room; 8 objects, 4 doors", lay: grid3(8), gen: genGoToObjDoor},

	// Open family.
	{name: "Open", doc: "open a door of a 3x3 maze; 18 objects", lay: grid3(8), gen: genOpen},
	{name: "OpenRedDoor", doc: "open the red door to the next room", lay: layout{5, 1, 2}, gen: genOpenRedDoor},
	{name: "OpenDoor", doc: "open a door of the middle room, named by colour or location", lay: grid3(8), gen: genOpenDoor("", false)},
	{name: "OpenDoorDebug", doc: "OpenDoor; opening another door fails", lay: grid3(8), gen: genOpenDoor("", true)},
	{name: "OpenDoorColor", doc: "open a door of the middle room named by colour", lay: grid3(8), gen: genOpenDoor("color", false)},
	{name: "OpenDoorLoc", doc: "open a door of the middle room named by location", lay: grid3(8), gen: genOpenDoor("loc", false)},
	{name: "OpenTwoDoors", doc: "open one door of the middle room, then the opposite one", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenTwoDoors(noColor, noColor, false)},
	{name: "OpenRedBlueDoors", doc: "open the red door, then the blue door", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenTwoDoors(Red, Blue, false)},
	{name: "OpenRedBlueDoorsDebug", doc: "OpenRedBlueDoors; opening the blue door first fails", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenTwoDoors(Red, Blue, true)},
	{name: "OpenDoorsOrderN2", doc: "open one or two of 2 doors in the order given", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenDoorsOrder(2, false)},
	{name: "OpenDoorsOrderN4", doc: "open one or two of 4 doors in the order given", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenDoorsOrder(4, false)},
	{name: "OpenDoorsOrderN2Debug", doc: "OpenDoorsOrderN2; opening a wrong door fails", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenDoorsOrder(2, true)},
	{name: "OpenDoorsOrderN4Debug", doc: "OpenDoorsOrderN4; opening a wrong door fails", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genOpenDoorsOrder(4, true)},

	// Pickup family.
	{name: "Pickup", doc: "pick up an object anywhere in a 3x3 maze; 18 objects", lay: grid3(8), gen: genPickup},
	{name: "UnblockPickup", doc: "pick up an object in a 3x3 maze where some object blocks the way", lay: grid3(8), gen: genUnblockPickup},
	{name: "PickupLoc", doc: "pick up an object described by colour, type and maybe location; 8 objects, one room", lay: one(8), gen: levelGen{dists: 8, actions: []instrKind{pickUp}, kinds: actionOnly, locations: true}.gen},
	{name: "PickupDist", doc: "pick up an object named by type, colour or both; 5 objects, one room", lay: one(7), gen: genPickupDist(false)},
	{name: "PickupDistDebug", doc: "PickupDist; picking up another object fails", lay: one(7), gen: genPickupDist(true)},
	{name: "PickupAbove", doc: "pick up the object in the room above, through a door", lay: grid3(6), maxSteps: 8 * 6 * 6, gen: genPickupAbove},

	// PutNext family.
	{name: "PutNextLocal", doc: "put one object next to another; 8 distinct objects, one room", lay: one(8), gen: genPutNextLocal(8)},
	{name: "PutNextLocalS5N3", doc: "PutNextLocal, 5x5 room, 3 objects", lay: one(5), gen: genPutNextLocal(3)},
	{name: "PutNextLocalS6N4", doc: "PutNextLocal, 6x6 room, 4 objects", lay: one(6), gen: genPutNextLocal(4)},
	{name: "PutNextS4N1", doc: "put an object next to one in the other half of two joined 4x4 rooms; 1 object each", lay: layout{4, 1, 2}, maxSteps: 8 * 4 * 4, gen: genPutNext(1, false)},
	{name: "PutNextS5N2", doc: "PutNext, rooms of 5x5, 2 objects each", lay: layout{5, 1, 2}, maxSteps: 8 * 5 * 5, gen: genPutNext(2, false)},
	{name: "PutNextS5N1", doc: "PutNext, rooms of 5x5, 1 object each", lay: layout{5, 1, 2}, maxSteps: 8 * 5 * 5, gen: genPutNext(1, false)},
	{name: "PutNextS6N3", doc: "PutNext, rooms of 6x6, 3 objects each", lay: layout{6, 1, 2}, maxSteps: 8 * 6 * 6, gen: genPutNext(3, false)},
	{name: "PutNextS7N4", doc: "PutNext, rooms of 7x7, 4 objects each", lay: layout{7, 1, 2}, maxSteps: 8 * 7 * 7, gen: genPutNext(4, false)},
	{name: "PutNextS5N2Carrying", doc: "PutNextS5N2 starting with the object to move in hand", lay: layout{5, 1, 2}, maxSteps: 8 * 5 * 5, gen: genPutNext(2, true)},
	{name: "PutNextS6N3Carrying", doc: "PutNextS6N3 starting with the object to move in hand", lay: layout{6, 1, 2}, maxSteps: 8 * 6 * 6, gen: genPutNext(3, true)},
	{name: "PutNextS7N4Carrying", doc: "PutNextS7N4 starting with the object to move in hand", lay: layout{7, 1, 2}, maxSteps: 8 * 7 * 7, gen: genPutNext(4, true)},

	// Unlock family.
	{name: "Unlock", doc: "open a locked door of a 3x3 maze; its key lies in another room", lay: grid3(8), gen: genUnlock},
	{name: "UnlockLocal", doc: "open the locked door of the middle room with the key in that room", lay: grid3(8), gen: genUnlockLocal(false)},
	{name: "UnlockLocalDist", doc: "UnlockLocal with 3 distractors", lay: grid3(8), gen: genUnlockLocal(true)},
	{name: "KeyInBox", doc: "open the locked door of the middle room; the key is in a box", lay: grid3(8), gen: genKeyInBox},
	{name: "UnlockPickup", doc: "pick up the box behind a locked door; the key is in the agent's room", lay: layout{6, 1, 2}, gen: genUnlockPickup(false)},
	{name: "UnlockPickupDist", doc: "UnlockPickup with 4 distractors", lay: layout{6, 1, 2}, gen: genUnlockPickup(true)},
	{name: "BlockedUnlockPickup", doc: "UnlockPickup with a ball in front of the door", lay: layout{6, 1, 2}, maxSteps: 16 * 6 * 6, gen: genBlockedUnlockPickup},
	{name: "UnlockToUnlock", doc: "pick up the ball behind a locked door whose key is behind another locked door", lay: layout{6, 1, 3}, maxSteps: 30 * 6 * 6, gen: genUnlockToUnlock},

	// Other levels.
	{name: "ActionObjDoor", doc: "go to, pick up or open an object or door of the middle room", lay: grid3(7), gen: genActionObjDoor},
	{name: "FindObjS5", doc: "pick up the only object, in some room of a 3x3 grid of 5x5 rooms", lay: grid3(5), maxSteps: 20 * 5 * 5, gen: genFindObj},
	{name: "FindObjS6", doc: "FindObj, rooms of 6x6", lay: grid3(6), maxSteps: 20 * 6 * 6, gen: genFindObj},
	{name: "FindObjS7", doc: "FindObj, rooms of 7x7", lay: grid3(7), maxSteps: 20 * 7 * 7, gen: genFindObj},
	{name: "KeyCorridor", doc: "pick up the ball behind a locked door off a corridor; the key is in another side room", lay: grid3(6), maxSteps: 30 * 6 * 6, gen: genKeyCorridor},
	{name: "KeyCorridorS3R1", doc: "KeyCorridor, 1 row of 3x3 rooms", lay: layout{3, 1, 3}, maxSteps: 30 * 3 * 3, gen: genKeyCorridor},
	{name: "KeyCorridorS3R2", doc: "KeyCorridor, 2 rows of 3x3 rooms", lay: layout{3, 2, 3}, maxSteps: 30 * 3 * 3, gen: genKeyCorridor},
	{name: "KeyCorridorS3R3", doc: "KeyCorridor, 3 rows of 3x3 rooms", lay: layout{3, 3, 3}, maxSteps: 30 * 3 * 3, gen: genKeyCorridor},
	{name: "KeyCorridorS4R3", doc: "KeyCorridor, 3 rows of 4x4 rooms", lay: layout{4, 3, 3}, maxSteps: 30 * 4 * 4, gen: genKeyCorridor},
	{name: "KeyCorridorS5R3", doc: "KeyCorridor, 3 rows of 5x5 rooms", lay: layout{5, 3, 3}, maxSteps: 30 * 5 * 5, gen: genKeyCorridor},
	{name: "KeyCorridorS6R3", doc: "KeyCorridor, 3 rows of 6x6 rooms", lay: layout{6, 3, 3}, maxSteps: 30 * 6 * 6, gen: genKeyCorridor},
	{name: "OneRoomS8", doc: "pick up the ball in an 8x8 room", lay: one(8), gen: genOneRoom},
	{name: "OneRoomS12", doc: "pick up the ball in a 12x12 room", lay: one(12), gen: genOneRoom},
	{name: "OneRoomS16", doc: "pick up the ball in a 16x16 room", lay: one(16), gen: genOneRoom},
	{name: "OneRoomS20", doc: "pick up the ball in a 20x20 room", lay: one(20), gen: genOneRoom},
	{name: "MoveTwoAcrossS5N2", doc: "two put-next instructions across two joined 5x5 rooms, 2 objects each", lay: layout{5, 1, 2}, maxSteps: 16 * 5 * 5, gen: genMoveTwoAcross(2)},
	{name: "MoveTwoAcrossS8N9", doc: "two put-next instructions across two joined 8x8 rooms, 9 objects each", lay: layout{8, 1, 2}, maxSteps: 16 * 8 * 8, gen: genMoveTwoAcross(9)},

	// Synth family (LevelGen).
	{name: "Synth", doc: "any single instruction in a 3x3 maze, maybe a locked room; 18 objects", lay: grid3(8), unblocking: true,
		gen: levelGen{dists: 18, lockedProb: 0.5, actions: allActions, kinds: actionOnly, unblocking: true}.gen},
	{name: "SynthS5R2", doc: "Synth, 2x3 rooms of 5x5", lay: layout{5, 2, 3}, unblocking: true,
		gen: levelGen{dists: 18, lockedProb: 0.5, actions: allActions, kinds: actionOnly, unblocking: true}.gen},
	{name: "SynthLoc", doc: "Synth with location words", lay: grid3(8), unblocking: true,
		gen: levelGen{dists: 18, lockedProb: 0.5, actions: allActions, kinds: actionOnly, locations: true, unblocking: true}.gen},
	{name: "SynthSeq", doc: "SynthLoc with \"and\", \", then\" and \"after you\"", lay: grid3(8), unblocking: true,
		gen: levelGen{dists: 18, lockedProb: 0.5, actions: allActions, kinds: allInstrKinds, locations: true, unblocking: true}.gen},
	{name: "MiniBossLevel", doc: "BossLevel in 2x2 rooms of 5x5, 7 objects", lay: layout{5, 2, 2}, unblocking: true,
		gen: levelGen{dists: 7, lockedProb: 0.25, actions: allActions, kinds: allInstrKinds, locations: true, unblocking: true, implicitUnlock: true}.gen},
	{name: "BossLevel", doc: "every instruction of the BabyAI language in a 3x3 maze; locked rooms, blockers, sequences", lay: grid3(8), unblocking: true,
		gen: levelGen{dists: 18, lockedProb: 0.5, actions: allActions, kinds: allInstrKinds, locations: true, unblocking: true, implicitUnlock: true}.gen},
	{name: "BossLevelNoUnlock", doc: "BossLevel without locked rooms", lay: grid3(8), unblocking: true,
		gen: levelGen{dists: 18, actions: allActions, kinds: allInstrKinds, locations: true, unblocking: true}.gen},
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
	return nil, fmt.Errorf("babyai: unknown level %q (see vlmq envs for the %d levels)", name, len(levelList))
}

// maxGenTries bounds rejection sampling; every level succeeds within a few
// tries, so hitting it means a generator bug.
const maxGenTries = 1000

// generate builds a world and mission for lv from rng, rejecting samples
// as Minigrid does.
func generate(lv *level, rng *rand.Rand) (world, *mission, error) {
	for range maxGenTries {
		g := newGen(rng, lv.lay)
		m, err := lv.gen(g)
		if errors.Is(err, errReject) {
			continue
		}
		if err != nil {
			return world{}, nil, err
		}
		if !validInstr(g, m, lv.unblocking) {
			continue
		}
		m.reset(&g.w)
		empty := false
		m.leaves(func(l *mission) {
			empty = empty || len(l.obj.set) == 0 || (l.kind == putNext && len(l.fixed.set) == 0)
		})
		if empty {
			continue
		}
		if c := g.carry; c != nil {
			g.w.g.set(c.cur, nil)
			g.w.carrying = c
		}
		return g.w, m, nil
	}
	return world{}, nil, fmt.Errorf("babyai: level %s: no valid episode after %d tries", lv.name, maxGenTries)
}

// validInstr is Minigrid's validate_instrs: a put-next instruction must not
// name one object on both sides nor be solved already; with unblocking, no
// instruction may name a key of a locked door's colour.
func validInstr(g *gen, m *mission, unblocking bool) bool {
	if m.kind.isSeq() {
		return validInstr(g, m.a, unblocking) && validInstr(g, m.b, unblocking)
	}
	if m.kind == putNext {
		m.reset(&g.w)
		for _, o := range m.obj.set {
			if m.fixed.has(o) {
				return false
			}
		}
		if m.objsNext(&g.w) {
			return false
		}
	}
	if !unblocking {
		return true
	}
	var locked []Color
	for _, d := range g.doorList() {
		if d.State == DoorLocked {
			locked = append(locked, d.Color)
		}
	}
	for _, d := range []*objDesc{&m.obj, &m.fixed} {
		if d.kind == Key && !d.anyColor && slices.Contains(locked, d.color) {
			return false
		}
	}
	return true
}

func goToDesc(o *Object) *mission { return leaf(goTo, descOf(o)) }

func genGoToRedBall(ndists int, grey bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		if err := g.placeAgent(-1, -1); err != nil {
			return nil, err
		}
		ball, err := g.addObject(0, 0, Ball, Red)
		if err != nil {
			return nil, err
		}
		dists, err := g.addDistractors(-1, -1, ndists, false)
		if err != nil {
			return nil, err
		}
		if grey {
			for _, d := range dists {
				d.Color = Grey
			}
		}
		if err := g.checkReachable(); err != nil {
			return nil, err
		}
		return goToDesc(ball), nil
	}
}

func genGoToObj(g *gen) (*mission, error) {
	if err := g.placeAgent(-1, -1); err != nil {
		return nil, err
	}
	objs, err := g.addDistractors(-1, -1, 1, true)
	if err != nil {
		return nil, err
	}
	return goToDesc(objs[0]), nil
}

func genGoToLocal(ndists int) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		if err := g.placeAgent(-1, -1); err != nil {
			return nil, err
		}
		objs, err := g.addDistractors(-1, -1, ndists, false)
		if err != nil {
			return nil, err
		}
		if err := g.checkReachable(); err != nil {
			return nil, err
		}
		return goToDesc(objs[g.rng.IntN(len(objs))]), nil
	}
}

func genGoTo(ndists int, doorsOpen bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		if err := g.placeAgent(-1, -1); err != nil {
			return nil, err
		}
		if err := g.connectAll(allColors); err != nil {
			return nil, err
		}
		objs, err := g.addDistractors(-1, -1, ndists, false)
		if err != nil {
			return nil, err
		}
		if err := g.checkReachable(); err != nil {
			return nil, err
		}
		m := goToDesc(objs[g.rng.IntN(len(objs))])
		if doorsOpen {
			g.openAllDoors()
		}
		return m, nil
	}
}

// lockRandomRoom adds a locked door to a random room and its key to
// another room; it returns the door and the locked room.
func lockRandomRoom(g *gen, keyRoom bool) (*Object, *room, error) {
	id, jd := g.randInt(0, g.lay.cols), g.randInt(0, g.lay.rows)
	door, err := g.addDoor(id, jd, -1, noColor, 1)
	if err != nil {
		return nil, nil, err
	}
	locked := g.room(id, jd)
	if keyRoom {
		for {
			ik, jk := g.randInt(0, g.lay.cols), g.randInt(0, g.lay.rows)
			if ik == id && jk == jd {
				continue
			}
			if _, err := g.addObject(ik, jk, Key, door.Color); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	return door, locked, nil
}

// placeAgentOutside places the agent in a random room other than r.
func placeAgentOutside(g *gen, r *room) error {
	for range placeTries {
		if err := g.placeAgent(-1, -1); err != nil {
			return err
		}
		if g.roomAt(g.w.agent) != r {
			return nil
		}
	}
	return errReject
}

// furnishOutside gives every room but locked n distractors, places the
// agent outside locked and checks that everything is reachable (the
// locked-room levels, GoToImpUnlock and Unlock).
func furnishOutside(g *gen, locked *room, n int) error {
	for i := range g.lay.cols {
		for j := range g.lay.rows {
			if g.room(i, j) != locked {
				if _, err := g.addDistractors(i, j, n, false); err != nil {
					return err
				}
			}
		}
	}
	if err := placeAgentOutside(g, locked); err != nil {
		return err
	}
	return g.checkReachable()
}

func genGoToImpUnlock(g *gen) (*mission, error) {
	_, locked, err := lockRandomRoom(g, true)
	if err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	if err := furnishOutside(g, locked, 2); err != nil {
		return nil, err
	}
	objs, err := g.addDistractors(locked.i, locked.j, 1, false)
	if err != nil {
		return nil, err
	}
	return goToDesc(objs[0]), nil
}

func genGoToRedBlueBall(g *gen) (*mission, error) {
	if err := g.placeAgent(-1, -1); err != nil {
		return nil, err
	}
	dists, err := g.addDistractors(-1, -1, 7, false)
	if err != nil {
		return nil, err
	}
	for _, d := range dists {
		if d.Kind == Ball && (d.Color == Blue || d.Color == Red) {
			return nil, errReject
		}
	}
	c := Red
	if g.randBool() {
		c = Blue
	}
	ball, err := g.addObject(0, 0, Ball, c)
	if err != nil {
		return nil, err
	}
	if err := g.checkReachable(); err != nil {
		return nil, err
	}
	return goToDesc(ball), nil
}

func genGoToDoor(g *gen) (*mission, error) {
	var doors []*Object
	for range 4 {
		d, err := g.addDoor(1, 1, -1, noColor, -1)
		if err != nil {
			return nil, err
		}
		doors = append(doors, d)
	}
	if err := g.placeAgent(1, 1); err != nil {
		return nil, err
	}
	d := doors[g.rng.IntN(len(doors))]
	return leaf(goTo, objDesc{kind: Door, color: d.Color}), nil
}

func genGoToObjDoor(g *gen) (*mission, error) {
	if err := g.placeAgent(1, 1); err != nil {
		return nil, err
	}
	objs, err := g.addDistractors(1, 1, 8, false)
	if err != nil {
		return nil, err
	}
	for range 4 {
		d, err := g.addDoor(1, 1, -1, noColor, -1)
		if err != nil {
			return nil, err
		}
		objs = append(objs, d)
	}
	if err := g.checkReachable(); err != nil {
		return nil, err
	}
	return goToDesc(objs[g.rng.IntN(len(objs))]), nil
}

func genOpen(g *gen) (*mission, error) {
	if err := g.placeAgent(-1, -1); err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	if _, err := g.addDistractors(-1, -1, 18, false); err != nil {
		return nil, err
	}
	if err := g.checkReachable(); err != nil {
		return nil, err
	}
	doors := g.doorList()
	d := doors[g.rng.IntN(len(doors))]
	return leaf(openDoor, descOf(d)), nil
}

func genOpenRedDoor(g *gen) (*mission, error) {
	if _, err := g.addDoor(0, 0, sideRight, Red, 0); err != nil {
		return nil, err
	}
	if err := g.placeAgent(0, 0); err != nil {
		return nil, err
	}
	return leaf(openDoor, objDesc{kind: Door, color: Red}), nil
}

// genOpenDoor: four doors of distinct colours around the middle room; the
// first is named by colour, or a door by location ("the door on your
// left"); by is "color", "loc" or "" for random.
func genOpenDoor(by string, strict bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		colors := randSubset(g, allColors, 4)
		var doors []*Object
		for k, c := range colors {
			d, err := g.addDoor(1, 1, k, c, 0)
			if err != nil {
				return nil, err
			}
			doors = append(doors, d)
		}
		sel := by
		if sel == "" {
			sel = []string{"color", "loc"}[g.rng.IntN(2)]
		}
		desc := objDesc{kind: Door, color: doors[0].Color}
		if sel == "loc" {
			desc = objDesc{kind: Door, anyColor: true, loc: locNames[g.rng.IntN(len(locNames))]}
		}
		if err := g.placeAgent(1, 1); err != nil {
			return nil, err
		}
		m := leaf(openDoor, desc)
		m.strict = strict
		return m, nil
	}
}

// genOpenTwoDoors: a door on the left and one on the right of the middle
// room, opened in that order; noColor draws that door's colour per episode.
func genOpenTwoDoors(first, second Color, strict bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		// The pair is drawn even when both colours are fixed, as Minigrid
		// does, so the random stream is the same for every variant. The
		// choice goes to locals: first and second belong to the closure,
		// which levelList keeps for the whole process, and writing to them
		// would fix the first episode's colours for every later one.
		colors := randSubset(g, allColors, 2)
		c1, c2 := first, second
		if c1 == noColor {
			c1 = colors[0]
		}
		if c2 == noColor {
			c2 = colors[1]
		}
		d1, err := g.addDoor(1, 1, sideLeft, c1, 0)
		if err != nil {
			return nil, err
		}
		d2, err := g.addDoor(1, 1, sideRight, c2, 0)
		if err != nil {
			return nil, err
		}
		if err := g.placeAgent(1, 1); err != nil {
			return nil, err
		}
		a := leaf(openDoor, descOf(d1))
		a.strict = strict
		return seq(beforeSeq, a, leaf(openDoor, descOf(d2))), nil
	}
}

func genOpenDoorsOrder(n int, strict bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		colors := randSubset(g, allColors, n)
		var doors []*Object
		for i := range n {
			d, err := g.addDoor(1, 1, -1, colors[i], 0)
			if err != nil {
				return nil, err
			}
			doors = append(doors, d)
		}
		if err := g.placeAgent(1, 1); err != nil {
			return nil, err
		}
		two := randSubset(g, doors, 2)
		open := func(d *Object) *mission {
			m := leaf(openDoor, descOf(d))
			m.strict = strict
			return m
		}
		switch g.rng.IntN(3) {
		case 0:
			return open(two[0]), nil
		case 1:
			return seq(beforeSeq, open(two[0]), open(two[1])), nil
		default:
			return seq(afterSeq, open(two[0]), open(two[1])), nil
		}
	}
}

func genPickup(g *gen) (*mission, error) {
	if err := g.placeAgent(-1, -1); err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	objs, err := g.addDistractors(-1, -1, 18, false)
	if err != nil {
		return nil, err
	}
	if err := g.checkReachable(); err != nil {
		return nil, err
	}
	return leaf(pickUp, descOf(objs[g.rng.IntN(len(objs))])), nil
}

func genUnblockPickup(g *gen) (*mission, error) {
	if err := g.placeAgent(-1, -1); err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	objs, err := g.addDistractors(-1, -1, 20, false)
	if err != nil {
		return nil, err
	}
	if g.objsReachable() {
		return nil, errReject
	}
	return leaf(pickUp, descOf(objs[g.rng.IntN(len(objs))])), nil
}

func genPickupDist(strict bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		objs, err := g.addDistractors(-1, -1, 5, true)
		if err != nil {
			return nil, err
		}
		if err := g.placeAgent(0, 0); err != nil {
			return nil, err
		}
		o := objs[g.rng.IntN(len(objs))]
		d := descOf(o)
		switch g.rng.IntN(3) {
		case 0: // by type
			d.anyColor = true
		case 1: // by colour
			d.kind = Empty
		}
		m := leaf(pickUp, d)
		m.strict = strict
		return m, nil
	}
}

func genPickupAbove(g *gen) (*mission, error) {
	o, err := g.addObject(1, 0, noKind, noColor)
	if err != nil {
		return nil, err
	}
	if _, err := g.addDoor(1, 1, sideUp, noColor, 0); err != nil {
		return nil, err
	}
	if err := g.placeAgent(1, 1); err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	return leaf(pickUp, descOf(o)), nil
}

func putNextDesc(a, b *Object) *mission {
	m := leaf(putNext, descOf(a))
	m.fixed = descOf(b)
	return m
}

func genPutNextLocal(n int) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		if err := g.placeAgent(-1, -1); err != nil {
			return nil, err
		}
		objs, err := g.addDistractors(-1, -1, n, true)
		if err != nil {
			return nil, err
		}
		if err := g.checkReachable(); err != nil {
			return nil, err
		}
		two := randSubset(g, objs, 2)
		return putNextDesc(two[0], two[1]), nil
	}
}

// twoHalves places the agent in the left of two rooms, n objects in each,
// and takes down the wall between them (PutNext and MoveTwoAcross).
func twoHalves(g *gen, n int) (left, right []*Object, err error) {
	if err := g.placeAgent(0, 0); err != nil {
		return nil, nil, err
	}
	if left, err = g.addDistractors(0, 0, n, true); err != nil {
		return nil, nil, err
	}
	if right, err = g.addDistractors(1, 0, n, true); err != nil {
		return nil, nil, err
	}
	g.removeWall(0, 0, sideRight)
	return left, right, nil
}

// genPutNext: two rooms joined by taking down the wall between them, n
// objects in each; move one object next to one in the other half.
func genPutNext(n int, carrying bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		left, right, err := twoHalves(g, n)
		if err != nil {
			return nil, err
		}
		a, b := left[g.rng.IntN(len(left))], right[g.rng.IntN(len(right))]
		if g.randBool() {
			a, b = b, a
		}
		if carrying {
			g.carry = a
		}
		return putNextDesc(a, b), nil
	}
}

func genUnlock(g *gen) (*mission, error) {
	door, locked, err := lockRandomRoom(g, true)
	if err != nil {
		return nil, err
	}
	colors := allColors
	if g.randBool() {
		colors = nil
		for _, c := range allColors {
			if c != door.Color {
				colors = append(colors, c)
			}
		}
	}
	if err := g.connectAll(colors); err != nil {
		return nil, err
	}
	if err := furnishOutside(g, locked, 3); err != nil {
		return nil, err
	}
	return leaf(openDoor, descOf(door)), nil
}

func genUnlockLocal(dists bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		door, err := g.addDoor(1, 1, -1, noColor, 1)
		if err != nil {
			return nil, err
		}
		if _, err := g.addObject(1, 1, Key, door.Color); err != nil {
			return nil, err
		}
		if dists {
			if _, err := g.addDistractors(1, 1, 3, true); err != nil {
				return nil, err
			}
		}
		if err := g.placeAgent(1, 1); err != nil {
			return nil, err
		}
		return leaf(openDoor, objDesc{kind: Door, anyColor: true}), nil
	}
}

func genKeyInBox(g *gen) (*mission, error) {
	door, err := g.addDoor(1, 1, -1, noColor, 1)
	if err != nil {
		return nil, err
	}
	box := &Object{Kind: Box, Color: g.randColor(), Contains: &Object{Kind: Key, Color: door.Color}}
	if err := g.placeInRoom(1, 1, box); err != nil {
		return nil, err
	}
	if err := g.placeAgent(1, 1); err != nil {
		return nil, err
	}
	return leaf(openDoor, objDesc{kind: Door, anyColor: true}), nil
}

// genUnlockPickup follows Minigrid, whose step limit for this level is the
// default formula (72 steps) because its own override never applies.
func genUnlockPickup(dists bool) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		o, err := g.addObject(1, 0, Box, noColor)
		if err != nil {
			return nil, err
		}
		door, err := g.addDoor(0, 0, sideRight, noColor, 1)
		if err != nil {
			return nil, err
		}
		if _, err := g.addObject(0, 0, Key, door.Color); err != nil {
			return nil, err
		}
		if dists {
			if _, err := g.addDistractors(-1, -1, 4, true); err != nil {
				return nil, err
			}
		}
		if err := g.placeAgent(0, 0); err != nil {
			return nil, err
		}
		return leaf(pickUp, descOf(o)), nil
	}
}

func genBlockedUnlockPickup(g *gen) (*mission, error) {
	if _, err := g.addObject(1, 0, Box, noColor); err != nil {
		return nil, err
	}
	door, err := g.addDoor(0, 0, sideRight, noColor, 1)
	if err != nil {
		return nil, err
	}
	ball := &Object{Kind: Ball, Color: g.randColor()}
	ball.cur = door.cur.add(pt{-1, 0})
	g.w.g.set(ball.cur, ball)
	if _, err := g.addObject(0, 0, Key, door.Color); err != nil {
		return nil, err
	}
	if err := g.placeAgent(0, 0); err != nil {
		return nil, err
	}
	return leaf(pickUp, objDesc{kind: Box, anyColor: true}), nil
}

func genUnlockToUnlock(g *gen) (*mission, error) {
	colors := randSubset(g, allColors, 2)
	if _, err := g.addDoor(0, 0, sideRight, colors[0], 1); err != nil {
		return nil, err
	}
	if _, err := g.addObject(2, 0, Key, colors[0]); err != nil {
		return nil, err
	}
	if _, err := g.addDoor(1, 0, sideRight, colors[1], 1); err != nil {
		return nil, err
	}
	if _, err := g.addObject(1, 0, Key, colors[1]); err != nil {
		return nil, err
	}
	if _, err := g.addObject(0, 0, Ball, noColor); err != nil {
		return nil, err
	}
	if err := g.placeAgent(1, 0); err != nil {
		return nil, err
	}
	return leaf(pickUp, objDesc{kind: Ball, anyColor: true}), nil
}

func genActionObjDoor(g *gen) (*mission, error) {
	objs, err := g.addDistractors(1, 1, 5, true)
	if err != nil {
		return nil, err
	}
	for range 4 {
		d, err := g.addDoor(1, 1, -1, noColor, 0)
		if err != nil {
			return nil, err
		}
		objs = append(objs, d)
	}
	if err := g.placeAgent(1, 1); err != nil {
		return nil, err
	}
	o := objs[g.rng.IntN(len(objs))]
	k := goTo
	if !g.randBool() {
		k = pickUp
		if o.Kind == Door {
			k = openDoor
		}
	}
	return leaf(k, descOf(o)), nil
}

func genFindObj(g *gen) (*mission, error) {
	i, j := g.randInt(0, g.lay.rows), g.randInt(0, g.lay.cols)
	o, err := g.addObject(i, j, noKind, noColor)
	if err != nil {
		return nil, err
	}
	if err := g.placeAgent(1, 1); err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	return leaf(pickUp, objDesc{kind: o.Kind, anyColor: true}), nil
}

// genKeyCorridor: a corridor down the middle column (walls between its
// rooms taken down), a locked side room on the right holding a ball, the
// key in a room on the left.
func genKeyCorridor(g *gen) (*mission, error) {
	rows := g.lay.rows
	for j := 1; j < rows; j++ {
		g.removeWall(1, j, sideUp)
	}
	r := g.randInt(0, rows)
	door, err := g.addDoor(2, r, sideLeft, noColor, 1)
	if err != nil {
		return nil, err
	}
	o, err := g.addObject(2, r, Ball, noColor)
	if err != nil {
		return nil, err
	}
	if _, err := g.addObject(0, g.randInt(0, rows), Key, door.Color); err != nil {
		return nil, err
	}
	if err := g.placeAgent(1, rows/2); err != nil {
		return nil, err
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	return leaf(pickUp, objDesc{kind: o.Kind, anyColor: true}), nil
}

func genOneRoom(g *gen) (*mission, error) {
	if _, err := g.addObject(0, 0, Ball, noColor); err != nil {
		return nil, err
	}
	if err := g.placeAgent(-1, -1); err != nil {
		return nil, err
	}
	return leaf(pickUp, objDesc{kind: Ball, anyColor: true}), nil
}

func genMoveTwoAcross(n int) func(g *gen) (*mission, error) {
	return func(g *gen) (*mission, error) {
		left, right, err := twoHalves(g, n)
		if err != nil {
			return nil, err
		}
		l := randSubset(g, left, 2)
		r := randSubset(g, right, 2)
		return seq(beforeSeq, putNextDesc(l[0], r[0]), putNextDesc(r[1], l[1])), nil
	}
}

// Instruction shapes LevelGen draws from.
const (
	shapeAction = iota
	shapeAnd
	shapeSeq
)

var (
	allActions    = []instrKind{goTo, pickUp, openDoor, putNext}
	actionOnly    = []int{shapeAction}
	allInstrKinds = []int{shapeAction, shapeAnd, shapeSeq}
)

// Object types LevelGen may name (Minigrid's OBJ_TYPES and
// OBJ_TYPES_NOT_DOOR).
var (
	objTypes        = []Kind{Box, Ball, Key, Door}
	objTypesNotDoor = []Kind{Box, Ball, Key}
)

// levelGen is Minigrid's LevelGen: a maze with random distractors, maybe a
// locked room (its key elsewhere), the agent outside it, and a random
// instruction of the given shapes.
type levelGen struct {
	dists      int
	lockedProb float64
	actions    []instrKind
	kinds      []int
	locations  bool
	unblocking bool
	// implicitUnlock allows instructions about objects that are all in
	// the locked room.
	implicitUnlock bool
}

func (lg levelGen) gen(g *gen) (*mission, error) {
	if g.randFloat() < lg.lockedProb {
		if err := lg.addLockedRoom(g); err != nil {
			return nil, err
		}
	}
	if err := g.connectAll(allColors); err != nil {
		return nil, err
	}
	if _, err := g.addDistractors(-1, -1, lg.dists, false); err != nil {
		return nil, err
	}
	if err := placeAgentOutside(g, g.lockedRoom); err != nil {
		return nil, err
	}
	if !lg.unblocking {
		if err := g.checkReachable(); err != nil {
			return nil, err
		}
	}
	return lg.randInstr(g, lg.kinds)
}

func (lg levelGen) addLockedRoom(g *gen) error {
	var door *Object
	for range placeTries {
		i, j, k := g.randInt(0, g.lay.cols), g.randInt(0, g.lay.rows), g.randInt(0, 4)
		if g.room(i, j).nb[k] == nil {
			continue
		}
		d, err := g.addDoor(i, j, k, noColor, 1)
		if err != nil {
			return err
		}
		door, g.lockedRoom = d, g.room(i, j)
		break
	}
	if door == nil {
		return errReject
	}
	for range placeTries {
		i, j := g.randInt(0, g.lay.cols), g.randInt(0, g.lay.rows)
		if g.room(i, j) == g.lockedRoom {
			continue
		}
		_, err := g.addObject(i, j, Key, door.Color)
		return err
	}
	return errReject
}

// randObj draws descriptions (colour or none, type, maybe a location)
// until one matches an object; without implicit unlocking, not only
// objects in the locked room.
func (lg levelGen) randObj(g *gen, types []Kind) (objDesc, error) {
	for range 101 {
		var d objDesc
		if c := g.rng.IntN(numColors + 1); c == 0 {
			d.anyColor = true
		} else {
			d.color = allColors[c-1]
		}
		d.kind = types[g.rng.IntN(len(types))]
		if lg.locations && g.randBool() {
			d.loc = locNames[g.rng.IntN(len(locNames))]
		}
		d.resolve(&g.w)
		if len(d.set) == 0 {
			continue
		}
		if !lg.implicitUnlock && g.lockedRoom != nil {
			lr := g.lockedRoom
			outside := false
			for _, p := range d.poss {
				if !g.lay.inRoom(lr.i, lr.j, p) {
					outside = true
					break
				}
			}
			if !outside {
				continue
			}
		}
		d.set, d.poss = nil, nil
		return d, nil
	}
	return objDesc{}, errReject
}

func (lg levelGen) randInstr(g *gen, kinds []int) (*mission, error) {
	switch kinds[g.rng.IntN(len(kinds))] {
	case shapeAnd:
		a, err := lg.randInstr(g, actionOnly)
		if err != nil {
			return nil, err
		}
		b, err := lg.randInstr(g, actionOnly)
		if err != nil {
			return nil, err
		}
		return seq(andSeq, a, b), nil
	case shapeSeq:
		sub := []int{shapeAction, shapeAnd}
		a, err := lg.randInstr(g, sub)
		if err != nil {
			return nil, err
		}
		b, err := lg.randInstr(g, sub)
		if err != nil {
			return nil, err
		}
		if g.randBool() {
			return seq(beforeSeq, a, b), nil
		}
		return seq(afterSeq, a, b), nil
	}
	types := objTypes
	switch k := lg.actions[g.rng.IntN(len(lg.actions))]; k {
	case pickUp:
		types = objTypesNotDoor
		fallthrough
	case goTo:
		d, err := lg.randObj(g, types)
		if err != nil {
			return nil, err
		}
		return leaf(k, d), nil
	case openDoor:
		d, err := lg.randObj(g, []Kind{Door})
		if err != nil {
			return nil, err
		}
		return leaf(openDoor, d), nil
	default:
		mv, err := lg.randObj(g, objTypesNotDoor)
		if err != nil {
			return nil, err
		}
		fx, err := lg.randObj(g, objTypes)
		if err != nil {
			return nil, err
		}
		m := leaf(putNext, mv)
		m.fixed = fx
		return m, nil
	}
}
