package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// vlmq runs the binary in dir to its end and returns its output.
func vlmq(dir string, args ...string) (string, error) {
	cmd := exec.Command(bin, append(args, "--quiet")...)
	cmd.Dir, cmd.Env = dir, childEnv
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustVlmq(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := vlmq(dir, args...)
	if err != nil {
		t.Fatalf("vlmq %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

// fixture returns a fresh folder holding a tiny model m/tiny and a
// 10-episode NumberLine dataset d/nl (built once, then copied).
func fixture(t *testing.T) string {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "vlmq-safety-")
		if fixtureErr != nil {
			return
		}
		for _, args := range [][]string{
			{"pretrain", "--preset", "tiny", "--steps", "2", "--corpus-episodes", "2", "--envs", "numberline", "--out", "m/tiny"},
			{"collect", "--env", "numberline", "--episodes", "10", "--out", "d/nl"},
		} {
			if out, err := vlmq(fixtureDir, args...); err != nil {
				fixtureErr = &fixtureError{args, out, err}
				return
			}
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", fixtureDir+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the fixture: %v %s", err, out)
	}
	return dir
}

type fixtureError struct {
	args []string
	out  string
	err  error
}

func (e *fixtureError) Error() string {
	return "building the fixture: vlmq " + strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.out
}

// tree maps every path under root (relative) to its contents ("<dir>"
// for folders, "-> target" for links).
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			m[rel] = "-> " + l
		case d.IsDir():
			m[rel] = "<dir>"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameFiles fails the test naming the paths under root that differ.
func sameFiles(t *testing.T, root string, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if w, ok := after[p]; !ok {
			t.Errorf("%s/%s was removed", root, p)
		} else if w != v {
			t.Errorf("%s/%s was changed", root, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s/%s was added", root, p)
		}
	}
}

func sh(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-ec", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", script, err, out)
	}
}

