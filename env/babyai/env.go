// Package babyai is a MiniGrid world with every level of Minigrid's BabyAI
// registry: a grid of rooms with doors, keys, balls and boxes in six
// colours, a 7x7 egocentric partial view rendered as an RGB image, missions
// in BabyAI's language (with "and", ", then" and "after you") and a planner
// bot that only uses what it has seen.
//
// Semantics follow MiniGrid: actions left, right, forward, pickup, drop,
// toggle, done; the agent carries at most one object; forward is blocked by
// walls, closed doors and objects; a locked door opens when toggled with a
// key of its colour; a toggled box is replaced by its contents; done has no
// effect. Levels are generated as Minigrid's RoomGrid and LevelGen do
// (door positions, connectivity, placement, rejection sampling), from the
// package's own random stream, so a seed gives other episodes than in
// Minigrid but from the same distribution. The mission is checked after
// every valid action with Minigrid's verifiers: go-to succeeds when the
// agent faces a position the verifier tracks (where a named object stood at
// the start, updated after every drop), put-next when the object named to
// move is dropped next to a fixed one, and the debug levels' strict
// instructions fail the episode on a wrong door or pickup. Success gives
// reward 1 - 0.9*steps/maxSteps and ends the episode; failure or running
// out of steps gives 0. The step limit is the level's, or
// navs * room_size^2 * rooms. A reply that does not parse earns the syntax
// penalty, leaves the world unchanged and counts as a step.
package babyai

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"

	"vlmq/env"
)

// DefaultTileSize is the pixel size of one cell. 16 px makes the 7x7 view
// 112x112, one cell per 16x16 ViT patch (49 image tokens), keeps every shape
// distinguishable, and is 4x cheaper to blit than MiniGrid's 32.
const DefaultTileSize = 16

// Options configures an Env. The zero value is usable.
type Options struct {
	Syntax env.Syntax // zero value: env.DefaultSyntax()
	// SyntaxPenalty is the reward for a reply that does not parse; 0 means
	// env.DefaultSyntaxPenalty unless ZeroSyntaxPenalty is set.
	SyntaxPenalty     float64
	ZeroSyntaxPenalty bool // use a penalty of exactly 0
	TileSize          int  // pixels per cell; 0: DefaultTileSize
	MaxSteps          int  // step limit override; 0: the level's BabyAI limit
	// Text is the observation text and action vocabulary: TextDefault
	// (also "") or TextBalrog.
	Text string
}

// Env is one BabyAI level. Not safe for concurrent use.
type Env struct {
	lv       *level
	syntax   env.Syntax
	penalty  float64
	tiles    *tileSet
	maxOver  int
	balrog   bool     // BALROG's observation text and action names
	names    []string // the action vocabulary, indexed by Action
	w        world
	m        *mission
	goal     string
	view     view
	steps    int
	maxSteps int
	started  bool
	done     bool
}

var _ env.Env = (*Env)(nil)
var _ env.Describer = (*Env)(nil)

// New returns an Env for one of Levels.
func New(levelName string, opts Options) (*Env, error) {
	lv, err := findLevel(levelName)
	if err != nil {
		return nil, err
	}
	if opts.TileSize < 0 || opts.TileSize > 256 {
		return nil, fmt.Errorf("babyai: tile size %d out of range 1..256", opts.TileSize)
	}
	if opts.MaxSteps < 0 {
		return nil, fmt.Errorf("babyai: negative MaxSteps %d", opts.MaxSteps)
	}
	e := &Env{lv: lv, syntax: opts.Syntax, maxOver: opts.MaxSteps, names: actionNames[:]}
	switch opts.Text {
	case "", TextDefault:
	case TextBalrog:
		e.balrog, e.names = true, balrogNames
	default:
		return nil, fmt.Errorf("babyai: observation text %q, want one of %s", opts.Text, strings.Join(TextModes, ", "))
	}
	if e.syntax.Marker == "" {
		e.syntax = env.DefaultSyntax()
	}
	e.penalty = env.Penalty(opts.SyntaxPenalty, opts.ZeroSyntaxPenalty)
	ts := opts.TileSize
	if ts == 0 {
		ts = DefaultTileSize
	}
	e.tiles = tilesFor(ts)
	return e, nil
}

