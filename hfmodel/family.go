package hfmodel

import (
	"fmt"

	"vlmq/hfload"
)

// family is what sets a supported family apart beyond what config.json
// states (the decoder's width, norms, attention and so on are read from
// the config by the shared blocks in forward.go). Each family has its own
// file that registers its entry.
type family struct {
	// imageFirst lays the sequence out as [image; BOS; text]
	// (PaliGemma) rather than [BOS; image; text].
	imageFirst bool
	// prefixLM lets image, BOS and prompt attend bidirectionally (the
	// text after the prompt stays causal).
	prefixLM bool
	// prompt wraps an instruction in the family's prompt format; the
	// reply follows the formatted prompt directly.
	prompt func(text string) string
}

var families = map[hfload.Family]family{}

func familyOf(f hfload.Family) (family, error) {
	fam, ok := families[f]
	if !ok {
		return family{}, fmt.Errorf("family %q has no forward pass here", f)
	}
	return fam, nil
}