// TestNoCommandReplacesForeignFolders: each case of issue 27 item 1 and 2
// where a command deleted or swapped in what it did not write. The folders
// named in keep must end exactly as they began.
func TestNoCommandReplacesForeignFolders(t *testing.T) {
	cases := []struct {
		name    string
		setup   string   // shell, in the fixture folder
		args    []string // the command
		wantErr string   // "" = it succeeds
		keep    []string
		check   func(t *testing.T, dir string)
	}{
		{name: "eval --out over a model",
			setup: "cp -r m/tiny m/evme",
			args:  []string{"eval", "--model", "m/evme", "--eval-episodes", "2", "--out", "m/evme"}, wantErr: "holds a vlmq model", keep: []string{"m/evme"}},
		{name: "pretrain --out over a user's notes",
			setup: "mkdir home && echo doc > home/notes.txt",
			args:  []string{"pretrain", "--preset", "tiny", "--steps", "2", "--corpus-episodes", "2", "--out", "home"}, wantErr: "notes.txt", keep: []string{"home"}},
		{name: "pretrain beside a user's <out>.ckpt",
			setup: "mkdir m/new.ckpt && echo mine > m/new.ckpt/notes.txt",
			args:  []string{"pretrain", "--preset", "tiny", "--steps", "2", "--corpus-episodes", "2", "--out", "m/new"}, wantErr: "notes.txt", keep: []string{"m/new.ckpt"},
			check: func(t *testing.T, dir string) {
				if _, err := os.Stat(filepath.Join(dir, "m/new")); !os.IsNotExist(err) {
					t.Errorf("a refused pretrain wrote m/new: %v", err)
				}
			}},
		{name: "eval --out over a training run",
			setup: bin + " train --base m/tiny --data d/nl --out runs/afsft --offline-steps 2 --quiet >/dev/null",
			args:  []string{"eval", "--policy", "expert", "--eval-episodes", "2", "--out", "runs/afsft"}, wantErr: "holds a vlmq run", keep: []string{"runs"}},
		{name: "eval --out the working folder",
			setup: "mkdir work && echo mine > work/notes.txt",
			args:  []string{"eval", "--policy", "expert", "--eval-episodes", "2", "--out", "work/"}, wantErr: "notes.txt", keep: []string{"work"}},
		{name: "pretrain --out over an evaluation",
			setup: bin + " eval --policy expert --eval-episodes 2 --out ev --quiet >/dev/null",
			args:  []string{"pretrain", "--preset", "tiny", "--steps", "2", "--corpus-episodes", "2", "--out", "ev"}, wantErr: "holds a vlmq eval", keep: []string{"ev"}},
		{name: "report --out over a user's notes",
			setup: bin + " eval --policy expert --eval-episodes 2 --out ev --quiet >/dev/null && mkdir work && echo mine > work/notes.txt",
			args:  []string{"report", "ev", "--out", "work"}, wantErr: "notes.txt", keep: []string{"work", "ev"}},
		{name: "report --out over an evaluation it reads",
			setup: bin + " eval --policy expert --eval-episodes 2 --out ev --quiet >/dev/null",
			args:  []string{"report", "ev", "--out", "ev"}, wantErr: "holds a vlmq eval", keep: []string{"ev"}},
		{name: "collect --out over a model",
			args: []string{"collect", "--env", "numberline", "--episodes", "2", "--out", "m/tiny"}, wantErr: "holds a vlmq model", keep: []string{"m/tiny"}},
		{name: "train --out over a dataset",
			args: []string{"train", "--base", "m/tiny", "--data", "d/nl", "--out", "d/nl", "--offline-steps", "1"}, wantErr: "holds a vlmq dataset", keep: []string{"d"}},
		{name: "loading a model leaves <model>.old alone",
			setup: "mkdir m/tiny.old && echo backup > m/tiny.old/IMPORTANT.txt",
			args:  []string{"eval", "--model", "m/tiny", "--eval-episodes", "2"}, keep: []string{"m/tiny.old", "m/tiny"}},
		{name: "loading a missing model does not rename <model>.old into place",
			setup: "cp -r m/tiny m/ghost.old",
			args:  []string{"eval", "--model", "m/ghost", "--eval-episodes", "2"}, wantErr: "m/ghost", keep: []string{"m/ghost.old"},
			check: func(t *testing.T, dir string) {
				if _, err := os.Stat(filepath.Join(dir, "m/ghost")); !os.IsNotExist(err) {
					t.Errorf("m/ghost appeared: %v", err)
				}
			}},
		{name: "a symlinked --out is followed, not replaced",
			setup: bin + " eval --policy expert --eval-episodes 2 --out ev --quiet >/dev/null && ln -s ev evlink",
			args:  []string{"eval", "--policy", "expert", "--eval-episodes", "3", "--out", "evlink"},
			check: func(t *testing.T, dir string) {
				if fi, err := os.Lstat(filepath.Join(dir, "evlink")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
					t.Fatalf("evlink is no longer a link: %v", err)
				}
				b, err := os.ReadFile(filepath.Join(dir, "ev", "eval.json"))
				if err != nil || !bytes.Contains(b, []byte(`"episodes": 3`)) {
					t.Errorf("the link's target was not rewritten: %v %s", err, b)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fixture(t)
			if c.setup != "" {
				sh(t, dir, c.setup)
			}
			before := map[string]map[string]string{}
			for _, k := range c.keep {
				before[k] = tree(t, filepath.Join(dir, k))
			}
			out, err := vlmq(dir, c.args...)
			if c.wantErr == "" && err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(out, c.wantErr)) {
				t.Errorf("err %v, want an error mentioning %q; output:\n%s", err, c.wantErr, out)
			}
			for _, k := range c.keep {
				sameFiles(t, filepath.Join(dir, k), before[k], tree(t, filepath.Join(dir, k)))
			}
			if c.check != nil {
				c.check(t, dir)
			}
		})
	}
}

// TestLoadsWorkFromReadOnlyStorage (issue 27 item 3): every command that
// only reads a model or dataset works when they are on a read-only mount
// (a bind mount in a private user and mount namespace).
func TestLoadsWorkFromReadOnlyStorage(t *testing.T) {
	if err := exec.Command("unshare", "-rm", "true").Run(); err != nil {
		t.Skipf("no user namespaces here to mount read-only storage in: %v", err)
	}
	dir := fixture(t)
	sh(t, dir, "mkdir ro && mv m d ro/ && mkdir rw")
	for _, args := range []string{
		"eval --model ro/m/tiny --eval-episodes 2",
		"show --base ro/m/tiny --tokens",
		"probe --model ro/m/tiny --data ro/d/nl --states 1",
		"train --base ro/m/tiny --data ro/d/nl --out rw/run --offline-steps 1",
	} {
		script := "mount --bind -o ro ro ro && exec " + bin + " " + args + " --quiet"
		cmd := exec.Command("unshare", "-rm", "sh", "-ec", script)
		cmd.Dir, cmd.Env = dir, childEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("vlmq %s on read-only storage: %v\n%s", args, err, out)
		}
	}
}

// waitFor polls cond every 10 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func trainRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.Contains(s.Text(), `"train"`) {
			n++
		}
	}
	return n
}