// Name is "babyai/" plus the level name.
func (e *Env) Name() string { return "babyai/" + e.lv.name }

// Level is the level name.
func (e *Env) Level() string { return e.lv.name }

// MaxSteps is the current episode's step limit (valid after Reset).
func (e *Env) MaxSteps() int { return e.maxSteps }

// Steps is the number of steps taken in the current episode.
func (e *Env) Steps() int { return e.steps }

// Mission is the current episode's instruction.
func (e *Env) Mission() string { return e.goal }

// Syntax is the reply syntax.
func (e *Env) Syntax() env.Syntax { return e.syntax }

// Close releases nothing; it exists for the interface.
func (e *Env) Close() error { return nil }

// Reset generates the episode for seed.
func (e *Env) Reset(seed int64) (env.Observation, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xba_b7a1))
	w, m, err := generate(e.lv, rng)
	if err != nil {
		return env.Observation{}, err
	}
	e.w, e.m = w, m
	e.goal = m.surface()
	e.steps = 0
	e.maxSteps = stepLimit(e.lv, m, w.lay)
	if e.maxOver > 0 {
		e.maxSteps = e.maxOver
	}
	e.started, e.done = true, false
	return e.observe(), nil
}

func (e *Env) observe() env.Observation {
	computeView(&e.w, &e.view)
	text := e.view.text()
	if e.balrog {
		text = balrogText(&e.view)
	}
	return env.Observation{
		Text:  text,
		Image: e.tiles.render(&e.view),
		Legal: e.Actions(),
	}
}

// Image renders the current view again (for callers that keep only text).
func (e *Env) Image() *image.RGBA { return e.tiles.render(&e.view) }

// Actions returns the env's action vocabulary in MiniGrid's order: the
// seven of Actions, or BALROG's six names.
func (e *Env) Actions() []string { return append([]string(nil), e.names...) }

// Task gives the mission and the action documentation.
func (e *Env) Task() env.Task {
	if e.balrog {
		return env.Task{
			Goal: e.goal,
			Actions: "turn left, turn right, go forward (move one cell ahead), " +
				"pick up (pick up the object in front), drop (put the carried object in front), " +
				"toggle (open/close the door in front, unlock it with a key of its colour, or open the box in front)",
			Example: "go forward",
		}
	}
	return env.Task{
		Goal: e.goal,
		Actions: "left (turn left), right (turn right), forward (move one cell ahead), " +
			"pickup (pick up the object in front), drop (put the carried object in front), " +
			"toggle (open/close the door in front, unlock it with a key of its colour, or open the box in front), " +
			"done (declare the task complete)",
		Example: "forward",
	}
}

// RandomValid returns one of the vocabulary's actions uniformly.
func (e *Env) RandomValid(rng *rand.Rand) string { return e.names[rng.IntN(len(e.names))] }

// Step applies a reply.
func (e *Env) Step(reply string) (env.Step, error) {
	if err := env.StepGuard(e.started, e.done); err != nil {
		return env.Step{}, err
	}
	e.steps++
	var st env.Step
	choice, ok := e.syntax.Choose(reply, e.names)
	if !ok {
		st.Reward = e.penalty
		st.Info.Reason = invalidReason(e.syntax, reply, e.names)
	} else {
		a := actionOf(choice, e.names)
		e.w.apply(a)
		st.Info.Valid, st.Info.Action = true, choice
		if a == Drop {
			e.m.updatePoss(&e.w)
		}
		switch e.m.check(&e.w, a) {
		case succeeded:
			st.Reward = 1 - 0.9*float64(e.steps)/float64(e.maxSteps)
			st.Done, st.Info.Success = true, true
		case failed:
			st.Done = true
			st.Info.Reason = "the mission failed (a strict level's wrong door or object)"
		}
	}
	env.CutOff(&st, e.steps, e.maxSteps)
	e.done = st.Done
	st.Obs = e.observe()
	return st, nil
}

