package hfmodel

import (
	"vlmq/hfload"
)

// xGen-MM (BLIP-3): [BOS; image; text], causal, with Phi-3's chat
// template around the instruction. The image sits before the template
// here rather than at its <image> placeholder (see the package comment).
func init() {
	families[hfload.XGenMM] = family{
		prompt: func(text string) string { return "<|user|>\n" + text + "<|end|>\n<|assistant|>\n" },
	}
}
