// Package metrics computes evaluation statistics with 95% intervals and
// logs training metrics to resumable JSONL and CSV files.
package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"vlmq/dataset"
)

// z95 is the standard normal 97.5% quantile.
const z95 = 1.959963984540054

// Estimate is a point estimate with a 95% interval [Lo, Hi] from N
// observations. With N == 0 every field but N is NaN; a mean from a single
// observation has the infinite interval (-Inf, +Inf).
type Estimate struct {
	Value, Lo, Hi float64
	N             int
}

// String formats "0.812 [0.771, 0.848] n=200".
func (e Estimate) String() string {
	return fmt.Sprintf("%.3f [%.3f, %.3f] n=%d", e.Value, e.Lo, e.Hi, e.N)
}

type estimateJSON struct {
	Value, Lo, Hi *float64
	N             int
}

func finitePtr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// MarshalJSON writes non-finite bounds as null (JSON has no NaN/Inf).
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(estimateJSON{finitePtr(e.Value), finitePtr(e.Lo), finitePtr(e.Hi), e.N})
}

// UnmarshalJSON reads null as NaN for Value and as the infinite bound for
// Lo and Hi (the only non-finite values MarshalJSON drops when N > 0).
func (e *Estimate) UnmarshalJSON(b []byte) error {
	var j estimateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	get := func(p *float64, missing float64) float64 {
		if p == nil {
			return missing
		}
		return *p
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if j.N == 0 {
		lo, hi = math.NaN(), math.NaN()
	}
	*e = Estimate{Value: get(j.Value, math.NaN()), Lo: get(j.Lo, lo), Hi: get(j.Hi, hi), N: j.N}
	return nil
}

// Wilson estimates a proportion k/n with the Wilson score interval. It is
// used rather than the normal (Wald) interval because success rates near 0
// or 1 (e.g. Points24 at a few %) are common here, where Wald collapses to a
// zero-width interval or leaves [0, 1].
func Wilson(k, n int) (Estimate, error) {
	if n < 0 || k < 0 || k > n {
		return Estimate{}, fmt.Errorf("metrics: Wilson: need 0 <= k <= n (k=%d, n=%d)", k, n)
	}
	if n == 0 {
		return Estimate{math.NaN(), math.NaN(), math.NaN(), 0}, nil
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	centre := (p + z2/(2*nf)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	// Clamp rounding so that k=0 gives exactly 0 and k=n exactly 1.
	return Estimate{Value: p, Lo: math.Max(0, centre-half), Hi: math.Min(1, centre+half), N: n}, nil
}

// Mean estimates the mean of xs with a Student t interval (n-1 degrees of
// freedom), which is exact for normal data and approaches the normal
// interval for large n; returns are bounded, so the CLT makes it a good
// approximation at the sample sizes used for evaluation (>= 30 episodes).
// It is MeanTally's estimate: the same for any order of xs.
func Mean(xs []float64) (Estimate, error) {
	var t MeanTally
	for i, x := range xs {
		if err := t.Add(x); err != nil {
			return Estimate{}, fmt.Errorf("metrics: Mean: value %d is %v", i, x)
		}
	}
	return t.Estimate(), nil
}

// MeanTally gathers Mean's estimate one value at a time in constant
// memory. Its sums are exact (rationals: every float64 is one), so the
// estimate is the correctly rounded mean and variance whatever the order
// or grouping of the values: an evaluation resumed from a checkpoint ends
// with the same bits as an uninterrupted one. The zero value is empty.
type MeanTally struct {
	n          int
	sum, sumSq big.Rat
}

// Add adds x; a NaN or infinite x is refused and leaves t unchanged.
func (t *MeanTally) Add(x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("metrics: value %v is not finite", x)
	}
	var r big.Rat
	r.SetFloat64(x)
	t.sum.Add(&t.sum, &r)
	t.sumSq.Add(&t.sumSq, r.Mul(&r, &r))
	t.n++
	return nil
}

// Estimate is the mean of the values added so far with its 95% t interval
// (see Mean).
func (t *MeanTally) Estimate() Estimate {
	n := t.n
	if n == 0 {
		return Estimate{math.NaN(), math.NaN(), math.NaN(), 0}
	}
	nr := new(big.Rat).SetInt64(int64(n))
	mean := new(big.Rat).Quo(&t.sum, nr)
	m, _ := mean.Float64()
	if n == 1 {
		return Estimate{m, math.Inf(-1), math.Inf(1), 1}
	}
	// ss = sum (x - mean)^2 = sumSq - sum*mean, exactly; the variance of
	// the mean is ss / (n-1) / n.
	ss := new(big.Rat).Sub(&t.sumSq, new(big.Rat).Mul(&t.sum, mean))
	v, _ := ss.Quo(ss, new(big.Rat).SetInt64(int64(n-1)*int64(n))).Float64()
	se := math.Sqrt(v)
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	return Estimate{m, m - q*se, m + q*se, n}
}

// Summary is the evaluation of a set of episodes.
type Summary struct {
	Episodes int
	Replies  int
	// SyntaxAccuracy is valid replies / replies. Its interval treats replies
	// as independent, which understates the width when one episode's
	// replies are correlated.
	SyntaxAccuracy Estimate
	// SuccessRate is successful episodes / episodes.
	SuccessRate Estimate
	// MeanReturn is the mean undiscounted episode return.
	MeanReturn Estimate
	// TopReplies are the TopReplyKinds most common replies: how
	// state-blind a policy is shows in the share of its most common one
	// (a policy that answers "[action] forward" whatever it sees).
	TopReplies []ReplyCount `json:",omitempty"`
}

// TopReplyKinds is how many of the most common replies a Summary lists.
const TopReplyKinds = 10

// TopShare is the share of all replies that the most common one takes,
// with that reply (ok false when s lists no replies).
func (s Summary) TopShare() (share float64, reply string, ok bool) {
	if len(s.TopReplies) == 0 || s.Replies == 0 {
		return 0, "", false
	}
	r := s.TopReplies[0]
	return float64(r.Count) / float64(s.Replies), r.Reply, true
}

// ShareOf is the share of all replies that reply takes, counting valid
// and invalid alike. When the reply is not among s.TopReplies, its count
// is at most the least listed one's: bound is then true and share is
// that upper bound (0 when s lists fewer than TopReplyKinds replies,
// since then every reply is listed). ok is false when s lists none.
func (s Summary) ShareOf(reply string) (share float64, bound, ok bool) {
	if len(s.TopReplies) == 0 || s.Replies == 0 {
		return 0, false, false
	}
	n, found := 0, false
	for _, r := range s.TopReplies {
		if r.Reply == reply {
			n += r.Count
			found = true
		}
	}
	if !found && len(s.TopReplies) >= TopReplyKinds {
		return float64(s.TopReplies[len(s.TopReplies)-1].Count) / float64(s.Replies), true, true
	}
	return float64(n) / float64(s.Replies), false, true
}

// Summarize computes a Summary; it fails only on non-finite returns.
func Summarize(eps []dataset.Episode) (Summary, error) {
	var t Tally
	for _, e := range eps {
		if err := t.Add(e); err != nil {
			return Summary{}, fmt.Errorf("metrics: Summarize: %w", err)
		}
	}
	return t.Summary(), nil
}

// Tally gathers a Summary one episode at a time in bounded memory (its
// reply counts track at most DefaultReplyKinds distinct replies), so an
// evaluation need not hold its episodes; its Summary is Summarize's for
// the same episodes, in any order. The zero value is empty.
type Tally struct {
	episodes, replies, valid, success int
	returns                           MeanTally
	counts                            *ReplyCounter // nil until the first reply
}

// Add counts e; an episode with a non-finite return is refused and
// leaves t unchanged.
func (t *Tally) Add(e dataset.Episode) error {
	if err := t.returns.Add(e.Return); err != nil {
		return fmt.Errorf("episode %d: return %v", e.ID, e.Return)
	}
	t.episodes++
	if t.counts == nil && len(e.Turns) > 0 {
		t.counts = NewReplyCounter(0)
	}
	for _, tu := range e.Turns {
		t.counts.Add(tu.Reply, tu.Valid)
		t.replies++
		if tu.Valid {
			t.valid++
		}
	}
	if e.Success {
		t.success++
	}
	return nil
}

// Episodes is the number of episodes counted.
func (t *Tally) Episodes() int { return t.episodes }

// Summary is the summary of the episodes counted so far.
func (t *Tally) Summary() Summary {
	s := Summary{Episodes: t.episodes, Replies: t.replies, MeanReturn: t.returns.Estimate()}
	s.SyntaxAccuracy, _ = Wilson(t.valid, t.replies)
	s.SuccessRate, _ = Wilson(t.success, t.episodes)
	if t.counts != nil {
		s.TopReplies = t.counts.Most(TopReplyKinds)
	}
	return s
}

// Replies counts the replies so far (nil before the first): the full
// listing behind Summary.TopReplies.
func (t *Tally) Replies() *ReplyCounter { return t.counts }

// SummarizeBy groups episodes by key (e.g. env name or source) and
// summarizes each group.
func SummarizeBy(eps []dataset.Episode, key func(dataset.Episode) string) (map[string]Summary, error) {
	groups := map[string][]dataset.Episode{}
	for _, e := range eps {
		k := key(e)
		groups[k] = append(groups[k], e)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]Summary, len(groups))
	for _, k := range keys {
		s, err := Summarize(groups[k])
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}
