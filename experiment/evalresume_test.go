package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"vlmq/dataset"
	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/metrics"
	"vlmq/vlm"
)

var (
	tinyOnce  sync.Once
	tinyModel vlm.Model
	tinyErr   error
)

// tinyBase is FastDemo's tiny base after 2 pretraining steps (built once):
// a model whose replies vary, which is all an evaluation test needs.
func tinyBase(t *testing.T) vlm.Model {
	t.Helper()
	tinyOnce.Do(func() {
		b := FastDemo("numberline", "").Pretrain
		b.Steps = 2
		tinyModel, _, tinyErr = BuildBase(context.Background(), b, "")
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyModel
}

// files reads every file under root by relative name ("<dir>" for
// folders); a missing root gives nil.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			m[rel] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameFileMaps(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for n, w := range want {
		if g, ok := got[n]; !ok {
			t.Errorf("%s: %s is missing", what, n)
		} else if g != w {
			t.Errorf("%s: %s differs:\n%s\nwant:\n%s", what, n, g, w)
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("%s: %s was added", what, n)
		}
	}
}

// evalCase is one evaluation of the resume tests: a model (greedy or
// sampled) or a scripted policy, in chunks of 3.
type evalCase struct {
	name   string
	policy string
	temp   float64
}

var evalCases = []evalCase{
	{name: "model, greedy"},
	{name: "model, sampled", temp: 1},
	{name: "random policy", policy: PolicyRandom},
}

func (c evalCase) record() (EvalRecord, string) {
	rec := EvalRecord{Spec: EvalSpec{Env: "numberline", Episodes: 10, Parallel: 2, Chunk: 3, MaxReply: 8, Temperature: c.temp}, Model: "tiny", Policy: c.policy}
	if c.policy != "" {
		rec.Model = ""
		return rec, c.policy
	}
	return rec, "tiny"
}

// interruptEval runs the case's evaluation into out and cancels it once
// at least after episodes have finished: it must stop with some chunks
// kept and nothing published.
func interruptEval(t *testing.T, m vlm.Model, c evalCase, out string, after int) *Evaluation {
	t.Helper()
	rec, method := c.record()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := EvalOptions{Keep: 4, Progress: func(done int) {
		if done >= after {
			cancel()
		}
	}}
	ev, err := EvaluateToDir(ctx, out, m, rec, method, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted evaluation: %v", err)
	}
	chunk := rec.Spec.ChunkSize()
	if ev.Done == 0 || ev.Done >= rec.Spec.Episodes || ev.Done%chunk != 0 {
		t.Fatalf("interrupted after %d episodes: %d kept, want whole chunks of %d, some but not all", after, ev.Done, chunk)
	}
	st, err := dataset.OpenReadOnly(filepath.Join(EvalCheckpoint(out), evalEpisodesDir))
	if err != nil || st.Len() != ev.Done {
		t.Fatalf("the checkpoint holds %v episodes (%v), want %d", st, err, ev.Done)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an interrupted evaluation published %s: %v", out, err)
	}
	return ev
}

// TestEvalResumesExactly: an evaluation interrupted after some episodes
// keeps its finished chunks, and its rerun plays only the rest and ends
// with the files, summary, listing and reply counts of an uninterrupted
// run, then removes its checkpoint (the old eval kept nothing).
func TestEvalResumesExactly(t *testing.T) {
	m := tinyBase(t)
	for _, c := range evalCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			whole, cut := filepath.Join(dir, "whole"), filepath.Join(dir, "cut")
			rec, method := c.record()
			o := EvalOptions{Keep: 4}
			ref, err := EvaluateToDir(context.Background(), whole, m, rec, method, o)
			if err != nil {
				t.Fatal(err)
			}
			// eval.json names the weights a model evaluation played.
			var stored EvalRecord
			if err := jsonfile.Read(filepath.Join(whole, "eval.json"), &stored); err != nil {
				t.Fatal(err)
			}
			want := ""
			if rec.Policy == "" {
				want = WeightsKey(m)
			}
			if stored.ParamsSHA256 != want {
				t.Errorf("eval.json params_sha256 %q, want %q", stored.ParamsSHA256, want)
			}
			kept := interruptEval(t, m, c, cut, 4)
			played := 0
			o.Progress = func(done int) {
				if done > kept.Done {
					played++
				}
			}
			got, err := EvaluateToDir(context.Background(), cut, m, rec, method, o)
			if err != nil {
				t.Fatal(err)
			}
			if got.Resumed != kept.Done || played != rec.Spec.Episodes-kept.Done {
				t.Errorf("the rerun resumed %d episodes and played %d, want %d and %d", got.Resumed, played, kept.Done, rec.Spec.Episodes-kept.Done)
			}
			sameFileMaps(t, "the resumed evaluation", files(t, whole), files(t, cut))
			if fmt.Sprint(got.Summary) != fmt.Sprint(ref.Summary) || Episodes(got.Episodes, 4) != Episodes(ref.Episodes, 4) || got.Replies.Top(5) != ref.Replies.Top(5) {
				t.Errorf("resumed:\n%v\n%s%s\nuninterrupted:\n%v\n%s%s", got.Summary, Episodes(got.Episodes, 4), got.Replies.Top(5),
					ref.Summary, Episodes(ref.Episodes, 4), ref.Replies.Top(5))
			}
			if _, err := os.Stat(EvalCheckpoint(cut)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the checkpoint is left behind: %v", err)
			}
			// The summary is the batch one of the same episodes.
			_, all, err := evaluateAll(m, rec)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := metrics.Summarize(all); fmt.Sprint(s) != fmt.Sprint(ref.Summary) {
				t.Errorf("streamed summary %v, batch %v", ref.Summary, s)
			}
		})
	}
}

