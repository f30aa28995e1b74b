package pretrain

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"vlmq/env"
	"vlmq/model"
	"vlmq/vlm"
)

// testStream mixes every kind of source: env views, the three synthetic
// tasks, and format questions over views and over a synthetic task.
func testStream(t *testing.T, m vlm.Model) *Stream {
	t.Helper()
	c, err := Collect([]env.Env{&colourEnv{}, &leakyEnv{}}, CorpusOptions{Episodes: 4, MaxSteps: 3, Seed: 2, ImageSize: m.ImageSize()})
	if err != nil {
		t.Fatal(err)
	}
	views, err := NewViewSource("colour", c.QA)
	if err != nil {
		t.Fatal(err)
	}
	ws := []Weighted{{views, 2}}
	for _, task := range SyntheticTasks {
		s, err := NewSyntheticSource(task, 1, 16, 6)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, Weighted{s, 1})
	}
	kv, _ := NewSyntheticSource(TaskKV, 1, 8, 4)
	for _, inner := range []Source{views, kv} {
		f, err := NewFormatSource(inner, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, Weighted{f, 1})
	}
	s, err := NewStream(m, ws...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStreamBatchIsPure: a batch depends only on (seed, step), whatever
// was drawn before; other steps and seeds give other batches; every item
// fits the model, mixes sources, asks many questions, and no answer is an
// action reply.
func TestStreamBatchIsPure(t *testing.T) {
	tok := synthTokenizer(t)
	m := tinyModel(t, tok, 1)
	s := testStream(t, m)
	type key struct {
		seed uint64
		step int
	}
	first := map[key][]vlm.Input{}
	keys := []key{{1, 0}, {1, 1}, {1, 7}, {2, 0}, {1, 1000}}
	sources := map[string]bool{}
	multi, formatted := 0, 0
	for _, k := range keys {
		seqs, ins, err := s.Batch(k.seed, k.step, 8)
		if err != nil {
			t.Fatal(err)
		}
		first[k] = ins
		for i, seq := range seqs {
			sources[seq.Source] = true
			if len(seq.QA) > 1 {
				multi++
			}
			if len(ins[i].Tokens) > m.MaxText() {
				t.Errorf("%v item %d: %d tokens, model holds %d", k, i, len(ins[i].Tokens), m.MaxText())
			}
			want, err := SequenceInput(tok, seq)
			if err != nil || !reflect.DeepEqual(want, ins[i]) {
				t.Errorf("%v item %d: input is not the sequence's (%v)", k, i, err)
			}
			for _, p := range seq.QA {
				if strings.Contains(strings.ToLower(p.Answer), "[action]") {
					t.Errorf("action reply %q in the stream", p.Answer)
				}
				if formRe.MatchString(p.Question) {
					formatted++
				}
			}
		}
	}
	// Again in reverse order, and interleaved with other draws.
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		if _, _, err := s.Batch(99, i, 3); err != nil {
			t.Fatal(err)
		}
		_, ins, err := s.Batch(k.seed, k.step, 8)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ins, first[k]) {
			t.Errorf("batch %v differs when drawn again", k)
		}
	}
	if reflect.DeepEqual(first[key{1, 0}], first[key{1, 1}]) || reflect.DeepEqual(first[key{1, 0}], first[key{2, 0}]) {
		t.Error("different steps or seeds gave the same batch")
	}
	for _, want := range []string{"colour", TaskKV, TaskWord, TaskMatch} {
		if !sources[want] {
			t.Errorf("no sequence from %s (got %v)", want, sources)
		}
	}
	if multi < len(keys)*8/2 || formatted == 0 {
		t.Errorf("%d of %d sequences ask several questions, %d format questions", multi, len(keys)*8, formatted)
	}
}

// actionSource is a source whose answers are action replies.
type actionSource struct{}

func (actionSource) Name() string { return "actions" }
func (actionSource) Draw(*rand.Rand) (Sequence, error) {
	return Sequence{Context: "Goal: go", QA: []Pair{{"What do you do?", "[action] forward"}}}, nil
}

