package pretrain

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Format questions name an answer form ("Answer in the form: [count] 7",
// as an env prompt names "[action] forward") and are answered in it
// ("[count] 3"), so the base learns to follow a bracketed format in
// general. The bracket words are varied and never an env's action
// marker, and the answers are facts, never an expert's choice.
var (
	countWords   = []string{"count", "total", "number"}
	colourWords  = []string{"colour", "color"}
	nameWords    = []string{"name", "entry", "label", "item"}
	valueWords   = []string{"value", "result"}
	genericWords = []string{"answer", "reply", "output", "final", "response"}
)

// formPlaceholder is the example shown in a form when no concrete example
// is drawn: "N" for numbers, "X" otherwise.
func formPlaceholder(numeric bool) string {
	if numeric {
		return "N"
	}
	return "X"
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// formWords picks the bracket words that suit a pair: by what the question
// asks, else by the answer's kind.
func formWords(p Pair) []string {
	q := strings.ToLower(p.Question)
	switch {
	case strings.HasPrefix(q, "how many"):
		return countWords
	case strings.HasPrefix(q, "which entry") || strings.HasPrefix(q, "which key"):
		return nameWords
	case strings.Contains(q, "colour") || strings.Contains(q, "color"):
		return colourWords
	case strings.HasPrefix(q, "what is the value"):
		return valueWords
	case isNumber(p.Answer):
		return countWords
	}
	return genericWords
}

// formatPair asks p's question in a named form and answers in it. The
// form's example is a placeholder or a concrete value other than the
// answer (an env prompt shows a concrete example, not the reply to give).
func formatPair(rng *rand.Rand, p Pair) Pair {
	words := formWords(p)
	if rng.IntN(3) == 0 {
		words = genericWords
	}
	w := words[rng.IntN(len(words))]
	numeric := isNumber(p.Answer)
	ex := formPlaceholder(numeric)
	if rng.IntN(2) == 0 {
		for range 4 { // a few tries at a value other than the answer
			if numeric {
				ex = strconv.Itoa(rng.IntN(100))
			} else {
				ex = synthWords[rng.IntN(len(synthWords))]
			}
			if ex != p.Answer {
				break
			}
		}
	}
	return Pair{
		Question: p.Question + " Answer in the form: [" + w + "] " + ex,
		Answer:   "[" + w + "] " + p.Answer,
	}
}
