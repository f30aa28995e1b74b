package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/experiment"
	"vlmq/jsonfile"
	"vlmq/metrics"
)

// TestTableReadsTrainRuns: a training run folder (spec.json and evals/)
// gives a row per evaluation, offline first then each online round, named
// by mode, phase, step and folder; a run without its offline evaluation
// and a folder that is no run are refused with a message saying why.
func TestTableReadsTrainRuns(t *testing.T) {
	dir := t.TempDir()
	write := func(path string, v any) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := jsonfile.Write(path, v); err != nil {
			t.Fatal(err)
		}
	}
	summary := func(succ, n int) metrics.Summary {
		p := float64(succ) / float64(n)
		return metrics.Summary{Episodes: n, Replies: n,
			SyntaxAccuracy: metrics.Estimate{Value: 1, Lo: 0.9, Hi: 1, N: n},
			SuccessRate:    metrics.Estimate{Value: p, Lo: p / 2, Hi: (1 + p) / 2, N: n},
			MeanReturn:     metrics.Estimate{Value: p, Lo: 0, Hi: 1, N: n}}
	}
	train := func(name string, mode afsft.Mode, evals ...string) string {
		d := filepath.Join(dir, name)
		write(filepath.Join(d, "spec.json"), experiment.TrainSpec{Env: "numberline", TrainSettings: experiment.TrainSettings{Train: afsft.Config{Mode: mode}}})
		for i, e := range evals {
			write(filepath.Join(d, "evals", e+".json"), experiment.Result{Method: e, Summary: summary(10*(i+1), 100), Step: 100 * (i + 1)})
		}
		return d
	}
	validated := train("val-run", afsft.SFT)
	write(filepath.Join(validated, "evals", "offline.json"), experiment.Result{Method: "offline", Summary: summary(50, 100), Step: 100, ModelStep: 40})
	for _, c := range []struct {
		name    string
		dir     string
		wantErr string
		want    []string
	}{
		{"best validation step", validated, "", []string{"| numberline | SFT offline, step 40, the best validation step of 100 (val-run) |"}},
		{"sft offline", train("sft-run", afsft.SFT, "offline"), "", []string{"| numberline | SFT offline, step 100 (sft-run) |"}},
		{"afsft with rounds", train("online-run", afsft.Binary, "offline", "round-1", "round-2"), "",
			[]string{"AFSFT offline, step 100 (online-run)", "AFSFT round 1, step 200 (online-run)", "AFSFT round 2, step 300 (online-run)"}},
		{"no offline evaluation", train("noeval-run", afsft.SFT), "without its evaluation", nil},
		{"not a run", dir, "not a run folder", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := run("table", c.dir)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			last := -1
			for _, w := range c.want {
				i := strings.Index(out, w)
				if i <= last {
					t.Fatalf("row %q missing or out of order in\n%s", w, out)
				}
				last = i
			}
		})
	}
}

// TestTableRepliesColumn: --blindness adds each row's most common reply and
// its share, beside the share the expert's evaluation of the same env and
// episode count gives that reply; rows without an expert, or recorded
// before replies were counted, say so.
func TestTableRepliesColumn(t *testing.T) {
	dir := t.TempDir()
	summary := func(n int, top ...metrics.ReplyCount) metrics.Summary {
		total := 0
		for _, r := range top {
			total += r.Count
		}
		return metrics.Summary{Episodes: n, Replies: total, TopReplies: top}
	}
	fwd := func(n int) metrics.ReplyCount {
		return metrics.ReplyCount{Reply: "[action] forward", Valid: true, Count: n}
	}
	left := func(n int) metrics.ReplyCount {
		return metrics.ReplyCount{Reply: "[action] left", Valid: true, Count: n}
	}
	eval := func(name, env, policy string, s metrics.Summary) string {
		d := filepath.Join(dir, name)
		rec := experiment.EvalRecord{Spec: experiment.EvalSpec{Env: env, Episodes: s.Episodes}, Policy: policy}
		method, model := "runs/x/model", "runs/x/model"
		if policy != "" {
			method, model = policy, ""
		}
		if err := experiment.WriteEval(d, rec, []experiment.Result{{Method: method, Model: model, Summary: s}}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	expert := eval("expert", "babyai/GoToLocal", "expert", summary(100, fwd(30), left(20)))
	blind := eval("blind", "babyai/GoToLocal", "", summary(100, fwd(90), left(10)))
	other := eval("other", "babyai/GoToObj", "", summary(100, left(5)))
	fewer := eval("fewer", "babyai/GoToLocal", "", summary(50, fwd(9)))
	old := eval("old", "babyai/GoToLocal", "", metrics.Summary{Episodes: 100, Replies: 7})
	out, err := run("table", "--blindness", expert, blind, other, fewer, old)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| most common reply: share (the expert's share of it) |",
		`| babyai/GoToLocal | expert |`,
		`"[action] forward" 60% |`, // 30 of the expert's 50 replies
		`"[action] forward" 90% (expert 60%) |`,
		`"[action] left" 100% (no expert row) |`,
		`"[action] forward" 100% (no expert row) |`, // 50 episodes: other seeds than the expert's 100
		"| not recorded |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Without the flag the table is unchanged: six columns.
	out, err = run("table", expert, blind)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "most common reply") || strings.Count(strings.Split(out, "\n")[2], "|") != 7 {
		t.Errorf("plain table:\n%s", out)
	}
}

// TestTableSeeds: --seeds merges the runs of one parent folder into one
// row per env and method, with the mean and the range over the runs;
// runs of another folder stay apart, and --blindness is refused with it.
func TestTableSeeds(t *testing.T) {
	dir := t.TempDir()
	eval := func(path string, succ ...int) string {
		d := filepath.Join(dir, path)
		var rs []experiment.Result
		for i, n := range succ {
			p := float64(n) / 100
			rs = append(rs, experiment.Result{Method: []string{"SFT", "AFSFT"}[i], Summary: metrics.Summary{Episodes: 100, Replies: 100,
				SyntaxAccuracy: metrics.Estimate{Value: 1}, SuccessRate: metrics.Estimate{Value: p}, MeanReturn: metrics.Estimate{Value: 2 * p}}})
		}
		if err := experiment.WriteEval(d, experiment.EvalRecord{Spec: experiment.EvalSpec{Env: "numberline", Episodes: 100}}, rs); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dirs := []string{eval("noisy/seed-1", 50, 70), eval("noisy/seed-2", 60, 90), eval("noisy/seed-3", 40, 80), eval("random/seed-1", 10, 20)}
	out, err := run(append([]string{"table", "--seeds"}, dirs...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| numberline | SFT (noisy) | 3 | 100.0% [100.0, 100.0] | 50.0% [40.0, 60.0] | 1.00 [0.80, 1.20] | 100 |",
		"| numberline | AFSFT (noisy) | 3 | 100.0% [100.0, 100.0] | 80.0% [70.0, 90.0] | 1.60 [1.40, 1.80] | 100 |",
		"| numberline | SFT (random) | 1 | 100.0% [100.0, 100.0] | 10.0% [10.0, 10.0] | 0.20 [0.20, 0.20] | 100 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 6 {
		t.Errorf("%d lines, want a header, a rule and 4 rows:\n%s", n, out)
	}
	if _, err := run(append([]string{"table", "--seeds", "--blindness"}, dirs...)...); err == nil {
		t.Error("--seeds with --blindness was accepted")
	}
}
