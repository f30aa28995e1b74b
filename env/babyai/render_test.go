package babyai

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden images under testdata/")

// sceneWorld has every kind of tile: an inner wall hiding the room's east
// part, open/closed/locked doors, a key, a ball, a box, and a carried key.
func sceneWorld() world {
	w := bareRoom()
	for y := 1; y < roomSize-1; y++ {
		w.g.set(pt{5, y}, theWall)
	}
	w.g.set(pt{5, 2}, &Object{Kind: Door, Color: Green, State: DoorOpen})
	w.g.set(pt{5, 4}, &Object{Kind: Door, Color: Purple, State: DoorClosed})
	w.g.set(pt{2, 0}, &Object{Kind: Door, Color: Yellow, State: DoorLocked})
	w.g.set(pt{6, 2}, &Object{Kind: Ball, Color: Blue}) // seen through the open door
	w.g.set(pt{6, 5}, &Object{Kind: Ball, Color: Red})  // hidden by the wall
	w.g.set(pt{2, 2}, &Object{Kind: Box, Color: Grey})
	w.g.set(pt{4, 3}, &Object{Kind: Key, Color: Red})
	w.agent, w.dir = pt{3, 5}, 3
	w.carrying = &Object{Kind: Key, Color: Blue}
	return w
}

func renderScene(t *testing.T, tile int) *image.RGBA {
	t.Helper()
	e, err := New("GoToLocal", Options{TileSize: tile})
	if err != nil {
		t.Fatal(err)
	}
	obs := setWorld(e, sceneWorld(), mission{kind: goTo, obj: objDesc{kind: Ball, color: Blue}})
	return obs.Image
}

func TestRenderGolden(t *testing.T) {
	for _, tile := range []int{8, 16} {
		img := renderScene(t, tile)
		path := filepath.Join("testdata", "scene_"+itoa(tile)+".png")
		if *update {
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		want, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want.Bounds() != img.Bounds() {
			t.Fatalf("size %v, golden %v", img.Bounds(), want.Bounds())
		}
		var sum, worst int
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r1, g1, b1, _ := img.At(x, y).RGBA()
				r2, g2, b2, _ := want.At(x, y).RGBA()
				for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
					sum += abs(d)
					worst = max(worst, abs(d))
				}
			}
		}
		mean := float64(sum) / float64(3*b.Dx()*b.Dy())
		if worst > 24 || mean > 0.5 {
			t.Errorf("tile %d: differs from %s: max %d mean %.2f", tile, path, worst, mean)
		}
	}
}

func itoa(v int) string { return string(rune('0'+v/10)) + string(rune('0'+v%10)) }

// Colours at tile centres follow the scene, independent of the golden file.
func TestRenderTiles(t *testing.T) {
	const ts = 16
	img := renderScene(t, ts)
	if img.Bounds().Dx() != ViewSize*ts || img.Bounds().Dy() != ViewSize*ts {
		t.Fatalf("size %v", img.Bounds())
	}
	hl := func(c float64) uint8 { return uint8(c + (255-c)*0.3 + 0.5) }
	at := func(vx, vy int, fx, fy float64) color.RGBA {
		return img.RGBAAt(vx*ts+int(fx*ts), vy*ts+int(fy*ts))
	}
	near := func(name string, got color.RGBA, want [3]uint8) {
		t.Helper()
		g := [3]uint8{got.R, got.G, got.B}
		for k := range 3 {
			if abs(int(g[k])-int(want[k])) > 2 {
				t.Errorf("%s: colour %v, want %v", name, g, want)
				return
			}
		}
	}
	// Agent at (3,5) facing north: view (vx,vy) = world (vx, vy-1).
	near("agent triangle", at(agentVX, agentVY, 0.5, 0.7), [3]uint8{hl(255), hl(0), hl(0)})
	near("visible floor", at(2, 5, 0.5, 0.5), [3]uint8{hl(0), hl(0), hl(0)})
	near("ball through the open door", at(6, 3, 0.5, 0.5), [3]uint8{hl(0), hl(0), hl(255)})
	near("hidden cell behind the wall", at(6, 6, 0.5, 0.5), [3]uint8{0, 0, 0})
	near("inner wall", at(5, 6, 0.5, 0.5), [3]uint8{hl(100), hl(100), hl(100)})
	near("closed door handle", at(5, 5, 0.75, 0.5), [3]uint8{hl(112), hl(39), hl(195)})
	near("closed door centre", at(5, 5, 0.5, 0.5), [3]uint8{hl(0), hl(0), hl(0)})
	near("locked door fill", at(2, 1, 0.3, 0.3), [3]uint8{hl(255 * 0.45), hl(255 * 0.45), hl(0)})
	near("box outline", at(2, 3, 0.14, 0.5), [3]uint8{hl(100), hl(100), hl(100)})
	near("key shaft", at(4, 4, 0.56, 0.7), [3]uint8{hl(255), hl(0), hl(0)})
	if line, floor := at(2, 5, 0.5, 0), at(2, 5, 0.5, 0.5); line.R <= floor.R+10 {
		t.Errorf("no grid line: %v vs floor %v", line, floor)
	}
}

// The carried object appears under the agent in the view.
func TestRenderCarried(t *testing.T) {
	e, _ := New("GoToLocal", Options{})
	w := bareRoom()
	obs := setWorld(e, w, mission{kind: goTo, obj: objDesc{kind: Ball, anyColor: true}})
	empty := append([]byte(nil), obs.Image.Pix...)
	w = bareRoom()
	w.carrying = &Object{Kind: Box, Color: Yellow}
	obs = setWorld(e, w, mission{kind: goTo, obj: objDesc{kind: Ball, anyColor: true}})
	if bytes.Equal(empty, obs.Image.Pix) {
		t.Fatal("carrying a box does not change the image")
	}
	ts := DefaultTileSize
	c := obs.Image.RGBAAt(agentVX*ts+ts*14/100, agentVY*ts+ts/3) // box outline, left of the triangle
	if c.R < 200 || c.G < 200 || c.B > 120 {
		t.Errorf("box under the agent not yellow: %v", c)
	}
}