// choice writes action a in the env's vocabulary. BALROG's has no done,
// so a done becomes an action that changes nothing here: drop, unless the
// agent carries something and the cell in front is free, and then toggle,
// which does nothing on a free cell. The verifiers react to a drop or
// toggle only through what it changed, so the episode runs as with done.
func (e *Env) choice(a Action) string {
	if a == Done && e.balrog {
		a = Drop
		if fp := e.w.front(); e.w.carrying != nil && e.w.g.in(fp) && e.w.g.get(fp) == nil {
			a = Toggle
		}
	}
	return e.names[a]
}

// stepLimit is the level's fixed limit or BabyAI's
// navs * room_size^2 * rooms for the mission.
func stepLimit(lv *level, m *mission, lay layout) int {
	if lv != nil && lv.maxSteps > 0 {
		return lv.maxSteps
	}
	return m.navs() * lay.size * lay.size * lay.rooms()
}

func invalidReason(s env.Syntax, reply string, names []string) string {
	c, ok := s.Extract(reply)
	if !ok {
		return fmt.Sprintf("no choice after %q", s.Marker)
	}
	if len(c) > 40 {
		c = c[:40] + "..."
	}
	return fmt.Sprintf("%q is not one of %s", c, strings.Join(names, ", "))
}

// actionOf maps a canonical choice of names (as Choose returns it) to its
// action.
func actionOf(name string, names []string) Action {
	for i, n := range names {
		if n == name {
			return Action(i)
		}
	}
	return Done
}

// Facts states QA pairs about the current view, the inventory and the
// mission, each answerable from the image (and stated by the observation
// text, except for the mission's words, which the goal states). Positions
// are in the observation's words ("2 ahead 1 left", see relPos); questions
// that name an object by colour and kind ask only of names that fit one
// visible object, and every visible object is also asked of by its
// position, so duplicates get questions too.
func (e *Env) Facts() []env.QA {
	if !e.started {
		return nil
	}
	v := &e.view
	var qa []env.QA
	add := func(q, a string) { qa = append(qa, env.QA{Question: q, Answer: a}) }

	front := v.cells[agentVX][agentVY-1]
	if front == nil {
		add("What is directly in front of you?", "nothing")
	} else {
		add("What is directly in front of you?", front.describe())
	}
	add("Can you move forward?", yesNo(front.canOverlap()))
	if c := v.cells[agentVX][agentVY]; c != nil {
		add("What are you carrying?", c.describe())
	} else {
		add("What are you carrying?", "nothing")
	}
	if o, d := v.ahead(); o != nil && o.Kind == Wall {
		add("How far ahead is the wall in front of you?", fmt.Sprint(d))
	}

	objs := v.objects()
	for _, k := range []Kind{Door, Key, Ball, Box} {
		var colours []string
		var where []string
		for _, s := range objs {
			if s.o.Kind == k {
				colours = append(colours, s.o.Color.String())
				where = append(where, relPos(s.vx, s.vy))
			}
		}
		add(fmt.Sprintf("Is there a %s in view?", k), yesNo(len(colours) > 0))
		add(fmt.Sprintf("How many %s do you see?", plural(k)), fmt.Sprint(len(colours)))
		if len(colours) == 1 {
			add(fmt.Sprintf("What colour is the %s you see?", k), colours[0])
			add(fmt.Sprintf("Where is the %s?", k), colours[0]+" "+k.String()+" "+where[0])
		}
	}
	count := map[string]int{}
	for _, s := range objs {
		count[s.o.Color.String()+" "+s.o.Kind.String()]++
	}
	for _, s := range objs {
		pos := relPos(s.vx, s.vy)
		add("What is at "+pos+"?", s.o.describe())
		if s.o.Kind == Door {
			add("Is the door at "+pos+" open, closed or locked?", s.o.State.String())
		}
		name := s.o.Color.String() + " " + s.o.Kind.String()
		if count[name] != 1 {
			continue
		}
		// Quoting the entry as the observation gives it ("red ball 2 ahead
		// 1 left") makes the lookup an induction copy (see pretrain's
		// synthetic tasks).
		add("Where is the "+name+"?", name+" "+pos)
		add("Which way should you turn to face the "+name+"?", turnTo(s.vx))
		add("How many steps away is the "+name+"?", fmt.Sprint(stepsTo(s.vx, s.vy)))
		if s.o.Kind == Door {
			add("Is the "+name+" open, closed or locked?", s.o.State.String())
		}
	}
	return append(qa, e.missionFacts(objs)...)
}

