package experiment

import (
	"context"
	"image/color"
	"math"
	"os"
	"strings"
	"testing"

	"vlmq/dataset"
	"vlmq/render"
	"vlmq/vlm"
)

// TestProbe builds a dataset by hand (two choice states, one state with a
// single valid reply, invalid replies) and checks the probe against the
// model's own forward pass.
func TestProbe(t *testing.T) {
	spec := FastDemo("numberline", t.TempDir())
	m, _, err := BuildBase(context.Background(), spec.Pretrain, "")
	if err != nil {
		t.Fatal(err)
	}
	png := func(c color.RGBA) []byte {
		b, err := dataset.EncodeImage(render.NewRGBA(32, 32, c))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	white, black := png(color.RGBA{255, 255, 255, 255}), png(color.RGBA{0, 0, 0, 255})
	prompt := func(obs string) string { return "Goal: test\nObservation: " + obs + "\nReply:" }
	type turn struct {
		obs   string
		img   []byte
		reply string
		r     float64
		valid bool
	}
	turns := []turn{
		{"Target: 3, Current: 1", white, "[action] +", 0, true},
		{"Target: 3, Current: 1", white, "[action] -", -1, true},
		{"Target: 3, Current: 1", white, "[action] +", 1, true},
		{"Target: 3, Current: 1", white, "[action] *", -1, false}, // invalid: not a candidate
		// Same prompt, other image: another state.
		{"Target: 3, Current: 1", black, "[action] -", 0, true},
		{"Target: 3, Current: 1", black, "[action] +", -1, true},
		// One valid reply only: not a choice.
		{"Target: 0, Current: 5", white, "[action] -", 0, true},
		{"Target: 0, Current: 5", white, "[action] +", -1, false},
	}
	ep := dataset.Episode{ID: 1, Env: "numberline"}
	for i, tr := range turns {
		ep.Turns = append(ep.Turns, dataset.Turn{Episode: 1, Turn: i, Env: "numberline", Image: tr.img,
			Prompt: prompt(tr.obs), Reply: tr.reply, Reward: tr.r, Valid: tr.valid})
	}
	states, sum, err := Probe(m, []dataset.Episode{ep}, ProbeOptions{MaxReply: 12})
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || sum.States != 2 {
		t.Fatalf("%d states (summary %d), want 2", len(states), sum.States)
	}
	wantRewards := map[string]float64{"[action] +": 0.5, "[action] -": -1}
	var agreeCritic int
	for si, st := range states {
		if st.Observation != "Target: 3, Current: 1" {
			t.Errorf("state %d observation %q", si, st.Observation)
		}
		if len(st.Candidates) != 2 || st.Candidates[0].Reply != "[action] +" || st.Candidates[1].Reply != "[action] -" {
			t.Fatalf("state %d candidates %+v", si, st.Candidates)
		}
		var piSum float64
		for _, c := range st.Candidates {
			piSum += c.Pi
			if !(c.Pi > 0) {
				t.Errorf("state %d %q: pi %v", si, c.Reply, c.Pi)
			}
		}
		if piSum > 1+1e-9 {
			t.Errorf("state %d: pi of distinct whole replies sums to %v > 1", si, piSum)
		}
		// Q must be the critic at the choice token, computed directly.
		// The white state holds three valid turns, the black one two.
		img := black
		if st.Candidates[0].Count+st.Candidates[1].Count == 3 {
			img = white
		}
		im, err := dataset.DecodeImage(img)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Candidates {
			p := m.Tokenizer().Encode(prompt(st.Observation))
			r := m.Tokenizer().Encode(c.Reply)
			toks := append(append([]int{}, p...), r...)
			d := len(r) - 1 // "+" and "-" are the last reply tokens before EOS
			out, err := m.Forward(nil, []vlm.Input{{Image: im, Tokens: toks, Targets: []int{len(p) + d}}})
			if err != nil {
				t.Fatal(err)
			}
			q := math.Min(float64(out.Q1.Data[r[d]]), float64(out.Q2.Data[r[d]]))
			if math.Abs(q-c.Q) > 1e-4 {
				t.Errorf("state %d %q: probe Q %v, forward Q %v", si, c.Reply, c.Q, q)
			}
		}
		if st.Candidates[0].Count+st.Candidates[1].Count == 3 { // the white state
			for _, c := range st.Candidates {
				if c.MeanReward != wantRewards[c.Reply] {
					t.Errorf("%q mean reward %v, want %v", c.Reply, c.MeanReward, wantRewards[c.Reply])
				}
			}
		}
		if topIsBest(st.Candidates, func(c ProbeCandidate) float64 { return c.Q }) {
			agreeCritic++
		}
	}
	if sum.CriticAgrees != agreeCritic {
		t.Errorf("summary says the critic agrees in %d states, recount %d", sum.CriticAgrees, agreeCritic)
	}
	if txt := ProbeTable(states, sum); !strings.Contains(txt, "2 states with two or more replies to rank") {
		t.Errorf("table:\n%s", txt)
	}
	if s, _, err := Probe(m, []dataset.Episode{ep}, ProbeOptions{MaxStates: 1, MaxReply: 12}); err != nil || len(s) != 1 {
		t.Errorf("maxStates 1: %d states, %v", len(s), err)
	}

	// Listed replies are scored where the data never took them: the
	// one-reply state joins, its "+" with no data.
	listed, _, err := Probe(m, []dataset.Episode{ep}, ProbeOptions{MaxReply: 12, Replies: []string{"[action] +", "[action] -"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 {
		t.Fatalf("with listed replies: %d states, want 3", len(listed))
	}
	var never *ProbeCandidate
	for i, st := range listed {
		if st.Observation == "Target: 0, Current: 5" {
			never = &listed[i].Candidates[0]
		}
	}
	if never == nil || never.Reply != "[action] +" || never.Count != 0 || !math.IsNaN(never.MeanReward) || !(never.Pi > 0) {
		t.Fatalf("the listed reply the data never took: %+v", never)
	}
	if txt := ProbeTable(listed, ProbeSummary{}); !strings.Contains(txt, "not in the data here") {
		t.Errorf("table does not mark the reply the data never took:\n%s", txt)
	}
}

func TestTopIsBest(t *testing.T) {
	c := func(r, q float64) ProbeCandidate { return ProbeCandidate{MeanReward: r, Q: q} }
	q := func(c ProbeCandidate) float64 { return c.Q }
	for _, tc := range []struct {
		name string
		cs   []ProbeCandidate
		want bool
	}{
		{"top is best", []ProbeCandidate{c(0, 1), c(-1, 0)}, true},
		{"top is worst", []ProbeCandidate{c(0, 0), c(-1, 1)}, false},
		{"tied best rewards", []ProbeCandidate{c(0, 0), c(0, 1)}, true},
		{"tied top scores", []ProbeCandidate{c(0, 1), c(-1, 1)}, true},
	} {
		if got := topIsBest(tc.cs, q); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestCommonPrefixAndObservation(t *testing.T) {
	for _, tc := range []struct {
		seqs [][]int
		want int
	}{
		{[][]int{{1, 2, 3}, {1, 2, 4}}, 2},
		{[][]int{{1, 2}, {1, 2, 3}}, 2},
		{[][]int{{5}, {6}}, 0},
	} {
		if got := commonPrefix(tc.seqs); got != tc.want {
			t.Errorf("commonPrefix(%v) = %d, want %d", tc.seqs, got, tc.want)
		}
	}
	for _, tc := range []struct{ prompt, want string }{
		{"Goal: g\nObservation: Target: 1, Current: 2\nReply:", "Target: 1, Current: 2"},
		{"Goal: g\nmission: go to the ball\nReply:", "mission: go to the ball"},
	} {
		if got := observation(tc.prompt); got != tc.want {
			t.Errorf("observation(%q) = %q, want %q", tc.prompt, got, tc.want)
		}
	}
}

func TestLoadEpisodesRefusesMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	if eps, err := LoadEpisodes([]string{dir}); err != nil || len(eps) != 0 {
		t.Errorf("empty existing store: %d episodes, %v", len(eps), err)
	}
	missing := dir + "/typo"
	if _, err := LoadEpisodes([]string{dir, missing}); err == nil || !strings.Contains(err.Error(), "typo") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("LoadEpisodes created the missing directory")
	}
}
