package experiment

import (
	"fmt"
	"os"
	"path/filepath"

	"vlmq/dataset"
	"vlmq/metrics"
	"vlmq/report"
)

// WriteReport writes curves.png and report.html into out: the results
// table, training curves of each run (smoothed), and a few evaluation
// episodes per method. runs maps a label to a run directory.
func WriteReport(out, title, notes string, results []Result, runs []string, labels []string) error {
	rep := report.Report{Title: title, Notes: notes, Metrics: report.SummaryMetrics}
	for _, r := range results {
		rep.Rows = append(rep.Rows, report.SummaryRow(r.Method, r.Summary))
	}
	for _, metric := range []struct{ name, title string }{
		{"critic_loss", "critic loss (Huber, two critics)"},
		{"kept", "share of reply tokens kept by the actor (A > 0)"},
		{"actor_loss", "actor loss (weighted NLL)"},
	} {
		series := map[string][]report.Point{}
		for i, dir := range runs {
			recs, err := metrics.ReadLog(filepath.Join(dir, "metrics.jsonl"))
			if err != nil {
				if os.IsNotExist(err) {
					continue
				}
				return err
			}
			if pts := smooth(recs, "train", metric.name, 25); len(pts) > 0 {
				series[labels[i]] = pts
			}
		}
		if len(series) == 0 {
			continue
		}
		png, err := report.CurvesPNG(series, metric.title, "gradient step", metric.name)
		if err != nil {
			return fmt.Errorf("experiment: curve %s: %w", metric.name, err)
		}
		if metric.name == "critic_loss" {
			if err := os.WriteFile(filepath.Join(out, "curves.png"), png, 0o644); err != nil {
				return err
			}
		}
		rep.Figures = append(rep.Figures, report.Figure{Title: metric.title, PNG: png})
	}
	for _, r := range results {
		dir := filepath.Join(out, "replays-"+slug(r.Method))
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		st, err := dataset.OpenReadOnly(dir)
		if err != nil {
			return err
		}
		eps, err := st.Episodes()
		if err != nil {
			return err
		}
		for i, e := range eps {
			if i == 2 {
				break
			}
			rep.Replays = append(rep.Replays, report.Replay{Title: fmt.Sprintf("%s — seed %d (return %.2f)", r.Method, e.Seed, e.Return), Episode: e})
		}
	}
	return report.WriteHTML(filepath.Join(out, "report.html"), rep)
}

// smooth returns a trailing moving average of one logged value.
func smooth(recs []metrics.Record, phase, name string, window int) []report.Point {
	var xs, ys []float64
	for _, r := range recs {
		if r.Phase != phase {
			continue
		}
		if v, ok := r.Values[name]; ok {
			xs = append(xs, float64(r.Step))
			ys = append(ys, v)
		}
	}
	var pts []report.Point
	sum := 0.0
	for i := range ys {
		sum += ys[i]
		if i >= window {
			sum -= ys[i-window]
		}
		n := min(i+1, window)
		if i%5 == 4 || i == len(ys)-1 {
			pts = append(pts, report.Point{X: xs[i], Y: sum / float64(n)})
		}
	}
	return pts
}
