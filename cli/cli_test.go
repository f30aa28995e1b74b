package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"vlmq/jsonfile"

	"github.com/spf13/cobra"

	"vlmq/dataset"
	"vlmq/env"
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
		{[]string{"eval", "--policy", "expert", "--env", "numberline", "--eval-episodes", "5", "--out", dir + "/ev"}, "", "| expert | 100.0%"},
		{[]string{"table", dir + "/ev"}, "", "| numberline | expert | 100.0%"},
		{[]string{"eval", "--policy", "expert", "--model", dir + "/missing"}, "give one of them", ""},
		{[]string{"eval", "--policy", "oracle"}, "unknown scripted policy", ""},
		{[]string{"eval", "--policy", "expert", "--chunk", "-1"}, "eval chunk -1", ""},
		{[]string{"eval", "--policy", "expert", "--show", "-1"}, "--show -1", ""},
		{[]string{"collect", "--env", "numberline", "--base", dir + "/nobase", "--episodes", "3", "--out", dir + "/d4"}, "--base names the model of --source base-model", ""},
		{[]string{"table", dir}, "demo.json", ""},
		{[]string{"demo", "--fast", "--lambda", "2", "--out", dir + "/demo"}, "invalid lambda", ""},
		{[]string{"demo", "--fast", "--mode", "ppo", "--out", dir + "/demo"}, "unknown mode", ""},
		{[]string{"demo", "--fast", "--online-lr", "-1", "--out", dir + "/demo"}, "negative schedule", ""},
		{[]string{"train", "--online-lr", "-1", "--base", dir + "/nobase", "--data", dir + "/d", "--out", dir + "/r3"}, "negative schedule", ""},
		{[]string{"probe", "--model", dir + "/nomodel", "--data", dir + "/d"}, "nomodel", ""},
		{[]string{"pretrain", "--preset", "giant", "--steps", "1", "--out", dir + "/m"}, "unknown preset", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "kv=x", "--out", dir + "/m"}, `for "--curriculum" flag: kv="x": not a number`, ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "views=1,colour=2", "--out", dir + "/m"}, `for "--curriculum" flag: "colour=2": want "default" or key=value pairs of copy, distractors, format, format-share, glyph, kv, match, page, questions, span, synthetic-steps, views, walk-expert, walk-noisy, walk-random, word`, ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "views=0,kv=0,word=0,match=0,format=0", "--out", dir + "/m"}, "weighs no source", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "distractors=99", "--out", dir + "/m"}, "curriculum distractors 99", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "walk-expert=-1", "--out", dir + "/m"}, "walk weight -1", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "walk-random=0,walk-expert=0,walk-noisy=0", "--out", dir + "/m"}, "weigh no policy", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--held-questions", "-1", "--out", dir + "/m"}, "walk steps 0, held-out episodes 0 and questions -1, want counts >= 0", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--arch", "depth=3", "--out", dir + "/m"}, `unknown architecture size "depth"`, ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--syntax-episodes", "-2", "--out", dir + "/m"}, "syntax episodes -2", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--embed-lr-scale", "-2", "--out", dir + "/m"}, "--embed-lr-scale -2", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "views=1,kv=0,word=0,match=0,synthetic-steps=5", "--out", dir + "/m"}, "synthetic-steps 5 needs", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--curriculum", "synthetic-steps=x", "--out", dir + "/m"}, `synthetic-steps="x": not an integer`, ""},
		{[]string{"retrieval", "--lists", "0"}, "--lists 0, want at least 1", ""},
		{[]string{"retrieval", "--mistakes", "-1"}, "--mistakes -1, want a count >= 0", ""},
		{[]string{"retrieval", "--model", dir + "/nomodel"}, "nomodel", ""},
		{[]string{"qa", "--model", dir + "/nomodel"}, "nomodel", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--continue-from", dir + "/nomodel", "--out", dir + "/m"}, "--continue-from", ""},
		{[]string{"qa", "--held-questions", "-1"}, "held-out episodes 0 and questions -1", ""},
		{[]string{"qa", "--envs", "nosuch"}, `unknown environment "nosuch"`, ""},
		{[]string{"qa", "--syntax-episodes", "-3"}, "syntax episodes -3", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--arch", "dim", "--out", dir + "/m"}, `for "--arch" flag: "dim": want key=number pairs`, ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--arch", "dim=64,dim=96", "--out", dir + "/m"}, `for "--arch" flag: names dim twice`, ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--arch", "dim=49", "--out", dir + "/m"}, "dim 49 not divisible by heads 2", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--arch", "layers=0", "--out", dir + "/m"}, "layers = 0, must be positive", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--probe-lists", "-1", "--out", dir + "/m"}, "retrieval probe lists -1", ""},
		{[]string{"pretrain", "--preset", "tiny", "--steps", "1", "--batch", "100000000", "--out", dir + "/m"}, "pretraining batch 100000000, want 1 to 4096", ""},
		{[]string{"train", "--batch", "100000000", "--base", dir + "/nobase", "--data", dir + "/d", "--out", dir + "/r4"}, "invalid batch 100000000 (want 1 to 4096)", ""},
		// Bad collect settings fail before any episode is collected.
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "-1", "--out", dir + "/d3"}, "episodes -1, want at least 1", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--seed", "500", "--out", dir + "/d3"}, "--data-seed must be in 0..499", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--data-seed", "-1", "--out", dir + "/d3"}, "--data-seed must be in 0..499", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--syntax-penalty", "nan", "--out", dir + "/d3"}, "syntax penalty NaN", ""},
		{[]string{"collect", "--env", "numberline", "--source", "noisy-expert", "--episodes", "3", "--p-invalid", "0.9", "--out", dir + "/d3"}, "want at most 1", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--max-steps", "-2", "--out", dir + "/d3"}, "max steps -2", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--max-steps", "100001", "--out", dir + "/d3"}, "max steps 100001, want at most 100000", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--history", "-1", "--out", dir + "/d3"}, "--history -1", ""},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--obs-text", "balrog", "--out", dir + "/d3"}, "--obs-text applies to BabyAI levels only", ""},
		{[]string{"collect", "--env", "babyai/GoToLocal", "--source", "random", "--episodes", "3", "--obs-text", "babyai", "--out", dir + "/d3"}, `--obs-text "babyai"`, ""},
		{[]string{"collect", "--env", "babyai/GoToLocal", "--source", "expert", "--episodes", "4", "--obs-text", "balrog", "--history", "16", "--out", dir + "/bal"}, "", "syntax 100.0%, success 100.0%"},
		{[]string{"collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--out", dir + "/d/shard-000000.parquet"}, "is a file, not a dataset folder", ""},
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

