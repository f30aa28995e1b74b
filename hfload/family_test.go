package hfload

import (
	"strings"
	"testing"
)

// TestRegisterRefuses: a family that is incomplete or claims what another
// registered family has is refused before it can shadow it.
func TestRegisterRefuses(t *testing.T) {
	ok := func() Family {
		return Family{
			Name: "coin", ModelTypes: []string{"coin"}, Architectures: []string{"CoinForConditionalGeneration"},
			Layouts: []Layout{"coin"}, Parse: func(*Reader, Object) (*Config, error) { return &Config{}, nil },
			Plan: func(*Planner, *Config) {}, Prompt: func(s string) string { return s },
			Variants: []Variant{{Name: "coin"}},
		}
	}
	mu.Lock()
	saved := families
	families = map[string]*Family{"other": {Name: "other", ModelTypes: []string{"other"},
		Architectures: []string{"OtherModel"}, Variants: []Variant{{Name: "other"}, {Name: "other2"}}}}
	mu.Unlock()
	defer func() {
		mu.Lock()
		families = saved
		mu.Unlock()
	}()
	for _, tc := range []struct {
		name string
		edit func(*Family)
		want string // "" = accepted
	}{
		{"complete", func(*Family) {}, ""},
		{"no name", func(f *Family) { f.Name = "" }, "without a name"},
		{"no parse", func(f *Family) { f.Parse = nil }, "lacks Parse, Plan or Prompt"},
		{"no prompt", func(f *Family) { f.Prompt = nil }, "lacks Parse, Plan or Prompt"},
		{"no layout", func(f *Family) { f.Layouts = nil }, "needs a layout"},
		{"no variant", func(f *Family) { f.Variants = nil }, "needs a layout, a variant"},
		{"unnamed by config", func(f *Family) { f.ModelTypes, f.Architectures = nil, nil }, "a model_type or architecture"},
		{"first variant misnamed", func(f *Family) { f.Variants[0].Name = "coin2" }, `first variant is named "coin2"`},
		{"name taken", func(f *Family) { f.Name, f.Variants[0].Name = "other", "other" }, "registered twice"},
		{"model_type taken", func(f *Family) { f.ModelTypes = []string{"other"} }, `model_type "other" of "coin" is "other"'s`},
		{"architecture taken", func(f *Family) { f.Architectures = []string{"OtherModel"} }, `architecture "OtherModel"`},
		{"variant taken", func(f *Family) { f.Variants = append(f.Variants, Variant{Name: "other2"}) }, `variant "other2"`},
	} {
		f := ok()
		tc.edit(&f)
		err := check(f)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
