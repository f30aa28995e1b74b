package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// evalArgs is a sampled evaluation of the fixture's tiny model in chunks
// of 4, with listings: every part of its output depends on which episodes
// it played and how.
var evalArgs = strings.Fields("eval --model m/tiny --eval-episodes 24 --chunk 4 --parallel 2 --temperature 1 --max-reply 8 --replies 3 --show 2 --out ev --quiet")

// evalChunks counts the chunks an eval --out ev has kept in dir.
func evalChunks(dir string) int { return shards(filepath.Join(dir, "ev.ckpt", "episodes")) }

// TestEvalKillAndResume (issue 27: an interrupted eval --out kept
// nothing): eval --out killed with SIGKILL after a chunk, and stopped by
// SIGTERM after another, keeps its finished chunks in ev.ckpt; the rerun
// resumes and ends with the output and files of an uninterrupted run, and
// removes ev.ckpt.
func TestEvalKillAndResume(t *testing.T) {
	ref, kill := fixture(t), fixture(t)
	whole := run(t, ref, evalArgs, nil)
	if whole.err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", whole.err, whole.stderr)
	}
	first := -1 // the chunks the SIGTERM run started from
	r := killThenFinish(t, kill, evalArgs, []killPoint{
		{name: "right after the first chunk", must: true, when: func(d string, _ time.Duration) bool { return evalChunks(d) >= 1 }},
		{name: "SIGTERM after one more chunk", must: true, term: true, when: func(d string, _ time.Duration) bool {
			if first < 0 {
				first = evalChunks(d)
			}
			return evalChunks(d) > first
		}},
	})
	if r.stdout != whole.stdout {
		t.Errorf("final output:\n%s\nuninterrupted:\n%s", r.stdout, whole.stdout)
	}
	if !strings.Contains(r.stderr, "resumed: ") {
		t.Errorf("the rerun does not say it resumed: %q", r.stderr)
	}
	if exists(filepath.Join(kill, "ev.ckpt")) {
		t.Error("ev.ckpt is left behind")
	}
	sameTree(t, filepath.Join(ref, "ev"), filepath.Join(kill, "ev"), nil)
}

// TestEvalRefusesChangedSettings: the rerun of a killed eval --out with
// other settings is refused, names them, and leaves the kept chunks as
// they were (the old eval kept none, and evaluated anew).
func TestEvalRefusesChangedSettings(t *testing.T) {
	dir := fixture(t)
	r := run(t, dir, evalArgs, func(int, time.Duration) syscall.Signal {
		if evalChunks(dir) >= 1 {
			return syscall.SIGKILL
		}
		return 0
	})
	if !r.killed {
		t.Fatalf("the evaluation was not killed after a kept chunk (%v):\n%s", r.err, r.stderr)
	}
	before := tree(t, filepath.Join(dir, "ev.ckpt"))
	for _, c := range []struct{ from, to, want string }{
		{"24", "30", "episodes: 24 then, 30 now"},
		{"--temperature 1", "--temperature 0.5", "temperature: 1 then, 0.5 now"},
		{"--model m/tiny", "--policy expert", "policy"},
	} {
		args := strings.Fields(strings.Replace(strings.Join(evalArgs, " "), c.from, c.to, 1))
		out, err := vlmq(dir, args...)
		if err == nil || !strings.Contains(out, "other settings") || !strings.Contains(out, c.want) {
			t.Errorf("%s: err %v, want a refusal naming %q:\n%s", c.to, err, c.want, out)
		}
		sameFiles(t, filepath.Join(dir, "ev.ckpt"), before, tree(t, filepath.Join(dir, "ev.ckpt")))
		if exists(filepath.Join(dir, "ev")) {
			t.Fatalf("%s: the refused rerun published ev", c.to)
		}
	}
}

// TestRefusedCommandsLeaveNothing (issue 27: demo and collect with a
// missing --base left an empty, marked --out behind): a command refused
// for a bad input leaves every folder as it was and creates none.
func TestRefusedCommandsLeaveNothing(t *testing.T) {
	cases := []struct {
		name    string
		args    string
		wantErr string
	}{
		{"demo from a missing base", "demo --fast --base m/nonexist --out dm", "nonexist"},
		{"collect with a base its source does not play", "collect --env numberline --base m/nonexist --episodes 2 --out d/new", "--source base-model"},
		{"collect from a missing base", "collect --env numberline --source base-model --base m/nonexist --episodes 2 --out d/new", "nonexist"},
		{"train from a missing base", "train --base m/nonexist --data d/nl --out r/x --offline-steps 1", "nonexist"},
		{"train from a missing checkpoint", "train --init-from r/nonexist --data d/nl --out r/x --offline-steps 1", "nonexist"},
		{"eval of a missing model", "eval --model m/nonexist --eval-episodes 2 --out ev", "nonexist"},
		{"eval with a bad chunk", "eval --policy expert --chunk -1 --out ev", "chunk -1"},
		{"eval of an unknown policy", "eval --policy oracle --out ev", "unknown scripted policy"},
		{"eval beside a foreign <out>.ckpt", "eval --policy expert --eval-episodes 2 --out m/tiny2", "notes.txt"},
		{"pretrain of an unknown preset", "pretrain --preset giant --out m/new", "unknown preset"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fixture(t)
			sh(t, dir, "mkdir m/tiny2.ckpt && echo mine > m/tiny2.ckpt/notes.txt")
			before := tree(t, dir)
			out, err := vlmq(dir, strings.Fields(c.args)...)
			if err == nil || !strings.Contains(out, c.wantErr) {
				t.Errorf("err %v, want an error mentioning %q; output:\n%s", err, c.wantErr, out)
			}
			sameFiles(t, dir, before, tree(t, dir))
		})
	}
}