func TestStreamRefusesBadSources(t *testing.T) {
	tok := synthTokenizer(t)
	m := tinyModel(t, tok, 1)
	s, err := NewStream(m, Weighted{actionSource{}, 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Batch(1, 0, 2); err == nil || !strings.Contains(err.Error(), "action") {
		t.Errorf("a source of action replies was drawn from: %v", err)
	}
	if _, err := PretrainStream(context.Background(), m, s, Options{Steps: 1, BatchSize: 1, LR: 1e-3}); err == nil {
		t.Error("PretrainStream trained on action replies")
	}
	kv, _ := NewSyntheticSource(TaskKV, 1, 4, 2)
	for name, ws := range map[string][]Weighted{
		"no sources":      nil,
		"zero weight":     {{kv, 0}},
		"negative weight": {{kv, -1}},
		"nil source":      {{nil, 1}},
	} {
		if _, err := NewStream(m, ws...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewSyntheticSource("nope", 1, 4, 2); err == nil {
		t.Error("unknown task accepted")
	}
	if _, err := NewSyntheticSource(TaskKV, 5, 4, 2); err == nil {
		t.Error("min distractors above max accepted")
	}
	if _, err := NewFormatSource(kv, 0); err == nil {
		t.Error("format share 0 accepted")
	}
	img := testStream(t, m).plain[0]
	if _, err := NewViewSource("leaky", []QAExample{{Image: img, Question: "What now?", Answer: "[action] next"}}); err == nil {
		t.Error("view source accepted an action reply")
	}
	if _, err := NewViewSource("empty", nil); err == nil {
		t.Error("empty view source accepted")
	}
	good, _ := NewStream(m, Weighted{kv, 1})
	if _, _, err := good.Batch(1, 0, 0); err == nil {
		t.Error("empty batch accepted")
	}
	if _, err := PretrainStream(context.Background(), m, nil, Options{Steps: 1, BatchSize: 1, LR: 1e-3}); err == nil {
		t.Error("nil stream accepted")
	}
}

// TestPretrainStreamResumeIsExact: a stream run stopped by cancellation,
// checkpointed and resumed takes the same steps as an uninterrupted one,
// bit for bit.
func TestPretrainStreamResumeIsExact(t *testing.T) {
	tok := synthTokenizer(t)
	fresh := func() *model.VLM { return tinyModel(t, tok, 3) }
	train := func(ctx context.Context, m *model.VLM, o Options) error {
		_, err := PretrainStream(ctx, m, testStream(t, m), o)
		return err
	}
	checkResumeIsExact(t, fresh, train, Options{Steps: 8, BatchSize: 3, LR: 3e-3, Seed: 5}, []int{1, 5})
}

// colourViews is a tiny model and a view source of colourEnv's views,
// for the curriculum tests.
func colourViews(t *testing.T) (*model.VLM, *ViewSource) {
	t.Helper()
	m := tinyModel(t, synthTokenizer(t), 1)
	c, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 3, MaxSteps: 3, Seed: 2, ImageSize: m.ImageSize()})
	if err != nil {
		t.Fatal(err)
	}
	views, err := NewViewSource("colour", c.QA)
	if err != nil {
		t.Fatal(err)
	}
	return m, views
}

// TestCurriculumStream: the default curriculum draws from every source,
// and bad weights or an empty mix are refused.
func TestCurriculumStream(t *testing.T) {
	m, views := colourViews(t)
	s, err := DefaultCurriculum().Stream(m, views)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	formatted := false
	for step := range 8 {
		seqs, _, err := s.Batch(1, step, 16)
		if err != nil {
			t.Fatal(err)
		}
		for _, seq := range seqs {
			seen[seq.Source] = true
			for _, p := range seq.QA {
				formatted = formatted || formRe.MatchString(p.Question)
			}
		}
	}
	for _, want := range []string{"colour", TaskKV, TaskWord, TaskMatch} {
		if !seen[want] {
			t.Errorf("no sequence from %s in 128 (saw %v)", want, seen)
		}
	}
	if !formatted {
		t.Error("no format question in 128 sequences")
	}
	for name, cur := range map[string]Curriculum{
		"negative weight":        {Views: 1, KV: -1},
		"nan weight":             {KV: math.NaN()},
		"all zero":               {},
		"views without a corpus": {Views: 1},
		"too many distractors":   {KV: 1, MaxDistractors: MaxDistractors + 1},
	} {
		var src Source = views
		if name == "views without a corpus" {
			src = nil
		}
		if _, err := cur.Stream(m, src); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCurriculumSyntheticSteps: the first SyntheticSteps steps draw from
// the synthetic tasks alone (format questions over them included), later
// steps from every source, and a batch is still a function of (seed, step)
// alone, so a run resumed in either phase takes the same batches.
func TestCurriculumSyntheticSteps(t *testing.T) {
	m, views := colourViews(t)
	cur := DefaultCurriculum()
	cur.SyntheticSteps = 4
	s, err := cur.Stream(m, views)
	if err != nil {
		t.Fatal(err)
	}
	early, late := map[string]int{}, map[string]int{}
	for step := range 8 {
		seqs, _, err := s.Batch(1, step, 16)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := s.Batch(1, step, 16)
		if err != nil {
			t.Fatal(err)
		}
		for i, seq := range seqs {
			if seq.Source != again[i].Source || len(seq.QA) != len(again[i].QA) || seq.QA[0] != again[i].QA[0] {
				t.Fatalf("step %d item %d differs between two draws", step, i)
			}
			if step < cur.SyntheticSteps {
				early[seq.Source]++
			} else {
				late[seq.Source]++
			}
		}
	}
	if early["colour"] > 0 {
		t.Errorf("env views drawn in the synthetic phase: %v", early)
	}
	for _, want := range []string{TaskKV, TaskMatch} {
		if early[want] == 0 {
			t.Errorf("no %s sequence in the synthetic phase: %v", want, early)
		}
	}
	if late["colour"] == 0 {
		t.Errorf("no env view after the synthetic phase: %v", late)
	}
	for name, bad := range map[string]Curriculum{
		"negative synthetic steps":      {KV: 1, SyntheticSteps: -1},
		"synthetic steps without tasks": {Views: 1, SyntheticSteps: 10},
	} {
		if _, err := bad.Stream(m, views); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEnvSource: fresh views are a function of the rng alone (two sources
// over their own envs draw the same), their answers are the view's facts
// (the colour the image shows), action facts are dropped, and an env that
// does not describe its views is refused.
func TestEnvSource(t *testing.T) {
	mk := func() *EnvSource {
		s, err := NewEnvSource([]env.Env{&colourEnv{}, &leakyEnv{}}, EnvSourceOptions{MaxSteps: 5, ImageSize: 16})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := mk(), mk()
	ra, rb := rand.New(rand.NewPCG(4, 4)), rand.New(rand.NewPCG(4, 4))
	colours, prompts := map[string]bool{}, 0
	for i := range 40 {
		sa, err := a.Draw(ra)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.Draw(rb)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sa, sb) {
			t.Fatalf("draw %d differs between two sources of the same rng", i)
		}
		if sa.Image.Bounds().Dx() != 16 {
			t.Errorf("image %v, want 16 px", sa.Image.Bounds())
		}
		if sa.Context != "" {
			prompts++
		}
		for _, p := range sa.QA {
			if strings.Contains(p.Answer, "[action]") {
				t.Errorf("action fact %q kept", p.Answer)
			}
			if p.Question == "What colour is the card?" {
				px := sa.Image.Pix
				got := ""
				for k, c := range colourRGB {
					if px[0] == c.R && px[1] == c.G && px[2] == c.B {
						got = colourNames[k]
					}
				}
				if p.Answer != got {
					t.Errorf("answer %q for an image showing %q", p.Answer, got)
				}
				colours[p.Answer] = true
			}
		}
	}
	if len(colours) < 3 || prompts == 0 || prompts == 40 {
		t.Errorf("40 draws saw colours %v, %d with the prompt", colours, prompts)
	}
	if _, err := NewEnvSource([]env.Env{plainEnv{&colourEnv{}}}, EnvSourceOptions{MaxSteps: 5, ImageSize: 16}); err == nil {
		t.Error("an env without facts accepted")
	}
	for _, bad := range [][2]int{{-1, 16}, {5, 0}} {
		if _, err := NewEnvSource([]env.Env{&colourEnv{}}, EnvSourceOptions{MaxSteps: bad[0], ImageSize: bad[1]}); err == nil {
			t.Errorf("walk %d, image %d accepted", bad[0], bad[1])
		}
	}
}
