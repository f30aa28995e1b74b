// Package report draws learning curves as PNG and writes a self-contained
// HTML report: a results table, the curves, and episode replays.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"vlmq/atomicfile"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one point of a learning curve. When Lo < Hi, [Lo, Hi] is an
// interval for Y drawn as a shaded band; leave both zero for none.
type Point struct {
	X, Y   float64
	Lo, Hi float64
}

// Curve image size.
const (
	CurveWidth  = 6 * vg.Inch
	CurveHeight = 4 * vg.Inch
)

// CurvesPNG renders one line per series (sorted by name, points sorted by
// X) and returns the PNG bytes.
func CurvesPNG(series map[string][]Point, title, xlabel, ylabel string) ([]byte, error) {
	if len(series) == 0 {
		return nil, errors.New("report: Curves: no series")
	}
	p := newPlot(title, xlabel, ylabel)
	p.Legend.Top = true
	if err := addSeries(p, series, nil, &p.Legend); err != nil {
		return nil, err
	}
	// Leave headroom above the data for the legend (top right).
	p.Y.Max += 0.07 * float64(len(series)+1) * (p.Y.Max - p.Y.Min)
	wt, err := p.WriterTo(CurveWidth, CurveHeight, "png")
	if err != nil {
		return nil, fmt.Errorf("report: Curves: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: Curves: rendering: %w", err)
	}
	return buf.Bytes(), nil
}

// newPlot is a plot with a title, axis labels and a grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	return p
}

// addSeries draws one line per series on p, sorted by name, with its
// interval band, and lists each in legend unless that is nil. A series'
// colour is the palette's colours[name], or by its place in that order
// when colours is nil.
func addSeries(p *plot.Plot, series map[string][]Point, colours map[string]int, legend *plot.Legend) error {
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, name := range names {
		pts := slices.Clone(series[name])
		if len(pts) == 0 {
			return fmt.Errorf("report: Curves: series %q has no points", name)
		}
		for j, pt := range pts {
			for _, v := range []float64{pt.X, pt.Y, pt.Lo, pt.Hi} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("report: Curves: series %q point %d is not finite: %+v", name, j, pt)
				}
			}
		}
		sort.SliceStable(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
		col := plotutil.Color(i)
		if colours != nil {
			col = plotutil.Color(colours[name])
		}
		if band := bandPolygon(pts, col); band != nil {
			p.Add(band)
		}
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			xys[j] = plotter.XY{X: pt.X, Y: pt.Y}
		}
		line, marks, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("report: Curves: series %q: %w", name, err)
		}
		line.Color = col
		line.Width = vg.Points(1.5)
		marks.Color = col
		marks.Shape = draw.CircleGlyph{}
		marks.Radius = vg.Points(2)
		p.Add(line, marks)
		if legend != nil {
			legend.Add(name, line, marks)
		}
	}
	return nil
}

// bandPolygon shades [Lo, Hi] across the points that have an interval;
// nil when none do.
func bandPolygon(pts []Point, col color.Color) *plotter.Polygon {
	var upper, lower plotter.XYs
	for _, pt := range pts {
		if pt.Lo < pt.Hi {
			upper = append(upper, plotter.XY{X: pt.X, Y: pt.Hi})
			lower = append(lower, plotter.XY{X: pt.X, Y: pt.Lo})
		}
	}
	if len(upper) < 2 {
		return nil
	}
	slices.Reverse(lower)
	poly, err := plotter.NewPolygon(append(upper, lower...))
	if err != nil {
		return nil
	}
	r, g, b, _ := col.RGBA()
	poly.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 60}
	poly.LineStyle.Width = 0
	return poly
}

// Curves writes the learning-curve PNG to path atomically.
func Curves(path string, series map[string][]Point, title, xlabel, ylabel string) error {
	png, err := CurvesPNG(series, title, xlabel, ylabel)
	if err != nil {
		return err
	}
	return writeAtomic(path, png)
}

func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("report: replacing %s: %w", path, err)
	}
	return nil
}