// TestPlainProgress: off a terminal, a bar prints a plain "desc done/total"
// line at once and then at most one every 10 seconds, never a redraw.
func TestPlainProgress(t *testing.T) {
	type ev struct {
		at  time.Duration // clock when the event happens
		set int           // value to Set; -1 = Clear, -2 = Finish, -3 = Add(1)
	}
	cases := []struct {
		name  string
		desc  string
		total int
		evs   []ev
		want  string
	}{
		{"first at once, then every 10s", "pretrain", 6000,
			[]ev{{0, 1}, {time.Second, 100}, {9 * time.Second, 1100}, {10 * time.Second, 1200}, {15 * time.Second, 1800}, {21 * time.Second, 2500}},
			"pretrain 1/6000\npretrain 1200/6000\npretrain 2500/6000\n"},
		{"clear and finish draw nothing new", "train", 10,
			[]ev{{0, 2}, {time.Second, -1}, {2 * time.Second, -2}},
			"train 2/10\n"},
		{"finish after a pause", "collect", 60,
			[]ev{{0, 50}, {30 * time.Second, -2}},
			"collect 50/60\ncollect 60/60\n"},
		{"no description, Add", "", 5,
			[]ev{{0, -3}, {time.Second, -3}, {12 * time.Second, -3}},
			"1/5\n3/5\n"},
	}
	defer func(c func() time.Time) { barClock = c }(barClock)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			cmd := &cobra.Command{}
			cmd.Flags().Bool("quiet", false, "")
			cmd.SetErr(&buf)
			start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			now := start
			barClock = func() time.Time { return now }
			termBar.Store(false)
			b := bar(cmd, c.total, c.desc)
			for _, e := range c.evs {
				now = start.Add(e.at)
				switch e.set {
				case -1:
					_ = b.Clear()
				case -2:
					_ = b.Finish()
				case -3:
					_ = b.Add(1)
				default:
					_ = b.Set(e.set)
				}
			}
			if got := buf.String(); got != c.want {
				t.Errorf("output %q, want %q", got, c.want)
			}
			if termBar.Load() {
				t.Error("a bytes.Buffer counted as a terminal")
			}
		})
	}
}

