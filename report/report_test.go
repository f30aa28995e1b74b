package report

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/dataset"
	"vlmq/metrics"
)

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// colours counts distinct colours, to tell a drawn plot from a blank one.
func colours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen)
}

func TestCurvesWritesPNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "curve.png")
	series := map[string][]Point{
		"afsft": {{X: 0, Y: 0.1, Lo: 0.05, Hi: 0.2}, {X: 2, Y: 0.6, Lo: 0.5, Hi: 0.7}, {X: 1, Y: 0.4, Lo: 0.3, Hi: 0.5}},
		"sft":   {{X: 0, Y: 0.1}, {X: 1, Y: 0.2}, {X: 2, Y: 0.25}},
	}
	if err := Curves(path, series, "success", "round", "rate"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, raw)
	// vg renders PNG at 96 dpi by default.
	if b := img.Bounds(); b.Dx() != 576 || b.Dy() != 384 {
		t.Fatalf("size %v, want 576x384 (6x4 in at 96 dpi)", b)
	}
	if n := colours(img); n < 5 {
		t.Fatalf("only %d colours: the plot looks blank", n)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d files; temp file left behind?", len(entries))
	}
}

func TestCurvesErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]map[string][]Point{
		"no series": {},
		"empty":     {"a": nil},
		"nan":       {"a": {{X: 0, Y: math.NaN()}}},
		"inf bound": {"a": {{X: 0, Y: 1, Lo: 0, Hi: math.Inf(1)}}},
	}
	for name, s := range cases {
		path := filepath.Join(dir, name+".png")
		if err := Curves(path, s, "t", "x", "y"); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: file written despite the error", name)
		}
	}
	if err := Curves(filepath.Join(dir, "missing", "c.png"), map[string][]Point{"a": {{X: 0, Y: 1}}}, "t", "x", "y"); err == nil {
		t.Error("missing directory accepted")
	}
}

// element is a parsed HTML element with its text content.
type element struct {
	name  string
	attrs map[string]string
	text  string
	path  []string // ancestors
}

