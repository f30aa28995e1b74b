package cli

import (
	"bytes"
	"html"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/experiment"
	"vlmq/jsonfile"
	"vlmq/metrics"
)

// resultsTree writes a results folder: a demo with online rounds (and
// its own sft/ run and an evaluation kept inside it), an evaluation, a
// training run with two online rounds, an offline-only training run, a
// training run without evaluations, and folders that hold no run (one
// nested, one hidden with a run inside, a pretraining spec).
func resultsTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "results")
	write := func(rel string, v any) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := jsonfile.Write(p, v); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(succ int) metrics.Summary {
		p := float64(succ) / 100
		return metrics.Summary{Episodes: 100, Replies: 300,
			SyntaxAccuracy: metrics.Estimate{Value: min(1, 2*p), Lo: min(1, 2*p) * 0.9, Hi: 1, N: 300},
			SuccessRate:    metrics.Estimate{Value: p, Lo: p * 0.8, Hi: min(1, p*1.2+0.03), N: 100},
			MeanReturn:     metrics.Estimate{Value: 2*p - 1, Lo: 2*p - 1.2, Hi: 2*p - 0.8, N: 100}}
	}
	demo := experiment.DemoSpec{Env: "numberline", Online: afsft.Schedule{OnlineRounds: 2}}
	write("demo/nl/demo.json", demo)
	write("demo/nl/results.json", []experiment.Result{
		{Method: "dataset (noisy-expert)", Summary: sum(19)}, {Method: "SFT", Summary: sum(55)},
		{Method: "AFSFT", Summary: sum(80)}, {Method: "AFSFT+online (round 1)", Summary: sum(85)}, {Method: "AFSFT+online", Summary: sum(100)}})
	write("demo/nl/sft/spec.json", experiment.TrainSpec{Env: "numberline"})
	write("demo/nl/sft/evals/offline.json", experiment.Result{Method: "own sft run", Summary: sum(1)})
	write("demo/nl/online-1000/eval.json", experiment.EvalRecord{Spec: experiment.EvalSpec{Env: "numberline", Episodes: 1000}})
	write("demo/nl/online-1000/results.json", []experiment.Result{{Method: "kept <evaluation> & co", Summary: sum(97)}})
	write("evals/bj-expert/eval.json", experiment.EvalRecord{Spec: experiment.EvalSpec{Env: "blackjack", Episodes: 100}, Policy: "expert"})
	write("evals/bj-expert/results.json", []experiment.Result{{Method: "expert", Summary: sum(42)}})
	gtl := experiment.TrainSpec{Env: "babyai/GoToLocal", Schedule: afsft.Schedule{OfflineSteps: 100, OnlineRounds: 2}}
	write("train/gtl/spec.json", gtl)
	for i, name := range []string{"offline", "round-1", "round-2"} {
		write("train/gtl/evals/"+name+".json", experiment.Result{Summary: sum(30 + 10*i), Step: 100 * (i + 1)})
	}
	write("train/gtl/ckpt/spec.json", gtl)
	gtl.Schedule.OnlineRounds = 0
	write("train/sft-only/spec.json", gtl)
	write("train/sft-only/evals/offline.json", experiment.Result{Summary: sum(25), Step: 100})
	write("train/no-evals/spec.json", gtl)
	write("misc/nested/deeper/notes.json", map[string]string{"note": "no run here"})
	write("misc/pretrain/spec.json", map[string]any{"envs": []string{"numberline"}})
	write("misc/.hidden/run/eval.json", experiment.EvalRecord{Spec: experiment.EvalSpec{Env: "hidden-env"}})
	write("misc/.hidden/run/results.json", []experiment.Result{{Method: "hidden row", Summary: sum(1)}})
	return root
}

