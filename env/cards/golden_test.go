package cards

import (
	"flag"
	"image"
	"path/filepath"
	"testing"

	"vlmq/render"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// Golden comparisons tolerate small anti-aliasing changes (font rasteriser
// versions) but not layout changes: at most 1% of pixels may differ by more
// than 24 levels in a channel.
const (
	goldenTol      = 24
	goldenMaxShare = 0.01
)

func checkGolden(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", name+".png")
	if *update {
		if err := render.WritePNG(path, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := render.ReadPNG(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	n, total, err := render.Diff(img, want, goldenTol)
	if err != nil {
		t.Fatal(err)
	}
	if float64(n) > goldenMaxShare*float64(total) {
		t.Errorf("%s: %d of %d pixels differ from the golden image", name, n, total)
	}
}

func TestGoldenImages(t *testing.T) {
	nl := mustNew(t, NumberLine, Options{})
	mustReset(t, nl, 1)
	g := nl.g.(*numberLine)
	g.pos, g.goal = 1, 3
	g.draw(nl.frame)
	checkGolden(t, "numberline", nl.observe().Image)
	st := mustStep(t, nl, "+")
	checkGolden(t, "numberline_step", st.Obs.Image)

	ez := mustNew(t, EZPoints, Options{})
	mustReset(t, ez, 1)
	setCards(t, ez, 13, 2) // K of spades, 2 of hearts
	mustStep(t, ez, "10")
	st = mustStep(t, ez, "+")
	checkGolden(t, "ezpoints", st.Obs.Image)

	p := mustNew(t, Points24, Options{})
	mustReset(t, p, 1)
	setCards(t, p, 12, 1, 7, 3) // Q♠ A♥ 7♦ 3♣
	for _, c := range []string{"(", "(", "10", "-", "7", ")", "*", "3", "-", "(", "1", "/", "(", "(", ")"} {
		st = mustStep(t, p, c)
	}
	checkGolden(t, "points24", st.Obs.Image)

	bj := mustNew(t, Blackjack, Options{})
	mustReset(t, bj, 1)
	b := bj.g.(*blackjack)
	b.player = []card{{1, 0}, {7, 1}}
	b.dealer = []card{{12, 2}, {9, 3}}
	b.fresh = true
	b.draw(bj.frame)
	checkGolden(t, "blackjack", bj.observe().Image)
	st = mustStep(t, bj, "stand") // 18 against 19
	if st.Reward != -1 {
		t.Fatalf("stand on 18 vs 19: reward %v", st.Reward)
	}
	checkGolden(t, "blackjack_end", st.Obs.Image)
}

// Incremental drawing must produce the same pixels as painting the state
// from scratch, step after step.
func TestIncrementalDrawingMatchesFullRepaint(t *testing.T) {
	for _, game := range Games {
		e := mustNew(t, game, Options{})
		for s := int64(0); s < 30; s++ {
			mustReset(t, e, s)
			x := NewExpert(e)
			for !e.Done() {
				c, err := x.Act()
				if err != nil {
					t.Fatal(err)
				}
				st := mustStep(t, e, c)
				full := image.NewRGBA(image.Rect(0, 0, Size, Size))
				switch g := e.g.(type) {
				case *formulaGame:
					g.fresh = true
				case *blackjack:
					g.fresh = true
				}
				e.g.draw(full)
				if n, _, _ := render.Diff(st.Obs.Image, full, 0); n != 0 {
					t.Fatalf("%s seed %d: incremental frame differs from a full repaint in %d pixels", game, s, n)
				}
			}
		}
	}
}
