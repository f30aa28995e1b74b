package experiment

import (
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/vlm"
)

// fitPrompts cuts, in place, every prompt in eps that with a maxReply-token
// reply would pass m's text positions, by env.FitPrompt's policy: the
// oldest earlier turns first, then the observation's last lines (a large
// web page's element list). Datasets keep the prompts they were collected
// with, since the model is not known then; this is where their prompts
// meet one. It returns how many cuts were made; prompts that fit are left
// as they are.
func fitPrompts(eps []dataset.Episode, m vlm.Model, maxReply int) int {
	fits := func(p string) bool { return len(m.EncodePrompt(p))+maxReply <= m.MaxText() }
	cut := 0
	for i := range eps {
		for j := range eps[i].Turns {
			t := &eps[i].Turns[j]
			var n int
			t.Prompt, n = env.FitPrompt(t.Prompt, fits)
			cut += n
		}
	}
	return cut
}
