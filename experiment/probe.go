package experiment

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"vlmq/afsft"
	"vlmq/dataset"
	"vlmq/vlm"
)

// ProbeCandidate is one reply the data holds at a state, as a model sees it.
type ProbeCandidate struct {
	Reply      string  `json:"reply"`
	Count      int     `json:"count"`       // times the data holds it at this state
	MeanReward float64 `json:"mean_reward"` // its mean immediate reward in the data (NaN if never)
	Pi         float64 `json:"pi"`          // actor probability of the whole reply
	// Q is min(Q1, Q2) at the reply's first token after the prefix all the
	// state's candidates share: the token where the choice is made.
	Q float64 `json:"q"`
}

// ProbeState is a dataset state (prompt and image) at which the data holds
// at least two different valid replies.
type ProbeState struct {
	Observation string           `json:"observation"`
	Candidates  []ProbeCandidate `json:"candidates"` // sorted by reply
}

// ProbeSummary counts the states whose top reply under the critic (highest
// Q) and under the actor (highest pi) is one with the data's best mean
// immediate reward. Where the immediate reward tells the right move (as
// on NumberLine) this is how often each head is right; elsewhere it is
// only a one-step reference.
type ProbeSummary struct {
	States       int `json:"states"`
	CriticAgrees int `json:"critic_agrees"`
	ActorAgrees  int `json:"actor_agrees"`
}

// ProbeOptions tunes Probe: the probe job's spec (DefaultProbe), with its
// flags in the flag and help tags (package cli/flagspec).
type ProbeOptions struct {
	MaxStates int `flag:"states" help:"show at most this many states (0 = all)"` // the first, by observation text
	MaxReply  int `flag:"max-reply" help:"reply token limit"`                    // as in training
	// Replies, when set, are scored at every state where the data holds a
	// valid reply, whether the data took them there or not: states that
	// never repeat (a Blackjack hand) then still show how the two heads
	// rank the moves.
	Replies []string `flag:"score,repeat" help:"score this reply at every state with a valid reply in the data, taken there or not (repeat the flag; e.g. --score '[action] stand' --score '[action] hit')"`
}

// DefaultProbe is probe's defaults: every state, training's reply limit.
func DefaultProbe() ProbeOptions { return ProbeOptions{MaxReply: DefaultMaxReply} }

// Probe shows how a model's critic and actor rank the valid replies the
// data holds at each state: the fastest way to see whether the critic
// reads the observation (a critic that ranks the moves the same way in
// every state cannot filter anything state-dependent). Prompts too long
// for m are cut in eps, in place, as training cuts them (fitPrompts).
func Probe(m vlm.Model, eps []dataset.Episode, o ProbeOptions) ([]ProbeState, ProbeSummary, error) {
	maxStates, maxReply := o.MaxStates, o.MaxReply
	fitPrompts(eps, m, maxReply)
	samples, err := afsft.Prepare(eps, m, maxReply)
	if err != nil {
		return nil, ProbeSummary{}, err
	}
	type cand struct {
		reply  string
		sample *afsft.Sample
		n      int
		sumR   float64
	}
	type state struct {
		key, obs string
		cands    map[string]*cand
	}
	states := map[string]*state{}
	i := 0
	for _, ep := range eps {
		for _, t := range ep.Turns {
			s := samples[i]
			i++
			if !t.Valid {
				continue
			}
			key := t.Prompt + "\x00" + string(t.Image)
			st := states[key]
			if st == nil {
				st = &state{key: key, obs: observation(t.Prompt), cands: map[string]*cand{}}
				states[key] = st
			}
			c := st.cands[t.Reply]
			if c == nil {
				c = &cand{reply: t.Reply, sample: s}
				st.cands[t.Reply] = c
			}
			c.n++
			c.sumR += t.Reward
		}
	}
	if len(o.Replies) > 0 {
		tok := m.Tokenizer()
		for _, st := range states {
			var taken *cand // any reply the data took here: they share prompt and image
			for _, c := range st.cands {
				taken = c
				break
			}
			for _, r := range o.Replies {
				if st.cands[r] != nil {
					continue
				}
				x := *taken.sample
				x.Reply = afsft.EncodeReply(tok, r, maxReply)
				st.cands[r] = &cand{reply: r, sample: &x}
			}
		}
	}
	var keep []*state
	for _, st := range states {
		if len(st.cands) >= 2 {
			keep = append(keep, st)
		}
	}
	sort.Slice(keep, func(i, j int) bool {
		if keep[i].obs != keep[j].obs {
			return keep[i].obs < keep[j].obs
		}
		return keep[i].key < keep[j].key
	})
	if maxStates > 0 && len(keep) > maxStates {
		keep = keep[:maxStates]
	}

	var out []ProbeState
	var sum ProbeSummary
	for _, st := range keep {
		cs := make([]*cand, 0, len(st.cands))
		for _, c := range st.cands {
			cs = append(cs, c)
		}
		sort.Slice(cs, func(i, j int) bool { return cs[i].reply < cs[j].reply })
		replies := make([][]int, len(cs))
		for k, c := range cs {
			replies[k] = c.sample.Reply
		}
		d := commonPrefix(replies)
		in := make([]vlm.Input, len(cs))
		for k, c := range cs {
			in[k] = c.sample.Input()
		}
		o, err := m.Forward(nil, in)
		if err != nil {
			return nil, sum, err
		}
		v := o.Logits.Shape[1]
		ps := ProbeState{Observation: st.obs}
		row := 0
		for _, c := range cs {
			r := c.sample.Reply
			var logPi float64
			for j, tok := range r {
				logPi += logSoftmaxAt(o.Logits.Data[(row+j)*v:(row+j+1)*v], tok)
			}
			j := min(d, len(r)-1)
			q := math.Min(float64(o.Q1.Data[(row+j)*v+r[j]]), float64(o.Q2.Data[(row+j)*v+r[j]]))
			mean := math.NaN() // a listed reply the data never took here
			if c.n > 0 {
				mean = c.sumR / float64(c.n)
			}
			ps.Candidates = append(ps.Candidates, ProbeCandidate{Reply: c.reply, Count: c.n,
				MeanReward: mean, Pi: math.Exp(logPi), Q: q})
			row += len(r)
		}
		sum.States++
		if topIsBest(ps.Candidates, func(c ProbeCandidate) float64 { return c.Q }) {
			sum.CriticAgrees++
		}
		if topIsBest(ps.Candidates, func(c ProbeCandidate) float64 { return c.Pi }) {
			sum.ActorAgrees++
		}
		out = append(out, ps)
	}
	return out, sum, nil
}

