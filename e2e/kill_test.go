package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"vlmq/runlog"
)

// bin is the vlmq binary TestMain builds for the tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vlmq-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "vlmq")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/vlmq")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building vlmq: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// childEnv keeps each run on one core (the tests are meant to be light).
var childEnv = append(os.Environ(), "GOMAXPROCS=1", "OPENBLAS_NUM_THREADS=1")

// result is how one run of the binary ended.
type result struct {
	killed         bool // ended by our SIGKILL
	err            error
	stdout, stderr string
	wall           time.Duration
}

// run starts bin with args in dir and polls stop every millisecond with
// the process ID and the time since the start; when stop returns a signal
// the process gets it, and run waits for the end. stop nil runs to the end.
func run(t *testing.T, dir string, args []string, stop func(pid int, elapsed time.Duration) syscall.Signal) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, childEnv
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if stop == nil {
				continue
			}
			if sig := stop(cmd.Process.Pid, time.Since(start)); sig != 0 {
				_ = cmd.Process.Signal(sig)
				err = <-done
				break wait
			}
		}
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return result{killed: ws.Signaled() && ws.Signal() == syscall.SIGKILL, err: err,
		stdout: out.String(), stderr: errb.String(), wall: time.Since(start)}
}

// killPoint is a moment to kill a run at: when reports it has come (dir is
// the run's working folder). must says the moment surely comes before the
// command ends, so a run that finishes first is an error. A point with
// term set sends SIGTERM instead and expects the graceful exit (130 and
// the message saying how to resume).
type killPoint struct {
	name string
	must bool
	term bool
	when func(dir string, elapsed time.Duration) bool
	// landed (optional) says, after the kill, where it landed.
	landed func(dir string) string
}

// killThenFinish runs the command once per kill point, killing it there,
// then reruns it until it completes, and returns the completing run.
func killThenFinish(t *testing.T, dir string, args []string, points []killPoint) result {
	t.Helper()
	for _, p := range points {
		r := run(t, dir, args, func(_ int, el time.Duration) syscall.Signal {
			switch {
			case !p.when(dir, el):
				return 0
			case p.term:
				return syscall.SIGTERM
			}
			return syscall.SIGKILL
		})
		var ee *exec.ExitError
		switch {
		case r.killed:
			where := ""
			if p.landed != nil {
				where = " (" + p.landed(dir) + ")"
			}
			t.Logf("%s: killed after %v%s", p.name, r.wall.Round(time.Millisecond), where)
		case p.term && errors.As(r.err, &ee) && ee.ExitCode() == 130:
			if !strings.Contains(r.stderr, "rerun the same command") {
				t.Errorf("%s: SIGTERM exit without the resume message: %q", p.name, r.stderr)
			}
			t.Logf("%s: stopped by SIGTERM after %v", p.name, r.wall.Round(time.Millisecond))
		case r.err != nil:
			t.Fatalf("%s: the run failed: %v\n%s", p.name, r.err, r.stderr)
		case p.must:
			t.Errorf("%s: the run finished before the kill", p.name)
		default:
			t.Logf("%s: the run finished before the kill", p.name)
		}
	}
	for try := 0; try < 3; try++ {
		r := run(t, dir, args, nil)
		if r.err == nil {
			return r
		}
		t.Logf("rerun %d: %v\n%s", try+1, r.err, r.stderr)
	}
	t.Fatalf("%v did not complete in 3 reruns", args)
	return result{}
}

