package afsft

import (
	"context"
	"image"
	"math"
	"testing"

	"vlmq/model"
	"vlmq/model/modeltest"
	"vlmq/tokenizer"
)

// digitLine is a NumberLine-like task with short prompts: the target is 3
// and the right reply is " [action] +" below it, " [action] -" above.
type digitLine struct {
	tok         *tokenizer.Tokenizer
	img         *image.RGBA
	plus, minus []int
	prompts     []string // by current digit 0..5
}

func newDigitLine(t *testing.T) digitLine {
	t.Helper()
	var corpus, prompts []string
	for d := 0; d < 6; d++ {
		p := "Goal: move. Observation: Target: 3, Current: " + string(rune('0'+d)) + "\nReply:"
		prompts = append(prompts, p)
		corpus = append(corpus, p, " [action] +", " [action] -")
	}
	tok, err := tokenizer.Train(corpus, 300, tokenizer.DefaultSpecial)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := model.Preset("tiny")
	return digitLine{tok: tok, img: image.NewRGBA(image.Rect(0, 0, cfg.ImageSize, cfg.ImageSize)),
		plus: append(tok.Encode(" [action] +"), tok.EOSID()), minus: append(tok.Encode(" [action] -"), tok.EOSID()), prompts: prompts}
}

// lineState is one position other than the target: its prompt tokens and
// the right and wrong replies there.
type lineState struct{ prompt, good, bad []int }

func (dl digitLine) states() []lineState {
	var out []lineState
	for d := 0; d < 6; d++ {
		if d == 3 {
			continue
		}
		st := lineState{prompt: dl.tok.Encode(dl.prompts[d]), good: dl.plus, bad: dl.minus}
		if d > 3 {
			st.good, st.bad = dl.minus, dl.plus
		}
		out = append(out, st)
	}
	return out
}

// TestLearnsStateConditionalChoice: the right reply depends on a digit in
// the prompt; SFT on the right replies must learn it.
func TestLearnsStateConditionalChoice(t *testing.T) {
	dl := newDigitLine(t)
	tok := dl.tok
	m := modeltest.New(t, modeltest.Spec{Tok: tok, Seed: 3})
	var samples []*Sample
	wrong := map[*Sample][]int{}
	for _, st := range dl.states() {
		s := &Sample{Image: dl.img, Prompt: st.prompt, Reply: st.good, Reward: 1, Done: true}
		samples = append(samples, s)
		wrong[s] = st.bad
	}
	c := DefaultConfig()
	c.Mode, c.Batch, c.LR = SFT, 5, 3e-3
	tr, err := NewTrainer(m, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), samples, 150, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		gap := logProb(t, m, s, s.Reply) - logProb(t, m, s, wrong[s])
		if math.IsNaN(gap) || gap < 1 {
			t.Errorf("prompt %q: log-prob gap of the right reply %.2f", tok.DecodeText(s.Prompt), gap)
		}
	}
}

// TestAFSFTLearnsStateDependentChoice: in every state the data holds the
// right and the wrong reply equally often (+1 / -1). SFT cannot tell them
// apart; the critic must learn a state-dependent Q and binary AFSFT must
// pick the right reply per state.
func TestAFSFTLearnsStateDependentChoice(t *testing.T) {
	dl := newDigitLine(t)
	choice := len(dl.plus) - 2 // index of the " +" / " -" token
	for _, tc := range []struct {
		name        string
		mode        Mode
		cql         float64
		dataSupport bool
	}{
		{"SFT", SFT, 0.5, false},
		{"AFSFT+CQL", Binary, 0.5, false},
		{"AFSFT+data-support", Binary, 0, true},
	} {
		mode := tc.mode
		m := modeltest.New(t, modeltest.Spec{Tok: dl.tok, Seed: 3})
		var samples []*Sample
		for _, st := range dl.states() {
			samples = append(samples, &Sample{Image: dl.img, Prompt: st.prompt, Reply: st.good, Reward: 1, Done: true},
				&Sample{Image: dl.img, Prompt: st.prompt, Reply: st.bad, Reward: -1, Done: true})
		}
		c := DefaultConfig()
		c.Mode, c.Batch, c.LR, c.SFTWarmup, c.CQL, c.DataSupport = mode, 10, 3e-3, 0, tc.cql, tc.dataSupport
		if !tc.dataSupport {
			c.TargetValue = TargetPolicy // max needs the data's support
		}
		tr, err := NewTrainer(m, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Train(context.Background(), samples, 300, nil, 0, nil); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(samples); i += 2 {
			s := samples[i] // the rewarded reply of this state
			out, err := m.Forward(nil, inputs([]*Sample{s}, false))
			if err != nil {
				t.Fatal(err)
			}
			v := out.Q1.Shape[1]
			good, bad := s.Reply[choice], samples[i+1].Reply[choice]
			p := make([]float64, v)
			softmax64(out.Logits.Data[choice*v:(choice+1)*v], p)
			qg, qb := out.Q1.Data[choice*v+good], out.Q1.Data[choice*v+bad]
			if qg-qb < 0.5 {
				t.Errorf("%s, state %d: Q(good)=%.2f not above Q(bad)=%.2f", tc.name, i/2, qg, qb)
			}
			switch mode {
			case SFT:
				if math.Abs(p[good]-0.5) > 0.15 {
					t.Errorf("SFT, state %d: pi(good)=%.2f, want about 0.5", i/2, p[good])
				}
			case Binary:
				if p[good] < 0.85 {
					t.Errorf("%s, state %d: pi(good)=%.2f, want > 0.85", tc.name, i/2, p[good])
				}
			}
		}
	}
}
