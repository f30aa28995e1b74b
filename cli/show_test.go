package cli

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/env"
)

func TestShow(t *testing.T) {
	dir := t.TempDir()
	// want builds the first prompt the way the agent does.
	want := func(name string, seed int64, o env.Options) string {
		e, err := env.New(name, o)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		obs, err := e.Reset(seed)
		if err != nil {
			t.Fatal(err)
		}
		return env.Prompt(e.Task(), obs, e.Syntax())
	}
	cases := []struct {
		args    []string
		prompt  string   // the exact prompt expected on stdout ("" for errors)
		has     []string // substrings the output must hold
		hasNot  []string // and must not
		image   string   // PNG the command must write (300x300)
		wantErr string
	}{
		{args: []string{"show", "--env", "numberline", "--seed", "3"},
			prompt: want("numberline", 3, env.Options{}), has: []string{"Observation: Target: "}},
		{args: []string{"show", "--env", "numberline", "--seed", "3", "--obs", "image", "--image", dir + "/nl.png"},
			prompt: want("numberline", 3, env.Options{Obs: "image"}), hasNot: []string{"Target:", "Current:", "Observation:"}, image: dir + "/nl.png"},
		{args: []string{"show", "--env", "blackjack", "--seed", "5", "--obs", "image", "--image", dir + "/bj.png"},
			prompt: want("blackjack", 5, env.Options{Obs: "image"}), hasNot: []string{"total", "Dealer shows"}, image: dir + "/bj.png"},
		{args: []string{"show", "--env", "points24", "--seed", "1", "--obs", "image"},
			prompt: want("points24", 1, env.Options{Obs: "image"}), has: []string{"Observation: Formula: (empty)\nReply:"}, hasNot: []string{"Cards:"}},
		{args: []string{"show", "--env", "ezpoints", "--seed", "1", "--obs", "text", "--image", dir + "/ez.png", "--max-steps", "4"},
			prompt: want("ezpoints", 1, env.Options{Obs: "text"}), has: []string{"Observation: Cards: "}, image: dir + "/ez.png"},
		{args: []string{"show", "--env", "babyai/GoToLocal", "--seed", "2", "--obs-text", "balrog"},
			prompt: want("babyai/GoToLocal", 2, env.Options{ObsText: "balrog"}), has: []string{"turn left, turn right, go forward", "Answer in the form: [action] go forward"}},
		{args: []string{"show", "--env", "babyai/GoToLocal", "--seed", "1", "--obs-text", "balrog", "--history", "2", "--turns", "3"},
			has: []string{"\nTurn -2 observation: ", "\nTurn -2 action: ", "\nTurn -1 action: "}, hasNot: []string{"Turn -3"}},
		{args: []string{"show", "--env", "numberline", "--seed", "3", "--history", "4", "--turns", "1"},
			has: []string{"\nTurn -1 observation: Target: ", "\nTurn -1 action: "}},
		{args: []string{"show", "--env", "numberline", "--turns", "-1"}, wantErr: "--turns -1"},
		{args: []string{"show", "--env", "numberline", "--seed", "3", "--turns", "50"}, wantErr: "ask for fewer --turns"},
		{args: []string{"show", "--env", "numberline", "--obs-text", "balrog"}, wantErr: "BabyAI levels only"},
		{args: []string{"show", "--env", "numberline", "--reward", "decayed"}, wantErr: "MiniWoB tasks only"},
		{args: []string{"show", "--env", "numberline", "--obs", "pixels"}, wantErr: "observation mode"},
		{args: []string{"show", "--env", "babyai/GoToObj", "--obs", "image"}, wantErr: "Gym Cards games only"},
		{args: []string{"show", "--env", "chess"}, wantErr: "unknown environment"},
		{args: []string{"show", "--env", "numberline", "--image", dir + "/missing/x.png"}, wantErr: "missing"},
	}
	for _, c := range cases {
		out, err := run(c.args...)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if c.prompt != "" && !strings.HasPrefix(out, c.prompt+"\n") {
			t.Errorf("%v: output\n%s\nwant the prompt\n%s", c.args, out, c.prompt)
		}
		for _, s := range c.has {
			if !strings.Contains(out, s) {
				t.Errorf("%v: output %q lacks %q", c.args, out, s)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(out, s) {
				t.Errorf("%v: output %q holds %q", c.args, out, s)
			}
		}
		if c.image == "" {
			continue
		}
		f, err := os.Open(c.image)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != 300 || img.Bounds().Dy() != 300 {
			t.Errorf("%v: image %v, %v; want a 300x300 PNG", c.args, err, img)
		}
		// Written atomically: no temporary file is left beside it.
		if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
			t.Errorf("%v: temporary files left: %v", c.args, left)
		}
	}
}
