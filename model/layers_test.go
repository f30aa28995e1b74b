package model

import (
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"vlmq/vlm"
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

// TestSubtractBackground: the most common level of each channel becomes
// 0 and every other value keeps its difference from it, for backgrounds
// of any colour; a uniform image becomes all zeros.
func TestSubtractBackground(t *testing.T) {
	for _, bg := range [][3]uint8{{255, 255, 255}, {0, 0, 0}, {34, 139, 34}} {
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		for i := 0; i < len(img.Pix); i += 4 {
			copy(img.Pix[i:], []uint8{bg[0], bg[1], bg[2], 255})
		}
		fg := [3]uint8{200, 10, 90}
		for _, p := range []image.Point{{1, 1}, {2, 5}, {7, 7}} {
			o := img.PixOffset(p.X, p.Y)
			copy(img.Pix[o:], fg[:])
		}
		px, err := vlm.Pixels(img, 8)
		if err != nil {
			t.Fatal(err)
		}
		subtractBackground(px)
		for i, v := range px {
			y, x, c := i/24, i/3%8, i%3
			want := float32(0)
			if (x == 1 && y == 1) || (x == 2 && y == 5) || (x == 7 && y == 7) {
				want = (float32(fg[c]) - float32(bg[c])) / 127.5
			}
			if math.Abs(float64(v-want)) > 1e-5 {
				t.Fatalf("background %v: pixel (%d,%d) channel %d = %v, want %v", bg, x, y, c, v, want)
			}
		}
	}
}

// TestRegrow: a larger image on a trained model keeps every parameter
// whose name and size are unchanged, starts the resized position table
// fresh, and refuses a change it cannot make.
func TestRegrow(t *testing.T) {
	m := tinyModel(t, 1)
	cfg := m.Cfg
	cfg.ImageSize *= 2
	cfg.SubtractBackground = true
	out, fresh, err := m.Regrow(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"vision.pos_embed"}
	if !slices.Equal(fresh, want) {
		t.Errorf("fresh %v, want %v", fresh, want)
	}
	old := map[string][]float32{}
	for _, p := range m.Params() {
		old[p.Name] = p.T.Data
	}
	for _, p := range out.Params() {
		if slices.Contains(fresh, p.Name) {
			continue
		}
		if !slices.Equal(p.T.Data, old[p.Name]) {
			t.Errorf("%s changed", p.Name)
		}
		if &p.T.Data[0] == &old[p.Name][0] {
			t.Errorf("%s shares the parent's memory", p.Name)
		}
	}
	if out.Cfg.ImageSize != 2*m.Cfg.ImageSize || !out.Cfg.SubtractBackground || out.Tok != m.Tok {
		t.Errorf("regrown config %+v", out.Cfg)
	}
	same, fresh, err := m.Regrow(m.Cfg, 2)
	if err != nil || len(fresh) != 0 {
		t.Fatalf("regrow to the same architecture: fresh %v, %v", fresh, err)
	}
	for i, p := range same.Params() {
		if !slices.Equal(p.T.Data, m.Params()[i].T.Data) {
			t.Errorf("regrow to the same architecture changed %s", p.Name)
		}
	}
	for name, edit := range map[string]func(c *Config){
		"vocabulary": func(c *Config) { c.Vocab++ },
		"tie":        func(c *Config) { c.TieEmbeddings = !c.TieEmbeddings },
		"invalid":    func(c *Config) { c.Heads = 5 },
	} {
		c := m.Cfg
		edit(&c)
		if _, _, err := m.Regrow(c, 2); err == nil {
			t.Errorf("%s change accepted", name)
		}
	}
}
