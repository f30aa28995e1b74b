package babyai

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"vlmq/env"
)

// factsOf maps each question of e's facts to its answer, and lists the
// questions marked TextOnly.
func factsOf(t *testing.T, e *Env) (map[string]string, map[string]bool) {
	t.Helper()
	facts, textOnly := map[string]string{}, map[string]bool{}
	for _, qa := range e.Facts() {
		if qa.Question == "" || qa.Answer == "" {
			t.Fatalf("empty fact %+v", qa)
		}
		if a, dup := facts[qa.Question]; dup && a != qa.Answer {
			t.Fatalf("%q asked twice, answered %q and %q", qa.Question, a, qa.Answer)
		}
		if strings.Contains(qa.Answer, env.DefaultMarker) {
			t.Fatalf("answer %q holds the action marker", qa.Answer)
		}
		facts[qa.Question] = qa.Answer
		if qa.TextOnly {
			textOnly[qa.Question] = true
		}
	}
	return facts, textOnly
}

// TestSkillFacts checks the skill questions on a hand-built room: the
// agent at (1,4) faces east, so "ahead" is +x and "right" is +y.
func TestSkillFacts(t *testing.T) {
	build := func() world {
		w := bareRoom()
		w.agent, w.dir = pt{1, 4}, 0
		w.g.set(pt{3, 3}, &Object{Kind: Ball, Color: Red})                       // 2 ahead 1 left
		w.g.set(pt{4, 4}, &Object{Kind: Key, Color: Blue})                       // 3 ahead
		w.g.set(pt{1, 6}, &Object{Kind: Box, Color: Green})                      // 2 right, beside the agent
		w.g.set(pt{5, 2}, &Object{Kind: Ball, Color: Grey})                      // 4 ahead 2 left
		w.g.set(pt{5, 6}, &Object{Kind: Ball, Color: Grey})                      // 4 ahead 2 right
		w.g.set(pt{7, 4}, &Object{Kind: Door, Color: Yellow, State: DoorLocked}) // 6 ahead
		w.g.set(pt{7, 2}, &Object{Kind: Door, Color: Purple, State: DoorClosed}) // 6 ahead 2 left
		w.g.set(pt{7, 6}, &Object{Kind: Door, Color: Purple, State: DoorOpen})   // 6 ahead 2 right
		w.carrying = &Object{Kind: Key, Color: Yellow}
		return w
	}
	red, blue := objDesc{kind: Ball, color: Red}, objDesc{kind: Key, color: Blue}
	view := map[string]string{
		"Where is the red ball?":                                 "red ball 2 ahead 1 left",
		"Which way should you turn to face the red ball?":        "left",
		"How many steps away is the red ball?":                   "3",
		"Where is the blue key?":                                 "blue key 3 ahead",
		"Which way should you turn to face the blue key?":        "none",
		"How many steps away is the blue key?":                   "3",
		"Where is the green box?":                                "green box 2 right",
		"Which way should you turn to face the green box?":       "right",
		"How many steps away is the green box?":                  "2",
		"What is at 4 ahead 2 left?":                             "grey ball",
		"What is at 4 ahead 2 right?":                            "grey ball",
		"What is at 6 ahead?":                                    "locked yellow door",
		"Is the yellow door open, closed or locked?":             "locked",
		"Is the door at 6 ahead open, closed or locked?":         "locked",
		"Is the door at 6 ahead 2 left open, closed or locked?":  "closed",
		"Is the door at 6 ahead 2 right open, closed or locked?": "open",
		"How many steps away is the yellow door?":                "6",
		"What are you carrying?":                                 "yellow key",
		"What is directly in front of you?":                      "nothing",
	}
	absent := []string{"Where is the grey ball?", "Is the purple door open, closed or locked?", "Where is the yellow key?"}
	for _, tc := range []struct {
		name    string
		m       *mission
		mission map[string]string
		absent  []string // mission questions not asked: no single visible object fits
	}{
		{"go to", leaf(goTo, red), map[string]string{
			"What object does the mission name?":                              "red ball",
			"Is an object the mission names in view?":                         "yes",
			"Where is the object the mission names?":                          "red ball 2 ahead 1 left",
			"Which way should you turn to face the object the mission names?": "left",
			"How many steps away is the object the mission names?":            "3"}, nil},
		{"any colour", leaf(pickUp, objDesc{kind: Box, anyColor: true}), map[string]string{
			"What object does the mission name?":                              "box",
			"Is an object the mission names in view?":                         "yes",
			"Where is the object the mission names?":                          "green box 2 right",
			"Which way should you turn to face the object the mission names?": "right",
			"How many steps away is the object the mission names?":            "2"}, nil},
		{"two fit", leaf(goTo, objDesc{kind: Ball, color: Grey}), map[string]string{
			"What object does the mission name?":      "grey ball",
			"Is an object the mission names in view?": "yes"},
			[]string{"Where is the object the mission names?", "How many steps away is the object the mission names?"}},
		{"not in view", leaf(goTo, objDesc{kind: Key, color: Purple}), map[string]string{
			"What object does the mission name?":      "purple key",
			"Is an object the mission names in view?": "no"},
			[]string{"Where is the object the mission names?", "Which way should you turn to face the object the mission names?"}},
		{"put next", &mission{kind: putNext, obj: red, fixed: objDesc{kind: Box, color: Purple}}, map[string]string{
			"Which object does the mission ask you to move?":                  "red ball",
			"Next to which object must you put it?":                           "purple box",
			"Is an object the mission asks you to move in view?":              "yes",
			"Is an object the mission asks you to put it next to in view?":    "no",
			"Where is the object the mission asks you to move?":               "red ball 2 ahead 1 left",
			"How many steps away is the object the mission asks you to move?": "3"},
			[]string{"Where is the object the mission asks you to put it next to?"}},
		{"then", seq(beforeSeq, leaf(goTo, blue), leaf(goTo, red)), map[string]string{
			"What does the mission ask you to do first?": "go to the blue key"},
			[]string{"Where is the object the mission names?"}},
		{"after you", seq(afterSeq, leaf(goTo, blue), leaf(pickUp, red)), map[string]string{
			"What does the mission ask you to do first?": "pick up the red ball"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := New("GoToLocal", Options{})
			setWorld(e, build(), *tc.m)
			facts, textOnly := factsOf(t, e)
			for q, a := range view {
				if facts[q] != a {
					t.Errorf("%q = %q, want %q", q, facts[q], a)
				}
				if textOnly[q] {
					t.Errorf("%q is marked text-only, but the image shows it", q)
				}
			}
			for q, a := range tc.mission {
				if facts[q] != a {
					t.Errorf("%q = %q, want %q", q, facts[q], a)
				}
				if !textOnly[q] {
					t.Errorf("%q is not marked text-only, but the image does not show the mission", q)
				}
			}
			for _, q := range append(absent, tc.absent...) {
				if a, ok := facts[q]; ok {
					t.Errorf("%q asked (answer %q) of a name that fits no single object", q, a)
				}
			}
		})
	}
}