// observation is the prompt's observation text (the line env.Prompt starts
// with "Observation: "), or its last line before the reply cue.
func observation(prompt string) string {
	lines := strings.Split(strings.TrimSuffix(prompt, "\nReply:"), "\n")
	for k := len(lines) - 1; k >= 0; k-- {
		if o, ok := strings.CutPrefix(lines[k], "Observation: "); ok {
			return o
		}
	}
	return lines[len(lines)-1]
}

// commonPrefix is the length of the token prefix every sequence shares.
func commonPrefix(seqs [][]int) int {
	n := 0
	for {
		for _, s := range seqs {
			if n >= len(s) || s[n] != seqs[0][n] {
				return n
			}
		}
		n++
	}
}

func logSoftmaxAt(logits []float32, k int) float64 {
	m := math.Inf(-1)
	for _, x := range logits {
		m = math.Max(m, float64(x))
	}
	var z float64
	for _, x := range logits {
		z += math.Exp(float64(x) - m)
	}
	return float64(logits[k]) - m - math.Log(z)
}

// topIsBest reports whether the candidate score ranks first has the best
// mean reward in the data (ties in either count as agreement).
func topIsBest(cs []ProbeCandidate, score func(ProbeCandidate) float64) bool {
	best, top := math.Inf(-1), math.Inf(-1)
	for _, c := range cs {
		if !math.IsNaN(c.MeanReward) {
			best = math.Max(best, c.MeanReward)
		}
		top = math.Max(top, score(c))
	}
	for _, c := range cs {
		if score(c) == top && c.MeanReward == best {
			return true
		}
	}
	return false
}

// ProbeTable renders a probe as text: one block per state, then the summary.
func ProbeTable(states []ProbeState, s ProbeSummary) string {
	var b strings.Builder
	for _, st := range states {
		fmt.Fprintf(&b, "%s\n", st.Observation)
		for _, c := range st.Candidates {
			data := "not in the data here"
			if c.Count > 0 {
				data = fmt.Sprintf("data: n %4d, mean reward %6.3f", c.Count, c.MeanReward)
			}
			fmt.Fprintf(&b, "    %-28q  Q %7.3f  pi %.3f  %s\n", c.Reply, c.Q, c.Pi, data)
		}
	}
	fmt.Fprintf(&b, "\n%d states with two or more replies to rank; the top reply has the best mean reward the data shows there: critic %d/%d, actor %d/%d\n",
		s.States, s.CriticAgrees, s.States, s.ActorAgrees, s.States)
	return b.String()
}
