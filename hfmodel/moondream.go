package hfmodel

import (
	"vlmq/hfload"
)

// Moondream 2 (2024 revisions): [BOS; image; text], causal, with the
// "Question: ... Answer:" format of its answer_question.
func init() {
	families[hfload.Moondream] = family{
		prompt: func(text string) string { return "\n\nQuestion: " + text + "\n\nAnswer:" },
	}
}
