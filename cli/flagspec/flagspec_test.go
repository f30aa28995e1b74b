package flagspec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type mode string

type Stage struct {
	Rate  float64 `json:"rate" flag:"rate" help:"a rate"`
	Steps int     `json:"steps" flag:"steps" help:"steps"`
	Env   string  `json:"env" flag:"env" help:"set by the holder"`
}

type outer struct {
	Env   string         `flag:"env" help:"environment"`
	Mode  mode           `flag:"mode" help:"an enum"`
	Seed  int64          `flag:"seed" help:"seed"`
	On    bool           `flag:"on" help:"a switch"`
	List  []string       `flag:"list" help:"a comma list"`
	Each  []string       `flag:"each,repeat" help:"one value per use"`
	Pairs map[string]int `flag:"pairs" help:"key=value pairs"`
	Inner Stage          `flag:"inner-*" flagomit:"Env"`
	Stage `flag:"*" flagomit:"Env"`
	Hook  func() `flag:"-"`
}

// pairs is a pflag.Value of map[string]int for the test.
type pairs struct{ m *map[string]int }

func (p pairs) String() string { return "" }
func (p pairs) Type() string   { return "pairs" }
func (p pairs) Set(v string) error {
	k, _, _ := strings.Cut(v, "=")
	*p.m = map[string]int{k: 1}
	return nil
}

var testValues = Values{reflect.TypeFor[map[string]int](): func(p any) pflag.Value { return pairs{p.(*map[string]int)} }}

func TestBind(t *testing.T) {
	v := outer{Env: "numberline", Mode: "binary", Seed: 1, Inner: Stage{Rate: 0.5}, Stage: Stage{Steps: 3}}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	if err := Bind(fs, &v, testValues); err != nil {
		t.Fatal(err)
	}
	if err := Rename(fs, "old-seed", "seed"); err != nil {
		t.Fatal(err)
	}
	var other struct {
		Quiet bool `flag:"quiet" help:"another struct's flag"`
	}
	if err := Bind(fs, &other, nil); err != nil {
		t.Fatal(err)
	}
	if f := fs.Lookup("inner-rate"); f == nil || f.DefValue != "0.5" || Field(f) != "Inner.Rate" {
		t.Fatalf("--inner-rate: %+v", f)
	}
	if fs.Lookup("inner-env") != nil || fs.Lookup("steps") == nil {
		t.Fatal("flagomit or the embedded struct's flags are wrong")
	}
	err := fs.Parse([]string{"--mode", "exp", "--old-seed", "7", "--on", "--list", "a,b", "--each", "x,y", "--each", "z", "--pairs", "dim=3", "--steps", "9", "--inner-rate", "2", "--quiet"})
	if err != nil {
		t.Fatal(err)
	}
	want := outer{Env: "numberline", Mode: "exp", Seed: 7, On: true, List: []string{"a", "b"}, Each: []string{"x,y", "z"},
		Pairs: map[string]int{"dim": 1}, Inner: Stage{Rate: 2}, Stage: Stage{Steps: 9}}
	v.Hook = nil
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("parsed %+v, want %+v", v, want)
	}
	// A preset takes only what the command line set.
	preset := outer{Env: "blackjack", Seed: 3, Inner: Stage{Rate: 0.1, Steps: 5}}
	if err := CopyChanged(fs, &v, &preset); err != nil {
		t.Fatal(err)
	}
	if preset.Env != "blackjack" || preset.Seed != 7 || preset.Inner.Rate != 2 || preset.Inner.Steps != 5 || preset.Steps != 9 {
		t.Fatalf("preset after CopyChanged: %+v", preset)
	}
}

// TestBindRefuses: a field the binder cannot bind is an error that names
// it, never a panic or a silently missing flag.
func TestBindRefuses(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"untagged", &struct{ LR float64 }{}, "field struct { LR float64 }.LR has no flag tag"},
		{"no help", &struct {
			LR float64 `flag:"lr"`
		}{}, "(--lr) has no help tag"},
		{"unsupported", &struct {
			M map[string]int `flag:"m" help:"pairs"`
		}{}, "type map[string]int has no flag form"},
		{"ints", &struct {
			N []int `flag:"n" help:"numbers"`
		}{}, "type []int has no flag form"},
		{"nested not a struct", &struct {
			N int `flag:"x-*"`
		}{}, `tagged "x-*" but is a int, not a struct`},
		{"omit unknown", &struct {
			I Stage `flag:"*" flagomit:"Nope"`
		}{}, "flagomit names Nope"},
		{"twice", &struct {
			A Stage `flag:"*"`
			B Stage `flag:"*"`
		}{}, "--rate is bound twice, to A.Rate and B.Rate"},
		{"bad option", &struct {
			S string `flag:"s,repeat" help:"one"`
		}{}, `unknown option "repeat"`},
		{"not a pointer", struct{}{}, "needs a pointer to a struct"},
	}
	for _, c := range cases {
		err := Bind(pflag.NewFlagSet("t", pflag.ContinueOnError), c.v, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
