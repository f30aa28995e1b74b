package tokenizer

import (
	"container/heap"
	"fmt"
	"sort"
)

// minPairCount stops training when the best pair is this rare: merges seen
// once only memorise single words.
const minPairCount = 2

// Train learns a byte-level BPE vocabulary of at most vocabSize tokens from
// corpus. special lists the special tokens (ids 0..len-1); nil means
// DefaultSpecial. Ids follow as: specials, the 256 bytes, then merges in
// the order learned. Training may stop early when no pair occurs twice.
func Train(corpus []string, vocabSize int, special []string) (*Tokenizer, error) {
	if special == nil {
		special = DefaultSpecial
	}
	if err := checkSpecial(special); err != nil {
		return nil, err
	}
	if min := len(special) + 256; vocabSize < min {
		return nil, fmt.Errorf("tokenizer: vocab size %d is below %d (specials + 256 bytes)", vocabSize, min)
	}
	t := newBase(special)

	// Unique pre-tokens with counts, in a deterministic order.
	counts := map[string]int{}
	for _, s := range corpus {
		split(s, func(w string) { counts[w]++ })
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	words := make([][]int, len(keys))
	freq := make([]int, len(keys))
	for i, k := range keys {
		ids := make([]int, len(k))
		for j := 0; j < len(k); j++ {
			ids[j] = t.byteID[k[j]]
		}
		words[i], freq[i] = ids, counts[k]
	}

	pc := map[pair]int{}
	where := map[pair]map[int]struct{}{}
	addWord := func(wi, sign int) {
		w := words[wi]
		for j := 0; j+1 < len(w); j++ {
			p := pair{w[j], w[j+1]}
			pc[p] += sign * freq[wi]
			if sign > 0 {
				s := where[p]
				if s == nil {
					s = map[int]struct{}{}
					where[p] = s
				}
				s[wi] = struct{}{}
			}
		}
	}
	for wi := range words {
		addWord(wi, 1)
	}
	h := &pairHeap{}
	for p, c := range pc {
		*h = append(*h, pairCount{p, c})
	}
	heap.Init(h)

	byContent := map[string]int{}
	for id, tok := range t.tokens {
		if !t.isSpec[id] {
			byContent[string(tok)] = id
		}
	}
	banned := map[string]bool{}
	for _, s := range special {
		banned[s] = true
	}

	for len(t.tokens) < vocabSize && h.Len() > 0 {
		top := heap.Pop(h).(pairCount)
		if pc[top.p] != top.c {
			continue // stale entry
		}
		if top.c < minPairCount {
			break
		}
		content := string(t.tokens[top.p.a]) + string(t.tokens[top.p.b])
		if banned[content] {
			// A text token spelling a special token would be ambiguous in
			// tokenizer.json (one vocab key); never create it.
			delete(pc, top.p)
			continue
		}
		id, ok := byContent[content]
		if !ok {
			id = len(t.tokens)
			t.tokens = append(t.tokens, []byte(content))
			t.isSpec = append(t.isSpec, false)
			byContent[content] = id
		}
		t.merges[top.p] = merge{rank: len(t.order), id: id}
		t.order = append(t.order, top.p)

		touched := map[pair]struct{}{}
		ws := make([]int, 0, len(where[top.p]))
		for wi := range where[top.p] {
			ws = append(ws, wi)
		}
		sort.Ints(ws)
		for _, wi := range ws {
			w := words[wi]
			for j := 0; j+1 < len(w); j++ {
				touched[pair{w[j], w[j+1]}] = struct{}{}
			}
			addWord(wi, -1)
			words[wi] = mergeWord(w, top.p, id)
			addWord(wi, 1)
			w = words[wi]
			for j := 0; j+1 < len(w); j++ {
				touched[pair{w[j], w[j+1]}] = struct{}{}
			}
		}
		delete(where, top.p)
		delete(pc, top.p)
		for p := range touched {
			if c, ok := pc[p]; ok && c > 0 {
				heap.Push(h, pairCount{p, c})
			}
		}
	}
	return t, nil
}

func mergeWord(w []int, p pair, id int) []int {
	out := make([]int, 0, len(w))
	for i := 0; i < len(w); {
		if i+1 < len(w) && w[i] == p.a && w[i+1] == p.b {
			out = append(out, id)
			i += 2
		} else {
			out = append(out, w[i])
			i++
		}
	}
	return out
}

func checkSpecial(special []string) error {
	seen := map[string]bool{}
	for _, s := range special {
		if len(s) < 2 {
			return fmt.Errorf("tokenizer: special token %q must be at least 2 bytes (single bytes are text tokens)", s)
		}
		if seen[s] {
			return fmt.Errorf("tokenizer: duplicate special token %q", s)
		}
		seen[s] = true
	}
	return nil
}

// newBase returns a tokenizer with the specials and the 256 byte tokens.
func newBase(special []string) *Tokenizer {
	t := &Tokenizer{special: map[string]int{}, merges: map[pair]merge{}, cache: map[string][]int{}}
	for _, s := range special {
		t.special[s] = len(t.tokens)
		t.tokens = append(t.tokens, []byte(s))
		t.isSpec = append(t.isSpec, true)
	}
	for b := 0; b < 256; b++ {
		t.byteID[b] = len(t.tokens)
		t.tokens = append(t.tokens, []byte{byte(b)})
		t.isSpec = append(t.isSpec, false)
	}
	return t
}

type pairCount struct {
	p pair
	c int
}

// pairHeap pops the most frequent pair; ties go to the smaller ids so that
// training is deterministic.
type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].c != h[j].c {
		return h[i].c > h[j].c
	}
	if h[i].p.a != h[j].p.a {
		return h[i].p.a < h[j].p.a
	}
	return h[i].p.b < h[j].p.b
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
