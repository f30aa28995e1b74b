package agent

import (
	"context"
	"testing"

	"vlmq/env"
	"vlmq/env/cards"
	"vlmq/model"
	"vlmq/model/modeltest"
)

func TestRollout(t *testing.T) {
	var es []env.Env
	var corpus []string
	for i := 0; i < 3; i++ {
		e, err := cards.New("numberline", cards.Options{})
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
		o, _ := e.Reset(int64(i))
		corpus = append(corpus, env.Prompt(e.Task(), o, e.Syntax()), "[action] +")
	}
	m := tinyModel(t, corpus)
	tok := m.Tok
	seeds := []int64{5, 6, 7, 8, 9}
	finished := 0
	a := &Agent{Model: m, MaxReply: 6, Temperature: 1, Seed: 3, Source: "test"}
	eps, err := a.Rollout(context.Background(), es, seeds, 100, func() { finished++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != len(seeds) || finished != len(seeds) {
		t.Fatalf("%d episodes, %d progress calls for %d seeds", len(eps), finished, len(seeds))
	}
	for i, ep := range eps {
		if ep.ID != 100+int64(i) || ep.Seed != seeds[i] || ep.Env != "numberline" {
			t.Errorf("episode %d: id %d seed %d env %q", i, ep.ID, ep.Seed, ep.Env)
		}
		if err := ep.Validate(); err != nil {
			t.Errorf("episode %d invalid: %v", i, err)
		}
		var ret float64
		for _, tr := range ep.Turns {
			if len(tr.ReplyTokens) == 0 || len(tr.ReplyTokens) > 6 || tr.Source != "test" || len(tr.Image) == 0 {
				t.Errorf("turn %+v", tr.Turn)
			}
			if tok.DecodeText(toInts(tr.ReplyTokens)) != tr.Reply {
				t.Errorf("reply text %q does not match its tokens", tr.Reply)
			}
			ret += tr.Reward
		}
		if ret != ep.Return || !ep.Turns[len(ep.Turns)-1].Done {
			t.Errorf("episode %d: return %v vs turns %v, last done %v", i, ep.Return, ret, ep.Turns[len(ep.Turns)-1].Done)
		}
	}
	// The same seed gives the same episodes.
	again, err := a.Rollout(context.Background(), es, seeds, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range eps {
		if len(again[i].Turns) != len(eps[i].Turns) || again[i].Turns[0].Reply != eps[i].Turns[0].Reply {
			t.Errorf("episode %d differs between identical rollouts", i)
		}
	}
	if _, err := a.Rollout(context.Background(), nil, seeds, 0, nil); err == nil {
		t.Error("rollout without envs succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Rollout(ctx, es, seeds, 0, nil); err == nil {
		t.Error("cancelled rollout succeeded")
	}
}

func toInts(x []int32) []int {
	out := make([]int, len(x))
	for i, v := range x {
		out[i] = int(v)
	}
	return out
}

// With History, prompts show the earlier turns of their own episode, and a
// prompt too long for the model loses its oldest turns: each prompt is
// the full-history prompt cut by env.CutHistory to the model's length.
func TestRolloutHistory(t *testing.T) {
	e, err := cards.New("numberline", cards.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var corpus []string
	for i := range 10 {
		o, _ := e.Reset(int64(i))
		past := []env.Past{{Obs: o.Text, Action: "+"}, {Obs: o.Text, Action: env.InvalidAction}}
		corpus = append(corpus, env.PromptWithHistory(e.Task(), o, e.Syntax(), past), "[action] +", "[action] -")
	}
	m := tinyModel(t, corpus)
	tok := m.Tok
	const maxReply = 6
	a := &Agent{Model: m, MaxReply: maxReply, Temperature: 1, Seed: 3, MaxTurns: 25, History: 16}
	eps, err := a.Rollout(context.Background(), []env.Env{e}, []int64{5, 6}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	fits := func(p string) bool { return len(tok.Encode(p))+maxReply <= m.Cfg.MaxText() }
	cut, kept := 0, 0
	for _, ep := range eps {
		replay, _ := cards.New("numberline", cards.Options{})
		obs, _ := replay.Reset(ep.Seed)
		var past []env.Past
		for j, tr := range ep.Turns {
			full := env.PromptWithHistory(replay.Task(), obs, replay.Syntax(), past)
			want, n := env.CutHistory(full, fits)
			if tr.Prompt != want {
				t.Fatalf("episode %d turn %d prompt\n%s\nwant\n%s", ep.ID, j, tr.Prompt, want)
			}
			if !fits(tr.Prompt) {
				t.Fatalf("episode %d turn %d: prompt of %d tokens does not fit %d", ep.ID, j, len(tok.Encode(tr.Prompt)), m.Cfg.MaxText())
			}
			if n < len(past) {
				kept++
			}
			cut += n
			st, err := replay.Step(tr.Reply)
			if err != nil {
				t.Fatal(err)
			}
			a := st.Info.Action
			if !st.Info.Valid {
				a = env.InvalidAction
			}
			past = append(past, env.Past{Obs: obs.Text, Action: a})
			if len(past) > 16 {
				past = past[1:]
			}
			obs = st.Obs
		}
	}
	if cut == 0 || kept == 0 {
		t.Errorf("%d turns cut, %d prompts kept some: the test needs both", cut, kept)
	}
}

// tinyModel is an untrained tiny VLM with a tokenizer trained on corpus.
func tinyModel(t *testing.T, corpus []string) *model.VLM {
	t.Helper()
	return modeltest.New(t, modeltest.Spec{Corpus: corpus, Vocab: 400, Seed: 1})
}
