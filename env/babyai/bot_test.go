package babyai

import (
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"vlmq/env"
)

// runBot plays one episode with the bot and reports success and steps.
func runBot(t testing.TB, e *Env, seed int64) (bool, int, error) {
	t.Helper()
	if _, err := e.Reset(seed); err != nil {
		t.Fatalf("reset %d: %v", seed, err)
	}
	bot := NewBot(e)
	bot.Reset()
	for {
		a, err := bot.Act()
		if err != nil {
			return false, e.Steps(), err
		}
		st, err := e.Step(e.Syntax().Format(a))
		if err != nil {
			t.Fatalf("step: %v", err)
		}
		if !st.Info.Valid {
			t.Fatalf("bot reply %q invalid: %s", a, st.Info.Reason)
		}
		if st.Done {
			return st.Info.Success, e.Steps(), nil
		}
	}
}

// envSeeds is the number of seeds per level for an expensive bot test:
// the environment variable v if set (docs/environments.md's table uses
// BABYAI_BOT_SEEDS=500), else def, or short under -short.
func envSeeds(t testing.TB, v string, def, short int) int {
	if s := os.Getenv(v); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q", v, s)
		}
		return n
	}
	if testing.Short() {
		return short
	}
	return def
}

// solvable reports whether the episode e was just reset to can be won at
// all. Minigrid's debug levels cannot always be: in OpenDoorsOrder*Debug a
// sequence of two strict opens fails on the toggle that completes the
// first (Minigrid checks the second with the same toggle, and it sees the
// wrong door), and in PickupDistDebug, which has no reachability check, a
// target or agent walled in by objects can only be freed by a pickup that
// fails the mission.
func solvable(e *Env) bool {
	switch e.lv.name {
	case "OpenDoorsOrderN2Debug", "OpenDoorsOrderN4Debug":
		return !e.m.kind.isSeq()
	case "PickupDistDebug":
		// Some target is reachable with every other object as a wall.
		for _, o := range e.m.obj.set {
			if !movable(o) {
				continue
			}
			g := &gen{w: e.w}
			g.w.g.cells = append([]*Object(nil), e.w.g.cells...)
			for i, c := range g.w.g.cells {
				if c != nil && c != o {
					g.w.g.cells[i] = theWall
				}
			}
			if g.objsReachable() {
				return true
			}
		}
		return false
	}
	return true
}

