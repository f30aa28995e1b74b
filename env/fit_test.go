package env

import (
	"strings"
	"testing"
)

func TestFitPrompt(t *testing.T) {
	task := Task{Goal: "click OK", Actions: "click(#id) clicks an element", Example: "click(#1)"}
	obs := Observation{Text: "Instruction: click OK\nElements:\n#1 button \"OK\"\n#2 span \"a\"\n#3 span \"a line much longer than the note that replaces it\""}
	syn := DefaultSyntax()
	full := Prompt(task, obs, syn)
	under := func(n int) func(string) bool { return func(p string) bool { return len(p) <= n } }

	if p, cuts := FitPrompt(full, under(len(full))); p != full || cuts != 0 {
		t.Errorf("a fitting prompt changed (%d cuts):\n%s", cuts, p)
	}
	// Element lines go from the end, with a note; the instruction stays.
	n := len(full) - len("\n#3 span \"a line much longer than the note that replaces it\"") + len("\n(1 observation lines cut to fit)")
	p, cuts := FitPrompt(full, under(n))
	if !fitsIn(p, n) || !strings.Contains(p, "#2 span") || strings.Contains(p, "#3 span") || cuts < 1 || !strings.Contains(p, "observation lines cut to fit") ||
		!strings.Contains(p, "#1 button") || !strings.HasSuffix(p, "\nReply:") {
		t.Errorf("cut prompt (%d cuts):\n%s", cuts, p)
	}
	// Tighter than the head plus one observation line: the head is cut too.
	p, _ = FitPrompt(full, under(100))
	if !fitsIn(p, 100) || !strings.HasSuffix(p, "\nReply:") || !strings.Contains(p, "[...]") {
		t.Errorf("head cut:\n%q", p)
	}
	// A prompt without an observation is cut in its text.
	bare := Prompt(task, Observation{}, syn)
	if p, _ := FitPrompt(bare, under(40)); !fitsIn(p, 40) || !strings.HasSuffix(p, "\nReply:") {
		t.Errorf("bare prompt cut to %q", p)
	}
	// History goes before the current observation is touched.
	hist := PromptWithHistory(task, obs, syn, []Past{{Obs: "old view", Action: "click(#2)"}})
	if p, cuts := FitPrompt(hist, under(len(full))); p != full || cuts != 1 {
		t.Errorf("history prompt cut to (%d cuts):\n%s", cuts, p)
	}
}

func fitsIn(p string, n int) bool { return len(p) <= n }

// Edge cases of the cut policy, each with the prompt FitPrompt must give
// and the cuts it must count (turns, observation lines, and one for a cut
// of the text before the observation).
func TestFitPromptEdges(t *testing.T) {
	task := Task{Goal: "go", Actions: "a or b", Example: "a"}
	syn := DefaultSyntax()
	three := Observation{Text: "first\nsecond\nthird, longer than the note that replaces it"}
	full := Prompt(task, three, syn)
	hist := PromptWithHistory(task, three, syn, []Past{{Obs: "old", Action: "a"}, {Action: "b"}})
	bare := Prompt(task, Observation{}, syn)
	one := Prompt(task, Observation{Text: "only line"}, syn)
	tests := []struct {
		name   string
		prompt string
		limit  int // fits: len(p) <= limit; -1: nothing fits
		want   string
		cuts   int
	}{
		{"exactly at the limit", full, len(full), full, 0},
		{"history prompt exactly at the limit", hist, len(hist), hist, 0},
		{"both turns dropped, then fits", hist, len(full), full, 2},
		{"one observation line cut", full, len(full) - len("\nthird, longer than the note that replaces it") + len("\n(1 observation lines cut to fit)"),
			"Goal: go\nActions: a or b\nAnswer in the form: [action] a\nObservation: first\nsecond\n(1 observation lines cut to fit)\nReply:", 1},
		{"no observation: only the head is cut", bare, 20, "Goal: g [...]\nReply:", 1},
		{"no observation, nothing fits", bare, -1, " [...]\nReply:", 1},
		{"one observation line: the head goes, the line stays", one, 44, "Goal: go [...]\nObservation: only line\nReply:", 1},
		{"two lines cut and the head", full, -1, " [...]\nObservation: first\n(2 observation lines cut to fit)\nReply:", 3},
		{"history, lines and head", hist, -1, " [...]\nObservation: first\n(2 observation lines cut to fit)\nReply:", 5},
		{"empty prompt", "", -1, "", 0},
		{"the reply cue alone", "\nReply:", -1, "\nReply:", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fits := func(p string) bool { return tc.limit >= 0 && len(p) <= tc.limit }
			got, cuts := FitPrompt(tc.prompt, fits)
			if got != tc.want || cuts != tc.cuts {
				t.Errorf("got (%d cuts)\n%q\nwant (%d cuts)\n%q", cuts, got, tc.cuts, tc.want)
			}
		})
	}
}
