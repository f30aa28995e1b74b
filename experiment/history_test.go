package experiment

import (
	"context"
	"strings"
	"testing"

	"vlmq/dataset"
	"vlmq/env"
	"vlmq/model/modeltest"
)

// Noisy-expert BabyAI data in BALROG's protocol with 16 turns of history:
// the prompts hold the whole history, and fitPrompts cuts the ones too
// long for a small model (oldest turns first) so that every turn fits,
// leaving prompts that fit as they were. A prompt without history that
// fits stays too; one too long loses its observation's last lines
// (env.FitPrompt).
func TestHistoryDataFitsTheModel(t *testing.T) {
	ctx := context.Background()
	store, err := dataset.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	spec := DataSpec{Env: "babyai/GoToLocal", Source: SourceNoisyExpert, Episodes: 3, PRandom: 0.2, PInvalid: 0.1, Chunk: 3,
		EnvOpts: env.Options{ObsText: "balrog", History: 16}}
	if err := CollectData(ctx, spec, store, nil, nil); err != nil {
		t.Fatal(err)
	}
	eps, err := store.Episodes()
	if err != nil {
		t.Fatal(err)
	}
	var corpus []string
	for _, ep := range eps {
		for _, tr := range ep.Turns {
			corpus = append(corpus, tr.Prompt, tr.Reply)
		}
	}
	if !strings.Contains(eps[0].Turns[2].Prompt, "Turn -2 observation: ") || !strings.Contains(eps[0].Turns[2].Prompt, "Turn -1 action: ") {
		t.Fatalf("third prompt lacks its history:\n%s", eps[0].Turns[2].Prompt)
	}
	m := modeltest.New(t, modeltest.Spec{Corpus: corpus, Vocab: 400, Preset: "small", Seed: 1})
	tok := m.Tok
	const maxReply = 12
	fits := func(p string) bool { return len(tok.Encode(p))+maxReply <= m.Cfg.MaxText() }
	before := make([][]string, len(eps))
	long := 0
	for i, ep := range eps {
		for _, tr := range ep.Turns {
			before[i] = append(before[i], tr.Prompt)
			if !fits(tr.Prompt) {
				long++
			}
		}
	}
	// Kept as strings: fitPrompts cuts the turns in place, and an
	// Episode copied into all shares them.
	short := "Goal: x\nObservation: a\nReply:"
	page := "Goal: x\nObservation: " + strings.Repeat("long\n", 400) + "end\nReply:"
	bare := dataset.Episode{Turns: []dataset.Turn{{Prompt: short}, {Prompt: page}}}
	all := append(eps, bare)
	cut := fitPrompts(all, m, maxReply)
	if long == 0 || cut == 0 {
		t.Fatalf("%d prompts too long, %d turns cut: the data does not test the cut", long, cut)
	}
	for i, ep := range eps {
		for j, tr := range ep.Turns {
			switch {
			case !fits(tr.Prompt):
				t.Errorf("episode %d turn %d still too long: %d tokens", i, j, len(tok.Encode(tr.Prompt)))
			case fits(before[i][j]) && tr.Prompt != before[i][j]:
				t.Errorf("episode %d turn %d fitted but was cut", i, j)
			case tr.Prompt != before[i][j] && strings.Contains(tr.Prompt, "\nTurn -") &&
				!strings.HasSuffix(before[i][j], tr.Prompt[strings.Index(tr.Prompt, "\nTurn -"):]):
				t.Errorf("episode %d turn %d: the cut kept other than the newest turns:\n%s", i, j, tr.Prompt)
			}
			if want, _ := env.FitPrompt(before[i][j], fits); tr.Prompt != want {
				t.Errorf("episode %d turn %d: not FitPrompt's prompt", i, j)
			}
		}
	}
	got := all[len(all)-1].Turns
	if got[0].Prompt != short {
		t.Errorf("a fitting prompt without history changed to %q", got[0].Prompt)
	}
	if want, _ := env.FitPrompt(page, fits); fits(page) || got[1].Prompt != want || !fits(want) {
		t.Errorf("a page too long for the model became\n%s\nwant FitPrompt's\n%s", got[1].Prompt, want)
	}
}
