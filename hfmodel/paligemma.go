package hfmodel

import (
	"vlmq/hfload"
)

// PaliGemma: [image; BOS; prompt "\n"; reply] with a prefix-LM mask over
// image, BOS and prompt, as PaliGemmaProcessor builds it. The prompt is
// the instruction behind the task prefix "answer en " that PaliGemma's
// mixes were trained on for free-form answers.
func init() {
	families[hfload.PaliGemma] = family{
		imageFirst: true,
		prefixLM:   true,
		prompt:     func(text string) string { return "answer en " + text + "\n" },
	}
}
