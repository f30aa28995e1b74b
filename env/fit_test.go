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
