package afsft

import (
	"fmt"

	"vlmq/dataset"
	"vlmq/vlm"
)

// Prepare turns stored episodes into linked samples: images decoded and
// shrunk once to the model's input size with vlm.Downscale, the resize the
// model applies when it acts (so the replay stays small), prompts
// formatted and tokenised once by the model (EncodePrompt), and reply tokens taken from the episode when present (the
// exact tokens a policy generated) or else from the reply text plus EOS.
// Replies longer than maxReply tokens are cut (without EOS), like generation.
func Prepare(eps []dataset.Episode, m vlm.Model, maxReply int) ([]*Sample, error) {
	tok, imageSize := m.Tokenizer(), m.ImageSize()
	var out []*Sample
	cache := map[string][]int{}
	for _, ep := range eps {
		var prev *Sample
		for i, t := range ep.Turns {
			im, err := dataset.DecodeImage(t.Image)
			if err != nil {
				return nil, fmt.Errorf("afsft: episode %d turn %d: %w", ep.ID, i, err)
			}
			p, ok := cache[t.Prompt]
			if !ok {
				p = m.EncodePrompt(t.Prompt)
				cache[t.Prompt] = p
			}
			var r []int
			if len(t.ReplyTokens) > 0 {
				r = make([]int, len(t.ReplyTokens))
				for j, x := range t.ReplyTokens {
					if int(x) < 0 || int(x) >= tok.VocabSize() {
						return nil, fmt.Errorf("afsft: episode %d turn %d: token %d outside vocabulary", ep.ID, i, x)
					}
					r[j] = int(x)
				}
			} else {
				r = append(tok.Encode(t.Reply), tok.EOSID())
			}
			full := len(r)
			r = cutReply(r, maxReply, tok.EOSID())
			small, err := vlm.Downscale(im, imageSize)
			if err != nil {
				return nil, fmt.Errorf("afsft: episode %d turn %d: %w", ep.ID, i, err)
			}
			s := &Sample{Image: small, Prompt: p, Reply: r, FullLen: full,
				Reward: t.Reward, Done: t.Done || i == len(ep.Turns)-1, Success: ep.Success}
			if prev != nil {
				prev.Next = s
			}
			prev = s
			out = append(out, s)
		}
	}
	return out, nil
}

// CutReplies counts the samples whose reply text Prepare cut at the limit
// (not just its EOS),
// and the longest reply's full length among them (0 when none was cut).
// Expert replies that are cut teach a reply that never parses: the
// limit must be raised (--max-reply) for such data.
func CutReplies(samples []*Sample) (n, longest int) {
	for _, s := range samples {
		if s.FullLen > len(s.Reply)+1 { // a lost EOS alone leaves the text whole
			n++
			longest = max(longest, s.FullLen)
		}
	}
	return n, longest
}

// EncodeReply is the reply tokens Prepare reads from a reply text: its
// tokens and EOS, cut at maxReply (> 0).
func EncodeReply(tok vlm.Tokenizer, reply string, maxReply int) []int {
	return cutReply(append(tok.Encode(reply), tok.EOSID()), maxReply, tok.EOSID())
}

// cutReply cuts r to maxReply tokens (> 0), as generation stops; an empty
// reply becomes a lone EOS.
func cutReply(r []int, maxReply, eos int) []int {
	if maxReply > 0 && len(r) > maxReply {
		r = r[:maxReply]
	}
	if len(r) == 0 {
		r = []int{eos}
	}
	return r
}
