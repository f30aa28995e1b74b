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
	w := world{g: newGrid(roomSize, roomSize), agent: pt{1, 1}}
	w.g.wallRect(0, 0, roomSize-1, roomSize-1)
	return w
}

// setWorld starts an episode in a hand-built world.
func setWorld(e *Env, w world, m mission) env.Observation {
	e.w = w
	m.resolve(&e.w)
	e.m = m
	e.goal = m.surface()
	e.steps = 0
	e.maxSteps = m.navs() * roomSize * roomSize
	if e.maxOver > 0 {
		e.maxSteps = e.maxOver
	}
	e.started, e.done = true, false
	return e.observe()
}
