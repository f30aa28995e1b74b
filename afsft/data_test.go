package afsft

import (
	"image"
	"testing"

	"vlmq/dataset"
	"vlmq/model/modeltest"
)

// Prepare cuts replies at the limit as generation would, and CutReplies
// counts those cuts, so training can warn that the policy can never
// write them whole.
func TestPrepareCutsAndCountsLongReplies(t *testing.T) {
	m := modeltest.New(t, modeltest.Spec{Corpus: []string{"choose: [action] good [action] bad"}, Seed: 7})
	png, err := dataset.EncodeImage(image.NewRGBA(image.Rect(0, 0, 8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	short, long := "[action] good", "[action] good good good good good good"
	lenLong := len(m.Tok.Encode(long)) + 1
	ep := dataset.Episode{Turns: []dataset.Turn{
		{Image: png, Prompt: "choose:", Reply: short},
		{Image: png, Prompt: "choose:", Reply: long},
		{Image: png, Prompt: "choose:", Reply: long, Done: true},
	}}
	for _, c := range []struct {
		name          string
		limit         int
		cut, longest  int
		lastReplyToks int
	}{
		{"no limit", 0, 0, 0, lenLong},
		{"limit fits all", lenLong, 0, 0, lenLong},
		{"limit cuts only the EOS", lenLong - 1, 0, 0, lenLong - 1},
		{"limit cuts the long ones", lenLong - 2, 2, lenLong, lenLong - 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Prepare([]dataset.Episode{ep}, m, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			n, longest := CutReplies(s)
			if n != c.cut || longest != c.longest {
				t.Errorf("CutReplies = %d, %d; want %d, %d", n, longest, c.cut, c.longest)
			}
			if got := len(s[2].Reply); got != c.lastReplyToks {
				t.Errorf("long reply has %d tokens, want %d", got, c.lastReplyToks)
			}
			if s[0].FullLen != len(s[0].Reply) {
				t.Errorf("short reply: full length %d, kept %d", s[0].FullLen, len(s[0].Reply))
			}
		})
	}
}
