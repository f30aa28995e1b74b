package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// userFiles are files no vlmq command wrote; they sit where the old code
// deleted or swapped things in: <out>.old siblings, a temp-like sibling
// name, and folders a command may be pointed at.
var userFiles = map[string]string{
	"m/a.old/keep.txt":   "backup of a",
	"m/.a.new-mine/keep": "a user's hidden folder",
	"d/x.old/keep":       "old data",
	"home/notes.txt":     "doc",
	"r/y.old/keep":       "an older run",
}

// outs are the folders the random commands write to: each kind's own,
// and each other's, and a user's.
var outs = []string{"m/a", "m/b", "d/x", "r/y", "ev", "home", "demo"}

// randomCommand draws a command with a tiny budget that writes to one of
// outs (returned) and reads others.
func randomCommand(r *rand.Rand) (args []string, out string) {
	out = outs[r.IntN(len(outs))]
	switch r.IntN(7) {
	case 0:
		return []string{"pretrain", "--preset", "tiny", "--steps", fmt.Sprint(2 + r.IntN(20)), "--corpus-episodes", "2", "--checkpoint-every", "1", "--out", out}, out
	case 1:
		return []string{"collect", "--env", "numberline", "--episodes", fmt.Sprint(3 + r.IntN(20)), "--out", out}, out
	case 2:
		return []string{"train", "--base", "m/tiny", "--data", "d/nl", "--out", out, "--offline-steps", fmt.Sprint(1 + r.IntN(20)), "--checkpoint-every", "1", "--batch", "4"}, out
	case 3:
		return []string{"eval", "--model", "m/tiny", "--eval-episodes", "2", "--out", out}, out
	case 4:
		return []string{"eval", "--policy", "expert", "--eval-episodes", fmt.Sprint(1 + r.IntN(4)), "--out", out}, out
	case 5:
		// Reads every run folder under the root (some being written).
		return []string{"report", ".", "--out", out}, out
	default:
		return []string{"demo", "--fast", "--pretrain-steps", "2", "--episodes", "4", "--offline-steps", "2", "--online-rounds", "1",
			"--episodes-per-round", "2", "--steps-per-round", "1", "--eval-episodes", "1", "--out", out}, out
	}
}

// readers only read: they run beside the writers and must change nothing.
var readers = [][]string{
	{"eval", "--model", "m/a", "--eval-episodes", "1"},
	{"show", "--base", "m/b", "--tokens"},
	{"probe", "--model", "m/tiny", "--data", "d/nl", "--states", "1"},
	{"show", "--base", "m/a", "--tokens"},
	{"eval", "--model", "r/y/ckpt/model", "--eval-episodes", "1"},
}

// mayChange says whether a command writing out may change path (relative
// to the root): out itself and what is inside it, its checkpoint
// (pretrain's <out>.ckpt), and its own hidden lock and temp names beside
// it. User files are never allowed to change.
func mayChange(out, path string) bool {
	if _, ok := userFiles[path]; ok {
		return false
	}
	base, parent := filepath.Base(out), filepath.Dir(out)
	for _, own := range []string{out, out + ".ckpt"} {
		if path == own || strings.HasPrefix(path, own+"/") {
			return true
		}
	}
	rel, err := filepath.Rel(parent, path)
	if err != nil || strings.Contains(rel, "..") {
		return false
	}
	first := strings.Split(rel, "/")[0]
	return first == "."+base+".lock" || first == "."+base+".ckpt.lock" || strings.HasPrefix(first, "."+base+".new-") || strings.HasPrefix(first, "."+base+".ckpt.new-")
}

// TestRandomCommandsKeepOthersFiles is the property of issue 27: random
// sequences of pretrain, collect, train, eval, demo and report runs with tiny
// budgets over a few folders (beside the fixture's model m/tiny and
// dataset d/nl, which they read), some killed at random moments and some
// beside concurrent readers, never change or remove a file that the
// command did not write, and never a user's file.
func TestRandomCommandsKeepOthersFiles(t *testing.T) {
	steps := 14
	if testing.Short() {
		steps = 6
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 27))
			root := fixture(t)
			for p, data := range userFiles {
				if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for i := range steps {
				args, out := randomCommand(r)
				kill := time.Duration(0)
				sig := syscall.Signal(0)
				switch x := r.Float64(); {
				case x < 0.3:
					kill, sig = time.Duration(50+r.IntN(1500))*time.Millisecond, syscall.SIGKILL
				case x < 0.4:
					kill, sig = time.Duration(50+r.IntN(1500))*time.Millisecond, syscall.SIGTERM
				}
				withReaders := r.Float64() < 0.4
				before := tree(t, root)

				var wg sync.WaitGroup
				stop := make(chan struct{})
				if withReaders {
					for _, k := range r.Perm(len(readers))[:2] {
						ra := readers[k]
						wg.Add(1)
						go func() {
							defer wg.Done()
							for {
								select {
								case <-stop:
									return
								default:
								}
								_, _ = vlmq(root, ra...)
								time.Sleep(20 * time.Millisecond)
							}
						}()
					}
				}
				cmd := exec.Command(bin, append(args, "--quiet")...)
				cmd.Dir, cmd.Env = root, childEnv
				outText, err := runKilled(cmd, kill, sig)
				close(stop)
				wg.Wait()
				t.Logf("step %d: vlmq %s (signal %v after %v, readers %v): %v %s", i, strings.Join(args, " "), sig, kill, withReaders, err, firstLine(outText))
				after := tree(t, root)
				for p, v := range before {
					if mayChange(out, p) {
						continue
					}
					if w, ok := after[p]; !ok {
						t.Fatalf("step %d (vlmq %s) removed %s, which it did not write", i, strings.Join(args, " "), p)
					} else if w != v {
						t.Fatalf("step %d (vlmq %s) changed %s, which it did not write", i, strings.Join(args, " "), p)
					}
				}
			}
			// Whatever was killed where, every folder marked as a model is
			// a whole model.
			for _, d := range outs {
				raw, err := os.ReadFile(filepath.Join(root, d, ".vlmq.json"))
				if err != nil || !strings.Contains(string(raw), `"kind": "model"`) {
					continue
				}
				if out, err := vlmq(root, "eval", "--model", d, "--eval-episodes", "1"); err != nil {
					t.Errorf("model %s does not load: %v\n%s", d, err, out)
				}
			}
		})
	}
}

// runKilled runs cmd, sending sig after kill (0 = never), and returns its
// output.
func runKilled(cmd *exec.Cmd, kill time.Duration, sig syscall.Signal) (string, error) {
	var b strings.Builder
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if kill > 0 {
		select {
		case err := <-done:
			return b.String(), err
		case <-time.After(kill):
			_ = cmd.Process.Signal(sig)
		}
	}
	err := <-done
	return b.String(), err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