// progressSteps reads the steps of a checkpoint's progress.json (-1 when
// there is none yet).
func progressSteps(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	var p struct {
		Steps int `json:"steps"`
	}
	if json.Unmarshal(b, &p) != nil {
		return -1
	}
	return p.Steps
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// shards counts a dataset folder's published shards.
func shards(dir string) int {
	m, _ := filepath.Glob(filepath.Join(dir, "shard-*.parquet"))
	return len(m)
}

// readTree reads every file under root, by slash-separated relative name.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameTree fails unless a and b hold the same files with the same bytes,
// after norm (which drops what legitimately differs, such as timestamps).
func sameTree(t *testing.T, a, b string, norm func(name string, data []byte) []byte) {
	t.Helper()
	fa, fb := readTree(t, a), readTree(t, b)
	var names []string
	for n := range fa {
		names = append(names, n)
	}
	for n := range fb {
		if _, ok := fa[n]; !ok {
			t.Errorf("%s: only in the killed run", n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		db, ok := fb[n]
		if !ok {
			t.Errorf("%s: missing from the killed run", n)
			continue
		}
		da := fa[n]
		if norm != nil {
			da, db = norm(n, da), norm(n, db)
		}
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs from the uninterrupted run's (%d vs %d bytes)", n, len(db), len(da))
		}
	}
	if len(names) == 0 {
		t.Errorf("%s is empty", a)
	}
}

// normalize drops the wall-clock parts of the artefacts: the time of each
// metrics record (JSONL field and CSV column), the training wall time and
// sessions in a model card, and run.json (sessions). Everything else must
// match byte for byte.
func normalize(name string, data []byte) []byte {
	switch filepath.Base(name) {
	case "metrics.jsonl":
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				out = append(out, line)
				continue
			}
			delete(rec, "time")
			b, _ := json.Marshal(rec)
			out = append(out, string(b))
		}
		return []byte(strings.Join(out, "\n"))
	case "metrics.csv":
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			return data
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		for _, r := range rows {
			if len(r) > 2 {
				r = slices.Delete(slices.Clone(r), 2, 3)
			}
			_ = w.Write(r)
		}
		w.Flush()
		return buf.Bytes()
	case "README.md":
		// The card's wall time and its list of sessions (one more per
		// kill, each with its own clock and load).
		var out []string
		sessions := false
		for _, line := range strings.Split(string(data), "\n") {
			sessions = strings.HasPrefix(line, "- sessions (") || (sessions && strings.HasPrefix(line, "  - "))
			if !sessions && !strings.Contains(line, "wall time") {
				out = append(out, line)
			}
		}
		return []byte(strings.Join(out, "\n"))
	case runlog.File:
		// A record of each session: a killed run has more of them.
		return nil
	}
	return data
}