// turnTo is the way to turn to face the object in view column vx: "none"
// when it is straight ahead, else the side of the agent's line of sight it
// lies on, "left" or "right" (one turn faces an object beside the agent;
// one further ahead is faced by that turn once the agent has walked up to
// its row). Every cell of the view is beside or ahead of the agent, so no
// object in view is behind it.
func turnTo(vx int) string {
	switch r := vx - agentVX; {
	case r < 0:
		return "left"
	case r > 0:
		return "right"
	}
	return "none"
}

// stepsTo is the Manhattan distance from the agent's cell to the view cell
// (vx, vy): the rows ahead plus the columns aside, the forward moves an
// empty room needs to stand on it, not counting turns or obstacles.
func stepsTo(vx, vy int) int { return agentVY - vy + abs(vx-agentVX) }

// missionFacts asks what the mission names: the object of a single
// instruction (the one to move and the one to put it next to for put-next)
// and whether one like it is in view, or a combined mission's first part.
// They are TextOnly: the goal, not the image, states the mission.
func (e *Env) missionFacts(objs []seen) []env.QA {
	var qa []env.QA
	// The image does not show the mission: the prompt's goal states it.
	add := func(q, a string) { qa = append(qa, env.QA{Question: q, Answer: a, TextOnly: true}) }
	// In view: some visible object has the colour and kind the mission
	// says (its location words are about the first view, so left out).
	inView := func(q string, d *objDesc) {
		seen := false
		for _, s := range objs {
			seen = seen || d.matches(s.o)
		}
		add(q, yesNo(seen))
	}
	// Where the mission's object is, when one visible object fits it:
	// the policy's own lookup, keyed by the goal line at the top of the
	// prompt rather than by words just before the answer (a two-hop
	// read the object-named questions do not teach).
	locate := func(what string, d *objDesc) {
		var hit *seen
		for i := range objs {
			if d.matches(objs[i].o) {
				if hit != nil {
					return
				}
				hit = &objs[i]
			}
		}
		if hit == nil {
			return
		}
		add("Where is the object "+what+"?", hit.o.Color.String()+" "+hit.o.Kind.String()+" "+relPos(hit.vx, hit.vy))
		add("Which way should you turn to face the object "+what+"?", turnTo(hit.vx))
		add("How many steps away is the object "+what+"?", fmt.Sprint(stepsTo(hit.vx, hit.vy)))
	}
	switch m := e.m; m.kind {
	case goTo, pickUp, openDoor:
		add("What object does the mission name?", m.obj.name())
		inView("Is an object the mission names in view?", &m.obj)
		locate("the mission names", &m.obj)
	case putNext:
		add("Which object does the mission ask you to move?", m.obj.name())
		add("Next to which object must you put it?", m.fixed.name())
		inView("Is an object the mission asks you to move in view?", &m.obj)
		inView("Is an object the mission asks you to put it next to in view?", &m.fixed)
		locate("the mission asks you to move", &m.obj)
		locate("the mission asks you to put it next to", &m.fixed)
	case beforeSeq:
		add("What does the mission ask you to do first?", m.a.surface())
	case afterSeq:
		add("What does the mission ask you to do first?", m.b.surface())
	}
	return qa
}

func plural(k Kind) string {
	if k == Box {
		return "boxes"
	}
	return k.String() + "s"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
