package env

import (
	"strconv"
	"strings"
)

// Past is one earlier turn of an episode as a history prompt shows it.
type Past struct {
	Obs    string // the observation text that turn showed ("" for none)
	Action string // the parsed choice, or InvalidAction
}

// InvalidAction stands in a history for a reply that did not parse. No env
// has a choice of that spelling.
const InvalidAction = "(invalid reply)"

// History keeps the last K turns of one episode for history prompts
// (BALROG keeps 16). K = 0 keeps nothing, and prompts are Prompt's.
type History struct {
	K     int
	turns []Past
}

// Reset forgets the episode.
func (h *History) Reset() { h.turns = h.turns[:0] }

// Add records a finished turn: the observation it showed and what the
// step made of its reply.
func (h *History) Add(obs Observation, info Info) {
	if h.K <= 0 {
		return
	}
	a := info.Action
	if !info.Valid || a == "" {
		a = InvalidAction
	}
	if len(h.turns) == h.K {
		h.turns = append(h.turns[:0], h.turns[1:]...)
	}
	h.turns = append(h.turns, Past{Obs: obs.Text, Action: a})
}

// Prompt is the turn's prompt with the kept turns.
func (h *History) Prompt(t Task, obs Observation, s Syntax) string {
	return PromptWithHistory(t, obs, s, h.turns)
}

// PromptWithHistory is Prompt with earlier turns, oldest first, between
// the reply syntax and the current observation:
//
//	Turn -2 observation: <text>
//	Turn -2 action: left
//	Turn -1 observation: <text>
//	Turn -1 action: (invalid reply)
//
// A turn without observation text (Gym Cards' image mode) shows its action
// alone. With no earlier turns it is exactly Prompt.
func PromptWithHistory(t Task, obs Observation, s Syntax, past []Past) string {
	var b strings.Builder
	promptHead(&b, t, s)
	for i, x := range past {
		n := strconv.Itoa(len(past) - i)
		if x.Obs != "" {
			b.WriteString("\nTurn -" + n + " observation: " + x.Obs)
		}
		b.WriteString("\nTurn -" + n + " action: " + x.Action)
	}
	promptTail(&b, obs)
	return b.String()
}

// CutHistory drops the oldest earlier turns of a PromptWithHistory prompt
// until fits accepts it or none is left, and returns it with the number of
// turns dropped. A prompt without history comes back unchanged, fitting or
// not: a prompt too long without history is the caller's to report.
func CutHistory(prompt string, fits func(string) bool) (string, int) {
	dropped := 0
	for !fits(prompt) {
		p, ok := dropOldest(prompt)
		if !ok {
			break
		}
		prompt = p
		dropped++
	}
	return prompt, dropped
}

// dropOldest removes the oldest turn: from its first line up to the end
// of its action line (the last line of a turn; a choice is one line).
func dropOldest(prompt string) (string, bool) {
	start := strings.Index(prompt, "\nTurn -")
	if start < 0 {
		return prompt, false
	}
	rest := prompt[start+len("\nTurn -"):]
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 {
		return prompt, false
	}
	if _, err := strconv.Atoi(rest[:sp]); err != nil {
		return prompt, false
	}
	act := "\nTurn -" + rest[:sp] + " action: "
	a := strings.Index(prompt[start:], act)
	if a < 0 {
		return prompt, false
	}
	end := start + a + len(act)
	if nl := strings.IndexByte(prompt[end:], '\n'); nl >= 0 {
		end += nl
	} else {
		end = len(prompt)
	}
	return prompt[:start] + prompt[end:], true
}
