package cards

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Exact search for formulas over card values. Values stay tiny (at most 8
// digits across all leaves), so int64 rationals cannot overflow; a guard
// still drops anything implausibly large.

type rat struct{ n, d int64 } // d > 0, gcd(n, d) = 1

func gcd(a, b int64) int64 {
	if a < 0 {
		a = -a
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

const ratLimit = 1 << 40

func mkRat(n, d int64) (rat, bool) {
	if d == 0 || n > ratLimit || n < -ratLimit || d > ratLimit || d < -ratLimit {
		return rat{}, false
	}
	if d < 0 {
		n, d = -n, -d
	}
	g := gcd(n, d)
	if g > 1 {
		n, d = n/g, d/g
	}
	return rat{n, d}, true
}

// expr is a formula tree; leaves carry the card tokens they concatenate.
type expr struct {
	op   byte // 0 for a leaf
	l, r *expr
	toks []string
	v    rat
}

func prec(e *expr) int {
	switch e.op {
	case '+', '-':
		return 1
	case '*', '/':
		return 2
	}
	return 3
}

// tokens writes e with the fewest parentheses that keep its meaning.
func (e *expr) tokens(out []string) []string {
	if e.op == 0 {
		return append(out, e.toks...)
	}
	p := prec(e)
	wrap := func(c *expr, need bool) {
		if need {
			out = append(out, "(")
		}
		out = c.tokens(out)
		if need {
			out = append(out, ")")
		}
	}
	wrap(e.l, prec(e.l) < p)
	out = append(out, string(e.op))
	wrap(e.r, prec(e.r) < p || (prec(e.r) == p && (e.op == '-' || e.op == '/')))
	return out
}

func combine(op byte, a, b *expr) (*expr, bool) {
	var v rat
	var ok bool
	switch op {
	case '+':
		v, ok = mkRat(a.v.n*b.v.d+b.v.n*a.v.d, a.v.d*b.v.d)
	case '-':
		v, ok = mkRat(a.v.n*b.v.d-b.v.n*a.v.d, a.v.d*b.v.d)
	case '*':
		v, ok = mkRat(a.v.n*b.v.n, a.v.d*b.v.d)
	case '/':
		v, ok = mkRat(a.v.n*b.v.d, a.v.d*b.v.n)
	}
	if !ok {
		return nil, false
	}
	return &expr{op: op, l: a, r: b, v: v}, true
}

// solver searches formulas over a multiset of card values.
type solver struct {
	target int64
	ops    []byte // among + - * /
	concat bool   // allow adjacent cards to form multi-digit numbers
	all    bool   // collect every solution instead of stopping at the first
	found  map[string][]string
}

// leafSets lists the distinct ways to turn the cards into numbers: every
// ordering of the cards cut into contiguous blocks, each block read as
// one concatenated number. Without concat only single cards are leaves.
func (s *solver) leafSets(vals []int) [][]*expr {
	seen := map[string]bool{}
	var out [][]*expr
	perm := slices.Clone(vals)
	slices.Sort(perm)
	n := len(perm)
	for {
		cuts := 1 << max(n-1, 0)
		for mask := 0; mask < cuts; mask++ {
			if !s.concat && mask != cuts-1 {
				continue
			}
			var leaves []*expr
			var cur []string
			for i, v := range perm {
				cur = append(cur, strconv.Itoa(v))
				if i == n-1 || mask&(1<<i) != 0 {
					num, err := strconv.ParseInt(strings.Join(cur, ""), 10, 64)
					if err != nil {
						cur = nil
						continue
					}
					leaves = append(leaves, &expr{toks: cur, v: rat{num, 1}})
					cur = nil
				}
			}
			keys := make([]string, len(leaves))
			for i, l := range leaves {
				keys[i] = strings.Join(l.toks, ",")
			}
			sort.Strings(keys)
			k := strings.Join(keys, "|")
			if !seen[k] {
				seen[k] = true
				out = append(out, leaves)
			}
		}
		if !nextPerm(perm) {
			return out
		}
	}
}

// nextPerm advances p to its next lexicographic permutation.
func nextPerm(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	slices.Reverse(p[i+1:])
	return true
}

// search combines pairs of items until one remains; it returns true to
// stop early.
func (s *solver) search(items []*expr) bool {
	if len(items) == 1 {
		if items[0].v.d == 1 && items[0].v.n == s.target {
			t := items[0].tokens(nil)
			s.found[strings.Join(t, " ")] = t
			return !s.all
		}
		return false
	}
	rest := make([]*expr, 0, len(items)-1)
	for i := 0; i < len(items); i++ {
		for j := i + 1; j < len(items); j++ {
			rest = rest[:0]
			for k, it := range items {
				if k != i && k != j {
					rest = append(rest, it)
				}
			}
			a, b := items[i], items[j]
			for _, op := range s.ops {
				pairs := [][2]*expr{{a, b}}
				if op == '-' || op == '/' {
					pairs = append(pairs, [2]*expr{b, a})
				}
				for _, pr := range pairs {
					e, ok := combine(op, pr[0], pr[1])
					if !ok {
						continue
					}
					if s.search(append(rest, e)) {
						return true
					}
				}
			}
		}
	}
	return false
}

// solve returns solutions as token sequences (without "="): formulas over
// single cards first, then concatenations; shorter and lexically smaller
// first. With all=false at most one solution is returned.
func (s *solver) solve(vals []int) [][]string {
	s.found = map[string][]string{}
	for _, leaves := range s.leafSets(vals) {
		if s.search(leaves) {
			break
		}
	}
	out := make([][]string, 0, len(s.found))
	for _, t := range s.found {
		out = append(out, t)
	}
	concatenated := func(t []string) int {
		n := 0
		for i := 1; i < len(t); i++ {
			if isNumber(t[i]) && isNumber(t[i-1]) {
				n++
			}
		}
		return n
	}
	sort.Slice(out, func(i, j int) bool {
		ci, cj := concatenated(out[i]), concatenated(out[j])
		if ci != cj {
			return ci < cj
		}
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return strings.Join(out[i], " ") < strings.Join(out[j], " ")
	})
	return out
}

func isNumber(t string) bool { return t != "" && t[0] >= '0' && t[0] <= '9' }

func opsOf(r *formulaRules) []byte {
	var ops []byte
	for _, o := range r.ops {
		if o == "+" || o == "-" || o == "*" || o == "/" {
			ops = append(ops, o[0])
		}
	}
	return ops
}

// Solutions depend only on the multiset of values, so they are memoised.
type solKey struct {
	game   string
	vals   [4]int
	concat bool
	all    bool
}

var (
	solMu    sync.Mutex
	solCache = map[solKey][][]string{}
)

// solutions returns the (memoised) solutions for up to four values under
// rules r.
func solutions(r *formulaRules, vals []int, concat, all bool) [][]string {
	if len(vals) > 4 {
		return nil
	}
	k := solKey{game: r.name, concat: concat, all: all}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	copy(k.vals[:], sorted)
	solMu.Lock()
	v, ok := solCache[k]
	solMu.Unlock()
	if ok {
		return v
	}
	s := &solver{target: r.target, ops: opsOf(r), concat: concat, all: all}
	v = s.solve(sorted)
	solMu.Lock()
	solCache[k] = v
	solMu.Unlock()
	return v
}

// solvable24 reports whether four card values (1..10) can make 24 with
// + - * / and parentheses, each card used once; concat also allows adjacent
// cards to form multi-digit numbers, as the env's formula rules do.
func solvable24(vals [4]int, concat bool) bool {
	return len(solutions(points24Rules, vals[:], concat, false)) > 0
}
