package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
)

// Page is an HTML page of many runs: a section per environment, each a
// table and images that are files beside the page, linked by relative
// names so the folder can be moved or opened anywhere.
type Page struct {
	Title, Notes string
	// Columns head every section's table.
	Columns  []string
	Sections []Section
	// Omitted lists what was left out, under OmittedNote.
	OmittedNote string
	Omitted     []string
}

// Section is one environment's part of a Page.
type Section struct {
	ID, Title string
	Rows      [][]string // one cell per column
	Images    []Image
}

// Image is a picture file beside the page.
type Image struct {
	Src, Alt string
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 90em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child, th:last-child, td:last-child { text-align: left; }
td:last-child { font-family: monospace; }
img { max-width: 100%; display: block; margin: 1em 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Notes}}<p class="notes">{{.}}</p>{{end}}
<ul class="toc">
{{range .Sections}}<li><a href="#{{.ID}}">{{.Title}}</a> ({{len .Rows}} rows)</li>
{{end}}</ul>
{{range .Sections}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<table>
<thead><tr>{{range $.Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{range .Images}}<img src="{{.Src}}" alt="{{.Alt}}"/>
{{end}}</section>
{{end}}{{with .Omitted}}<h2>Left out</h2>
<p>{{$.OmittedNote}}</p>
<ul class="omitted">
{{range .}}<li>{{.}}</li>
{{end}}</ul>
{{end}}</body>
</html>
`))

// RenderPage writes the page to w; html/template escapes every text.
func RenderPage(w io.Writer, p Page) error {
	for _, s := range p.Sections {
		for _, r := range s.Rows {
			if len(r) != len(p.Columns) {
				return fmt.Errorf("report: section %q: a row of %d cells under %d columns", s.Title, len(r), len(p.Columns))
			}
		}
	}
	return pageTmpl.Execute(w, p)
}

// WritePage writes the page to path atomically.
func WritePage(path string, p Page) error {
	var buf bytes.Buffer
	if err := RenderPage(&buf, p); err != nil {
		return fmt.Errorf("report: rendering %s: %w", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}
