package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"vlmq/cli/flagspec"
)

// TestFlagsAreSpecFields: every flag of vlmq-bench sets a benchSpec field
// and has a help text (as cli's TestFlagsAreSpecFields checks vlmq's
// commands), and the flags keep the names they had.
func TestFlagsAreSpecFields(t *testing.T) {
	s := defaultBench()
	fs, err := newFlags(&s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		names = append(names, f.Name)
		if flagspec.Field(f) == "" {
			t.Errorf("--%s is not bound to a spec field", f.Name)
		}
		if strings.TrimSpace(f.Usage) == "" {
			t.Errorf("--%s has no help text", f.Name)
		}
	})
	want := []string{"hf", "hf-critic-grad", "hf-gen", "hf-layers", "hf-text", "no-reference", "no-torch", "peak-n", "python",
		"real", "real-steps", "real-torch-threads", "real-turns", "real-warmup", "steps", "torch-threads", "warmup"}
	if !slices.Equal(names, want) {
		t.Errorf("flags %v, want %v", names, want)
	}
	if u := fs.Lookup("hf").Usage; strings.Contains(u, hfFamilies) || !strings.Contains(u, hfNames()) {
		t.Errorf("--hf help does not list the families: %q", u)
	}
}

// TestFlagsParse: a command line, with --name or the -name that Go's
// flag package took, sets the spec's fields and leaves the rest at their
// defaults.
func TestFlagsParse(t *testing.T) {
	cases := []struct {
		name string
		args []string
		set  func(*benchSpec)
	}{
		{"defaults", nil, func(*benchSpec) {}},
		{"double dash", []string{"--steps", "3", "--hf", "paligemma,xgenmm", "--hf-critic-grad=false", "--real-torch-threads", "4", "--no-torch"},
			func(s *benchSpec) {
				s.Steps, s.HF, s.HFCriticGrad, s.RealTorchThreads, s.NoTorch = 3, "paligemma,xgenmm", false, "4", true
			}},
		{"single dash", []string{"-steps=3", "-no-reference", "-hf-layers", "0", "-real", "tiny"},
			func(s *benchSpec) { s.Steps, s.NoReference, s.HFLayers, s.Real = 3, true, 0, "tiny" }},
		{"negative value", []string{"--warmup", "-1"}, func(s *benchSpec) { s.Warmup = -1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := defaultBench()
			fs, err := newFlags(&got)
			if err != nil {
				t.Fatal(err)
			}
			if err := fs.Parse(longDashes(c.args)); err != nil {
				t.Fatal(err)
			}
			want := defaultBench()
			c.set(&want)
			if got != want {
				t.Errorf("%q gives %+v, want %+v", c.args, got, want)
			}
		})
	}
	s := defaultBench()
	fs, _ := newFlags(&s)
	if err := fs.Parse([]string{"--stpes", "3"}); err == nil {
		t.Error("a misspelt flag was accepted")
	}
}
