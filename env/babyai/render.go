package babyai

import (
	"image"
	"sync"
)

// Tiles follow MiniGrid's look: black floor with grey grid lines, shapes in
// the object's colour, a red triangle for the agent, visible cells lightened
// 30% towards white. Each tile is drawn once per tile size with 3x3
// supersampling and then only copied.

var palette = [numColors][3]float64{
	{255, 0, 0},     // red
	{0, 255, 0},     // green
	{0, 0, 255},     // blue
	{112, 39, 195},  // purple
	{255, 255, 0},   // yellow
	{100, 100, 100}, // grey
}

// Tile codes: 0 empty, 1 wall, 2..19 doors (colour*3+state), 20..37
// key/ball/box (kind*6+colour).
const (
	codeEmpty   = 0
	codeWall    = 1
	codeDoor0   = 2
	codeObj0    = codeDoor0 + numColors*3
	numTileCode = codeObj0 + 3*numColors
)

func tileCode(o *Object) int {
	if o == nil {
		return codeEmpty
	}
	switch o.Kind {
	case Wall:
		return codeWall
	case Door:
		return codeDoor0 + int(o.Color)*3 + int(o.State)
	}
	return codeObj0 + int(o.Kind-Key)*numColors + int(o.Color)
}

// objectOf inverts tileCode (for drawing); nil for empty.
func objectOf(code int) *Object {
	switch {
	case code == codeEmpty:
		return nil
	case code == codeWall:
		return theWall
	case code < codeObj0:
		c := code - codeDoor0
		return &Object{Kind: Door, Color: Color(c / 3), State: DoorState(c % 3)}
	}
	c := code - codeObj0
	return &Object{Kind: Key + Kind(c/numColors), Color: Color(c % numColors)}
}

// tileSet holds every tile at one size as packed RGBA rows.
type tileSet struct {
	size  int
	plain [numTileCode][2][]byte // [code][highlighted]
	agent [numTileCode][]byte    // agent (facing up) standing on what it carries
}

var tileSets sync.Map // int -> *tileSet

func tilesFor(size int) *tileSet {
	if t, ok := tileSets.Load(size); ok {
		return t.(*tileSet)
	}
	t := &tileSet{size: size}
	for c := range numTileCode {
		o := objectOf(c)
		t.plain[c][0] = drawTile(size, o, false, false)
		t.plain[c][1] = drawTile(size, o, false, true)
		if c == codeEmpty || c >= codeObj0 {
			t.agent[c] = drawTile(size, o, true, true)
		}
	}
	got, _ := tileSets.LoadOrStore(size, t)
	return got.(*tileSet)
}

type shape func(x, y float64) bool

func rect(x0, x1, y0, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x <= x1 && y >= y0 && y <= y1 }
}

