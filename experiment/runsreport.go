package experiment

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"vlmq/atomicfile"
	"vlmq/metrics"
	"vlmq/report"
)

// reportColumns are the columns of each env's table in WriteRunsReport:
// vlmq table's, and the run folder of each row.
var reportColumns = []string{"method", "syntax accuracy", "success rate", "mean return", "episodes", "folder"}

// WriteRunsReport writes index.html into dir with a section per env of
// runs (sorted by env, as FindRuns gives them): the rows as vlmq table
// prints them, with their folders; a bar chart of the rows' success
// rates, <stem>.png; and when runs of the env have online rounds, their
// success and syntax accuracy per round, <stem>-rounds.png. The stem is
// the env's name as a file name (ChartStems). noEvals are the training
// runs left out for want of evaluations.
func WriteRunsReport(dir, title string, runs []Run, noEvals []string) error {
	page := report.Page{Title: title, Columns: reportColumns,
		Notes: "Every run folder found: demo runs (demo.json), evaluations (vlmq eval --out: eval.json) and training runs (vlmq train --out: spec.json and evals/). " +
			"Success rate and syntax accuracy carry 95% Wilson intervals, mean return a Student-t interval; the bars show success rates with their intervals. " +
			"Round 0 of an online chart is the offline evaluation the rounds continue (a demo's AFSFT row).",
		OmittedNote: "Training runs without evaluations (no evals/ folder):", Omitted: noEvals}
	stems := ChartStems(runs)
	for start := 0; start < len(runs); {
		end := start + 1
		for end < len(runs) && runs[end].Env == runs[start].Env {
			end++
		}
		s, err := writeEnvSection(dir, stems[runs[start].Env], runs[start:end])
		if err != nil {
			return err
		}
		page.Sections = append(page.Sections, s)
		start = end
	}
	return report.WritePage(filepath.Join(dir, "index.html"), page)
}

// writeEnvSection writes the charts of one env's runs and returns its
// section of the page.
func writeEnvSection(dir, stem string, runs []Run) (report.Section, error) {
	env := runs[0].Env
	s := report.Section{ID: stem, Title: env}
	labels, colours := runLabels(runs), runColours(runs)
	var bars []report.Bar
	success, syntax := map[string][]report.Point{}, map[string][]report.Point{}
	roundColours := map[string]int{}
	for i, r := range runs {
		for _, row := range r.Rows {
			sm := row.Summary
			s.Rows = append(s.Rows, []string{row.Method, pct(sm.SyntaxAccuracy), pct(sm.SuccessRate), num(sm.MeanReturn), strconv.Itoa(sm.Episodes), r.Dir})
			// A training run's rows name its folder already.
			method := strings.TrimSuffix(row.Method, " ("+filepath.Base(filepath.Clean(r.Dir))+")")
			sr := sm.SuccessRate
			bars = append(bars, report.Bar{Label: method + " · " + labels[i], Value: 100 * sr.Value, Lo: 100 * sr.Lo, Hi: 100 * sr.Hi, Group: colours[i]})
		}
		for _, rd := range r.Rounds {
			roundColours[labels[i]] = colours[i]
			success[labels[i]] = append(success[labels[i]], percentPoint(rd.N, rd.Summary.SuccessRate))
			syntax[labels[i]] = append(syntax[labels[i]], percentPoint(rd.N, rd.Summary.SyntaxAccuracy))
		}
	}
	if len(bars) == 0 {
		return s, nil // runs with empty results.json
	}
	png, err := report.BarsPNG(bars, env+": success rate per row (95% intervals)", "success rate (%)", 0, 100)
	if err != nil {
		return s, fmt.Errorf("experiment: %s chart: %w", env, err)
	}
	if err := writeImage(dir, stem+".png", png, &s, env+": success rate of each row"); err != nil {
		return s, err
	}
	if len(success) == 0 {
		return s, nil
	}
	if png, err = report.RoundsPNG(success, syntax, roundColours, env); err != nil {
		return s, fmt.Errorf("experiment: %s rounds chart: %w", env, err)
	}
	return s, writeImage(dir, stem+"-rounds.png", png, &s, env+": success rate and syntax accuracy per online round")
}

// writeImage writes a chart beside the page and links it from s.
func writeImage(dir, name string, png []byte, s *report.Section, alt string) error {
	if err := atomicfile.Write(filepath.Join(dir, name), png); err != nil {
		return err
	}
	s.Images = append(s.Images, report.Image{Src: name, Alt: alt})
	return nil
}

func percentPoint(round int, e metrics.Estimate) report.Point {
	return report.Point{X: float64(round), Y: 100 * e.Value, Lo: 100 * e.Lo, Hi: 100 * e.Hi}
}

// runColours are the palette places of one env's runs in its charts:
// the runs with online rounds first, so that the few lines of the rounds
// chart get distinct colours, then the others.
func runColours(runs []Run) []int {
	colours := make([]int, len(runs))
	next := 0
	for _, online := range []bool{true, false} {
		for i, r := range runs {
			if (r.Rounds != nil) == online {
				colours[i] = next
				next++
			}
		}
	}
	return colours
}

// runLabels name one env's runs in its charts: each folder's path below
// the folder all of them share (its own name for that folder itself),
// or the whole path when those names would clash.
func runLabels(runs []Run) []string {
	abs := make([]string, len(runs))
	for i, r := range runs {
		a, err := filepath.Abs(r.Dir)
		if err != nil {
			a = filepath.Clean(r.Dir)
		}
		abs[i] = a
	}
	common := abs[0]
	for _, a := range abs[1:] {
		for common != filepath.Dir(common) && a != common && !strings.HasPrefix(a, common+string(filepath.Separator)) {
			common = filepath.Dir(common)
		}
	}
	labels := make([]string, len(runs))
	seen := map[string]bool{}
	for i, a := range abs {
		l, err := filepath.Rel(common, a)
		if err != nil || l == "." {
			l = filepath.Base(a)
		}
		if seen[l] {
			for j, r := range runs {
				labels[j] = r.Dir
			}
			return labels
		}
		seen[l], labels[i] = true, l
	}
	return labels
}

// ChartStems gives each env of runs the stem of its chart files: its
// name with "/" (and anything else a file or link name should not hold)
// as "-", such as babyai-GoToLocal; an env whose files would meet
// another's (babyai/x and babyai-x, or x-rounds and x's rounds chart,
// also in another letter case) gets -2, -3, ... in the order of runs.
func ChartStems(runs []Run) map[string]string {
	stems, used := map[string]string{}, map[string]bool{}
	for _, r := range runs {
		if _, ok := stems[r.Env]; ok {
			continue
		}
		base := strings.Map(func(c rune) rune {
			if c == '.' || c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				return c
			}
			return '-'
		}, r.Env)
		if base == "" || base[0] == '.' {
			base = "env" + base // no hidden files
		}
		stem := base
		taken := func(s string) bool { s = strings.ToLower(s); return used[s] || used[s+"-rounds"] }
		for n := 2; taken(stem); n++ {
			stem = fmt.Sprintf("%s-%d", base, n)
		}
		used[strings.ToLower(stem)], used[strings.ToLower(stem)+"-rounds"] = true, true
		stems[r.Env] = stem
	}
	return stems
}
