package model

import (
	"strings"
	"testing"
)

// TestTopLayerParams: the top n decoder layers, the final norm and the
// heads, by their Params names; the tied matrix trains as the LM head;
// n outside 1 to the decoder's layers is refused.
func TestTopLayerParams(t *testing.T) {
	m := tinyModel(t, 1) // 2 decoder layers
	tied := tinyModel(t, 1)
	tied.Cfg.TieEmbeddings = true
	tied.LMHead.W = tied.Embed.W
	for _, c := range []struct {
		name    string
		m       *VLM
		n       int
		want    []string // name prefixes that must all be present, and nothing else
		wantErr string
	}{
		{"top 1", m, 1, []string{"decoder.layers.1.", "decoder.final_norm.", "lm_head.", "q1_head.", "q2_head."}, ""},
		{"all 2", m, 2, []string{"decoder.layers.0.", "decoder.layers.1.", "decoder.final_norm.", "lm_head.", "q1_head.", "q2_head."}, ""},
		{"tied", tied, 1, []string{"decoder.layers.1.", "decoder.final_norm.", "embed_tokens.", "q1_head.", "q2_head."}, ""},
		{"zero", m, 0, nil, "top 0 layers of a decoder of 2"},
		{"too many", m, 3, nil, "top 3 layers of a decoder of 2"},
	} {
		ps, err := c.m.TopLayerParams(c.n)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		seen := map[string]bool{}
		for _, p := range ps {
			ok := false
			for _, pre := range c.want {
				if strings.HasPrefix(p.Name, pre) {
					ok, seen[pre] = true, true
				}
			}
			if !ok {
				t.Errorf("%s: %s trains", c.name, p.Name)
			}
		}
		for _, pre := range c.want {
			if !seen[pre] {
				t.Errorf("%s: nothing of %s trains", c.name, pre)
			}
		}
		// In Params order, with the same tensors.
		all := c.m.Params()
		j := 0
		for _, p := range all {
			if j < len(ps) && ps[j].Name == p.Name {
				if ps[j].T != p.T {
					t.Errorf("%s: %s is another tensor", c.name, p.Name)
				}
				j++
			}
		}
		if j != len(ps) {
			t.Errorf("%s: parameters not in Params order", c.name)
		}
	}
}
