package report

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"

	"vlmq/dataset"
	"vlmq/metrics"
)

// Row is one method's results: metric name -> estimate.
type Row struct {
	Method string
	Values map[string]metrics.Estimate
}

// Figure is an embedded PNG (e.g. from CurvesPNG).
type Figure struct {
	Title string
	PNG   []byte
}

// Replay is an episode shown turn by turn.
type Replay struct {
	Title   string
	Episode dataset.Episode
}

// Report is the content of an HTML report.
type Report struct {
	Title string
	Notes string // free text shown under the title
	// Metrics are the table's columns in order; Rows its rows.
	Metrics []string
	Rows    []Row
	Figures []Figure
	Replays []Replay
}

// Summary metric names, for SummaryRow.
const (
	MetricSyntax  = "syntax accuracy"
	MetricSuccess = "success rate"
	MetricReturn  = "mean return"
)

// SummaryMetrics lists the columns filled by SummaryRow.
var SummaryMetrics = []string{MetricSyntax, MetricSuccess, MetricReturn}

// SummaryRow makes a table row from an evaluation summary.
func SummaryRow(method string, s metrics.Summary) Row {
	return Row{Method: method, Values: map[string]metrics.Estimate{
		MetricSyntax:  s.SyntaxAccuracy,
		MetricSuccess: s.SuccessRate,
		MetricReturn:  s.MeanReturn,
	}}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngURL embeds PNG bytes as a data URL. Only bytes that start like a PNG
// are embedded; the base64 alphabet cannot break out of the attribute, so
// marking the URL safe is sound.
func pngURL(b []byte) template.URL {
	if !bytes.HasPrefix(b, pngSignature) {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "−∞"
	}
	return fmt.Sprintf("%.3f", x)
}

type cellView struct {
	Value, Interval string
	N               int
	Missing         bool
}

type rowView struct {
	Method string
	Cells  []cellView
}

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pngURL": pngURL,
	"num":    fmtNum,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 80em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.ci { color: #666; font-size: 85%; }
.turn { display: flex; gap: 1em; border-top: 1px solid #ddd; padding: 0.5em 0; }
.turn img { image-rendering: pixelated; max-width: 300px; }
.invalid { background: #fdd; }
pre { white-space: pre-wrap; margin: 0.2em 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Notes}}<p class="notes">{{.}}</p>{{end}}
{{if .Rows}}<h2>Results</h2>
<p>95% intervals: Wilson score for proportions, Student t for mean return.</p>
<table id="results">
<thead><tr><th>method</th>{{range .Metrics}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Method}}</td>{{range .Cells}}<td>{{if .Missing}}–{{else}}{{.Value}} <span class="ci">[{{.Interval}}] n={{.N}}</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody>
</table>{{end}}
{{if .Figures}}<h2>Learning curves</h2>
{{range .Figures}}<figure><img src="{{pngURL .PNG}}" alt="{{.Title}}"/><figcaption>{{.Title}}</figcaption></figure>
{{end}}{{end}}
{{if .Replays}}<h2>Episode replays</h2>
{{range .Replays}}<section class="replay">
<h3>{{.Title}}</h3>
<p>env {{.Episode.Env}}, seed {{.Episode.Seed}}, episode {{.Episode.ID}}, source {{.Episode.Source}}: return {{num .Episode.Return}}, {{if .Episode.Success}}success{{else}}no success{{end}}, {{len .Episode.Turns}} turns</p>
{{range .Episode.Turns}}<div class="turn{{if not .Valid}} invalid{{end}}">
<div>{{with pngURL .Image}}<img src="{{.}}" alt="observation"/>{{else}}<em>no image</em>{{end}}</div>
<div>
<p>turn {{.Turn}}: reward {{num .Reward}}, {{if .Valid}}valid{{else}}invalid{{end}}{{if .Done}}, done{{end}}</p>
<details><summary>prompt</summary><pre class="prompt">{{.Prompt}}</pre></details>
<pre class="reply">{{.Reply}}</pre>
</div>
</div>
{{end}}</section>
{{end}}{{end}}
</body>
</html>
`))

type view struct {
	Title, Notes string
	Metrics      []string
	Rows         []rowView
	Figures      []Figure
	Replays      []Replay
}

// RenderHTML writes the report to w. All text (replies, prompts, names)
// is escaped by html/template.
func RenderHTML(w io.Writer, r Report) error {
	v := view{Title: r.Title, Notes: r.Notes, Metrics: r.Metrics, Figures: r.Figures, Replays: r.Replays}
	if v.Title == "" {
		v.Title = "vlmq report"
	}
	for _, row := range r.Rows {
		rv := rowView{Method: row.Method}
		for _, m := range r.Metrics {
			e, ok := row.Values[m]
			if !ok {
				rv.Cells = append(rv.Cells, cellView{Missing: true})
				continue
			}
			rv.Cells = append(rv.Cells, cellView{Value: fmtNum(e.Value), Interval: fmtNum(e.Lo) + ", " + fmtNum(e.Hi), N: e.N})
		}
		v.Rows = append(v.Rows, rv)
	}
	return tmpl.Execute(w, v)
}

// WriteHTML writes the report to path atomically.
func WriteHTML(path string, r Report) error {
	if path == "" {
		return errors.New("report: WriteHTML: empty path")
	}
	var buf bytes.Buffer
	if err := RenderHTML(&buf, r); err != nil {
		return fmt.Errorf("report: rendering HTML: %w", err)
	}
	return writeAtomic(path, buf.Bytes())
}