// TestReport: how Main reports an error, and its exit code.
func TestReport(t *testing.T) {
	wrapped := fmt.Errorf("experiment: collecting: %w", context.Canceled)
	cases := []struct {
		name     string
		err      error
		afterBar bool
		want     string
		code     int
	}{
		{"success", nil, true, "", 0},
		{"error", errors.New("boom"), false, "vlmq: boom\n", 1},
		{"error after a terminal bar", errors.New("boom"), true, "\nvlmq: boom\n", 1},
		{"interrupted", context.Canceled, false, interruptedMsg + "\n", 130},
		{"interrupted, wrapped", wrapped, false, interruptedMsg + "\n", 130},
		{"interrupted after a terminal bar", wrapped, true, "\n" + interruptedMsg + "\n", 130},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if code := report(&buf, c.err, c.afterBar); code != c.code || buf.String() != c.want {
			t.Errorf("%s: exit %d, printed %q; want %d, %q", c.name, code, buf.String(), c.code, c.want)
		}
	}
}

// cancelAfterOutput is a context cancelled (as by Ctrl-C) as soon as w
// holds some output, i.e. right after the first progress line.
type cancelAfterOutput struct {
	context.Context
	w *bytes.Buffer
}

func (c cancelAfterOutput) Err() error {
	if c.w.Len() > 0 {
		return context.Canceled
	}
	return nil
}

// TestExecuteInterrupted runs collect through execute (Main's plumbing):
// stopped after its first chunk it prints the progress line, then the
// interrupt message on its own line and exits 130; a rerun resumes.
func TestExecuteInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d")
	args := []string{"collect", "--env", "numberline", "--source", "random", "--episodes", "60", "--out", out}
	var stdout, stderr bytes.Buffer
	code := execute(cancelAfterOutput{context.Background(), &stderr}, args, &stdout, &stderr)
	if want := "collect 50/60\n" + interruptedMsg + "\n"; code != 130 || stderr.String() != want {
		t.Fatalf("exit %d, stderr %q; want 130, %q", code, stderr.String(), want)
	}
	st, err := dataset.OpenReadOnly(out)
	if err != nil || st.Len() != 50 {
		t.Fatalf("after the interrupt: %v, %d episodes kept, want 50", err, st.Len())
	}
	stdout.Reset()
	stderr.Reset()
	if code := execute(context.Background(), append(args, "--quiet"), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "60 random episodes") {
		t.Fatalf("rerun: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestCollectRefusesBusyFolder: a second writer of one --out is refused
// instead of storing every episode ID twice.
func TestCollectRefusesBusyFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	st, err := dataset.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = run("collect", "--env", "numberline", "--source", "random", "--episodes", "3", "--out", dir)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("already open for writing in this process (PID %d)", os.Getpid())) {
		t.Fatalf("collect into a folder being written: %v", err)
	}
	if st.Len() != 0 {
		t.Fatalf("%d episodes stored", st.Len())
	}
}

