package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/safetensors"
)

// TestCardPinsWeights: a model saved with a card loads; the same folder
// with one weight byte changed is refused with a message naming both
// hashes. F16 storage loads back within half-precision rounding.
func TestCardPinsWeights(t *testing.T) {
	m := tinyModel(t, 1)
	dir := filepath.Join(t.TempDir(), "m")
	var sha string
	err := SaveWith(dir, m, SaveOptions{DType: safetensors.F16, Card: func(s string) []byte {
		sha = s
		return []byte("---\n" + CardSHALine(s) + "\n---\n# card\n")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sha) != 64 {
		t.Fatalf("sha %q", sha)
	}
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		q := r.Params()[i]
		for j, v := range p.T.Data {
			if math.Abs(float64(v-q.T.Data[j])) > 1e-3*(1+math.Abs(float64(v))) {
				t.Fatalf("%s[%d]: %v saved, %v loaded", p.Name, j, v, q.T.Data[j])
			}
		}
	}
	w := filepath.Join(dir, WeightsFile)
	b, err := os.ReadFile(w)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(w, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), sha) {
		t.Fatalf("damaged weights: err = %v", err)
	}
}

// TestParamCountMatchesNew keeps the analytic count (used to refuse
// oversized configs before allocating) honest against the real model, and
// huge configs are refused with the number.
func TestParamCountMatchesNew(t *testing.T) {
	m := tinyModel(t, 1)
	if got, want := m.Cfg.ParamCount(), float64(m.NumParams()); got < 0.98*want || got > 1.02*want {
		t.Errorf("ParamCount %v, model has %v", got, want)
	}
	for _, edit := range []func(*Config){
		func(c *Config) { c.MLP = 100000000000 },
		func(c *Config) { c.Layers = 100000000 },
	} {
		c := m.Cfg
		edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "parameters") {
			t.Errorf("oversized config: err = %v", err)
		}
	}
}
