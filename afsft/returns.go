package afsft

import (
	"vlmq/vlm"
)

// RefreshReturns recomputes the cached lambda-returns that
// Config.TurnLambda mixes into the cross-turn targets: V_tgt at the first
// reply token of every turn that follows another, then, backwards along
// each episode, G_t = r_t + gamma ((1-l) V(s_{t+1}) + l G_{t+1}) (G_t = r_t
// at an episode's end). With TurnLambda 1 no value is needed: G is the
// data's discounted return. Train calls it every ReturnRefresh steps.
func (t *Trainer) RefreshReturns(samples []*Sample) error {
	lt := t.Cfg.TurnLambda
	if lt <= 0 {
		return nil
	}
	isNext := map[*Sample]bool{}
	for _, s := range samples {
		if s.Next != nil && !s.Done {
			isNext[s.Next] = true
		}
	}
	vals := map[*Sample]float64{}
	if lt < 1 {
		var todo []*Sample
		for _, s := range samples {
			if isNext[s] {
				todo = append(todo, s)
			}
		}
		var first []int
		if t.Cfg.DataSupport {
			for _, s := range samples {
				t.sup.add(s.Reply)
			}
			first = t.sup.root.keys()
		}
		var pi []float64 // sized by the heads' width at the first forward
		const chunk = 32
		for lo := 0; lo < len(todo); lo += chunk {
			part := todo[lo:min(lo+chunk, len(todo))]
			in := inputs(part, true)
			on, err := t.Model.Forward(nil, in)
			if err != nil {
				return err
			}
			tg, err := t.Target.Forward(nil, in)
			if err != nil {
				return err
			}
			if pi == nil {
				pi = make([]float64, on.Logits.Shape[1])
			}
			for i, s := range part {
				vals[s] = t.rowValue(on, tg, i, first, pi)
			}
		}
	}
	// Episodes are chains of Next links; walk each from its head.
	for _, s := range samples {
		if isNext[s] {
			continue
		}
		var chain []*Sample
		for x := s; x != nil; x = x.Next {
			chain = append(chain, x)
			if x.Done {
				break
			}
		}
		for i := len(chain) - 1; i >= 0; i-- {
			x := chain[i]
			x.ret = x.Reward * t.rewardScale()
			if i+1 < len(chain) {
				nx := chain[i+1]
				x.ret += t.Cfg.Gamma * ((1-lt)*vals[nx] + lt*nx.ret)
			}
			x.retOK = true
		}
	}
	t.retSteps = t.Steps
	return nil
}

// rowValue is the TD targets' V(s) at output row i, from the min of the
// target critics over the allowed tokens (nil = whole vocabulary): the
// best of them with Config.TargetValue "max", else weighted by pi from
// the online logits (written into the scratch buffer pi, one entry per
// vocabulary token).
func (t *Trainer) rowValue(on, tg vlm.Output, i int, allowed []int, pi []float64) float64 {
	v := on.Logits.Shape[1]
	q1, q2 := tg.Q1.Data[i*v:(i+1)*v], tg.Q2.Data[i*v:(i+1)*v]
	if t.Cfg.TargetValue == TargetMax && len(allowed) > 0 {
		return maxValue(q1, q2, allowed)
	}
	softmax64(on.Logits.Data[i*v:(i+1)*v], pi)
	return value(pi, q1, q2, allowed)
}