// TestSecondWriterChangesNothing (issue 27 items 4 and 5): a second train
// or pretrain on the --out of a running one is refused before it reads
// or writes anything there, and the first ends as if alone.
func TestSecondWriterChangesNothing(t *testing.T) {
	dir := fixture(t)
	start := func(args ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, append(args, "--quiet")...)
		cmd.Dir, cmd.Env = dir, childEnv
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}

	const steps = 120
	first, out := start("train", "--base", "m/tiny", "--data", "d/nl", "--out", "r/same", "--offline-steps", "120", "--checkpoint-every", "5")
	if !waitFor(60*time.Second, func() bool { return trainRows(t, filepath.Join(dir, "r/same/metrics.jsonl")) >= 5 }) {
		first.Process.Kill()
		t.Fatalf("the first train logged nothing:\n%s", out)
	}
	spec := tree(t, filepath.Join(dir, "r/same"))["spec.json"]
	second, err := vlmq(dir, "train", "--base", "m/tiny", "--data", "d/nl", "--out", "r/same", "--offline-steps", "120", "--lr", "0.5", "--allow-changed-settings")
	if err == nil || !strings.Contains(second, "in use") {
		t.Errorf("second train: %v, want it refused as in use:\n%s", err, second)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first train: %v\n%s", err, out)
	}
	if n := trainRows(t, filepath.Join(dir, "r/same/metrics.jsonl")); n != steps {
		t.Errorf("the first run's metrics log has %d train rows, want %d", n, steps)
	}
	if got := tree(t, filepath.Join(dir, "r/same"))["spec.json"]; got != spec {
		t.Errorf("spec.json changed under the first run:\n%s\nthen:\n%s", got, spec)
	}
	// The first run's own command still resumes (its settings are its own).
	mustVlmq(t, dir, "train", "--base", "m/tiny", "--data", "d/nl", "--out", "r/same", "--offline-steps", "120", "--checkpoint-every", "5")

	p1, pout := start("pretrain", "--preset", "tiny", "--steps", "60", "--corpus-episodes", "2", "--out", "m/same")
	waitFor(3*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "m/.same.lock"))
		return err == nil
	})
	second, err = vlmq(dir, "pretrain", "--preset", "tiny", "--steps", "60", "--corpus-episodes", "2", "--out", "m/same")
	if err == nil || !strings.Contains(second, "in use") {
		t.Errorf("second pretrain: %v, want it refused as in use:\n%s", err, second)
	}
	if err := p1.Wait(); err != nil {
		t.Fatalf("first pretrain: %v\n%s", err, pout)
	}
	mustVlmq(t, dir, "eval", "--model", "m/same", "--eval-episodes", "1")
}

// TestDatasetsKnowTheirEnv (issue 27 item 6) and the --data checks of the
// smaller defects: mixing is refused before any work, and the refused
// command changes nothing.
func TestDatasetsKnowTheirEnv(t *testing.T) {
	cases := []struct {
		name    string
		setup   string
		args    []string
		wantErr string
		keep    []string
		absent  string // a folder the refused command must not create
	}{
		{name: "collect of another env into a dataset",
			args: []string{"collect", "--env", "ezpoints", "--episodes", "15", "--out", "d/nl"}, wantErr: "ezpoints", keep: []string{"d"}},
		{name: "collect of another observation mode into a dataset",
			args: []string{"collect", "--env", "numberline", "--obs", "image", "--episodes", "15", "--out", "d/nl"}, wantErr: "image", keep: []string{"d"}},
		{name: "train on data of another env",
			args: []string{"train", "--env", "ezpoints", "--base", "m/tiny", "--data", "d/nl", "--out", "r/x", "--offline-steps", "2"}, wantErr: "ezpoints", absent: "r"},
		{name: "train on one dataset given twice",
			args: []string{"train", "--base", "m/tiny", "--data", "d/nl,d/nl", "--out", "r/x", "--offline-steps", "2"}, wantErr: "twice", absent: "r"},
		{name: "train on the same dataset by two names",
			setup: "ln -s nl d/alias",
			args:  []string{"train", "--base", "m/tiny", "--data", "d/nl,d/alias", "--out", "r/x", "--offline-steps", "2"}, wantErr: "twice", absent: "r"},
		{name: "probe on one dataset given twice",
			args: []string{"probe", "--model", "m/tiny", "--data", "d/nl,d/nl"}, wantErr: "twice"},
		{name: "train on an empty data folder",
			setup: "mkdir d/empty",
			args:  []string{"train", "--base", "m/tiny", "--data", "d/empty", "--out", "r/x", "--offline-steps", "2"}, wantErr: "no episodes", absent: "r"},
		{name: "probe on an empty data folder",
			setup: "mkdir d/empty",
			args:  []string{"probe", "--model", "m/tiny", "--data", "d/empty"}, wantErr: "no episodes"},
		{name: "collect from a missing base model",
			args: []string{"collect", "--env", "numberline", "--source", "base-model", "--base", "m/nonexist", "--episodes", "2", "--out", "d/new"}, wantErr: "nonexist", absent: "d/new"},
		{name: "an --out name too long for its temp names",
			args: []string{"pretrain", "--preset", "tiny", "--steps", "2", "--corpus-episodes", "2", "--out", "m/" + strings.Repeat("x", 245)}, wantErr: "characters", keep: []string{"m"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fixture(t)
			if c.setup != "" {
				sh(t, dir, c.setup)
			}
			before := map[string]map[string]string{}
			for _, k := range c.keep {
				before[k] = tree(t, filepath.Join(dir, k))
			}
			out, err := vlmq(dir, c.args...)
			if err == nil || !strings.Contains(out, c.wantErr) {
				t.Errorf("err %v, want an error mentioning %q; output:\n%s", err, c.wantErr, out)
			}
			if strings.Contains(out, "offline training to step") {
				t.Errorf("the refusal came only after training started:\n%s", out)
			}
			for _, k := range c.keep {
				sameFiles(t, filepath.Join(dir, k), before[k], tree(t, filepath.Join(dir, k)))
			}
			if c.absent != "" {
				if _, err := os.Stat(filepath.Join(dir, c.absent)); !os.IsNotExist(err) {
					t.Errorf("the refused command created %s (%v)", c.absent, err)
				}
			}
		})
	}
}

