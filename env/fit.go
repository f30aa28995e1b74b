package env

import (
	"fmt"
	"strings"
)

// FitPrompt cuts a Prompt or PromptWithHistory prompt until fits accepts
// it, and returns it with the number of cuts made. The policy, in order:
//
//  1. the oldest earlier turns go (CutHistory);
//  2. the current observation loses lines from its end (a web page's
//     element list is in document order, so the elements further down the
//     page go first); its first line stays, and a line
//     "(N observation lines cut to fit)" says what is missing;
//  3. as a last resort the text before the observation is cut at its end,
//     down to nothing, with the marker " [...]".
//
// The reply cue at the end always stays. A prompt that fits comes back
// unchanged; one that cannot be made to fit comes back as short as the
// policy makes it, for the caller to report.
func FitPrompt(prompt string, fits func(string) bool) (string, int) {
	prompt, cuts := CutHistory(prompt, fits)
	if fits(prompt) {
		return prompt, cuts
	}
	head, obs, tail := splitPrompt(prompt)
	lines := strings.Split(obs, "\n")
	build := func(keep int, head string) string {
		o := strings.Join(lines[:keep], "\n")
		if keep < len(lines) {
			o += fmt.Sprintf("\n(%d observation lines cut to fit)", len(lines)-keep)
		}
		if obs == "" {
			return head + tail
		}
		return head + obsMark + o + tail
	}
	// Binary search for the most observation lines that fit (fitting is
	// monotone in the lines kept).
	lo, hi := 1, len(lines)-1
	if !fits(build(1, head)) {
		hi = 0
	}
	for lo <= hi {
		mid := (lo + hi) / 2
		if fits(build(mid, head)) {
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if hi >= 1 {
		return build(hi, head), cuts + len(lines) - hi
	}
	// Even one observation line is too many: cut the head as well. A
	// prompt without observation has no lines to count as cut.
	keep, obsCut := 1, len(lines)-1
	if obs == "" {
		keep, obsCut = 0, 0
	}
	if head == "" {
		return build(keep, head), cuts + obsCut
	}
	lo, hi = 0, len(head)-1
	for lo <= hi {
		mid := (lo + hi) / 2
		if fits(build(keep, cutString(head, mid))) {
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if hi < 0 {
		hi = 0
	}
	return build(keep, cutString(head, hi)), cuts + obsCut + 1
}

// cutString keeps the first n bytes of s (backed off to a rune start)
// and marks the cut.
func cutString(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + " [...]"
}

// splitPrompt splits a prompt into the text before the current
// observation, the observation's body, and the reply cue; obs is "" when the
// prompt has no observation.
func splitPrompt(p string) (head, obs, tail string) {
	const cue = "\nReply:"
	tail = cue
	body := strings.TrimSuffix(p, cue)
	if len(body) == len(p) {
		tail = ""
	}
	i := strings.LastIndex(body, obsMark)
	if i < 0 {
		return body, "", tail
	}
	return body[:i], body[i+len(obsMark):], tail
}

// obsMark starts the current observation in a prompt (see promptTail).
const obsMark = "\nObservation: "
