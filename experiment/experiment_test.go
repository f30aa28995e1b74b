package experiment

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"vlmq/afsft"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/metrics"
)

func TestFastDemoEndToEnd(t *testing.T) {
	out := t.TempDir()
	spec := FastDemo("numberline", out)
	// A step limit below NumberLine's own 10 must hold in every stage.
	spec.EnvOpts.MaxSteps = 4
	var stages []string
	rs, err := RunDemo(context.Background(), spec, DemoHooks{Stage: func(s string) { stages = append(stages, s) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dataset (noisy-expert)", "base", "SFT", "AFSFT", "AFSFT+online"}
	if len(rs) != len(want) {
		t.Fatalf("%d result rows, want %d", len(rs), len(want))
	}
	for i, r := range rs {
		if r.Method != want[i] {
			t.Errorf("row %d is %q, want %q", i, r.Method, want[i])
		}
		if i > 0 && r.Summary.Episodes != spec.EvalEpisodes {
			t.Errorf("%s evaluated on %d episodes, want %d", r.Method, r.Summary.Episodes, spec.EvalEpisodes)
		}
	}
	// The base model never answers validly, so each of its episodes runs
	// to the step limit.
	if got := rs[1].Summary.Replies; got != 4*spec.EvalEpisodes {
		t.Errorf("base model made %d replies in %d episodes, want %d (the step limit 4 each)", got, spec.EvalEpisodes, 4*spec.EvalEpisodes)
	}
	// The online row is the last round's evaluation, not a second one.
	var last Result
	if err := jsonfile.Read(filepath.Join(out, "online", "evals", fmt.Sprintf("round-%d.json", spec.Online.OnlineRounds)), &last); err != nil {
		t.Fatal(err)
	}
	if got := rs[len(rs)-1]; !reflect.DeepEqual(got.Summary, last.Summary) || got.Key != last.Key {
		t.Errorf("online row %+v, last round %+v", got, last)
	}
	if i := slices.IndexFunc(stages, func(s string) bool { return strings.HasPrefix(s, "AFSFT+online: the figures of") }); i < 0 || slices.Contains(stages, "evaluating AFSFT+online") {
		t.Errorf("the final online model was evaluated again: %q", stages)
	}
	// The noisy dataset must really be noisy: some invalid replies, some valid.
	if a := rs[0].Summary.SyntaxAccuracy.Value; a <= 0.3 || a >= 1 {
		t.Errorf("noisy dataset syntax accuracy %.2f", a)
	}
	for _, f := range []string{"report.html", "curves.png", "results.json", "base/model.safetensors", "online/ckpt/model/model.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	text := html.UnescapeString(string(page))
	for _, m := range want {
		if !strings.Contains(text, m) {
			t.Errorf("report lacks %q", m)
		}
	}
	// A rerun finds every stage done and returns the same table, also
	// over a demo.json of the earlier shape (the pretraining settings as
	// "base", the --base value as "base_model"), which it rewrites.
	recPath := filepath.Join(out, "demo.json")
	if err := os.WriteFile(recPath, []byte(`{"env": "numberline", "base": {"envs": ["numberline"], "preset": "tiny"}, "base_model": "pretrain"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rs2, err := RunDemo(context.Background(), spec, DemoHooks{})
	if err != nil {
		t.Fatal(err)
	}
	if Table(rs2) != Table(rs) {
		t.Errorf("rerun changed results:\n%s\n%s", Table(rs), Table(rs2))
	}
	var rec DemoSpec
	if err := jsonfile.Read(recPath, &rec); err != nil || rec.Base == nil || rec.Base.Path != filepath.Join(out, "base") || rec.Pretrain.Preset != "tiny" {
		t.Errorf("demo.json after the rerun: base %+v, pretrain %+v (%v)", rec.Base, rec.Pretrain, err)
	}
}

// TestTrainResumesWithoutLosingEpisodes kills (cancels) a run during
// offline training and again during online collection, then reruns it:
// the run must end with every round's episodes stored exactly once and
// the full number of gradient steps, bit-identical to an uninterrupted
// run, with a constant learning rate and with a warm-up and cosine decay.
func TestTrainResumesWithoutLosingEpisodes(t *testing.T) {
	dir := t.TempDir()
	spec, score := smallTrainSpec(t, dir, afsft.Schedule{OfflineSteps: 6, OnlineRounds: 2, EpisodesPerRound: 6, StepsPerRound: 4, CheckpointEvery: 2, OnlineLR: 4e-4})
	// The overall accuracy is the mean of the two kinds of question.
	if lo, hi := min(score.WithText, score.ImageOnly), max(score.WithText, score.ImageOnly); score.All < lo || score.All > hi || hi > 1 {
		t.Errorf("QA score %v: overall accuracy outside its parts", score)
	}
	for _, c := range []struct {
		name     string
		warmup   int
		schedule string
	}{{"constant", 0, ""}, {"warm-up and cosine", 3, afsft.ScheduleCosine}} {
		ts := spec
		ts.Out = filepath.Join(dir, slug(c.name), "run")
		ts.Train.LRWarmup, ts.Train.LRSchedule = c.warmup, c.schedule
		t.Run(c.name, func(t *testing.T) { checkTrainResumes(t, ts) })
	}
}

func checkTrainResumes(t *testing.T, ts TrainSpec) {
	kill := func(h Hooks) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := Train(ctx, ts, wrap(h, cancel))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("killed run ended with %v, want context.Canceled", err)
		}
	}
	// Kill after step 3 of offline training (the checkpoint holds step 2).
	kill(Hooks{Step: func(step, _ int, _ afsft.Stats) {}})
	// Kill in round 1 after the third online episode.
	episodes := 0
	kill(Hooks{Episode: func() { episodes++ }})
	tr, err := Train(context.Background(), ts, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Steps != ts.TotalSteps() {
		t.Errorf("finished at step %d, want %d", tr.Steps, ts.TotalSteps())
	}
	// The twice-killed run ends bit-identical to an uninterrupted one.
	whole := ts
	whole.Out = filepath.Join(filepath.Dir(ts.Out), "whole")
	ref, err := Train(context.Background(), whole, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := ref.Model.Params(), tr.Model.Params()
	for i := range a {
		for j := range a[i].T.Data {
			if a[i].T.Data[j] != b[i].T.Data[j] {
				t.Fatalf("resumed run differs from the uninterrupted one at %s[%d]: %v vs %v", a[i].Name, j, b[i].T.Data[j], a[i].T.Data[j])
			}
		}
	}
	sc := ts.Schedule
	last := ts.Train.LRAt(afsft.Phase{Start: sc.OfflineSteps + (sc.OnlineRounds-1)*sc.StepsPerRound, Steps: sc.StepsPerRound, LR: sc.OnlineLR}, ts.TotalSteps()-1)
	if tr.Opt.LR != float32(last) || ts.Train.LR == sc.OnlineLR || (ts.Train.LRSchedule == "" && last != sc.OnlineLR) {
		t.Errorf("the last online step ran at learning rate %v, want the schedule's %v (online peak %v, offline %v)", tr.Opt.LR, last, sc.OnlineLR, ts.Train.LR)
	}
	online, err := dataset.Open(filepath.Join(ts.Out, "online"))
	if err != nil {
		t.Fatal(err)
	}
	eps, err := online.Episodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 12 {
		t.Errorf("%d online episodes stored, want 12", len(eps))
	}
	seen := map[int64]bool{}
	for _, e := range eps {
		if seen[e.Seed] {
			t.Errorf("seed %d collected twice", e.Seed)
		}
		seen[e.Seed] = true
	}
	recs, err := metrics.ReadLog(filepath.Join(ts.Out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	steps := map[int64]int{}
	for _, r := range recs {
		if r.Phase == "train" {
			steps[r.Step]++
		}
	}
	for s := 1; s <= ts.TotalSteps(); s++ {
		if steps[int64(s)] != 1 {
			t.Errorf("step %d logged %d times", s, steps[int64(s)])
		}
	}
	// Each step logs the rate it trained at: the offline phase's, then
	// each round's.
	for _, r := range recs {
		if r.Phase != "train" {
			continue
		}
		p := afsft.Phase{Steps: sc.OfflineSteps}
		if k := int(r.Step) - 1; k >= sc.OfflineSteps {
			p = afsft.Phase{Start: k - (k-sc.OfflineSteps)%sc.StepsPerRound, Steps: sc.StepsPerRound, LR: sc.OnlineLR}
		}
		if want := ts.Train.LRAt(p, int(r.Step)-1); r.Values["lr"] != want {
			t.Errorf("step %d logged lr %v, want %v", r.Step, r.Values["lr"], want)
		}
	}
}

// wrap cancels the run at the third step or the third finished episode.
func wrap(h Hooks, cancel context.CancelFunc) Hooks {
	n, e := 0, 0
	out := h
	if h.Step != nil {
		out.Step = func(step, total int, s afsft.Stats) {
			h.Step(step, total, s)
			if n++; n == 3 {
				cancel()
			}
		}
	}
	if h.Episode != nil {
		out.Episode = func() {
			h.Episode()
			if e++; e == 3 {
				cancel()
			}
		}
	}
	return out
}

func TestBadSpecs(t *testing.T) {
	ctx := context.Background()
	store, err := dataset.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []DataSpec{
		{Env: "numberline", Source: "oracle", Episodes: 2},
		{Env: "nosuchenv", Source: SourceRandom, Episodes: 2},
		{Env: "numberline", Source: SourceRandom, Episodes: 0},
		{Env: "numberline", Source: SourceBaseModel, Episodes: 2},
	} {
		if err := CollectData(ctx, s, store, nil, nil); err == nil {
			t.Errorf("CollectData accepted %+v", s)
		}
	}
	for _, name := range []string{"", "bogus"} {
		if _, err := Train(ctx, TrainSpec{Env: name, Out: t.TempDir(), TrainSettings: TrainSettings{Train: afsft.DefaultConfig()}}, Hooks{}); err == nil {
			t.Errorf("Train with env %q succeeded", name)
		}
	}
	if _, _, err := BuildBase(ctx, BaseSpec{}, ""); err == nil {
		t.Error("BuildBase without envs succeeded")
	}
}

func TestReplyCounts(t *testing.T) {
	turn := func(r string, ok bool) dataset.Turn { return dataset.Turn{Reply: r, Valid: ok} }
	eps := []dataset.Episode{
		{Turns: []dataset.Turn{turn("[action] +", true), turn("[action] +", false), turn("[action] -", true)}},
		{Turns: []dataset.Turn{turn("[action] +", true), turn("hello", false)}},
	}
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{1, []string{`2  valid    "[action] +"`}},
		{3, []string{`2  valid    "[action] +"`, `1  invalid  "[action] +"`, `1  valid    "[action] -"`}},
		{9, []string{`2  valid    "[action] +"`, `1  invalid  "[action] +"`, `1  valid    "[action] -"`, `1  invalid  "hello"`}},
	} {
		lines := strings.Split(strings.TrimRight(ReplyCounts(eps, tc.n), "\n"), "\n")
		if len(lines) != len(tc.want) {
			t.Fatalf("n=%d: %d lines %q, want %d", tc.n, len(lines), lines, len(tc.want))
		}
		for i, w := range tc.want {
			if strings.TrimSpace(lines[i]) != w {
				t.Errorf("n=%d line %d: %q, want %q", tc.n, i, strings.TrimSpace(lines[i]), w)
			}
		}
	}
}

func TestEpisodesListing(t *testing.T) {
	eps := []dataset.Episode{
		{Seed: 7, Return: 9, Success: true, Turns: []dataset.Turn{
			{Reply: "[action] 3\n", Valid: true}, {Reply: "oops", Valid: false, Reward: -1}, {Reply: "[action] =", Valid: true, Reward: 10}}},
		{Seed: 8, Return: -1, Turns: []dataset.Turn{{Reply: "[action] =", Valid: true, Reward: -1}}},
	}
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, `seed 7: "[action] 3" +0 "oops"! -1 "[action] =" +10 -> return 9, succeeded` + "\n"},
		{5, `seed 7: "[action] 3" +0 "oops"! -1 "[action] =" +10 -> return 9, succeeded` + "\n" +
			`seed 8: "[action] =" -1 -> return -1, failed` + "\n"},
	} {
		if got := Episodes(eps, tc.n); got != tc.want {
			t.Errorf("n=%d:\n got %q\nwant %q", tc.n, got, tc.want)
		}
	}
}

// TestTableEscapesCells: a method name with "|" or a line break stays in
// its cell and row.
func TestTableEscapesCells(t *testing.T) {
	for _, name := range []string{"a|b", "a\nb", "a\r\nb", "x | y\n| z"} {
		txt := Table([]Result{{Method: name}})
		lines := strings.Split(strings.TrimSpace(txt), "\n")
		if len(lines) != 3 {
			t.Errorf("%q: %d lines:\n%s", name, len(lines), txt)
			continue
		}
		if n := strings.Count(strings.ReplaceAll(lines[2], `\|`, ""), "|"); n != 6 {
			t.Errorf("%q: the row has %d cell borders, want 6: %s", name, n, lines[2])
		}
	}
}

// TestStepLimitHonoured: an explicit --max-steps above the collectors'
// turn guards (1000 turns) is the limit episodes end at.
func TestStepLimitHonoured(t *testing.T) {
	const limit = 1100
	s := EvalSpec{Env: "numberline", Episodes: 1, EnvOpts: env.Options{MaxSteps: limit}}
	// A reply that never parses never ends a NumberLine episode.
	_, eps, err := EvaluateScripted("always:nonsense", s)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(eps[0].Turns); n != limit {
		t.Errorf("the episode has %d turns, want the step limit %d", n, limit)
	}
}

// TestEvaluateSlim: a slim evaluation keeps no images or prompts (its
// memory no longer grows with them), and gives the same summary, reply
// counts and listing as a full one.
func TestEvaluateSlim(t *testing.T) {
	b := FastDemo("numberline", "").Pretrain
	b.Steps = 2
	m, _, err := BuildBase(context.Background(), b, "")
	if err != nil {
		t.Fatal(err)
	}
	es := EvalSpec{Env: "numberline", Episodes: 6, Parallel: 3, MaxReply: 8}
	full, feps, err := Evaluate(context.Background(), m, es, nil)
	if err != nil {
		t.Fatal(err)
	}
	es.Slim = true
	thin, seps, err := Evaluate(context.Background(), m, es, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(full) != fmt.Sprint(thin) || ReplyCounts(feps, 5) != ReplyCounts(seps, 5) || Episodes(feps, 6) != Episodes(seps, 6) {
		t.Errorf("slim evaluation differs:\n%+v\n%+v", full, thin)
	}
	for _, ep := range seps {
		for _, tu := range ep.Turns {
			if tu.Image != nil || tu.Prompt != "" || tu.ReplyTokens != nil {
				t.Fatalf("episode %d keeps its images, prompts or tokens", ep.ID)
			}
		}
	}
	if feps[0].Turns[0].Image == nil {
		t.Error("a full evaluation lost its images")
	}
}