// TestFinishedCollectReadsOnlyFooters (issue 27 item 6, resumed counts):
// rerunning a finished collect counts its episodes from the shard footers,
// so damaged episode data behind intact footers is never decoded.
func TestFinishedCollectReadsOnlyFooters(t *testing.T) {
	dir := fixture(t)
	shards, _ := filepath.Glob(filepath.Join(dir, "d/nl/shard-*.parquet"))
	if len(shards) == 0 {
		t.Fatal("no shards")
	}
	b, err := os.ReadFile(shards[0])
	if err != nil {
		t.Fatal(err)
	}
	// Zero the column data (Parquet's footer is at the end, its 4-byte
	// magic at the start).
	for i := 4; i < len(b)/3; i++ {
		b[i] = 0
	}
	if err := os.WriteFile(shards[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustVlmq(t, dir, "collect", "--env", "numberline", "--episodes", "10", "--out", "d/nl")
	if !strings.Contains(out, "10") {
		t.Errorf("output %q does not give the count", out)
	}
	var m map[string]any
	raw, err := os.ReadFile(filepath.Join(dir, "d/nl/.vlmq.json"))
	if err != nil || json.Unmarshal(raw, &m) != nil || m["kind"] != "dataset" {
		t.Errorf("the dataset's marker: %v %s", err, raw)
	}
}

// TestInterruptStopsEveryPhase (issue 27, smaller defects): SIGINT ends
// a command within a few seconds even in a phase that never looks at the
// interrupt (here a scripted evaluation of many episodes; in the issue a
// MiniWoB page that never finishes loading).
func TestInterruptStopsEveryPhase(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(bin, "eval", "--policy", "expert", "--eval-episodes", "100000", "--quiet")
	cmd.Dir, cmd.Env = dir, childEnv
	// SIGINT once the scripted evaluation is under way.
	interruptEndsIt(t, cmd, 500*time.Millisecond, 12*time.Second)
}

// interruptEndsIt starts cmd, sends SIGINT after wait, and wants exit 130
// within limit of the signal.
func interruptEndsIt(t *testing.T, cmd *exec.Cmd, wait, limit time.Duration) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("exit %v, want 130:\n%s", err, out.String())
		}
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("still running %v after SIGINT:\n%s", limit, out.String())
	}
}

// TestInterruptHangingPage (issue 27, smaller defects): SIGINT ends a
// command whose MiniWoB++ task page never finishes loading (a script that
// loops forever, in a checkout made for the test) within the interrupt's
// cut-off, where it used to hold the command for two minutes.
func TestInterruptHangingPage(t *testing.T) {
	dir := t.TempDir()
	for f, body := range map[string]string{
		"html/core/core.js":      "var core = {};",
		"html/miniwob/hang.html": "<!DOCTYPE html><html><head><script src=\"../core/core.js\"></script><script>while (true) {}</script></head><body><div id=\"wrap\"></div></body></html>",
	} {
		p := filepath.Join(dir, "checkout", f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "eval", "--policy", "random", "--env", "miniwob/hang", "--miniwob-dir", filepath.Join(dir, "checkout"), "--eval-episodes", "1", "--quiet")
	cmd.Dir, cmd.Env = dir, childEnv
	// Long enough for Chromium to start and the page to hang.
	interruptEndsIt(t, cmd, 4*time.Second, 15*time.Second)
}