// parseHTML tokenizes the document with encoding/xml in its HTML mode
// (non-strict, HTML void elements and entities), which checks nesting.
func parseHTML(t *testing.T, doc string) []*element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []*element
	var all []*element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("HTML does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, s := range stack {
				e.path = append(e.path, s.name)
			}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			stack = append(stack, e)
			all = append(all, e)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != tk.Name.Local {
				t.Fatalf("unbalanced </%s>", tk.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, s := range stack {
				s.text += string(tk)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed <%s>", stack[len(stack)-1].name)
	}
	return all
}

func find(els []*element, name, class string) []*element {
	var out []*element
	for _, e := range els {
		if e.name == name && (class == "" || strings.Contains(" "+e.attrs["class"]+" ", " "+class+" ")) {
			out = append(out, e)
		}
	}
	return out
}

func testEpisode(t *testing.T) dataset.Episode {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	pngBytes, err := dataset.EncodeImage(img)
	if err != nil {
		t.Fatal(err)
	}
	e := dataset.Episode{ID: 7, Env: "numberline", Seed: 42, Return: -1}
	replies := []string{`<script>alert("x")</script> [action] +`, "[action] -", "I & you [action] <b>+</b>"}
	for i, r := range replies {
		e.Turns = append(e.Turns, dataset.Turn{
			Episode: 7, Turn: i, Env: "numberline", Seed: 42, Image: pngBytes,
			Prompt: "Goal: reach <3>\nReply:", Reply: r, Reward: float64(i) - 1, Valid: i != 0, Done: i == 2, Source: "policy-round-1",
		})
	}
	e.Turns[1].Image = []byte("not a png") // must not be embedded
	return e
}

func TestHTMLReport(t *testing.T) {
	dir := t.TempDir()
	ep := testEpisode(t)
	s, err := metrics.Summarize([]dataset.Episode{ep, ep})
	if err != nil {
		t.Fatal(err)
	}
	curve, err := CurvesPNG(map[string][]Point{"a": {{X: 0, Y: 1}, {X: 1, Y: 2}}}, "curve", "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	r := Report{
		Title:   "Results <b>v1</b>",
		Metrics: append([]string{"extra"}, SummaryMetrics...),
		Rows:    []Row{SummaryRow("afsft", s), SummaryRow(`sft<img src=x onerror="alert(1)">`, s)},
		Figures: []Figure{{Title: "success", PNG: curve}, {Title: "return", PNG: curve}},
		Replays: []Replay{{Title: "episode 7", Episode: ep}},
	}
	path := filepath.Join(dir, "report.html")
	if err := WriteHTML(path, r); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	els := parseHTML(t, doc)

	if n := len(find(els, "script", "")); n != 0 {
		t.Fatalf("%d <script> elements: a reply was not escaped", n)
	}
	if !strings.Contains(doc, "&lt;script&gt;") {
		t.Fatal("escaped reply text missing")
	}
	if n := len(find(els, "b", "")); n != 0 {
		t.Fatalf("%d <b> elements from text fields", n)
	}
	replies := find(els, "pre", "reply")
	if len(replies) != len(ep.Turns) {
		t.Fatalf("%d replies shown, want %d", len(replies), len(ep.Turns))
	}
	for i, p := range replies {
		if p.text != ep.Turns[i].Reply {
			t.Fatalf("reply %d shows %q, want %q", i, p.text, ep.Turns[i].Reply)
		}
	}
	prompts := find(els, "pre", "prompt")
	details := find(els, "details", "")
	if len(prompts) != len(ep.Turns) || len(details) != len(ep.Turns) || prompts[0].text != ep.Turns[0].Prompt {
		t.Fatalf("%d prompts in %d <details>, first %q", len(prompts), len(details), prompts[0].text)
	}
	for _, p := range prompts {
		if p.path[len(p.path)-1] != "details" {
			t.Fatal("prompt is not inside a collapsible <details>")
		}
	}
	invalid := find(els, "div", "invalid")
	if len(invalid) != 1 || !strings.Contains(invalid[0].text, "invalid") {
		t.Fatalf("%d turns marked invalid, want 1", len(invalid))
	}

	// Images: 2 figures + 2 turns with real PNGs, all embedded as data URLs.
	imgs := find(els, "img", "")
	if len(imgs) != 4 {
		t.Fatalf("%d images, want 4", len(imgs))
	}
	for _, im := range imgs {
		src := im.attrs["src"]
		b64, ok := strings.CutPrefix(src, "data:image/png;base64,")
		if !ok {
			t.Fatalf("image src %.40q is not an embedded PNG", src)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		decodePNG(t, b)
	}
	if strings.Contains(doc, "http://") || strings.Contains(doc, "https://") {
		t.Fatal("report refers to external resources")
	}

	// Table: header + 2 rows, one column per metric plus the method.
	table := find(els, "table", "")
	rows := find(els, "tr", "")
	if len(table) != 1 || len(rows) != 3 {
		t.Fatalf("%d tables, %d rows", len(table), len(rows))
	}
	cells := find(els, "td", "")
	if len(cells) != 2*(1+len(r.Metrics)) {
		t.Fatalf("%d cells", len(cells))
	}
	if cells[0].text != "afsft" || cells[1].text != "–" {
		t.Fatalf("first cells %q %q", cells[0].text, cells[1].text)
	}
	acc := s.SyntaxAccuracy // 4 of 6 replies valid
	for _, want := range []string{fmt.Sprintf("%.3f", 4.0/6), fmt.Sprintf("[%.3f, %.3f]", acc.Lo, acc.Hi), "n=6"} {
		if !strings.Contains(cells[2].text, want) {
			t.Fatalf("syntax cell %q lacks %q", cells[2].text, want)
		}
	}
	if cells[1+len(r.Metrics)].text != `sft<img src=x onerror="alert(1)">` {
		t.Fatalf("method name shown as %q", cells[1+len(r.Metrics)].text)
	}
	title := find(els, "h1", "")
	if len(title) != 1 || title[0].text != r.Title {
		t.Fatalf("title %v", title)
	}
}

func TestHTMLReportMinimal(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderHTML(&buf, Report{}); err != nil {
		t.Fatal(err)
	}
	els := parseHTML(t, buf.String())
	if len(find(els, "table", "")) != 0 || len(find(els, "h1", "")) != 1 {
		t.Fatal("empty report should have a title and nothing else")
	}
	if err := WriteHTML("", Report{}); err == nil {
		t.Fatal("empty path accepted")
	}
	if err := WriteHTML(filepath.Join(t.TempDir(), "no", "r.html"), Report{}); err == nil {
		t.Fatal("missing directory accepted")
	}
}
