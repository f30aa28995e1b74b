package metrics

import (
	"container/heap"
	"fmt"
	"slices"
	"sort"
	"strings"

	"vlmq/dataset"
)

// DefaultReplyKinds is how many distinct replies a ReplyCounter tracks
// by default.
const DefaultReplyKinds = 4096

// ReplyCounter counts replies in bounded memory: exactly while there are
// at most its capacity of distinct (reply, valid) pairs, and beyond that
// by the Space-Saving algorithm (Metwally et al. 2005): the rarest
// tracked reply makes room for a new one, which inherits its count as an
// upper bound of its error. Every reply seen more often than total /
// capacity times is tracked, so the most common ones are always listed.
type ReplyCounter struct {
	capacity int
	index    map[replyKey]*replyCount
	heap     replyHeap // the tracked replies, rarest first
	evicted  bool
}

type replyKey struct {
	reply string
	valid bool
}

type replyCount struct {
	key        replyKey
	count, err int // err: how much count may be over (0 = exact)
	pos        int // in the heap
}

// NewReplyCounter tracks up to capacity distinct replies (0 =
// DefaultReplyKinds).
func NewReplyCounter(capacity int) *ReplyCounter {
	if capacity <= 0 {
		capacity = DefaultReplyKinds
	}
	return &ReplyCounter{capacity: capacity, index: map[replyKey]*replyCount{}}
}

// AddEpisode counts the replies of ep's turns.
func (c *ReplyCounter) AddEpisode(ep dataset.Episode) {
	for _, t := range ep.Turns {
		c.Add(t.Reply, t.Valid)
	}
}

// Add counts one reply.
func (c *ReplyCounter) Add(reply string, valid bool) {
	k := replyKey{reply, valid}
	if rc := c.index[k]; rc != nil {
		rc.count++
		heap.Fix(&c.heap, rc.pos)
		return
	}
	if len(c.heap) < c.capacity {
		rc := &replyCount{key: k, count: 1}
		c.index[k] = rc
		heap.Push(&c.heap, rc)
		return
	}
	rc := c.heap[0]
	delete(c.index, rc.key)
	rc.key, rc.err = k, rc.count
	rc.count++
	c.index[k] = rc
	heap.Fix(&c.heap, 0)
	c.evicted = true
}

// ReplyCount is one reply with how often it came. Over > 0 when the
// counter tracked more distinct replies than its capacity: Count may then
// be too high by up to Over.
type ReplyCount struct {
	Reply string
	Valid bool
	Count int
	Over  int `json:",omitempty"`
}

// Most lists the n most common replies, most common first (ties by text,
// valid first).
func (c *ReplyCounter) Most(n int) []ReplyCount {
	rs := slices.Clone(c.heap)
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.count != b.count {
			return a.count > b.count
		}
		if a.key.reply != b.key.reply {
			return a.key.reply < b.key.reply
		}
		return a.key.valid && !b.key.valid
	})
	out := make([]ReplyCount, 0, min(max(n, 0), len(rs)))
	for _, r := range rs[:cap(out)] {
		out = append(out, ReplyCount{Reply: r.key.reply, Valid: r.key.valid, Count: r.count, Over: r.err})
	}
	return out
}

// Top lists the n most common replies with their counts and validity
// (ties by text, valid first). When more distinct replies came than the
// counter tracks, a count marked "<=" is an upper bound, and a last line
// says so.
func (c *ReplyCounter) Top(n int) string {
	var b strings.Builder
	for _, r := range c.Most(n) {
		v := "valid"
		if !r.Valid {
			v = "invalid"
		}
		count := fmt.Sprintf("%6d", r.Count)
		if r.Over > 0 {
			count = fmt.Sprintf("<=%d", r.Count)
		}
		fmt.Fprintf(&b, "%6s  %-7s  %q\n", count, v, r.Reply)
	}
	if c.evicted {
		fmt.Fprintf(&b, "(more than %d distinct replies: a count marked <= may be too high by as much as the rarest listed count)\n", c.capacity)
	}
	return b.String()
}

// replyHeap is a min-heap of tracked replies by count.
type replyHeap []*replyCount

func (h replyHeap) Len() int           { return len(h) }
func (h replyHeap) Less(i, j int) bool { return h[i].count < h[j].count }
func (h replyHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}
func (h *replyHeap) Push(x any) {
	rc := x.(*replyCount)
	rc.pos = len(*h)
	*h = append(*h, rc)
}
func (h *replyHeap) Pop() any {
	old := *h
	rc := old[len(old)-1]
	*h = old[:len(old)-1]
	return rc
}
