// Package metrics computes evaluation statistics with 95% intervals and
// logs training metrics to resumable JSONL and CSV files.
package metrics

import (
	"encoding/json"
	"fmt"
	"math"
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
func Mean(xs []float64) (Estimate, error) {
	n := len(xs)
	if n == 0 {
		return Estimate{math.NaN(), math.NaN(), math.NaN(), 0}, nil
	}
	sum := 0.0
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Estimate{}, fmt.Errorf("metrics: Mean: value %d is %v", i, x)
		}
		sum += x
	}
	m := sum / float64(n)
	if n == 1 {
		return Estimate{m, math.Inf(-1), math.Inf(1), 1}, nil
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	se := math.Sqrt(ss / float64(n-1) / float64(n))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	return Estimate{m, m - t*se, m + t*se, n}, nil
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
}

// Summarize computes a Summary; it fails only on non-finite returns.
func Summarize(eps []dataset.Episode) (Summary, error) {
	var s Summary
	valid, success := 0, 0
	returns := make([]float64, 0, len(eps))
	for _, e := range eps {
		for _, t := range e.Turns {
			s.Replies++
			if t.Valid {
				valid++
			}
		}
		if e.Success {
			success++
		}
		returns = append(returns, e.Return)
	}
	s.Episodes = len(eps)
	s.SyntaxAccuracy, _ = Wilson(valid, s.Replies)
	s.SuccessRate, _ = Wilson(success, s.Episodes)
	var err error
	if s.MeanReturn, err = Mean(returns); err != nil {
		return Summary{}, fmt.Errorf("metrics: Summarize: %w", err)
	}
	return s, nil
}

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