// TestKillAndResume kills pretrain (with and without a curriculum),
// collect and train with SIGKILL (and train once with SIGTERM) at several
// moments — after a checkpoint, between checkpoints, during the final
// save, between dataset chunks, during an evaluation, during both rounds'
// online collection — reruns each until it completes and compares the
// final artefacts byte for byte with an uninterrupted run's: model,
// target and optimiser weights, config, tokenizer, model card, progress,
// spec, evaluations, dataset and online shards, metrics. Only wall-clock
// fields are left out (metric timestamps, the card's training wall time).
// Time-based points land in different phases on different machines; the
// others are tied to artefacts and land where their names say (the
// evaluation point almost always: it fires when the offline checkpoint
// appears without its evaluation).
func TestKillAndResume(t *testing.T) {
	root := t.TempDir()
	if k := os.Getenv("E2E_DEBUG_DIR"); k != "" {
		root = k // an empty folder that keeps the runs for inspection
	}
	ref, kill := filepath.Join(root, "ref"), filepath.Join(root, "kill")
	for _, d := range []string{ref, kill} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var ok bool
	ok = t.Run("pretrain", func(t *testing.T) {
		args := strings.Fields("pretrain --envs numberline --preset tiny --vocab 600 --steps 40 --batch 4 --corpus-episodes 5 --held-episodes 2 --checkpoint-every 5 --out base --quiet")
		whole := run(t, ref, args, nil)
		if whole.err != nil {
			t.Fatalf("uninterrupted run: %v\n%s", whole.err, whole.stderr)
		}
		T := whole.wall
		ckpt := func(dir string) string { return filepath.Join(dir, "base.ckpt", "progress.json") }
		r := killThenFinish(t, kill, args, []killPoint{
			{name: "early (corpus, tokenizer or first steps)", when: func(_ string, el time.Duration) bool { return el >= T/10 }},
			{name: "right after the step-5 checkpoint", must: true, when: func(d string, _ time.Duration) bool { return progressSteps(ckpt(d)) >= 5 }},
			{name: "half-way in time", when: func(_ string, el time.Duration) bool { return el >= T/2 }},
			{name: "after the step-25 checkpoint", must: true, when: func(d string, _ time.Duration) bool { return progressSteps(ckpt(d)) >= 25 }},
			{name: "during the final save", when: func(d string, _ time.Duration) bool { return exists(filepath.Join(d, "base", "model.safetensors")) }},
		})
		if r.stdout != whole.stdout {
			t.Errorf("final output %q, uninterrupted %q", r.stdout, whole.stdout)
		}
		if exists(filepath.Join(kill, "base.ckpt")) {
			t.Error("the checkpoint folder is left behind")
		}
		sameTree(t, filepath.Join(ref, "base"), filepath.Join(kill, "base"), normalize)
	})
	if !ok {
		t.Fatal("pretrain failed; collect and train need its base")
	}
	// The curriculum streams fresh views walked by random, expert and
	// noisy-expert policies: its batches are drawn anew after a kill.
	t.Run("pretrain-curriculum", func(t *testing.T) {
		args := strings.Fields("pretrain --envs numberline,ezpoints --preset tiny --vocab 600 --steps 40 --batch 4 --corpus-episodes 3 --held-questions 10 --curriculum default,distractors=4 --checkpoint-every 5 --out cbase --quiet")
		whole := run(t, ref, args, nil)
		if whole.err != nil {
			t.Fatalf("uninterrupted run: %v\n%s", whole.err, whole.stderr)
		}
		ckpt := func(dir string) string { return filepath.Join(dir, "cbase.ckpt", "progress.json") }
		r := killThenFinish(t, kill, args, []killPoint{
			{name: "right after the step-5 checkpoint", must: true, when: func(d string, _ time.Duration) bool { return progressSteps(ckpt(d)) >= 5 }},
			{name: "after the step-25 checkpoint", must: true, when: func(d string, _ time.Duration) bool { return progressSteps(ckpt(d)) >= 25 }},
			{name: "during the final save", when: func(d string, _ time.Duration) bool { return exists(filepath.Join(d, "cbase", "model.safetensors")) }},
		})
		if r.stdout != whole.stdout {
			t.Errorf("final output %q, uninterrupted %q", r.stdout, whole.stdout)
		}
		if exists(filepath.Join(kill, "cbase.ckpt")) {
			t.Error("the checkpoint folder is left behind")
		}
		sameTree(t, filepath.Join(ref, "cbase"), filepath.Join(kill, "cbase"), normalize)
	})
	ok = t.Run("collect", func(t *testing.T) {
		args := strings.Fields("collect --env numberline --source noisy-expert --episodes 100 --out data --quiet")
		whole := run(t, ref, args, nil)
		if whole.err != nil {
			t.Fatalf("uninterrupted run: %v\n%s", whole.err, whole.stderr)
		}
		T := whole.wall
		inChunk := func(d string) string { return fmt.Sprintf("%d shards stored", shards(filepath.Join(d, "data"))) }
		r := killThenFinish(t, kill, args, []killPoint{
			{name: "by time, from an empty folder", when: func(_ string, el time.Duration) bool { return el >= T/5 }, landed: inChunk},
			{name: "right after the first shard", must: true, when: func(d string, _ time.Duration) bool { return shards(filepath.Join(d, "data")) >= 1 }},
			{name: "by time, from one shard", when: func(_ string, el time.Duration) bool { return el >= T/4 }, landed: inChunk},
		})
		if r.stdout != whole.stdout {
			t.Errorf("final output %q, uninterrupted %q", r.stdout, whole.stdout)
		}
		sameTree(t, filepath.Join(ref, "data"), filepath.Join(kill, "data"), nil)
	})
	if !ok {
		t.Fatal("collect failed; train needs its data")
	}
	t.Run("train", func(t *testing.T) {
		// Both runs read the reference base and data by the same relative
		// paths, so the specs they store are identical too.
		if !exists(filepath.Join(ref, "base")) || !exists(filepath.Join(ref, "data")) {
			t.Fatal("train needs the base and data of the pretrain and collect subtests: run all of TestKillAndResume")
		}
		tref, tkill := filepath.Join(root, "train-ref"), filepath.Join(root, "train-kill")
		for _, d := range []string{tref, tkill} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// 24 evaluation episodes keep the "during the offline evaluation"
		// window wide enough to hit under load (with 6 it was missed once
		// at load average 12).
		args := strings.Fields("train --env numberline --base ../ref/base --data ../ref/data --out run --offline-steps 12 --checkpoint-every 4" +
			" --online-rounds 2 --episodes-per-round 6 --steps-per-round 4 --eval-episodes 24 --parallel 2 --batch 8 --quiet")
		whole := run(t, tref, args, nil)
		if whole.err != nil {
			t.Fatalf("uninterrupted run: %v\n%s", whole.err, whole.stderr)
		}
		T := whole.wall
		evalDone := func(name string) func(string) string {
			return func(d string) string {
				if exists(filepath.Join(d, "run", "evals", name)) {
					return "after the evaluation was stored"
				}
				return "before the evaluation was stored"
			}
		}
		steps := func(d string) int { return progressSteps(filepath.Join(d, "run", "ckpt", "progress.json")) }
		offlineSteps := func(d string) string { return fmt.Sprintf("checkpoint at step %d", steps(d)) }
		online := func(d string) int { return shards(filepath.Join(d, "run", "online")) }
		first := -1 // the checkpoint the SIGTERM run started from
		r := killThenFinish(t, tkill, args, []killPoint{
			{name: "offline, right after the step-4 checkpoint", must: true, when: func(d string, _ time.Duration) bool { return steps(d) >= 4 }},
			// By time, but no later than the step-8 checkpoint: the SIGTERM
			// run after it must still find offline steps to stop in, and
			// leave the offline evaluation to the next point (on a fast
			// machine T/6 came after the last offline checkpoint).
			{name: "offline, by time", when: func(d string, el time.Duration) bool { return el >= T/6 || steps(d) >= 8 }, landed: offlineSteps},
			// SIGTERM only once this run has published a checkpoint of its
			// own: its handler is surely installed by then.
			{name: "SIGTERM in offline training", must: true, term: true, when: func(d string, _ time.Duration) bool {
				if first < 0 {
					first = max(steps(d), 0)
				}
				return steps(d) > first
			}},
			{name: "during the offline evaluation", must: true, when: func(d string, _ time.Duration) bool {
				return steps(d) >= 12 && !exists(filepath.Join(d, "run", "evals", "offline.json"))
			}, landed: evalDone("offline.json")},
			{name: "round 1 online collection, after its first chunk", must: true, when: func(d string, _ time.Duration) bool { return online(d) >= 1 }},
			{name: "round 2 online collection, after its first chunk", must: true, when: func(d string, _ time.Duration) bool { return online(d) >= 3 }},
			{name: "during the round 2 evaluation", when: func(d string, _ time.Duration) bool {
				return steps(d) >= 20 && !exists(filepath.Join(d, "run", "evals", "round-2.json"))
			}, landed: evalDone("round-2.json")},
		})
		if r.stdout != whole.stdout {
			t.Errorf("final output %q, uninterrupted %q", r.stdout, whole.stdout)
		}
		sameTree(t, filepath.Join(tref, "run"), filepath.Join(tkill, "run"), normalize)
	})
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 {
			if pp, err := strconv.Atoi(fields[1]); err == nil && pp == pid {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestKillChromiumAtChunkStart is issue 16's item 13 through the binary:
// collect on a MiniWoB task while Chromium is killed as it starts (the
// start of a chunk) and again soon after its restart. The command must
// complete in one go and store exactly the uninterrupted run's episodes.
func TestKillChromiumAtChunkStart(t *testing.T) {
	chromium := os.Getenv("VLMQ_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("VLMQ_REQUIRE_CHROMIUM") != "" {
			t.Fatalf("chromium not installed at %s but VLMQ_REQUIRE_CHROMIUM is set", chromium)
		}
		t.Skipf("chromium not installed at %s (set VLMQ_CHROMIUM)", chromium)
	}
	root := t.TempDir()
	ref, kill := filepath.Join(root, "ref"), filepath.Join(root, "kill")
	for _, d := range []string{ref, kill} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := strings.Fields("collect --env miniwob/click-button --source expert --episodes 3 --out data --quiet")
	whole := run(t, ref, args, nil)
	if whole.err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", whole.err, whole.stderr)
	}
	// The first Chromium dies as soon as it appears (during its launch),
	// the second 300 ms after it appeared (opening the tab or the first
	// episode, depending on the machine).
	var killed []int
	var seen time.Time
	r := run(t, kill, args, func(pid int, _ time.Duration) syscall.Signal {
		for _, c := range children(pid) {
			if len(killed) >= 2 || slices.Contains(killed, c) {
				continue
			}
			if len(killed) == 1 {
				if seen.IsZero() {
					seen = time.Now()
				}
				if time.Since(seen) < 300*time.Millisecond {
					continue
				}
			}
			if syscall.Kill(c, syscall.SIGKILL) == nil {
				killed = append(killed, c)
			}
		}
		return 0
	})
	if r.err != nil {
		t.Fatalf("collect with Chromium killed %d times: %v\n%s", len(killed), r.err, r.stderr)
	}
	if len(killed) != 2 {
		t.Errorf("killed Chromium %d times, want 2", len(killed))
	}
	if r.stdout != whole.stdout {
		t.Errorf("output %q, uninterrupted %q", r.stdout, whole.stdout)
	}
	sameTree(t, filepath.Join(ref, "data"), filepath.Join(kill, "data"), nil)
}
