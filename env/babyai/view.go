package babyai

import (
	"fmt"
	"sort"
	"strings"
)

// ViewSize is the side of the agent's egocentric view, in cells.
const ViewSize = 7

// agentVX, agentVY locate the agent in its view: bottom centre, facing up.
const (
	agentVX = ViewSize / 2
	agentVY = ViewSize - 1
)

// view is what the agent sees: cells indexed [vx][vy] with vy = 0 the far
// row. Cells that are not visible are nil and vis false. The agent's own
// cell holds what it carries.
type view struct {
	cells [ViewSize][ViewSize]*Object
	vis   [ViewSize][ViewSize]bool
}

// viewToWorld maps a view cell to the world for an agent at p facing dir.
func viewToWorld(p pt, dir, vx, vy int) pt {
	f := agentVY - vy
	r := vx - agentVX
	return p.add(dirVec[dir].scale(f)).add(rightOf(dir).scale(r))
}

// computeView fills v from w with MiniGrid's visibility propagation.
func computeView(w *world, v *view) {
	for vx := range ViewSize {
		for vy := range ViewSize {
			v.cells[vx][vy] = w.g.get(viewToWorld(w.agent, w.dir, vx, vy))
		}
	}
	v.cells[agentVX][agentVY] = w.carrying
	processVis(&v.cells, &v.vis, func(o *Object) bool { return o.seeBehind() })
	for vx := range ViewSize {
		for vy := range ViewSize {
			if !v.vis[vx][vy] {
				v.cells[vx][vy] = nil
			}
		}
	}
}

// processVis is MiniGrid's occlusion rule: sight spreads from the agent
// row by row away from it, sideways and diagonally forward, and stops at
// cells that block it.
func processVis(cells *[ViewSize][ViewSize]*Object, vis *[ViewSize][ViewSize]bool, see func(*Object) bool) {
	*vis = [ViewSize][ViewSize]bool{}
	vis[agentVX][agentVY] = true
	for j := ViewSize - 1; j >= 0; j-- {
		for i := 0; i < ViewSize-1; i++ {
			if !vis[i][j] || !see(cells[i][j]) {
				continue
			}
			vis[i+1][j] = true
			if j > 0 {
				vis[i+1][j-1] = true
				vis[i][j-1] = true
			}
		}
		for i := ViewSize - 1; i > 0; i-- {
			if !vis[i][j] || !see(cells[i][j]) {
				continue
			}
			vis[i-1][j] = true
			if j > 0 {
				vis[i-1][j-1] = true
				vis[i][j-1] = true
			}
		}
	}
}

// relPos words a view cell relative to the agent: "2 ahead 1 left".
func relPos(vx, vy int) string {
	f := agentVY - vy
	r := vx - agentVX
	var b strings.Builder
	if f > 0 {
		fmt.Fprintf(&b, "%d ahead", f)
	}
	if r != 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		side := "right"
		if r < 0 {
			side, r = "left", -r
		}
		fmt.Fprintf(&b, "%d %s", r, side)
	}
	return b.String()
}

type seen struct {
	o      *Object
	vx, vy int
}

// objects lists the visible doors, keys, balls and boxes (not walls, not
// what the agent carries), nearest first.
func (v *view) objects() []seen {
	var out []seen
	for vx := range ViewSize {
		for vy := range ViewSize {
			o := v.cells[vx][vy]
			if o == nil || o.Kind == Wall || (vx == agentVX && vy == agentVY) {
				continue
			}
			out = append(out, seen{o, vx, vy})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		da := agentVY - a.vy + abs(a.vx-agentVX)
		db := agentVY - b.vy + abs(b.vx-agentVX)
		if da != db {
			return da < db
		}
		if a.vy != b.vy {
			return a.vy > b.vy
		}
		return a.vx < b.vx
	})
	return out
}

// ahead returns the first non-empty visible cell straight ahead and its
// distance, or nil.
func (v *view) ahead() (*Object, int) {
	for vy := agentVY - 1; vy >= 0; vy-- {
		if !v.vis[agentVX][vy] {
			return nil, 0
		}
		if o := v.cells[agentVX][vy]; o != nil {
			return o, agentVY - vy
		}
	}
	return nil, 0
}

// text is the compact observation, e.g. "You see: red ball 2 ahead 1 left;
// closed blue door 3 ahead. Wall 4 ahead. You carry a green key."
func (v *view) text() string {
	var b strings.Builder
	objs := v.objects()
	if len(objs) == 0 {
		b.WriteString("You see no objects.")
	} else {
		b.WriteString("You see: ")
		for i, s := range objs {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(s.o.describe())
			b.WriteByte(' ')
			b.WriteString(relPos(s.vx, s.vy))
		}
		b.WriteByte('.')
	}
	if o, d := v.ahead(); o != nil && o.Kind == Wall {
		fmt.Fprintf(&b, " Wall %d ahead.", d)
	}
	if c := v.cells[agentVX][agentVY]; c != nil {
		b.WriteString(" You carry a ")
		b.WriteString(c.describe())
		b.WriteByte('.')
	}
	return b.String()
}