// The expert's success per level: at least 99% of the episodes that can be
// won (every episode, except on the debug levels solvable describes).
//
//	BABYAI_BOT_SEEDS=500 go test -run TestBotSolvesEveryLevel -v ./env/babyai/
func TestBotSolvesEveryLevel(t *testing.T) {
	seeds := envSeeds(t, "BABYAI_BOT_SEEDS", 25, 8)
	for _, name := range Levels {
		t.Run(name, func(t *testing.T) {
			e, err := New(name, Options{TileSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			wins, steps, winnable, winnableWins := 0, 0, 0, 0
			for s := range seeds {
				if _, err := e.Reset(int64(s)); err != nil {
					t.Fatal(err)
				}
				can := solvable(e)
				ok, n, err := runBot(t, e, int64(s))
				if err != nil && !errors.Is(err, ErrBotStuck) {
					t.Fatalf("seed %d: %v", s, err)
				}
				if err != nil {
					t.Logf("seed %d: %v", s, err)
				}
				if can {
					winnable++
				}
				if ok {
					wins++
					steps += n
					if can {
						winnableWins++
					}
				} else if err == nil && can {
					t.Logf("seed %d: failed after %d steps (%q)", s, n, e.Mission())
				}
			}
			rate := float64(wins) / float64(seeds)
			wrate := float64(winnableWins) / float64(max(winnable, 1))
			t.Logf("%s: success %.3f over %d seeds (%.3f of %d winnable), mean steps %.1f", name, rate, seeds, wrate, winnable, float64(steps)/float64(max(wins, 1)))
			if wrate < 0.99 {
				t.Errorf("success rate %.3f < 0.99 on winnable episodes", wrate)
			}
		})
	}
}

// The bot must not use what it has not seen: with the target hidden behind
// the agent at the start, its first actions explore rather than head there.
func TestBotExploresWhenTargetUnseen(t *testing.T) {
	e := newTestEnv(t, "GoToRedBallNoDists")
	w := bareRoom()
	w.agent, w.dir = pt{3, 3}, 3 // facing north
	ball := &Object{Kind: Ball, Color: Red}
	w.g.set(pt{3, 6}, ball) // behind the agent, out of view
	setWorld(e, w, mission{kind: goTo, obj: objDesc{kind: Ball, color: Red}})
	bot := NewBot(e)
	bot.Reset()
	a, err := bot.Act()
	if err != nil {
		t.Fatal(err)
	}
	if a != "left" && a != "right" {
		t.Fatalf("first action %q; want a turn to look around", a)
	}
	ok, _, err := runBotFromHere(t, e, bot)
	if err != nil || !ok {
		t.Fatalf("bot did not reach the ball: ok=%v err=%v", ok, err)
	}
}

func runBotFromHere(t *testing.T, e *Env, bot interface{ Act() (string, error) }) (bool, int, error) {
	t.Helper()
	for {
		a, err := bot.Act()
		if err != nil {
			return false, e.Steps(), err
		}
		st, err := e.Step(e.Syntax().Format(a))
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			return st.Info.Success, e.Steps(), nil
		}
	}
}

// The bot decides from its memory alone: a twin world whose unseen cells are
// all walls, or all empty, gets the same decision at every step.
func TestBotUsesOnlyWhatItSaw(t *testing.T) {
	seeds := envSeeds(t, "BABYAI_TWIN_SEEDS", 4, 2)
	for _, name := range Levels {
		e, _ := New(name, Options{TileSize: 4})
		for seed := range seeds {
			e.Reset(int64(seed))
			bot := NewBot(e).(*Bot)
			bot.Reset()
			for {
				a, err := bot.Act()
				if err != nil {
					t.Fatalf("%s/%d: %v", name, seed, err)
				}
				for _, fill := range []*Object{nil, theWall} {
					twin := *e
					twin.w.g.cells = append([]*Object(nil), e.w.g.cells...)
					for i, c := range bot.mem {
						if !c.known {
							twin.w.g.cells[i] = fill
						}
					}
					tb := &Bot{e: &twin, mem: append([]memCell(nil), bot.mem...), from: bot.from, fromObj: bot.fromObj}
					if b, err := tb.Act(); err != nil || b != a {
						t.Fatalf("%s/%d step %d: bot chose %q, twin with unseen cells = %v chose %q (%v)", name, seed, e.Steps(), a, fill, b, err)
					}
				}
				st, _ := e.Step(e.Syntax().Format(a))
				if st.Done {
					break
				}
			}
		}
	}
}

// A noisy demonstrator may pick up the object a later go-to instruction
// names: Minigrid then tracks it at the cell it was taken from until some
// object is dropped. The bot must still finish.
func TestBotDropsCarriedTarget(t *testing.T) {
	e := newTestEnv(t, "GoToRedBallNoDists")
	w := bareRoom()
	w.agent, w.dir = pt{3, 3}, 0 // facing east
	w.g.set(pt{4, 3}, &Object{Kind: Ball, Color: Red})
	w.g.set(pt{6, 6}, &Object{Kind: Key, Color: Blue})
	setWorld(e, w, *seq(beforeSeq, leaf(goTo, objDesc{kind: Key, color: Blue}), leaf(goTo, objDesc{kind: Ball, color: Red})))
	st, err := e.Step(e.Syntax().Format("pickup"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Done || e.w.carrying == nil {
		t.Fatalf("setup: pickup should take the ball without ending the episode (done %v)", st.Done)
	}
	bot := NewBot(e)
	bot.Reset()
	ok, n, err := runBotFromHere(t, e, bot)
	if err != nil || !ok {
		t.Fatalf("bot did not finish after the target was picked up: ok=%v err=%v", ok, err)
	}
	if n > 20 {
		t.Errorf("finished at step %d, want at most 20", n)
	}
}

// Noisy demonstrations: a random action replaces 60% of the bot's (the bot
// still sees every state, as in dataset.Noisy). Random pickups and drops
// can box the agent in with objects; the bot must always have a move.
// Episodes stop after 150 steps to keep the test quick.
func TestBotRecoversFromRandomActions(t *testing.T) {
	seeds := envSeeds(t, "BABYAI_NOISY_SEEDS", 6, 2)
	for _, name := range Levels {
		e, err := New(name, Options{TileSize: 4, MaxSteps: 150})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		for seed := range seeds {
			if _, err := e.Reset(int64(seed)); err != nil {
				t.Fatal(err)
			}
			bot := NewBot(e)
			bot.Reset()
			if _, n, err := runBotFromHere(t, e, noisyActor{bot, e, rng}); err != nil {
				t.Fatalf("%s seed %d step %d: %v", name, seed, n, err)
			}
		}
	}
}

// noisyActor consults the bot every turn, then replaces its action with a
// random one 60% of the time.
type noisyActor struct {
	bot env.Expert
	e   *Env
	rng *rand.Rand
}

func (n noisyActor) Act() (string, error) {
	a, err := n.bot.Act()
	if err == nil && n.rng.IntN(10) < 6 {
		a = n.e.RandomValid(n.rng)
	}
	return a, err
}

// From the states noise leaves, the bot still wins: 40 steps of which 60%
// are random, then the bot alone within the level's step limit (counted
// from there). Episodes
// the noise itself ends (a strict level's wrong pickup or door, or a lucky
// success) or makes hopeless (a toggle that empties a box the mission
// names), and the debug levels' unwinnable episodes, are not counted.
func TestBotFinishesAfterNoise(t *testing.T) {
	seeds := envSeeds(t, "BABYAI_NOISY_SEEDS", 6, 2)
	total, wins := 0, 0
	for _, name := range Levels {
		e, err := New(name, Options{TileSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(9, 9))
		lvTotal, lvWins := 0, 0
		for seed := range seeds {
			if _, err := e.Reset(int64(seed)); err != nil {
				t.Fatal(err)
			}
			if !solvable(e) {
				continue
			}
			e.maxSteps += 40 // the bot's own budget after the noise
			bot := NewBot(e)
			bot.Reset()
			ended := false
			for range 40 {
				a, err := bot.Act()
				if err != nil {
					t.Fatalf("%s seed %d: %v", name, seed, err)
				}
				if rng.IntN(10) < 6 {
					a = e.RandomValid(rng)
				}
				st, _ := e.Step(e.Syntax().Format(a))
				if st.Done {
					ended = true
					break
				}
			}
			if ended || lostNamedBox(e) {
				continue
			}
			ok, n, err := runBotFromHere(t, e, bot)
			if err != nil {
				t.Fatalf("%s seed %d: %v", name, seed, err)
			}
			lvTotal++
			if ok {
				lvWins++
			} else {
				t.Logf("%s seed %d: failed after noise, %d steps (%q)", name, seed, n, e.Mission())
			}
		}
		total += lvTotal
		wins += lvWins
	}
	rate := float64(wins) / float64(max(total, 1))
	t.Logf("success after noise: %.3f of %d episodes", rate, total)
	if rate < 0.99 {
		t.Errorf("success after noise %.3f < 0.99", rate)
	}
}

// lostNamedBox reports whether a box the mission names is gone (a toggled
// box leaves its contents, here nothing, in its place).
func lostNamedBox(e *Env) bool {
	lost := false
	e.m.leaves(func(l *mission) {
		for _, d := range []*objDesc{&l.obj, &l.fixed} {
			for _, o := range d.set {
				if o.Kind != Box || o == e.w.carrying {
					continue
				}
				if _, ok := e.w.find(o); !ok {
					lost = true
				}
			}
		}
	})
	return lost
}