// TestSkillFactsMatchTheWorld walks several levels and seeds (the bot's
// moves with random ones mixed in) and checks every position, turn, step
// count and door state against the world itself: each object's offset from
// the agent along its heading and its right, not the view's own indexing.
func TestSkillFactsMatchTheWorld(t *testing.T) {
	checked := map[string]int{}
	for _, level := range []string{"GoToLocal", "GoToDoor", "Open", "PickupLoc", "PutNextLocal", "UnlockLocal"} {
		for seed := range int64(8) {
			e, _ := New(level, Options{})
			if _, err := e.Reset(seed); err != nil {
				t.Fatal(err)
			}
			bot := NewBot(e)
			bot.Reset()
			rng := rand.New(rand.NewPCG(uint64(seed), 9))
			for step := 0; step < 25; step++ {
				checkWorldFacts(t, e, checked)
				a, err := bot.Act()
				if err != nil || rng.IntN(3) == 0 {
					a = e.RandomValid(rng)
				}
				st, err := e.Step("[action] " + a)
				if err != nil {
					t.Fatal(err)
				}
				if st.Done {
					break
				}
			}
		}
	}
	for _, kind := range []string{"where", "turn", "steps", "at", "door", "turn none", "turn left", "turn right"} {
		if checked[kind] < 5 {
			t.Errorf("only %d %q facts checked (%v)", checked[kind], kind, checked)
		}
	}
}

// checkWorldFacts recomputes the view's objects from the world and checks
// the position facts against them.
func checkWorldFacts(t *testing.T, e *Env, checked map[string]int) {
	t.Helper()
	facts, _ := factsOf(t, e)
	w := &e.w
	fwdV, rightV := dirVec[w.dir], rightOf(w.dir)
	type obj struct {
		o           *Object
		fwd, side   int
		name, where string
	}
	var objs []obj
	count := map[string]int{}
	for x := range w.g.w {
		for y := range w.g.h {
			o := w.g.get(pt{x, y})
			// The agent's own cell (an open door it stands in) shows
			// what it carries instead.
			if o == nil || o.Kind == Wall || (pt{x, y}) == w.agent {
				continue
			}
			d := pt{x - w.agent.x, y - w.agent.y}
			fwd, side := d.x*fwdV.x+d.y*fwdV.y, d.x*rightV.x+d.y*rightV.y
			if fwd < 0 || fwd >= ViewSize || abs(side) > ViewSize/2 || !e.view.vis[agentVX+side][agentVY-fwd] {
				continue
			}
			var words []string
			if fwd > 0 {
				words = append(words, fmt.Sprintf("%d ahead", fwd))
			}
			if side < 0 {
				words = append(words, fmt.Sprintf("%d left", -side))
			} else if side > 0 {
				words = append(words, fmt.Sprintf("%d right", side))
			}
			name := o.Color.String() + " " + o.Kind.String()
			objs = append(objs, obj{o, fwd, side, name, strings.Join(words, " ")})
			count[name]++
		}
	}
	for _, s := range objs {
		if got := facts["What is at "+s.where+"?"]; got != s.o.describe() {
			t.Errorf("%s: what is at %s = %q, want %q", e.Name(), s.where, got, s.o.describe())
		}
		checked["at"]++
		if s.o.Kind == Door {
			if got := facts["Is the door at "+s.where+" open, closed or locked?"]; got != s.o.State.String() {
				t.Errorf("%s: door at %s is %q, want %q", e.Name(), s.where, got, s.o.State)
			}
			checked["door"]++
		}
		q := func(f string) string { return fmt.Sprintf(f, s.name) }
		if count[s.name] != 1 {
			if _, ok := facts[q("Where is the %s?")]; ok {
				t.Errorf("%s: asked where the %s is, but %d are in view", e.Name(), s.name, count[s.name])
			}
			continue
		}
		turn := "none"
		if s.side < 0 {
			turn = "left"
		} else if s.side > 0 {
			turn = "right"
		}
		for _, c := range []struct{ kind, q, want string }{
			{"where", q("Where is the %s?"), s.name + " " + s.where},
			{"turn", q("Which way should you turn to face the %s?"), turn},
			{"steps", q("How many steps away is the %s?"), fmt.Sprint(s.fwd + abs(s.side))},
		} {
			if got := facts[c.q]; got != c.want {
				t.Errorf("%s: %q = %q, want %q", e.Name(), c.q, got, c.want)
			}
			checked[c.kind]++
		}
		checked["turn "+turn]++
	}
}
