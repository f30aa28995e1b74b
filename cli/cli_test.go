package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(args ...string) (string, error) {
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetArgs(append(args, "--quiet"))
	err := root.ExecuteContext(context.Background())
	return out.String() + errb.String(), err
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args    []string
		wantErr string // "" means success
		wantOut string
	}{
		{[]string{"envs"}, "", "babyai/GoToObj"},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--out", dir + "/d"}, "", "3 random episodes"},
		{[]string{"collect", "--env", "numberline", "--source", "psychic", "--episodes", "3", "--out", dir + "/d"}, "unknown data source", ""},
		{[]string{"collect", "--env", "chess", "--source", "random", "--episodes", "3", "--out", dir + "/d2"}, "unknown environment", ""},
		{[]string{"train", "--base", dir + "/nobase", "--data", dir + "/d", "--out", dir + "/r"}, "model", ""},
		{[]string{"train", "--mode", "ppo", "--base", dir + "/nobase", "--data", dir + "/d", "--out", dir + "/r2"}, "unknown mode", ""},
		{[]string{"eval", "--model", dir + "/missing"}, "missing", ""},
		{[]string{"table", dir}, "demo.json", ""},
		{[]string{"demo", "--fast", "--lambda", "2", "--out", dir + "/demo"}, "invalid lambda", ""},
		{[]string{"demo", "--fast", "--mode", "ppo", "--out", dir + "/demo"}, "unknown mode", ""},
		{[]string{"demo", "--fast", "--online-lr", "-1", "--out", dir + "/demo"}, "negative schedule", ""},
		{[]string{"train", "--online-lr", "-1", "--base", dir + "/nobase", "--data", dir + "/d", "--out", dir + "/r3"}, "negative schedule", ""},
		{[]string{"probe", "--model", dir + "/nomodel", "--data", dir + "/d"}, "nomodel", ""},
		{[]string{"pretrain", "--preset", "giant", "--steps", "1", "--out", dir + "/m"}, "unknown preset", ""},
	}
	for _, c := range cases {
		out, err := run(c.args...)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.wantErr)
		case !strings.Contains(out, c.wantOut):
			t.Errorf("%v: output %q lacks %q", c.args, out, c.wantOut)
		}
	}
}
