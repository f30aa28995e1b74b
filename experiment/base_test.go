package experiment

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/pretrain"
	"vlmq/vlm"
)

// TestBuildBaseCurriculumResumesExactly: a curriculum run over fresh views
// (random, expert and noisy-expert walks) cancelled mid-way and rerun from
// its checkpoint ends with the weights and held-out report of an
// uninterrupted run; the held-out evaluation fills each question type's
// cells to the asked number; and a checkpoint made before the facts
// changed is refused.
func TestBuildBaseCurriculumResumesExactly(t *testing.T) {
	s := FastDemo("numberline", "").Pretrain
	c := pretrain.DefaultCurriculum()
	s.Curriculum = &c
	s.Steps, s.Batch, s.CheckpointEvery = 6, 2, 2
	whole, wrep, err := BuildBase(context.Background(), s, filepath.Join(t.TempDir(), "whole.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "base.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := s
	stopped.OnStep = func(step int, _ float64) {
		if step+1 == 3 {
			cancel()
		}
	}
	if _, _, err := BuildBase(ctx, stopped, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	cancel()
	resumed, rrep, err := BuildBase(context.Background(), s, dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := vlm.ActorParams(whole), vlm.ActorParams(resumed)
	for i := range a {
		if !reflect.DeepEqual(a[i].T.Data, b[i].T.Data) {
			t.Fatalf("%s differs after the resume", a[i].Name)
		}
	}
	if !reflect.DeepEqual(wrep.Rows, rrep.Rows) || wrep.Score != rrep.Score {
		t.Errorf("held-out report differs after the resume:\n%+v\n%+v", wrep.Rows, rrep.Rows)
	}
	// The loss curve has a point per checkpoint, the interrupted run's
	// extra one where it stopped; both cover every step, and the points
	// at the same step over the same steps are equal.
	checkCurve := func(name string, ps []LossPoint, wantSteps []int) {
		t.Helper()
		var got []int
		n := 0
		for _, p := range ps {
			got = append(got, p.Step)
			n += p.Steps
			if !(p.Loss > 0) {
				t.Errorf("%s: loss point %+v", name, p)
			}
		}
		if !reflect.DeepEqual(got, wantSteps) || n != s.Steps {
			t.Errorf("%s: loss points at %v over %d steps, want %v over %d", name, got, n, wantSteps, s.Steps)
		}
	}
	checkCurve("uninterrupted", wrep.Losses, []int{2, 4, 6})
	checkCurve("resumed", rrep.Losses, []int{2, 3, 4, 6})
	if len(wrep.Losses) == 3 && len(rrep.Losses) == 4 && (wrep.Losses[0] != rrep.Losses[0] || wrep.Losses[2] != rrep.Losses[3]) {
		t.Errorf("the loss curve differs after the resume: %+v against %+v", rrep.Losses, wrep.Losses)
	}
	// Each process that trained is recorded with the steps it trained:
	// 1-3 then 4-6 for the resumed run, 1-6 for the whole one.
	// An interrupted session says so, a finished one too.
	sessionSteps := func(ss []BaseSession) [][2]int {
		var out [][2]int
		for _, x := range ss {
			out = append(out, [2]int{x.FromStep, x.ToStep})
			if want := map[bool]string{true: "finished", false: "stopped: interrupted"}[x.ToStep == s.Steps]; x.Ended != want {
				t.Errorf("session of steps %d-%d ended %q, want %q", x.FromStep, x.ToStep, x.Ended, want)
			}
			if x.Commit == "" || x.CPUs < 1 || x.Start.IsZero() || x.Seconds < 0 {
				t.Errorf("session %+v", x)
			}
		}
		return out
	}
	if got := sessionSteps(rrep.Sessions); !reflect.DeepEqual(got, [][2]int{{0, 3}, {3, 6}}) {
		t.Errorf("resumed run's sessions trained steps %v, want (0,3] and (3,6]", got)
	}
	if got := sessionSteps(wrep.Sessions); !reflect.DeepEqual(got, [][2]int{{0, 6}}) {
		t.Errorf("uninterrupted run's sessions trained steps %v", got)
	}
	if card := ModelCard(s, rrep, "vlmq pretrain ...", "", resumed); !strings.Contains(card, "  - steps 1-3: commit ") || !strings.Contains(card, "  - steps 4-6: commit ") {
		t.Errorf("the card does not list the sessions:\n%s", card)
	}
	// Interrupted during the evaluation, it resumes at the end of
	// training: nothing is retrained, the same report comes out.
	again, arep, err := BuildBase(context.Background(), s, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range vlm.ActorParams(again) {
		if !reflect.DeepEqual(p.T.Data, a[i].T.Data) {
			t.Fatalf("%s differs in a rerun from the end-of-training checkpoint", p.Name)
		}
	}
	if !reflect.DeepEqual(arep.Rows, wrep.Rows) {
		t.Error("the held-out report differs in a rerun from the end-of-training checkpoint")
	}
	if got := sessionSteps(arep.Sessions); !reflect.DeepEqual(got, [][2]int{{0, 3}, {3, 6}}) {
		t.Errorf("a rerun that only evaluated lists sessions %v, want the two that trained", got)
	}
	// NumberLine asks its four questions of every view, so each type has
	// HeldPerType questions in each mode.
	types := 0
	for _, r := range wrep.Rows {
		if r.Type == "" {
			continue
		}
		types++
		if r.NImageOnly != s.HeldPerType || r.NWithText != s.HeldPerType {
			t.Errorf("%s %q: %d image-only and %d with-text questions, want %d each", r.Env, r.Type, r.NImageOnly, r.NWithText, s.HeldPerType)
		}
	}
	if types < 4 {
		t.Errorf("%d question types held out: %+v", types, wrep.Rows)
	}

	// The checkpoint of the end of training is still there (the command
	// removes it once the model is saved): made before the facts changed
	// (no version), it is refused.
	var stored BaseSpec
	if err := jsonfile.Read(filepath.Join(dir, "spec.json"), &stored); err != nil {
		t.Fatal(err)
	}
	var p baseProgress
	if err := jsonfile.Read(filepath.Join(dir, "progress.json"), &p); err != nil || p.Steps != s.Steps {
		t.Errorf("the last checkpoint is at step %d, want the end of training %d (%v)", p.Steps, s.Steps, err)
	}
	if stored.Facts != FactsVersion {
		t.Errorf("the checkpoint records facts version %d, want %d", stored.Facts, FactsVersion)
	}
	stored.Facts = 0
	if err := jsonfile.Write(filepath.Join(dir, "spec.json"), stored); err != nil {
		t.Fatal(err)
	}
	now := s
	now.Facts = FactsVersion
	if _, _, _, err := loadBaseCheckpoint(dir, now); err == nil || !strings.Contains(err.Error(), "facts") {
		t.Errorf("a checkpoint of the old facts: %v", err)
	}
}

// TestBuildBaseContinueFrom: a continued pretraining starts from the saved
// model's weights, tokenizer and architecture (whatever --preset says),
// records it by its weights on the report and the card, resumes exactly
// after a cancellation, and refuses a folder that holds no model.
func TestBuildBaseContinueFrom(t *testing.T) {
	s := FastDemo("numberline", "").Pretrain
	c := pretrain.DefaultCurriculum()
	s.Curriculum = &c
	s.Steps, s.Batch, s.CheckpointEvery, s.SyntaxEpisodes = 2, 2, 1, -1
	parent, _, err := BuildBase(context.Background(), s, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	from := filepath.Join(dir, "parent")
	if err := parent.Save(from); err != nil {
		t.Fatal(err)
	}
	cont := s
	cont.ContinueFrom, cont.Preset, cont.Vocab, cont.Steps = from, "medium", 99, 4
	whole, wrep, err := BuildBase(context.Background(), cont, filepath.Join(dir, "whole.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if whole.Describe() != parent.Describe() || whole.Tokenizer().VocabSize() != parent.Tokenizer().VocabSize() {
		t.Errorf("continued model %s (vocabulary %d), want the parent's %s (%d)", whole.Describe(), whole.Tokenizer().VocabSize(), parent.Describe(), parent.Tokenizer().VocabSize())
	}
	if wrep.ContinueFrom == nil || wrep.ContinueFrom.Path != from || wrep.ContinueFrom.ParamsSHA256 != WeightsKey(parent) {
		t.Errorf("report's ContinueFrom %+v, want %s pinned by %s", wrep.ContinueFrom, from, WeightsKey(parent))
	}
	if WeightsKey(whole) == WeightsKey(parent) {
		t.Error("the continuation did not train")
	}
	card := ModelCard(cont, wrep, "vlmq pretrain --continue-from ...", "", whole)
	if !strings.Contains(card, "# vlmq base VLM (continued from "+from+")") || !strings.Contains(card, WeightsKey(parent)) ||
		!strings.Contains(card, "the parent's tokenizer") || strings.Contains(card, "tokenizer text from") {
		t.Errorf("the card does not name the parent:\n%s", card)
	}
	// Cancelled after step 3 and resumed from its checkpoint, it ends with
	// the uninterrupted continuation's weights and still names its parent.
	ckpt := filepath.Join(dir, "cont.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := cont
	stopped.OnStep = func(step int, _ float64) {
		if step+1 == 3 {
			cancel()
		}
	}
	if _, _, err := BuildBase(ctx, stopped, ckpt); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled continuation: %v", err)
	}
	cancel()
	resumed, rrep, err := BuildBase(context.Background(), cont, ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if WeightsKey(resumed) != WeightsKey(whole) {
		t.Error("the resumed continuation's weights differ from the uninterrupted one's")
	}
	if rrep.ContinueFrom == nil || !reflect.DeepEqual(*rrep.ContinueFrom, *wrep.ContinueFrom) {
		t.Errorf("resumed report's ContinueFrom %+v, want %+v", rrep.ContinueFrom, wrep.ContinueFrom)
	}
	bad := cont
	bad.ContinueFrom = filepath.Join(dir, "nomodel")
	if _, _, err := BuildBase(context.Background(), bad, ""); err == nil || !strings.Contains(err.Error(), "--continue-from") {
		t.Errorf("--continue-from a missing folder: %v", err)
	}
	// With --arch the continuation changes the architecture: a larger
	// image's position table starts fresh, the rest keeps the parent's
	// weights until it trains, and the report, card and a resume say so.
	grown := cont
	grown.Arch = map[string]int{"image_size": 2 * parent.ImageSize(), "subtract_background": 1}
	gm, grep, err := BuildBase(context.Background(), grown, filepath.Join(dir, "grown.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	wantFresh := []string{"vision.pos_embed"}
	if grep.ContinueFrom == nil || !slices.Equal(grep.ContinueFrom.Fresh, wantFresh) {
		t.Errorf("grown report's ContinueFrom %+v, want fresh %v", grep.ContinueFrom, wantFresh)
	}
	if gm.ImageSize() != 2*parent.ImageSize() || !strings.Contains(gm.Describe(), "background subtracted") {
		t.Errorf("grown model %s has the parent's architecture", gm.Describe())
	}
	if card := ModelCard(grown, grep, "vlmq pretrain ...", "", gm); !strings.Contains(card, fmt.Sprintf("(image_size=%d, subtract_background=1): these parameters started fresh, every other one from the parent: vision.pos_embed", 2*parent.ImageSize())) {
		t.Errorf("the card does not say what started fresh:\n%s", card)
	}
	regrown, rgrep, err := BuildBase(context.Background(), grown, filepath.Join(dir, "grown.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if WeightsKey(regrown) != WeightsKey(gm) || !reflect.DeepEqual(rgrep.ContinueFrom, grep.ContinueFrom) {
		t.Error("the finished grown continuation, reopened, differs")
	}
	bad = cont
	bad.Arch = map[string]int{"image_size": parent.ImageSize() + 1}
	if _, _, err := BuildBase(context.Background(), bad, ""); err == nil || !strings.Contains(err.Error(), "not a multiple of patch_size") {
		t.Errorf("--arch with an image size the patches do not divide: %v", err)
	}
}

// TestBuildBaseFactsVersion: --facts 3 leaves out the questions keyed by
// the mission that version 4 added, in training and in the held-out
// report; the newest version asks them; other versions are refused.
func TestBuildBaseFactsVersion(t *testing.T) {
	mission := func(rows []QARow) bool {
		for _, r := range rows {
			if strings.Contains(r.Type, "the object the mission") {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		facts   int
		mission bool
	}{{0, true}, {3, false}, {FactsVersion, true}} {
		s := FastDemo("babyai/GoToLocal", "").Pretrain
		c := pretrain.DefaultCurriculum()
		s.Curriculum = &c
		s.Steps, s.Batch, s.SyntaxEpisodes, s.Held, s.Facts = 1, 1, -1, 12, tc.facts
		_, rep, err := BuildBase(context.Background(), s, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := mission(rep.Rows); got != tc.mission {
			t.Errorf("facts %d: mission-keyed questions held out %v, want %v", tc.facts, got, tc.mission)
		}
	}
	s := FastDemo("babyai/GoToLocal", "").Pretrain
	s.Facts = 2
	if _, _, err := BuildBase(context.Background(), s, ""); err == nil || !strings.Contains(err.Error(), "facts version 2") {
		t.Errorf("facts version 2: %v", err)
	}
}

// TestHeldOut: the held-out questions are a function of the seed, come
// from held-out episodes, hold at most perType questions per family,
// question type and mode, and fill every cell a common question type
// makes; family rows pool a family's env.
func TestHeldOut(t *testing.T) {
	open := func() *pretrain.EnvSource {
		var es []env.Env
		var xs []env.Expert
		for _, name := range []string{"numberline", "ezpoints", "blackjack"} {
			e, err := env.New(name, env.Options{})
			if err != nil {
				t.Fatal(err)
			}
			x, err := env.NewExpert(e)
			if err != nil {
				t.Fatal(err)
			}
			es, xs = append(es, e), append(xs, x)
		}
		src, err := pretrain.NewEnvSource(es, pretrain.EnvSourceOptions{MaxSteps: 6, ImageSize: 24, Experts: xs, HeldOut: true})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	const perType = 12
	a, err := heldOut(context.Background(), open(), 5, perType, 60)
	if err != nil {
		t.Fatal(err)
	}
	b, err := heldOut(context.Background(), open(), 5, perType, 60)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("held-out questions differ for the same seed")
	}
	n := map[heldCell]int{}
	for _, qa := range a {
		n[heldCell{env.FamilyOf(qa.Env), pretrain.QuestionType(qa.Question), qa.Context != ""}]++
	}
	for c, k := range n {
		if k > perType {
			t.Errorf("%+v holds %d questions", c, k)
		}
	}
	for _, typ := range []string{"What is the target number?", "What is the formula so far?", "What is the player's total?",
		"What is the rank of card N from the left?", "Is N among the unused card values?"} {
		for _, text := range []bool{false, true} {
			if k := n[heldCell{"cards", typ, text}]; k != perType {
				t.Errorf("%q (with text %v): %d questions, want %d", typ, text, k, perType)
			}
		}
	}
}

// TestLossCurve: the card's loss curve shows at most n points, evenly
// spread, with the first and the last.
func TestLossCurve(t *testing.T) {
	pts := func(n int) []LossPoint {
		var ps []LossPoint
		for i := 1; i <= n; i++ {
			ps = append(ps, LossPoint{Step: 100 * i, Loss: 1 / float64(i), Steps: 100})
		}
		return ps
	}
	for _, c := range []struct {
		ps   []LossPoint
		n    int
		want string
	}{
		{pts(1), 12, "step 100 1.000"},
		{pts(3), 12, "step 100 1.000, step 200 0.500, step 300 0.333"},
		{pts(10), 3, "step 100 1.000, step 500 0.200, step 1000 0.100"},
		{pts(80), 2, "step 100 1.000, step 8000 0.013"},
	} {
		if got := lossCurve(c.ps, c.n); got != c.want {
			t.Errorf("lossCurve(%d points, %d) = %q, want %q", len(c.ps), c.n, got, c.want)
		}
	}
}
