package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"vlmq/dataset"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestWilsonReferenceValues(t *testing.T) {
	// Published values: Newcombe (1998), Stat. Med. 17:857, Table I
	// (method 3, score interval without continuity correction), and the
	// closed forms for k=0 (upper = z^2/(n+z^2)) and k=n.
	cases := []struct {
		k, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
		{0, 10, 0, 3.8415 / 13.8415},
		{10, 10, 10 / 13.8415, 1},
	}
	for _, c := range cases {
		e, err := Wilson(c.k, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if !near(e.Lo, c.lo, 6e-5) || !near(e.Hi, c.hi, 6e-5) || e.N != c.n || e.Value != float64(c.k)/float64(c.n) {
			t.Errorf("Wilson(%d,%d) = %v, want [%.4f, %.4f]", c.k, c.n, e, c.lo, c.hi)
		}
	}
	for _, bad := range [][2]int{{-1, 3}, {4, 3}, {0, -1}} {
		if _, err := Wilson(bad[0], bad[1]); err == nil {
			t.Errorf("Wilson(%d,%d) accepted", bad[0], bad[1])
		}
	}
	if e, _ := Wilson(0, 0); !math.IsNaN(e.Value) || e.N != 0 {
		t.Errorf("Wilson(0,0) = %v", e)
	}
}

func TestWilsonCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []float64{0.05, 0.3, 0.9} {
		const reps, n = 4000, 60
		covered := 0
		for range reps {
			k := 0
			for range n {
				if rng.Float64() < p {
					k++
				}
			}
			e, _ := Wilson(k, n)
			if e.Lo <= p && p <= e.Hi {
				covered++
			}
		}
		// Wilson's actual coverage oscillates around 95%, within about
		// 92-97% at these n; a broken interval (e.g. Wald at p=0.05 drops
		// to ~80%) falls outside.
		if c := float64(covered) / reps; c < 0.92 || c > 0.985 {
			t.Errorf("p=%.2f: coverage %.3f", p, c)
		}
	}
}

func TestMean(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	e, err := Mean(xs)
	if err != nil {
		t.Fatal(err)
	}
	// t(0.975, 9) = 2.2622 (tables); sd = sqrt(55/6).
	half := 2.2622 * math.Sqrt(55.0/6) / math.Sqrt(10)
	if e.Value != 5.5 || !near(e.Lo, 5.5-half, 1e-3) || !near(e.Hi, 5.5+half, 1e-3) || e.N != 10 {
		t.Fatalf("Mean(1..10) = %v, want 5.5 ± %.4f", e, half)
	}
	one, _ := Mean([]float64{3})
	if one.Value != 3 || !math.IsInf(one.Lo, -1) || !math.IsInf(one.Hi, 1) {
		t.Fatalf("Mean of one value = %v", one)
	}
	if _, err := Mean([]float64{1, math.NaN()}); err == nil {
		t.Fatal("NaN accepted")
	}
	if z, _ := Mean(nil); !math.IsNaN(z.Value) || z.N != 0 {
		t.Fatalf("Mean(nil) = %v", z)
	}
}

func TestMeanCoverageSmallN(t *testing.T) {
	// With n=4 normal draws, the t interval covers 95%; a normal-quantile
	// interval would cover only ~86%.
	rng := rand.New(rand.NewPCG(3, 4))
	const reps = 5000
	covered := 0
	for range reps {
		xs := make([]float64, 4)
		for i := range xs {
			xs[i] = 2 + 3*rng.NormFloat64()
		}
		e, _ := Mean(xs)
		if e.Lo <= 2 && 2 <= e.Hi {
			covered++
		}
	}
	if c := float64(covered) / reps; !near(c, 0.95, 0.015) {
		t.Fatalf("coverage %.3f, want 0.95", c)
	}
}

func ep(id int64, env string, valid []bool, ret float64, success bool) dataset.Episode {
	e := dataset.Episode{ID: id, Env: env, Return: ret, Success: success}
	for i, v := range valid {
		e.Turns = append(e.Turns, dataset.Turn{Episode: id, Turn: i, Env: env, Valid: v})
	}
	return e
}

