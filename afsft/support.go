package afsft

import (
	"math"
	"sort"
)

// support records, for every reply prefix in the replay, which next tokens
// the data holds there. With Config.DataSupport the value of a state is
// taken over these tokens only, V(s) = sum_{a in D(s)} pi(a|s) Q(s,a) /
// sum_{a in D(s)} pi(a|s): the critic is never trained on other tokens, so
// their Q is a guess that must not decide which dataset tokens are kept.
// The prefix ignores the prompt on purpose: replies share their syntax
// across states, and a token seen after the same prefix in any state has
// had its Q regressed by the shared trunk.
type support struct {
	root *prefixNode
}

type prefixNode struct {
	next   map[int]*prefixNode
	tokens []int // sorted keys of next, built lazily
}

func newSupport() *support { return &support{root: &prefixNode{next: map[int]*prefixNode{}}} }

// add records every prefix of reply.
func (s *support) add(reply []int) {
	n := s.root
	for _, a := range reply {
		c := n.next[a]
		if c == nil {
			c = &prefixNode{next: map[int]*prefixNode{}}
			n.next[a] = c
			n.tokens = nil
		}
		n = c
	}
}

// along returns the supported tokens before each position of reply and
// after its last token (len(reply)+1 sets; nil where the data has nothing).
func (s *support) along(reply []int) [][]int {
	out := make([][]int, len(reply)+1)
	n := s.root
	for j := 0; ; j++ {
		if n == nil {
			return out
		}
		out[j] = n.keys()
		if j == len(reply) {
			return out
		}
		n = n.next[reply[j]]
	}
}

func (n *prefixNode) keys() []int {
	if n.tokens == nil && len(n.next) > 0 {
		n.tokens = make([]int, 0, len(n.next))
		for a := range n.next {
			n.tokens = append(n.tokens, a)
		}
		sort.Ints(n.tokens)
	}
	return n.tokens
}

// value is V(s) from the policy's probabilities pi and the Q row: over
// allowed tokens (renormalised) when allowed is non-empty, else over the
// whole vocabulary.
func value(pi []float64, q1, q2 []float32, allowed []int) float64 {
	minQ := func(a int) float64 {
		x, y := float64(q1[a]), float64(q2[a])
		if y < x {
			return y
		}
		return x
	}
	var v float64
	if len(allowed) == 0 {
		for a := range pi {
			v += pi[a] * minQ(a)
		}
		return v
	}
	var z float64
	for _, a := range allowed {
		z += pi[a]
	}
	if z <= 0 { // every allowed token underflowed: weigh them equally
		for _, a := range allowed {
			v += minQ(a)
		}
		return v / float64(len(allowed))
	}
	for _, a := range allowed {
		v += pi[a] / z * minQ(a)
	}
	return v
}

// maxValue is max over allowed (non-empty) of min(Q1, Q2).
func maxValue(q1, q2 []float32, allowed []int) float64 {
	best := math.Inf(-1)
	for _, a := range allowed {
		best = math.Max(best, math.Min(float64(q1[a]), float64(q2[a])))
	}
	return best
}
