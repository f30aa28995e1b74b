package cli

import (
	"bytes"
	"context"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"vlmq/cli/flagspec"
)

// commandFlags lists every flag of every command of the command line by
// command path ("vlmq eval"), persistent flags under the root; cobra's
// own --help is left out.
func commandFlags() map[string][]*pflag.Flag {
	out := map[string][]*pflag.Flag{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			if f.Name != "help" {
				out[c.CommandPath()] = append(out[c.CommandPath()], f)
			}
		}
		c.LocalNonPersistentFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(io.Discard, io.Discard))
	return out
}

// TestFlagsAreSpecFields: every flag of every command sets a spec field
// (bound by package flagspec) and has a help text.
func TestFlagsAreSpecFields(t *testing.T) {
	cases := []struct {
		cmd   string
		flags int // at least
	}{
		{"vlmq", 2}, {"vlmq pretrain", 20}, {"vlmq collect", 15}, {"vlmq train", 40}, {"vlmq eval", 15}, {"vlmq probe", 5},
		{"vlmq demo", 60}, {"vlmq show", 10}, {"vlmq retrieval", 3}, {"vlmq qa", 8}, {"vlmq envs", 0}, {"vlmq table", 0}, {"vlmq report", 1},
	}
	all := commandFlags()
	if len(all) > len(cases) {
		t.Errorf("the command line has %d commands with flags, the test knows %d: add the new ones", len(all), len(cases))
	}
	for _, c := range cases {
		fs := all[c.cmd]
		if len(fs) < c.flags {
			t.Errorf("%s has %d flags, want at least %d", c.cmd, len(fs), c.flags)
		}
		for _, f := range fs {
			if flagspec.Field(f) == "" {
				t.Errorf("%s --%s is not bound to a spec field", c.cmd, f.Name)
			}
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s --%s has no help text", c.cmd, f.Name)
			}
		}
	}
}

// ownFlags are the flags whose meaning is each command's own: its output,
// the model it starts from or reads the tokenizer of, the seed, batch,
// learning rate and checkpoints of its own job (pretraining in pretrain,
// training in train and demo, whose base has them as --pretrain-*), the
// episode show shows and the seed of retrieval's probe, and the sampling
// temperature of the episodes it plays (0 is 1 in collect, greedy
// elsewhere).
var ownFlags = map[string]bool{"out": true, "base": true, "seed": true, "batch": true, "lr": true, "checkpoint-every": true, "temperature": true}

// TestSharedFlagsMeanTheSame: a flag name that several commands have
// has the same help text and type in each (its meaning; defaults are the
// jobs' own), except ownFlags.
func TestSharedFlagsMeanTheSame(t *testing.T) {
	type use struct{ cmd, help, typ string }
	uses := map[string][]use{}
	for cmd, fs := range commandFlags() {
		for _, f := range fs {
			if f.Deprecated == "" && !ownFlags[f.Name] {
				uses[f.Name] = append(uses[f.Name], use{cmd, f.Usage, f.Value.Type()})
			}
		}
	}
	var names []string
	for n := range uses {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, u := range uses[n][1:] {
			if v := uses[n][0]; u.help != v.help || u.typ != v.typ {
				t.Errorf("--%s: %s: %q (%s); %s: %q (%s)", n, v.cmd, v.help, v.typ, u.cmd, u.help, u.typ)
			}
		}
	}
}

// TestRenamedFlags: a flag name users typed before it was renamed still
// sets the same field, and a note on stderr names the new flag.
func TestRenamedFlags(t *testing.T) {
	cases := []struct{ cmd, old, name string }{
		{"vlmq pretrain", "episodes", "corpus-episodes"},
		{"vlmq eval", "episodes", "eval-episodes"},
		{"vlmq collect", "seed", "data-seed"},
		{"vlmq collect", "model", "base"},
		{"vlmq demo", "preset", "pretrain-preset"},
	}
	all := commandFlags()
	for _, c := range cases {
		var old, name *pflag.Flag
		for _, f := range all[c.cmd] {
			switch f.Name {
			case c.old:
				old = f
			case c.name:
				name = f
			}
		}
		if old == nil || name == nil || flagspec.Field(old) != flagspec.Field(name) || !old.Hidden || !strings.Contains(old.Deprecated, "--"+c.name) {
			t.Errorf("%s --%s: %+v, want a hidden alias of --%s (%+v)", c.cmd, c.old, old, c.name, name)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := execute(context.Background(), []string{"eval", "--policy", "expert", "--episodes", "2", "--quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("eval --episodes: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "| 2 |") || !strings.Contains(stderr.String(), "it is now --eval-episodes") {
		t.Errorf("eval --episodes 2: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}