// TestEvalInterruptedSaysWhatItKept: an eval interrupted before its first
// chunk finished says it kept nothing (with --out, no checkpoint folder is
// left) and leaves an earlier evaluation in --out as it was. What a later
// interrupt keeps and says is e2e's TestEvalKillAndResume.
func TestEvalInterruptedSaysWhatItKept(t *testing.T) {
	dir := t.TempDir()
	model, ev := filepath.Join(dir, "m"), filepath.Join(dir, "ev")
	if _, err := run("pretrain", "--preset", "tiny", "--steps", "2", "--corpus-episodes", "2", "--out", model); err != nil {
		t.Fatal(err)
	}
	if _, err := run("eval", "--policy", "expert", "--eval-episodes", "2", "--out", ev); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(ev, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", ev}, "interrupted before the first chunk of episodes finished; nothing was kept"},
		{nil, "without --out keeps nothing"},
	} {
		var stdout, stderr bytes.Buffer
		code := execute(ctx, append([]string{"eval", "--model", model, "--eval-episodes", "50", "--quiet"}, c.args...), &stdout, &stderr)
		if code != 130 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 130 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	if after, err := os.ReadFile(filepath.Join(ev, "results.json")); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the earlier evaluation changed: %v", err)
	}
	if _, err := os.Stat(ev + ".ckpt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty checkpoint folder is left behind: %v", err)
	}
}

