package experiment

import (
	"strings"

	"vlmq/dataset"
	"vlmq/env"
	"vlmq/vlm"
)

// fitHistory cuts, in place, the history of every prompt in eps that with
// a maxReply-token reply would pass m's text positions: the oldest turns
// go first (env.CutHistory). Datasets keep every earlier turn they were
// collected with, since the model is not known then; this is where their
// prompts meet one. It returns how many turns were cut. Prompts without
// history are not touched (nor tokenised), so data without it trains as
// before.
func fitHistory(eps []dataset.Episode, m vlm.Model, maxReply int) int {
	fits := func(p string) bool { return len(m.EncodePrompt(p))+maxReply <= m.MaxText() }
	cut := 0
	for i := range eps {
		for j := range eps[i].Turns {
			t := &eps[i].Turns[j]
			if !strings.Contains(t.Prompt, "\nTurn -") {
				continue
			}
			var n int
			t.Prompt, n = env.CutHistory(t.Prompt, fits)
			cut += n
		}
	}
	return cut
}
