package babyai

import (
	"fmt"
	"strings"
)

// Observation text modes (Options.Text).
const (
	// TextDefault is this package's compact one-line observation with
	// the short action names (left, right, forward, ...).
	TextDefault = "default"
	// TextBalrog is BALROG's BabyAI-Text protocol: one fact per line and
	// BALROG's action names (turn left, go forward, pick up, ...).
	TextBalrog = "balrog"
)

// TextModes lists the observation text modes.
var TextModes = []string{TextDefault, TextBalrog}

// balrogNames is BALROG's action vocabulary, indexed by Action. BALROG
// offers no "done": Minigrid's done changes nothing in BabyAI, so dropping
// it loses no behaviour (see noop).
var balrogNames = []string{"turn left", "turn right", "go forward", "pick up", "drop", "toggle"}

// balrogText states the view the way BALROG's BabyAI-Text wrapper does,
// one fact per line, in its order: what the agent carries; the nearest
// wall straight ahead, to the left and to the right, each only when no
// other object stands between it and the agent; then every other visible
// object with its offset, by view column from the left and, within a
// column, from the farthest row.
//
// BALROG scans the encoded view, where unseen and empty cells are both
// skipped, so a wall seen past an occluded cell on the same line still
// counts; v.cells holds nil for both, which gives the same scan. A door is
// written with its state first, so an open one reads "a open red door"
// as in BALROG (kept on purpose: prompts then match theirs word for word).
func balrogText(v *view) string {
	var lines []string
	if c := v.cells[agentVX][agentVY]; c != nil {
		lines = append(lines, "You carry a "+c.Color.String()+" "+c.Kind.String())
	}
	wall := func(dx, dy int, side string) {
		for x, y, d := agentVX+dx, agentVY+dy, 1; x >= 0 && x < ViewSize && y >= 0; x, y, d = x+dx, y+dy, d+1 {
			o := v.cells[x][y]
			if o == nil {
				continue
			}
			if o.Kind == Wall {
				lines = append(lines, "a wall "+steps(d, side))
			}
			return
		}
	}
	wall(0, -1, "forward")
	wall(-1, 0, "left")
	wall(1, 0, "right")
	for vx := range ViewSize {
		for vy := range ViewSize {
			o := v.cells[vx][vy]
			if o == nil || o.Kind == Wall || (vx == agentVX && vy == agentVY) {
				continue
			}
			lines = append(lines, "a "+balrogName(o)+" "+balrogOffset(vx, vy))
		}
	}
	return strings.Join(lines, "\n")
}

// balrogName is "red ball", or for a door "closed red door".
func balrogName(o *Object) string {
	if o.Kind == Door {
		return o.State.String() + " " + o.Color.String() + " door"
	}
	return o.Color.String() + " " + o.Kind.String()
}

// balrogOffset words a view cell relative to the agent: "2 steps forward",
// "1 step left", or sideways first: "1 step left and 2 steps forward".
func balrogOffset(vx, vy int) string {
	f := agentVY - vy
	r := vx - agentVX
	side := "right"
	if r < 0 {
		side, r = "left", -r
	}
	switch {
	case r == 0:
		return steps(f, "forward")
	case f == 0:
		return steps(r, side)
	}
	return steps(r, side) + " and " + steps(f, "forward")
}

func steps(n int, dir string) string {
	if n == 1 {
		return "1 step " + dir
	}
	return fmt.Sprintf("%d steps %s", n, dir)
}