func evaluateAll(m vlm.Model, rec EvalRecord) (metrics.Summary, []dataset.Episode, error) {
	if rec.Policy != "" {
		return EvaluateScripted(rec.Policy, rec.Spec)
	}
	return Evaluate(context.Background(), m, rec.Spec, nil)
}

// TestEvalRefusesChangedSettings: a rerun of an interrupted evaluation
// with other settings, another policy or other weights is refused, names
// what differs, and changes nothing.
func TestEvalRefusesChangedSettings(t *testing.T) {
	m := tinyBase(t)
	other := m.Clone()
	other.Params()[0].T.Data[0] += 1
	cases := []struct {
		name   string
		change func(rec *EvalRecord, m *vlm.Model)
		want   string
	}{
		{"more episodes", func(r *EvalRecord, _ *vlm.Model) { r.Spec.Episodes = 12 }, "episodes: 10 then, 12 now"},
		{"another temperature", func(r *EvalRecord, _ *vlm.Model) { r.Spec.Temperature = 0.5 }, "temperature"},
		{"other chunks", func(r *EvalRecord, _ *vlm.Model) { r.Spec.Chunk = 5 }, "chunk"},
		{"more envs", func(r *EvalRecord, _ *vlm.Model) { r.Spec.Parallel = 3 }, "parallel"},
		{"a step limit", func(r *EvalRecord, _ *vlm.Model) { r.Spec.EnvOpts = env.Options{MaxSteps: 7} }, "EnvOpts"},
		{"a scripted policy", func(r *EvalRecord, _ *vlm.Model) { r.Policy = PolicyExpert }, "policy"},
		{"retrained weights", func(_ *EvalRecord, mm *vlm.Model) { *mm = other }, "weights differ"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "ev")
			interruptEval(t, m, evalCases[0], out, 4)
			before := files(t, dir)
			rec, method := evalCases[0].record()
			mm := m
			c.change(&rec, &mm)
			_, err := EvaluateToDir(context.Background(), out, mm, rec, method, EvalOptions{})
			if err == nil || !strings.Contains(err.Error(), "other settings") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want a refusal naming %q", err, c.want)
			}
			sameFileMaps(t, "after the refused rerun", before, files(t, dir))
		})
	}
}

// TestEvalKeepsFewEpisodes: however many episodes an evaluation plays, it
// holds at most a chunk and the kept ones (the old one held them all, 3 GB
// after 10 minutes of 100000), and its streamed summary and reply counts
// are those of all episodes.
func TestEvalKeepsFewEpisodes(t *testing.T) {
	spec := EvalSpec{Env: "numberline", Episodes: 5000, Chunk: 10}
	episode := func(i int) dataset.Episode {
		ep := dataset.Episode{ID: int64(i), Env: "numberline", Seed: EvalSeed(i), Return: float64(i%7) * 0.1, Success: i%3 == 0}
		for k := range 1 + i%4 {
			ep.Turns = append(ep.Turns, dataset.Turn{Episode: ep.ID, Turn: k, Env: ep.Env, Seed: ep.Seed, Reply: fmt.Sprintf("r%d", (i*k)%50), Valid: k%2 == 0})
		}
		return ep
	}
	play := func(_ context.Context, first int, seeds []int64, progress func()) ([]dataset.Episode, error) {
		eps := make([]dataset.Episode, len(seeds))
		for i := range eps {
			eps[i] = episode(first + i)
			progress()
		}
		return eps, nil
	}
	ev, err := runEval(context.Background(), spec, play, EvalOptions{Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	all := make([]dataset.Episode, spec.Episodes)
	for i := range all {
		all[i] = episode(i)
	}
	if ev.MaxHeld > spec.Chunk+3 || len(ev.Episodes) != 3 || ev.Done != spec.Episodes {
		t.Errorf("held up to %d episodes, kept %d, finished %d: want at most %d, 3 and %d", ev.MaxHeld, len(ev.Episodes), ev.Done, spec.Chunk+3, spec.Episodes)
	}
	if s, _ := metrics.Summarize(all); fmt.Sprint(s) != fmt.Sprint(ev.Summary) {
		t.Errorf("streamed summary %v, batch %v", ev.Summary, s)
	}
	if got, want := ev.Replies.Top(10), ReplyCounts(all, 10); got != want {
		t.Errorf("reply counts:\n%s\nwant:\n%s", got, want)
	}

	// The same through the model, whose agent rollout returns the chunk.
	real := EvalSpec{Env: "numberline", Episodes: 12, Parallel: 2, Chunk: 4, MaxReply: 8, Slim: true}
	ev, err = RunEval(context.Background(), tinyBase(t), "", real, EvalOptions{Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ev.MaxHeld > 5 || len(ev.Episodes) != 1 || ev.Summary.Episodes != 12 {
		t.Errorf("model evaluation held up to %d episodes and kept %d of %d, want at most 5 and 1", ev.MaxHeld, len(ev.Episodes), ev.Summary.Episodes)
	}
}
