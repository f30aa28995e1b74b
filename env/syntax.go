package env

import (
	"fmt"
	"strings"
)

// DefaultMarker introduces the action in a reply: "[action] CHOICE".
const DefaultMarker = "[action]"

// DefaultSyntaxPenalty is the reward for a reply that does not parse.
const DefaultSyntaxPenalty = -1.0

// Syntax says how a choice is written in and read from a reply.
// The zero value is not useful; use DefaultSyntax.
type Syntax struct {
	// Marker precedes the choice. Free text (thoughts) may come before it.
	Marker string
	// CaseSensitive marker matching; choices are matched by the env.
	CaseSensitive bool
}

// DefaultSyntax is "[action] CHOICE".
func DefaultSyntax() Syntax { return Syntax{Marker: DefaultMarker} }

// Format writes a reply that takes the given choice.
func (s Syntax) Format(choice string) string { return s.Marker + " " + choice }

// Describe tells the model how to write its answer, for prompts.
func (s Syntax) Describe(example string) string {
	return fmt.Sprintf("Answer in the form: %s", s.Format(example))
}

// Extract returns the choice text of a reply: the text after the last
// marker, up to the end of that line, with surrounding space trimmed.
// ok is false when the marker is absent or no choice follows it.
func (s Syntax) Extract(reply string) (choice string, ok bool) {
	if s.Marker == "" {
		return "", false
	}
	var i int
	if s.CaseSensitive {
		i = strings.LastIndex(reply, s.Marker)
	} else {
		i = lastIndexFold(reply, s.Marker)
	}
	if i < 0 {
		return "", false
	}
	rest := reply[i+len(s.Marker):]
	if j := strings.IndexAny(rest, "\r\n"); j >= 0 {
		rest = rest[:j]
	}
	rest = strings.TrimSpace(rest)
	return rest, rest != ""
}

// Choose parses a reply against an enumerable set of legal choices, matching
// case-insensitively and returning the canonical spelling from legal.
func (s Syntax) Choose(reply string, legal []string) (string, bool) {
	c, ok := s.Extract(reply)
	if !ok {
		return "", false
	}
	for _, l := range legal {
		if strings.EqualFold(c, l) {
			return l, true
		}
	}
	return "", false
}

// lastIndexFold is a case-insensitive strings.LastIndex that works on the
// original bytes (lower-casing the whole reply would shift byte offsets
// when it holds invalid UTF-8).
func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