func circle(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

// triangle tests the point against the three edges (same-side test).
func triangle(ax, ay, bx, by, cx, cy float64) shape {
	cross := func(px, py, qx, qy, rx, ry float64) float64 {
		return (qx-px)*(ry-py) - (qy-py)*(rx-px)
	}
	return func(x, y float64) bool {
		d1 := cross(ax, ay, bx, by, x, y)
		d2 := cross(bx, by, cx, cy, x, y)
		d3 := cross(cx, cy, ax, ay, x, y)
		neg := d1 < 0 || d2 < 0 || d3 < 0
		pos := d1 > 0 || d2 > 0 || d3 > 0
		return !(neg && pos)
	}
}

type layer struct {
	s shape
	c [3]float64
}

var black = [3]float64{}

func scaled(c [3]float64, k float64) [3]float64 { return [3]float64{c[0] * k, c[1] * k, c[2] * k} }

// layers lists the shapes of an object, back to front, in unit tile
// coordinates (x right, y down).
func layers(o *Object) []layer {
	if o == nil {
		return nil
	}
	c := palette[o.Color]
	switch o.Kind {
	case Wall:
		return []layer{{rect(0, 1, 0, 1), c}}
	case Door:
		switch o.State {
		case DoorOpen:
			return []layer{{rect(0.88, 1, 0, 1), c}, {rect(0.92, 0.96, 0.04, 0.96), black}}
		case DoorLocked:
			return []layer{
				{rect(0, 1, 0, 1), c},
				{rect(0.06, 0.94, 0.06, 0.94), scaled(c, 0.45)},
				{rect(0.52, 0.75, 0.50, 0.56), c}, // key slot
			}
		default:
			return []layer{
				{rect(0, 1, 0, 1), c},
				{rect(0.04, 0.96, 0.04, 0.96), black},
				{rect(0.08, 0.92, 0.08, 0.92), c},
				{rect(0.12, 0.88, 0.12, 0.88), black},
				{circle(0.75, 0.5, 0.08), c}, // handle
			}
		}
	case Key:
		return []layer{
			{rect(0.50, 0.63, 0.31, 0.88), c}, // shaft
			{rect(0.38, 0.50, 0.59, 0.66), c}, // teeth
			{rect(0.38, 0.50, 0.81, 0.88), c},
			{circle(0.56, 0.28, 0.19), c}, // ring
			{circle(0.56, 0.28, 0.064), black},
		}
	case Ball:
		return []layer{{circle(0.5, 0.5, 0.31), c}}
	case Box:
		return []layer{
			{rect(0.12, 0.88, 0.12, 0.88), c},
			{rect(0.18, 0.82, 0.18, 0.82), black},
			{rect(0.16, 0.84, 0.47, 0.53), c}, // lid slit
		}
	}
	return nil
}

var (
	gridLine  = [3]float64{100, 100, 100}
	agentRed  = [3]float64{255, 0, 0}
	agentTri  = triangle(0.19, 0.88, 0.50, 0.13, 0.81, 0.88)
	gridLines = []layer{{rect(0, 0.031, 0, 1), gridLine}, {rect(0, 1, 0, 0.031), gridLine}}
)

const subdiv = 3

// drawTile rasterises one tile with subdiv x subdiv samples per pixel.
func drawTile(size int, o *Object, agent, highlight bool) []byte {
	ls := append([]layer{}, gridLines...)
	ls = append(ls, layers(o)...)
	if agent {
		ls = append(ls, layer{agentTri, agentRed})
	}
	out := make([]byte, size*size*4)
	n := float64(size * subdiv)
	for py := range size {
		for px := range size {
			var sum [3]float64
			for sy := range subdiv {
				for sx := range subdiv {
					x := (float64(px*subdiv+sx) + 0.5) / n
					y := (float64(py*subdiv+sy) + 0.5) / n
					col := black
					for _, l := range ls {
						if l.s(x, y) {
							col = l.c
						}
					}
					if highlight {
						for k := range col {
							col[k] += (255 - col[k]) * 0.3
						}
					}
					for k := range sum {
						sum[k] += col[k]
					}
				}
			}
			i := (py*size + px) * 4
			for k := range 3 {
				out[i+k] = uint8(sum[k]/(subdiv*subdiv) + 0.5)
			}
			out[i+3] = 255
		}
	}
	return out
}

// render draws the view into a new image of ViewSize*size pixels a side.
func (t *tileSet) render(v *view) *image.RGBA {
	s := t.size
	img := image.NewRGBA(image.Rect(0, 0, ViewSize*s, ViewSize*s))
	row := s * 4
	for vx := range ViewSize {
		for vy := range ViewSize {
			var tile []byte
			if vx == agentVX && vy == agentVY {
				tile = t.agent[tileCode(v.cells[vx][vy])]
			} else {
				hl := 0
				if v.vis[vx][vy] {
					hl = 1
				}
				tile = t.plain[tileCode(v.cells[vx][vy])][hl]
			}
			off := vy*s*img.Stride + vx*row
			for r := range s {
				copy(img.Pix[off+r*img.Stride:off+r*img.Stride+row], tile[r*row:(r+1)*row])
			}
		}
	}
	return img
}