// TestPretrainArch: --arch changes the preset's sizes, and the saved
// config and the card's title say so.
func TestPretrainArch(t *testing.T) {
	dir := t.TempDir()
	out, err := run("pretrain", "--envs", "numberline", "--preset", "tiny", "--arch", "dim=64,layers=3,image_size=24", "--vocab", "600",
		"--steps", "2", "--batch", "2", "--corpus-episodes", "2", "--held-episodes", "1", "--out", dir+"/m", "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "m", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Dim, Layers, Heads int
		ImageSize          int `json:"image_size"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	if c.Dim != 64 || c.Layers != 3 || c.ImageSize != 24 || c.Heads != 2 {
		t.Errorf("config %+v, want dim 64, 3 layers, image 24 and the preset's 2 heads", c)
	}
	card, err := os.ReadFile(filepath.Join(dir, "m", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "# vlmq base VLM (tiny preset with dim=64, image_size=24, layers=3)"; !strings.Contains(string(card), want) {
		t.Errorf("card lacks %q:\n%s", want, card)
	}
}

// TestPretrainCurriculum: --curriculum trains on the stream of
// many-question sequences and --probe-lists puts the retrieval probe on
// the card, which also records the curriculum (the small preset's 320
// text positions hold the probe's 16-distractor lists).
func TestPretrainCurriculum(t *testing.T) {
	dir := t.TempDir()
	out, err := run("pretrain", "--envs", "numberline", "--preset", "small", "--vocab", "600", "--steps", "3", "--batch", "2",
		"--corpus-episodes", "2", "--held-episodes", "1", "--curriculum", "default,distractors=4", "--probe-lists", "2", "--syntax-episodes", "2", "--out", dir+"/m", "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	card, err := os.ReadFile(filepath.Join(dir, "m", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Retrieval probe", "| where is the named entry |",
		"- curriculum: sequences of many questions, source weights views 4, key-value 1, word 1, match 2, format 1; up to 4 distractors",
		"## Base syntax accuracy", "| numberline | 0.", "2 episodes per env on the evaluation seeds, at most 10 turns each"} {
		if !strings.Contains(string(card), want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	// The retrieval command measures the same probe on the saved model:
	// with the card's seed and list count it prints the card's table.
	probe, err := run("retrieval", "--model", dir+"/m", "--lists", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, probe)
	}
	if !strings.Contains(string(card), probe) {
		t.Errorf("retrieval printed\n%s\nwhich the card does not hold:\n%s", probe, card)
	}
	// --mistakes adds the wrong answers with their lists after the table.
	wrong, err := run("retrieval", "--model", dir+"/m", "--lists", "2", "--mistakes", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, wrong)
	}
	if !strings.HasPrefix(wrong, probe) || !strings.Contains(wrong, "## Wrong answers") ||
		(!strings.Contains(wrong, "None: every probe answer was right.") && !strings.Contains(wrong, "answer \"")) {
		t.Errorf("retrieval --mistakes printed\n%s", wrong)
	}
	// qa measures the saved model as the card did: with the pretraining's
	// seed and counts it prints the card's measurements, from the probe to
	// the last held-out row.
	qa, err := run("qa", "--model", dir+"/m", "--envs", "numberline", "--held-episodes", "1", "--probe-lists", "2", "--syntax-episodes", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, qa)
	}
	if !strings.HasPrefix(qa, "## Retrieval probe") || !strings.Contains(qa, "## Held-out question answering") || !strings.HasSuffix(string(card), qa) {
		t.Errorf("qa printed\n%s\nwhich is not the end of the card:\n%s", qa, card)
	}
	// A family name measures each of its envs.
	cards, err := run("qa", "--model", dir+"/m", "--envs", "cards", "--held-episodes", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, cards)
	}
	for _, e := range []string{"numberline", "ezpoints", "points24", "blackjack"} {
		if !strings.Contains(cards, "\n| "+e+" | ") {
			t.Errorf("qa --envs cards has no %s row:\n%s", e, cards)
		}
	}
}

// TestPretrainPauseAt: --pause-at stops after its step with the
// checkpoint saved and no model published; the rerun without it resumes
// there and lists both sessions on the card.
func TestPretrainPauseAt(t *testing.T) {
	dir := t.TempDir()
	args := []string{"pretrain", "--envs", "numberline", "--preset", "tiny", "--steps", "4", "--batch", "2", "--corpus-episodes", "2",
		"--held-episodes", "1", "--syntax-episodes", "-1", "--checkpoint-every", "1", "--out", dir + "/m"}
	out, err := run(append(args, "--pause-at", "2")...)
	if err != nil || !strings.Contains(out, "paused after step 2") {
		t.Fatalf("%v\n%s", err, out)
	}
	var p struct{ Steps int }
	if err := jsonfile.Read(filepath.Join(dir, "m.ckpt", "progress.json"), &p); err != nil || p.Steps != 2 {
		t.Fatalf("checkpoint at step %d (%v), want 2", p.Steps, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "m", "model.safetensors")); err == nil {
		t.Error("a paused run published its model")
	}
	// Rerun on its own checkpoint, it trains nothing more.
	if _, err := run(append(args, "--pause-at", "2")...); err == nil || !strings.Contains(err.Error(), "already at step 2") {
		t.Errorf("--pause-at 2 on a step-2 checkpoint: %v", err)
	}
	if err := jsonfile.Read(filepath.Join(dir, "m.ckpt", "progress.json"), &p); err != nil || p.Steps != 2 {
		t.Errorf("checkpoint at step %d (%v) after the refused rerun, want 2", p.Steps, err)
	}
	if _, err := run(append(args, "--pause-at", "5")...); err == nil || !strings.Contains(err.Error(), "--pause-at 5, want 0 to --steps 4") {
		t.Errorf("--pause-at past --steps: %v", err)
	}
	if out, err := run(args...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	card, err := os.ReadFile(filepath.Join(dir, "m", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  - steps 1-2: commit ", "  - steps 3-4: commit "} {
		if !strings.Contains(string(card), want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
}

// TestExpandEnvsOfficialTasks: --envs takes a MiniWoB++ task that only
// --miniwob-dir's checkout has, and still refuses a name nothing knows.
func TestExpandEnvsOfficialTasks(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"html/miniwob/only-official.html", "html/core/core.js"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("<html></html>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		list string
		dir  string
		want string
		err  string
	}{
		{"numberline,miniwob/only-official", dir, "numberline,miniwob/only-official", ""},
		{"miniwob/only-official", "", "", `unknown environment "miniwob/only-official"`},
		{"miniwob/no-such-task", dir, "", `unknown environment "miniwob/no-such-task"`},
		// A family's name selects its envs, as its prefix does.
		{"cards", "", "blackjack,ezpoints,numberline,points24", ""},
		{"numberline,cards", "", "numberline,blackjack,ezpoints,points24", ""},
	}
	for _, c := range cases {
		got, err := expandEnvs(strings.Split(c.list, ","), env.Options{MiniWoBDir: c.dir})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s (dir %q): %v, want %q", c.list, c.dir, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("%s (dir %q): %v %v, want %s", c.list, c.dir, got, err, c.want)
		}
	}
}