func TestSummarize(t *testing.T) {
	eps := []dataset.Episode{
		ep(0, "a", []bool{true, false, true}, 1, true),
		ep(1, "a", []bool{true}, -1, false),
		ep(2, "b", []bool{false, false, true, true}, 10, true),
		ep(3, "b", []bool{true, true}, 0, false),
	}
	s, err := Summarize(eps)
	if err != nil {
		t.Fatal(err)
	}
	if s.Episodes != 4 || s.Replies != 10 {
		t.Fatalf("episodes %d replies %d", s.Episodes, s.Replies)
	}
	acc, _ := Wilson(7, 10)
	succ, _ := Wilson(2, 4)
	ret, _ := Mean([]float64{1, -1, 10, 0})
	if s.SyntaxAccuracy != acc || s.SuccessRate != succ || s.MeanReturn != ret {
		t.Fatalf("summary %+v", s)
	}
	if s.MeanReturn.Value != 2.5 || s.SyntaxAccuracy.Value != 0.7 || s.SuccessRate.Value != 0.5 {
		t.Fatalf("point estimates %+v", s)
	}
	by, err := SummarizeBy(eps, func(e dataset.Episode) string { return e.Env })
	if err != nil {
		t.Fatal(err)
	}
	if len(by) != 2 || by["a"].Replies != 4 || by["b"].Replies != 6 || by["b"].MeanReturn.Value != 5 {
		t.Fatalf("by env: %+v", by)
	}
	empty, err := Summarize(nil)
	if err != nil || empty.Episodes != 0 || !math.IsNaN(empty.SuccessRate.Value) {
		t.Fatalf("empty summary %+v, %v", empty, err)
	}
	bad := []dataset.Episode{ep(0, "a", []bool{true}, math.Inf(1), false)}
	if _, err := Summarize(bad); err == nil {
		t.Fatal("infinite return accepted")
	}
}

func TestEstimateJSON(t *testing.T) {
	one, _ := Mean([]float64{3})
	none, _ := Wilson(0, 0)
	some, _ := Wilson(3, 7)
	for _, e := range []Estimate{one, none, some} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		var back Estimate
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !same(back.Value, e.Value) || !same(back.Lo, e.Lo) || !same(back.Hi, e.Hi) || back.N != e.N {
			t.Fatalf("%s -> %v, want %v", b, back, e)
		}
	}
}

// TestTallyStreams: a Tally fed episodes one at a time, in any order,
// gives bit for bit the same summary (so a resumed evaluation ends as an
// uninterrupted one), and that summary is the two-pass textbook estimate
// to rounding.
func TestTallyStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	eps := make([]dataset.Episode, 3000)
	returns := make([]float64, len(eps))
	for i := range eps {
		returns[i] = math.Round(rng.NormFloat64()*1e6) / 1e7 // decimals that floats do not hold exactly
		eps[i] = ep(int64(i), "a", []bool{rng.IntN(3) > 0, true}, returns[i], rng.IntN(4) == 0)
	}
	want, err := Summarize(eps)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		rng.Shuffle(len(eps), func(i, j int) { eps[i], eps[j] = eps[j], eps[i] })
		var tl Tally
		for _, e := range eps {
			if err := tl.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		if got := tl.Summary(); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled: %+v, in order %+v", got, want)
		}
	}
	// The two-pass formula of the earlier Mean, in float64.
	sum := 0.0
	for _, x := range returns {
		sum += x
	}
	m := sum / float64(len(returns))
	ss := 0.0
	for _, x := range returns {
		ss += (x - m) * (x - m)
	}
	se := math.Sqrt(ss / float64(len(returns)-1) / float64(len(returns)))
	if got := want.MeanReturn; !near(got.Value, m, 1e-15) || !near(got.Hi-got.Value, 1.96075*se, 2e-5*se) {
		t.Errorf("mean %v, two-pass %v ± %v", got, m, 1.9607*se)
	}
	var tl Tally
	if err := tl.Add(ep(0, "a", []bool{true}, math.NaN(), false)); err == nil || tl.Episodes() != 0 {
		t.Errorf("a NaN return was counted: %v", err)
	}
}
