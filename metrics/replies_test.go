package metrics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"vlmq/dataset"
)

// TestReplyCounterBounded: past its capacity the counter still tracks no
// more replies than that, and a common reply keeps its exact count.
func TestReplyCounterBounded(t *testing.T) {
	c := NewReplyCounter(8)
	for i := range 1000 {
		c.Add(fmt.Sprintf("rare %d", i), false)
		if i%2 == 0 {
			c.Add("[action] 3", true)
		}
	}
	if len(c.heap) != 8 || len(c.index) != 8 {
		t.Errorf("tracks %d replies (%d indexed), want 8", len(c.heap), len(c.index))
	}
	top := c.Top(2)
	if !strings.HasPrefix(top, fmt.Sprintf("%6d  %-7s  %q\n", 500, "valid", "[action] 3")) || !strings.Contains(top, "more than 8 distinct replies") {
		t.Errorf("top replies:\n%s", top)
	}
}

// TestTopRepliesShares: a Tally's summary lists the most common replies,
// and TopShare and ShareOf read a policy's state-blindness from them: the
// top reply's share, another summary's share of a reply, or an upper
// bound when that reply is not listed.
func TestTopRepliesShares(t *testing.T) {
	tally := func(replies ...string) Summary {
		var tl Tally
		for i, r := range replies {
			if err := tl.Add(dataset.Episode{ID: int64(i), Turns: []dataset.Turn{{Reply: r, Valid: !strings.HasPrefix(r, "bad")}}}); err != nil {
				t.Fatal(err)
			}
		}
		return tl.Summary()
	}
	many := func(r string, n int) []string { return slices.Repeat([]string{r}, n) }
	blind := tally(append(many("fwd", 8), "left", "bad")...)
	if got := blind.TopReplies[0]; got != (ReplyCount{Reply: "fwd", Valid: true, Count: 8}) || len(blind.TopReplies) != 3 {
		t.Fatalf("top replies %+v", blind.TopReplies)
	}
	if s, r, ok := blind.TopShare(); !ok || r != "fwd" || s != 0.8 {
		t.Errorf("top share %v of %q (%v), want 0.8 of fwd", s, r, ok)
	}
	// Eleven kinds of reply: the summary lists TopReplyKinds of them.
	var spread []string
	for i := range 11 {
		spread = append(spread, many(fmt.Sprintf("r%02d", i), 11-i)...)
	}
	wide := tally(spread...)
	for _, c := range []struct {
		name         string
		s            Summary
		reply        string
		share        float64
		bound, found bool
	}{
		{"listed", blind, "left", 0.1, false, true},
		{"absent, all listed", blind, "right", 0, false, true},
		{"absent, list full", wide, "zzz", 2.0 / 66, true, true},
		{"listed in a full list", wide, "r00", 11.0 / 66, false, true},
		{"nothing recorded", Summary{Replies: 5}, "fwd", 0, false, false},
	} {
		share, bound, ok := c.s.ShareOf(c.reply)
		if ok != c.found || bound != c.bound || math.Abs(share-c.share) > 1e-12 {
			t.Errorf("%s: ShareOf(%q) = %v, %v, %v; want %v, %v, %v", c.name, c.reply, share, bound, ok, c.share, c.bound, c.found)
		}
	}
	if len(wide.TopReplies) != TopReplyKinds {
		t.Errorf("lists %d replies, want %d", len(wide.TopReplies), TopReplyKinds)
	}
	if _, _, ok := (Summary{}).TopShare(); ok {
		t.Error("an empty summary has a top share")
	}
}
