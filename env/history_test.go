package env

import (
	"strings"
	"testing"
)

var histTask = Task{Goal: "reach 3", Actions: "+ or -", Example: "+"}

func TestPromptWithoutHistoryIsPrompt(t *testing.T) {
	for _, obs := range []Observation{{Text: "Current: 1"}, {}, {Text: "a wall 1 step forward\na red ball 2 steps forward"}} {
		want := Prompt(histTask, obs, DefaultSyntax())
		if got := PromptWithHistory(histTask, obs, DefaultSyntax(), nil); got != want {
			t.Errorf("no history:\n%s\nwant\n%s", got, want)
		}
		var h History // K = 0 keeps nothing
		h.Add(obs, Info{Valid: true, Action: "+"})
		if got := h.Prompt(histTask, obs, DefaultSyntax()); got != want {
			t.Errorf("K=0 history:\n%s\nwant\n%s", got, want)
		}
	}
}

// Several turns through a History of 2: the oldest falls out, an invalid
// reply shows as such, a turn without text shows its action alone, and a
// multi-line observation keeps its lines.
func TestHistoryOverTurns(t *testing.T) {
	h := History{K: 2}
	syn := DefaultSyntax()
	turns := []struct {
		obs  Observation
		info Info
		want string // the prompt of the turn after this one is added
	}{{
		obs: Observation{Text: "Current: 0"}, info: Info{Valid: true, Action: "+"},
		want: "Goal: reach 3\nActions: + or -\nAnswer in the form: [action] +\n" +
			"Turn -1 observation: Current: 0\nTurn -1 action: +\n" +
			"Observation: NOW\nReply:",
	}, {
		obs: Observation{Text: "Current: 1"}, info: Info{Reason: "no choice"},
		want: "Goal: reach 3\nActions: + or -\nAnswer in the form: [action] +\n" +
			"Turn -2 observation: Current: 0\nTurn -2 action: +\n" +
			"Turn -1 observation: Current: 1\nTurn -1 action: (invalid reply)\n" +
			"Observation: NOW\nReply:",
	}, {
		obs: Observation{}, info: Info{Valid: true, Action: "-"},
		want: "Goal: reach 3\nActions: + or -\nAnswer in the form: [action] +\n" +
			"Turn -2 observation: Current: 1\nTurn -2 action: (invalid reply)\n" +
			"Turn -1 action: -\n" +
			"Observation: NOW\nReply:",
	}, {
		obs: Observation{Text: "line one\nline two"}, info: Info{Valid: true, Action: "+"},
		want: "Goal: reach 3\nActions: + or -\nAnswer in the form: [action] +\n" +
			"Turn -2 action: -\n" +
			"Turn -1 observation: line one\nline two\nTurn -1 action: +\n" +
			"Observation: NOW\nReply:",
	}}
	for i, tc := range turns {
		h.Add(tc.obs, tc.info)
		if got := h.Prompt(histTask, Observation{Text: "NOW"}, syn); got != tc.want {
			t.Errorf("after turn %d:\n%s\nwant\n%s", i, got, tc.want)
		}
	}
	h.Reset()
	if got, want := h.Prompt(histTask, Observation{Text: "NOW"}, syn), Prompt(histTask, Observation{Text: "NOW"}, syn); got != want {
		t.Errorf("after Reset:\n%s\nwant\n%s", got, want)
	}
}

func TestCutHistory(t *testing.T) {
	past := []Past{
		{Obs: "first\nfirst again", Action: "+"},
		{Obs: "", Action: "-"},
		{Obs: "third", Action: InvalidAction},
	}
	obs := Observation{Text: "now\nand more"}
	full := PromptWithHistory(histTask, obs, DefaultSyntax(), past)
	keep := func(n int) string { return PromptWithHistory(histTask, obs, DefaultSyntax(), past[len(past)-n:]) }
	bare := Prompt(histTask, obs, DefaultSyntax())
	tests := []struct {
		name    string
		limit   int // fits: len(prompt) <= limit
		want    string
		dropped int
	}{
		{"fits whole", len(full), full, 0},
		{"one too long", len(full) - 1, keep(2), 1},
		{"two turns dropped", len(keep(1)), keep(1), 2},
		{"history gone", len(bare), bare, 3},
		{"too long even without history", len(bare) - 1, bare, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, n := CutHistory(full, func(p string) bool { return len(p) <= tc.limit })
			if got != tc.want || n != tc.dropped {
				t.Errorf("dropped %d, got\n%s\nwant (%d dropped)\n%s", n, got, tc.dropped, tc.want)
			}
		})
	}
	if got, n := CutHistory(bare, func(string) bool { return false }); got != bare || n != 0 {
		t.Errorf("a prompt without history changed: %d dropped\n%s", n, got)
	}
	if !strings.Contains(keep(1), "Turn -1 observation: third") || strings.Contains(keep(1), "Turn -2") {
		t.Errorf("keep(1) = %q", keep(1))
	}
}
