package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestBarsPNG: a bar chart is a PNG that grows with its rows and is the
// same bytes each time; no bars or a value that is not finite is an
// error.
func TestBarsPNG(t *testing.T) {
	bars := func(n int) []Bar {
		var bs []Bar
		for i := range n {
			v := float64(10 * i)
			bs = append(bs, Bar{Label: strings.Repeat("method ", i+1), Value: v, Lo: v / 2, Hi: v + 5, Group: i / 3})
		}
		return bs
	}
	heights := map[int]int{}
	for _, n := range []int{1, 3, 10} {
		a, err := BarsPNG(bars(n), "success", "success rate (%)", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		b, err := BarsPNG(bars(n), "success", "success rate (%)", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%d bars: two renderings differ", n)
		}
		img := decodePNG(t, a)
		heights[n] = img.Bounds().Dy()
		if c := colours(img); c < 5 {
			t.Errorf("%d bars: only %d colours: the chart looks blank", n, c)
		}
	}
	if !(heights[1] < heights[3] && heights[3] < heights[10]) {
		t.Errorf("heights %v do not grow with the rows", heights)
	}
	for name, bs := range map[string][]Bar{
		"no bars": nil,
		"nan":     {{Label: "a", Value: math.NaN()}},
		"inf hi":  {{Label: "a", Value: 1, Hi: math.Inf(1)}},
	} {
		if _, err := BarsPNG(bs, "t", "x", 0, 100); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRoundsPNG: the rounds chart renders both panels' series; series
// the two panels do not share are an error.
func TestRoundsPNG(t *testing.T) {
	a := map[string][]Point{"demo": {{X: 0, Y: 80, Lo: 70, Hi: 87}, {X: 1, Y: 100, Lo: 96, Hi: 100}}, "run": {{X: 1, Y: 10}, {X: 2, Y: 20}}}
	png, err := RoundsPNG(a, a, nil, "numberline")
	if err != nil {
		t.Fatal(err)
	}
	if c := colours(decodePNG(t, png)); c < 5 {
		t.Errorf("only %d colours: the chart looks blank", c)
	}
	if _, err := RoundsPNG(a, map[string][]Point{"demo": a["demo"]}, nil, "x"); err == nil {
		t.Error("series in one panel only: no error")
	}
	if _, err := RoundsPNG(nil, nil, nil, "x"); err == nil {
		t.Error("no series: no error")
	}
}

// TestRenderPage: every text on the page is escaped, images are linked
// by their relative names, and a row that does not fit the columns is
// an error.
func TestRenderPage(t *testing.T) {
	p := Page{Title: "runs <all>", Columns: []string{"method", "folder"},
		Sections: []Section{{ID: "numberline", Title: "number<line>", Rows: [][]string{{"<script>x</script>", "results/a&b"}},
			Images: []Image{{Src: "numberline.png", Alt: `"alt"`}}}},
		OmittedNote: "left out:", Omitted: []string{"runs/<x>"}}
	var b bytes.Buffer
	if err := RenderPage(&b, p); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script>", "<all>", "<line>", "<x>", "a&b"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds unescaped %q", bad)
		}
	}
	for _, want := range []string{`<img src="numberline.png" alt="&#34;alt&#34;"/>`, `<section id="numberline">`, `href="#numberline"`, "&lt;script&gt;", "runs/&lt;x&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	p.Sections[0].Rows[0] = []string{"one cell"}
	if err := RenderPage(&b, p); err == nil {
		t.Error("a row of 1 cell under 2 columns: no error")
	}
}
