// Package agent runs a VLM as a policy in environments: it turns each
// observation into a prompt (in the model's own format), generates replies
// for many environments in one batched call, steps the environments and
// records the episodes.
package agent

import (
	"context"
	"fmt"
	"math/rand/v2"

	"vlmq/dataset"
	"vlmq/env"
	"vlmq/vlm"
)

// Agent is a VLM policy.
type Agent struct {
	Model       vlm.Model
	MaxReply    int     // reply token limit (default 16)
	Temperature float64 // 0 = greedy
	Seed        int64
	Source      string // recorded in dataset.Turn.Source
	// MaxTurns caps turns per episode as a guard against envs whose own
	// limit is huge; 0 means 300 (the Gym Cards registered limit).
	MaxTurns int
	// Explore is the share of turns whose generated reply is replaced by a
	// uniformly random legal choice in the env's syntax (epsilon-greedy
	// exploration for online collection; 0 = none). The stored reply
	// tokens are then that reply's tokens and EOS.
	Explore float64
	// History is how many earlier turns each prompt shows
	// (env.PromptWithHistory); 0 = none. A prompt whose tokens and a
	// MaxReply reply would pass the model's text positions is cut by
	// env.FitPrompt's policy (oldest turns first, then the observation's
	// last lines), so the turn also fits in training.
	History int
	// Finished (optional) sees each episode as it ends, before Rollout
	// keeps it; it may drop what the caller does not need (images,
	// prompts), so that a long evaluation's memory stays small.
	Finished func(ep *dataset.Episode)
}

type slot struct {
	e    env.Env
	obs  env.Observation
	ep   *dataset.Episode
	hist env.History
	busy bool
}

// Rollout plays one episode per seed, len(envs) at a time, and returns the
// episodes in seed order. IDs are firstID, firstID+1, ... in seed order.
// progress (optional) is called after each finished episode.
func (a *Agent) Rollout(ctx context.Context, envs []env.Env, seeds []int64, firstID int64, progress func()) ([]dataset.Episode, error) {
	if len(envs) == 0 {
		return nil, fmt.Errorf("agent: no environments")
	}
	maxReply, maxTurns := a.MaxReply, a.MaxTurns
	if maxReply <= 0 {
		maxReply = 16
	}
	if maxTurns <= 0 {
		maxTurns = 300
	}
	out := make([]dataset.Episode, len(seeds))
	slots := make([]*slot, len(envs))
	for i, e := range envs {
		slots[i] = &slot{e: e, hist: env.History{K: a.History}}
	}
	fits := func(p string) bool { return len(a.Model.EncodePrompt(p))+maxReply <= a.Model.MaxText() }
	next := 0
	start := func(s *slot) error {
		if next >= len(seeds) {
			s.busy = false
			return nil
		}
		i := next
		next++
		obs, err := s.e.Reset(seeds[i])
		if err != nil {
			return fmt.Errorf("agent: reset %s seed %d: %w", s.e.Name(), seeds[i], err)
		}
		out[i] = dataset.Episode{ID: firstID + int64(i), Env: s.e.Name(), Seed: seeds[i]}
		s.obs, s.ep, s.busy = obs, &out[i], true
		s.hist.Reset()
		return nil
	}
	for _, s := range slots {
		if err := start(s); err != nil {
			return nil, err
		}
	}
	tok := a.Model.Tokenizer()
	genSeed := a.Seed
	explore := rand.New(rand.NewPCG(uint64(a.Seed), 0xe7))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var active []*slot
		var gin []vlm.GenInput
		var prompts []string
		for _, s := range slots {
			if !s.busy {
				continue
			}
			p := s.hist.Prompt(s.e.Task(), s.obs, s.e.Syntax())
			p, _ = env.FitPrompt(p, fits)
			active = append(active, s)
			prompts = append(prompts, p)
			gin = append(gin, vlm.GenInput{Image: s.obs.Image, Prompt: a.Model.EncodePrompt(p)})
		}
		if len(active) == 0 {
			return out, nil
		}
		genSeed++
		gout, err := a.Model.Generate(gin, vlm.GenOpts{MaxTokens: maxReply, Temperature: a.Temperature, Seed: uint64(genSeed), StopAtEOS: true})
		if err != nil {
			return nil, fmt.Errorf("agent: generate: %w", err)
		}
		for k, s := range active {
			reply := tok.DecodeText(gout[k].Tokens)
			if a.Explore > 0 && explore.Float64() < a.Explore {
				if c := s.e.RandomValid(explore); c != "" {
					reply = s.e.Syntax().Format(c)
					t := append(tok.Encode(reply), tok.EOSID())
					gout[k].Tokens = t[:min(len(t), maxReply)]
				}
			}
			img, err := dataset.EncodeImage(s.obs.Image)
			if err != nil {
				return nil, err
			}
			st, err := s.e.Step(reply)
			if err != nil {
				return nil, fmt.Errorf("agent: step %s seed %d: %w", s.e.Name(), s.ep.Seed, err)
			}
			done := st.Done || len(s.ep.Turns)+1 >= maxTurns
			toks := make([]int32, len(gout[k].Tokens))
			for j, t := range gout[k].Tokens {
				toks[j] = int32(t)
			}
			s.ep.Turns = append(s.ep.Turns, dataset.Turn{
				Episode: s.ep.ID, Turn: len(s.ep.Turns), Env: s.ep.Env, Seed: s.ep.Seed,
				Image: img, Prompt: prompts[k], Reply: reply, ReplyTokens: toks,
				Reward: st.Reward, Valid: st.Info.Valid, Done: done, Success: st.Info.Success,
				Source: a.Source,
			})
			s.ep.Return += st.Reward
			s.hist.Add(s.obs, st.Info)
			s.obs = st.Obs
			if done {
				s.ep.Success = st.Info.Success
				if a.Finished != nil {
					a.Finished(s.ep)
				}
				if progress != nil {
					progress()
				}
				if err := start(s); err != nil {
					return nil, err
				}
			}
		}
	}
}
