package babyai

import (
	"testing"

	"vlmq/env"
)

func newTestEnv(t testing.TB, level string) *Env {
	t.Helper()
	e, err := New(level, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reset(1); err != nil {
		t.Fatal(err)
	}
	return e
}

// bareRoom is an empty walled 8x8 room with the agent at (1,1) facing east.
func bareRoom() world {
	w := world{g: newGrid(roomSize, roomSize), lay: one(roomSize), agent: pt{1, 1}}
	w.g.wallRect(0, 0, roomSize-1, roomSize-1)
	return w
}

// setWorld starts an episode in a hand-built world.
func setWorld(e *Env, w world, m mission) env.Observation {
	e.w = w
	placed(&e.w)
	m.reset(&e.w)
	e.m = &m
	e.goal = m.surface()
	e.steps = 0
	e.maxSteps = stepLimit(nil, &m, e.w.lay)
	if e.maxOver > 0 {
		e.maxSteps = e.maxOver
	}
	e.started, e.done = true, false
	return e.observe()
}

// placed records every object's position, as generation does.
func placed(w *world) {
	for i, c := range w.g.cells {
		if c != nil && c != theWall {
			c.cur = pt{i % w.g.w, i / w.g.w}
		}
	}
}