// folderFiles maps each file under dir to its contents.
func folderFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[strings.TrimPrefix(p, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var imgSrc = regexp.MustCompile(`<img src="([^"]*)"`)

// TestReportRuns: vlmq report finds every run under a root, but not a
// demo's own sub-folders nor hidden folders, and writes one page that
// names each env, row and folder, with a bar chart per env and a rounds
// chart for the envs with online runs only; two runs write the same
// bytes.
func TestReportRuns(t *testing.T) {
	root := resultsTree(t)
	out := filepath.Join(t.TempDir(), "report")
	msg, err := run("report", root, "--out", out)
	if err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	if !strings.Contains(msg, "5 runs of 3 environments") || !strings.Contains(msg, "left out 1 training runs") {
		t.Errorf("output: %q", msg)
	}
	raw, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(string(raw))
	for _, want := range []string{
		"babyai/GoToLocal", "blackjack", "numberline",
		"dataset (noisy-expert)", "AFSFT+online (round 1)", "AFSFT+online", "kept <evaluation> & co", "expert",
		"AFSFT offline, step 100 (gtl)", "AFSFT round 2, step 300 (gtl)", "AFSFT offline, step 100 (sft-only)",
		"80.0% [64.0, 99.0]", filepath.Join(root, "demo/nl/online-1000"), filepath.Join(root, "train/no-evals"),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, absent := range []string{"own sft run", "hidden-env", "hidden row", "<evaluation>"} {
		if strings.Contains(string(raw), absent) {
			t.Errorf("the page holds %q (a run's own folder, a hidden folder, or unescaped text)", absent)
		}
	}
	if i, j, k := strings.Index(page, `id="babyai-GoToLocal"`), strings.Index(page, `id="blackjack"`), strings.Index(page, `id="numberline"`); !(0 <= i && i < j && j < k) {
		t.Errorf("sections not in env order: %d %d %d", i, j, k)
	}
	var srcs []string
	for _, m := range imgSrc.FindAllStringSubmatch(string(raw), -1) {
		srcs = append(srcs, m[1])
		b, err := os.ReadFile(filepath.Join(out, m[1]))
		if err != nil {
			t.Errorf("<img src=%q>: %v", m[1], err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s is not a PNG: %v", m[1], err)
		}
	}
	want := []string{"babyai-GoToLocal.png", "babyai-GoToLocal-rounds.png", "blackjack.png", "numberline.png", "numberline-rounds.png"}
	if strings.Join(srcs, " ") != strings.Join(want, " ") {
		t.Errorf("images %q, want %q (rounds charts for the envs with online runs only)", srcs, want)
	}
	first := folderFiles(t, out)
	if len(first) != len(want)+2 { // + index.html and the marker
		t.Errorf("the report holds %d files, want %d: %v", len(first), len(want)+2, first)
	}
	if _, err := run("report", root, "--out", out); err != nil {
		t.Fatal(err)
	}
	again := folderFiles(t, out)
	for name, b := range first {
		if again[name] != b {
			t.Errorf("%s differs between two runs", name)
		}
	}
	// A rerun replaces the folder whole: an env no longer reported
	// leaves no chart behind.
	if _, err := run("report", filepath.Join(root, "evals"), "--out", out); err != nil {
		t.Fatal(err)
	}
	if got := folderFiles(t, out); len(got) != 3 || got["/blackjack.png"] == "" {
		t.Errorf("after a report of evals/ only: %d files", len(got))
	}
}

// TestReportRefuses: a damaged run folder, a root without runs and an
// --out vlmq did not write stop the command with a message naming the
// cause, and nothing is written or changed.
func TestReportRefuses(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(root string) error
		foreign bool
		wantErr string
	}{
		{"unparsable results.json", func(root string) error {
			return os.WriteFile(filepath.Join(root, "evals/bj-expert/results.json"), []byte(`[{"method": `), 0o644)
		}, false, "evals/bj-expert/results.json"},
		{"training run without its offline evaluation", func(root string) error {
			return os.Remove(filepath.Join(root, "train/gtl/evals/offline.json"))
		}, false, "train/gtl/evals/offline.json"},
		{"demo without results.json", func(root string) error {
			return os.Remove(filepath.Join(root, "demo/nl/results.json"))
		}, false, "demo/nl/results.json"},
		{"no run under the root", func(root string) error {
			return os.RemoveAll(root) // made again, empty, below
		}, false, "no run folder"},
		{"foreign --out", nil, true, "did not write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := resultsTree(t)
			if c.damage != nil {
				if err := c.damage(root); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(root, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			parent := t.TempDir()
			out := filepath.Join(parent, "sub", "report")
			if c.foreign {
				if err := os.MkdirAll(out, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := folderFiles(t, parent)
			msg, err := run("report", root, "--out", out)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v (%s), want one naming %q", err, msg, c.wantErr)
			}
			if after := folderFiles(t, parent); len(after) != len(before) || after["/sub/report/notes.txt"] != before["/sub/report/notes.txt"] {
				t.Errorf("files before %v, after %v", before, after)
			}
			if _, err := os.Stat(filepath.Join(parent, "sub")); c.foreign != (err == nil) {
				t.Errorf("a refused report left %s/sub: %v", parent, err)
			}
		})
	}
}

// TestReportCommittedResults: the report of the committed results/
// tree succeeds and holds its documented runs.
func TestReportCommittedResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	if msg, err := run("report", filepath.Join("..", "results"), "--out", out); err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
	raw, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"../results/demo/numberline<", "../results/afsft-text/blackjack/noisy-expert/online-1000<", `<img src="numberline-rounds.png"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the report of results/ lacks %q", want)
		}
	}
}
