package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The documentation's limits: a README a new user can read, and lines a
// reviewer can diff.
const (
	maxReadmeLines = 250
	maxDocLineLen  = 600 // characters
)

// docFiles are README.md and docs/*.md, relative to the repository root,
// with their contents.
func docFiles(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no docs/*.md pages")
	}
	names = append(names, filepath.Join("..", "README.md"))
	files := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	return files
}

// TestDocsShape fails when README.md grows past maxReadmeLines or any
// line of README.md or docs/*.md is longer than maxDocLineLen characters.
func TestDocsShape(t *testing.T) {
	for name, text := range docFiles(t) {
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if filepath.Base(name) == "README.md" && len(lines) > maxReadmeLines {
			t.Errorf("%s has %d lines, want at most %d: move detail to docs/", name, len(lines), maxReadmeLines)
		}
		for i, l := range lines {
			if n := utf8.RuneCountInString(l); n > maxDocLineLen {
				t.Errorf("%s:%d has %d characters, want at most %d", name, i+1, n, maxDocLineLen)
			}
		}
	}
}

// mdLink matches the target of a Markdown link or image: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsLinks fails when a relative link in README.md or docs/*.md
// points to a file that does not exist. Web links and in-page anchors
// are not checked.
func TestDocsLinks(t *testing.T) {
	for name, text := range docFiles(t) {
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(filepath.Dir(name), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", name, m[1])
			}
		}
	}
}

// tableHeader is the first line of every table vlmq table prints.
const tableHeader = "| env | method | syntax accuracy | success rate | mean return | episodes |"

// tableCommands lists the folder arguments of every `bin/vlmq table`
// command a page shows, in code blocks (where a line ending in a
// backslash continues on the next) or in inline code.
func tableCommands(text string) [][]string {
	var cmds [][]string
	add := func(line string) {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == "bin/vlmq" && f[1] == "table" {
			cmds = append(cmds, f[2:])
		}
	}
	fence, cont := false, ""
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			fence, cont = !fence, ""
			continue
		}
		if fence {
			if s, ok := strings.CutSuffix(l, `\`); ok {
				cont += s + " "
				continue
			}
			add(cont + l)
			cont = ""
			continue
		}
		for i, span := range strings.Split(l, "`") {
			if i%2 == 1 {
				add(span)
			}
		}
	}
	return cmds
}

// tables returns every Markdown table of text that starts with
// tableHeader, each with its trailing newline.
func tables(text string) []string {
	var out []string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] != tableHeader {
			continue
		}
		var b strings.Builder
		for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			b.WriteString(lines[i] + "\n")
		}
		out = append(out, b.String())
	}
	return out
}

// TestDocsTables fails when a results table in README.md or docs/*.md is
// not exactly what one of the `bin/vlmq table` commands on the same page
// prints from the committed results/ folders, or when such a command
// fails: every figure in a table comes from a committed run, with the
// command that shows it. A command over folders outside results/ (the
// README's examples over runs/) shows the usage and is not run.
func TestDocsTables(t *testing.T) {
	for name, text := range docFiles(t) {
		outputs := map[string]bool{}
		for _, dirs := range tableCommands(text) {
			args := make([]string, len(dirs))
			example := false
			for i, d := range dirs {
				args[i] = d
				if !strings.HasPrefix(d, "-") {
					args[i] = filepath.Join("..", d)
					example = example || !strings.HasPrefix(d, "results/")
				}
			}
			if example {
				continue
			}
			var out bytes.Buffer
			cmd := tableCmd()
			cmd.SetArgs(args)
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			if err := cmd.Execute(); err != nil {
				t.Errorf("%s: bin/vlmq table %s: %v", name, strings.Join(dirs, " "), err)
				continue
			}
			outputs[out.String()] = true
		}
		for i, tb := range tables(text) {
			if !outputs[tb] {
				t.Errorf("%s: results table %d is not the output of any `bin/vlmq table` command on the page:\n%s", name, i+1, tb)
			}
		}
	}
}
