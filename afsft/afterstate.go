package afsft

import (
	"errors"
	"fmt"
	"math"

	"vlmq/tensor"
	"vlmq/vlm"
)

// The afterstate critic (Config.Critic "afterstate") reads a turn at
// len(Reply)+1 rows: row 0 is the state before the first reply token and
// row j+1 the state after token j. Each row's value U is the critic head's
// entry at the column of the token that row has just read (the last prompt
// token at row 0), so U(row j+1) = Q(s_j, a_j) is computed with a_j as the
// input, and U(row j) doubles as V(s_j).

// afterInputs reads each sample teacher-forced with its len(Reply)+1 rows.
func afterInputs(batch []*Sample) []vlm.Input {
	in := make([]vlm.Input, len(batch))
	for i, s := range batch {
		x := s.Input()
		x.Targets = append(x.Targets, len(x.Tokens))
		in[i] = x
	}
	return in
}

// afterColumns is, for every row of afterInputs(batch), the token the row
// has just read.
func afterColumns(batch []*Sample) []int {
	var cols []int
	for _, s := range batch {
		cols = append(cols, s.Prompt[len(s.Prompt)-1])
		cols = append(cols, s.Reply...)
	}
	return cols
}

// rowValues is min(Q1, Q2) at each row's column.
func rowValues(out vlm.Output, cols []int) ([]float64, error) {
	if out.Q1.Shape[0] != len(cols) {
		return nil, fmt.Errorf("afsft: model returned %d rows for %d afterstate rows", out.Q1.Shape[0], len(cols))
	}
	v := out.Q1.Shape[1]
	u := make([]float64, len(cols))
	for r, c := range cols {
		u[r] = math.Min(float64(out.Q1.Data[r*v+c]), float64(out.Q2.Data[r*v+c]))
	}
	return u, nil
}

// AfterstateValues returns, per sample, the afterstate critic's U at its
// len(Reply)+1 rows (before the first reply token, then after each one).
func AfterstateValues(m vlm.Model, batch []*Sample) ([][]float64, error) {
	for _, s := range batch {
		if len(s.Prompt) == 0 {
			return nil, errors.New("afsft: sample with empty prompt")
		}
	}
	out, err := m.Forward(nil, afterInputs(batch))
	if err != nil {
		return nil, err
	}
	u, err := rowValues(out, afterColumns(batch))
	if err != nil {
		return nil, err
	}
	res := make([][]float64, len(batch))
	row := 0
	for i, s := range batch {
		res[i] = u[row : row+len(s.Reply)+1]
		row += len(s.Reply) + 1
	}
	return res, nil
}

// afterstate is Step's afterstate critic. Targets, per turn, backwards:
// the row after the last token regresses r + gamma U_tgt(next turn's row
// 0) (r at an episode's end); every other row regresses the value passed
// back from the row after it, which is U_tgt of that row where the data
// forks there and its target otherwise. Rows where the data forks use the
// expectile loss, so U there tends to the best branch the data took.
func (t *Trainer) afterstate(batch []*Sample, actions []int, allowed [][]int, noCritic bool, st *Stats) (heads, error) {
	if allowed == nil {
		return heads{}, errors.New("afsft: the afterstate critic needs data support")
	}
	for _, s := range batch {
		if len(s.Prompt) == 0 {
			return heads{}, errors.New("afsft: sample with empty prompt")
		}
	}
	tp, n := t.tape, len(actions)
	in := afterInputs(batch)
	out, err := t.Model.Forward(tp, in)
	if err != nil {
		return heads{}, err
	}
	cols := afterColumns(batch)
	u, err := rowValues(out, cols)
	if err != nil {
		return heads{}, err
	}
	fork := func(row int) bool { return len(allowed[row]) > 1 }

	actorRows := make([]int, 0, n)
	w := make([]float32, n)
	var kept, sumA, sumQ float64
	i, row := 0, 0
	for _, s := range batch {
		for j := range s.Reply {
			actorRows = append(actorRows, row+j)
			adv := u[row+j+1] - u[row+j]
			sumA += adv
			sumQ += u[row+j+1]
			w[i] = t.weight(adv, !fork(row+j))
			if w[i] > 0 {
				kept++
			}
			i++
		}
		row += len(s.Reply) + 1
	}
	st.MeanAdv, st.MeanQ, st.Kept = sumA/float64(n), sumQ/float64(n), kept/float64(n)
	h := heads{logits: tp.SelectRows(out.Logits, actorRows), w: w}
	if noCritic {
		return h, nil
	}

	y, err := t.afterTargets(batch, in, cols, fork)
	if err != nil {
		return heads{}, err
	}
	h.y = make([]float32, 0, n)
	row = 0
	for _, s := range batch {
		h.y = append(h.y, y[row+1:row+len(s.Reply)+1]...) // token j's target is its afterstate's
		row += len(s.Reply) + 1
	}

	// Expectile weights from each twin's own error at the fork rows.
	tau := float32(t.Cfg.expectile())
	v := out.Q1.Shape[1]
	weights := func(q *tensor.Tensor) []float32 {
		ew := make([]float32, len(cols))
		for r, c := range cols {
			switch {
			case !fork(r):
				ew[r] = 1
			case y[r] > q.Data[r*v+c]:
				ew[r] = tau
			default:
				ew[r] = 1 - tau
			}
		}
		return ew
	}
	target := tensor.New(y, len(y))
	delta := float32(t.Cfg.HuberDelta)
	h.critic = tp.Add(
		tp.WeightedHuber(tp.Gather(out.Q1, cols), target, delta, weights(out.Q1)),
		tp.WeightedHuber(tp.Gather(out.Q2, cols), target, delta, weights(out.Q2)))
	st.CriticLoss = float64(h.critic.Data[0])
	return h, nil
}

// afterTargets is the TD target of every row of in (afterInputs(batch),
// whose rows read the columns cols), from the target network.
func (t *Trainer) afterTargets(batch []*Sample, in []vlm.Input, cols []int, fork func(row int) bool) ([]float32, error) {
	tgt, err := t.Target.Forward(nil, in)
	if err != nil {
		return nil, err
	}
	ut, err := rowValues(tgt, cols)
	if err != nil {
		return nil, err
	}
	var nexts []*Sample
	var nextCols []int
	for _, s := range batch {
		if !s.Done && s.Next != nil {
			if len(s.Next.Prompt) == 0 {
				return nil, errors.New("afsft: sample with empty prompt")
			}
			nexts = append(nexts, s.Next)
			nextCols = append(nextCols, s.Next.Prompt[len(s.Next.Prompt)-1])
		}
	}
	var boot []float64
	if len(nexts) > 0 {
		o, err := t.Target.Forward(nil, inputs(nexts, true))
		if err != nil {
			return nil, err
		}
		if boot, err = rowValues(o, nextCols); err != nil {
			return nil, err
		}
	}
	y := make([]float32, len(cols))
	row, nextRow := 0, 0
	for _, s := range batch {
		l := len(s.Reply)
		g := s.Reward * t.rewardScale()
		if !s.Done && s.Next != nil {
			g += t.Cfg.Gamma * boot[nextRow]
			nextRow++
		}
		y[row+l] = float32(g)
		for j := l - 1; j >= 0; j-- {
			if fork(row + j + 1) {
				g = ut[row+j+1]
			}
			y[row+j] = float32(g)
		}
		row += l + 1
	}
	return y, nil
}
