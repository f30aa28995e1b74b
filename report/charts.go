package report

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Bar is one bar of BarsPNG: a value with its interval [Lo, Hi].
type Bar struct {
	Label         string
	Value, Lo, Hi float64
	// Group is the bar's colour: the rows of one run share it.
	Group int
}

// Bar chart sizes: a bar chart grows with its rows, so that 50 rows stay
// readable.
const (
	BarsWidth  = 10 * vg.Inch
	barsMargin = 1.2 * vg.Inch
	barRow     = 0.24 * vg.Inch
)

// BarsPNG draws one horizontal bar per value, the first at the top, each
// with its interval as an error bar, on an x axis from xmin to xmax.
func BarsPNG(bars []Bar, title, xlabel string, xmin, xmax float64) ([]byte, error) {
	if len(bars) == 0 {
		return nil, errors.New("report: Bars: no bars")
	}
	n := len(bars)
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	p.Add(grid)
	// Row i from the top sits at y = n-1-i; each run of one group is one
	// bar chart of its own colour.
	labels := make([]string, n)
	xys := make(plotter.XYs, n)
	errs := make(plotter.XErrors, n)
	for start := 0; start < n; {
		end := start + 1
		for end < n && bars[end].Group == bars[start].Group {
			end++
		}
		var vals plotter.Values
		for i := end - 1; i >= start; i-- {
			b := bars[i]
			for _, v := range []float64{b.Value, b.Lo, b.Hi} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("report: Bars: bar %q is not finite: %+v", b.Label, b)
				}
			}
			vals = append(vals, b.Value)
			labels[n-1-i] = b.Label
			xys[n-1-i] = plotter.XY{X: b.Value, Y: float64(n - 1 - i)}
			errs[n-1-i] = struct{ Low, High float64 }{Low: max(b.Value-b.Lo, 0), High: max(b.Hi-b.Value, 0)}
		}
		bc, err := plotter.NewBarChart(vals, 0.6*barRow)
		if err != nil {
			return nil, fmt.Errorf("report: Bars: %w", err)
		}
		bc.Horizontal = true
		bc.XMin = float64(n - end)
		bc.Color = plotutil.Color(bars[start].Group)
		bc.LineStyle.Width = 0
		p.Add(bc)
		start = end
	}
	eb, err := plotter.NewXErrorBars(struct {
		plotter.XYs
		plotter.XErrors
	}{xys, errs})
	if err != nil {
		return nil, fmt.Errorf("report: Bars: %w", err)
	}
	p.Add(eb)
	p.NominalY(labels...)
	p.X.Min, p.X.Max = xmin, xmax
	return encodePNG(BarsWidth, barsMargin+vg.Length(n)*barRow, func(dc draw.Canvas) { p.Draw(dc) })
}

// Rounds chart sizes: two panels side by side, the legend beneath.
const (
	RoundsWidth  = 10 * vg.Inch
	roundsHeight = 3.5 * vg.Inch
	legendRow    = 0.2 * vg.Inch
)

// RoundsPNG draws success rate and syntax accuracy, in percent, against
// the online round, side by side: one line per series (a run, by name),
// each with its interval as a band, and one legend under both panels.
// The two maps must name the same series; colours gives each series'
// place in the palette (as Bar.Group does), so that a run has one colour
// in every chart.
func RoundsPNG(success, syntax map[string][]Point, colours map[string]int, title string) ([]byte, error) {
	if len(success) == 0 || len(success) != len(syntax) {
		return nil, fmt.Errorf("report: Rounds: %d success and %d syntax series, want the same, at least one", len(success), len(syntax))
	}
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	var panels []*plot.Plot
	last := 0.0
	for i, s := range []map[string][]Point{success, syntax} {
		name := []string{"success rate", "syntax accuracy"}[i]
		p := newPlot(title+": "+name, "online round (0: before the first)", name+" (%)")
		l := &legend
		if i > 0 {
			l = nil // the same series in the same colours
		}
		if err := addSeries(p, s, colours, l); err != nil {
			return nil, err
		}
		last = max(last, p.X.Max)
		p.Y.Min, p.Y.Max = 0, 100
		panels = append(panels, p)
	}
	for _, p := range panels {
		p.X.Tick.Marker = roundTicks(int(math.Ceil(last)))
		p.X.Min, p.X.Max = min(p.X.Min, 0), max(last, 1)
	}
	strip := vg.Length(len(success))*legendRow + 0.2*vg.Inch
	return encodePNG(RoundsWidth, roundsHeight+strip, func(dc draw.Canvas) {
		top := draw.Crop(dc, 0, 0, strip, 0)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4, PadTop: vg.Inch / 10, PadLeft: vg.Inch / 10, PadRight: vg.Inch / 10}
		for j, c := range plot.Align([][]*plot.Plot{panels}, tiles, top)[0] {
			panels[j].Draw(c)
		}
		bottom := dc
		bottom.Min.X += vg.Inch / 2
		bottom.Max.Y = dc.Min.Y + strip - vg.Inch/10
		legend.Draw(bottom)
	})
}

// roundTicks marks every round 0..last, at most about 12 labels.
func roundTicks(last int) plot.ConstantTicks {
	step := max(1, (last+11)/12)
	var ticks plot.ConstantTicks
	for r := 0; r <= last; r++ {
		t := plot.Tick{Value: float64(r)}
		if r%step == 0 {
			t.Label = fmt.Sprint(r)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// encodePNG draws onto a white w×h image and returns its PNG bytes.
func encodePNG(w, h vg.Length, drawOn func(draw.Canvas)) ([]byte, error) {
	img := vgimg.New(w, h)
	drawOn(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering PNG: %w", err)
	}
	return buf.Bytes(), nil
}
