package pretrain

import (
	"image"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
	"vlmq/model"
	"vlmq/model/modeltest"
	"vlmq/tokenizer"
)

// synthTokenizer is trained on synthetic text and the colour env's text.
func synthTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	c, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 4, MaxSteps: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Train(append(c.Text, SyntheticText(1, 300)...), 600, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func tinyModel(t *testing.T, tok *tokenizer.Tokenizer, seed int64) *model.VLM {
	t.Helper()
	return modeltest.New(t, modeltest.Spec{Tok: tok, Seed: seed})
}

// TestSequenceTargetsOnAnswers: the targets of a many-questions sequence
// are exactly each answer's tokens and its EOS; the other tokens are the
// context and the questions; one pair gives the single form's tokens; and
// the prompt Grade builds for answer i is the sequence up to that answer.
func TestSequenceTargetsOnAnswers(t *testing.T) {
	tok := synthTokenizer(t)
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for _, tc := range []struct {
		name string
		seq  Sequence
	}{
		{"one pair", Sequence{QA: []Pair{{"What is the value of apple?", "river"}}}},
		{"one pair with context", Sequence{Context: "apple: river\nstone: 7", QA: []Pair{{"What is the value of stone?", "7"}}}},
		{"three pairs", Sequence{QA: []Pair{{"Where is the red ball?", "at 3"}, {"How many keys are listed?", "12"}, {"Repeat line 2.", "tiger piano lemon"}}}},
		{"three pairs with context", Sequence{Context: "1: tiger piano\n2: lemon", QA: []Pair{{"What is word 2 of line 1?", "piano"}, {"Repeat line 2.", "lemon"}, {"What is word 1 of line 1? Answer in the form: [word] X", "[word] tiger"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.seq
			s.Image = img
			in, err := SequenceInput(tok, s)
			if err != nil {
				t.Fatal(err)
			}
			var want, rest []int
			isTarget := map[int]bool{}
			for _, i := range in.Targets {
				isTarget[i] = true
				want = append(want, in.Tokens[i])
			}
			for i, id := range in.Tokens {
				if !isTarget[i] {
					rest = append(rest, id)
				}
			}
			var answers []int
			var prompt string
			if s.Context != "" {
				prompt = s.Context + "\n"
			}
			for _, p := range s.QA {
				answers = append(append(answers, tok.Encode(" "+p.Answer)...), tok.EOSID())
				prompt += FormatQuestion(p.Question)
			}
			if !slices.Equal(want, answers) {
				t.Errorf("target tokens %q, want the answers %q", tok.Decode(want), tok.Decode(answers))
			}
			if got := tok.Decode(rest); got != prompt {
				t.Errorf("non-target text %q, want %q", got, prompt)
			}
			if in.Prompt != in.Targets[0] {
				t.Errorf("prompt length %d, first target %d", in.Prompt, in.Targets[0])
			}
			if len(s.QA) == 1 {
				old := Example(tok, QAExample{Image: img, Question: s.QA[0].Question, Answer: s.QA[0].Answer, Context: s.Context})
				if !slices.Equal(old.Tokens, in.Tokens) || !slices.Equal(old.Targets, in.Targets) {
					t.Errorf("one pair differs from the single form: %v %v, want %v %v", in.Tokens, in.Targets, old.Tokens, old.Targets)
				}
			}
			// Answer i starts right after the i-th target-free run; the
			// grading prompt of pair i must be exactly the tokens before it.
			starts := []int{in.Targets[0]}
			for k := 1; k < len(in.Targets); k++ {
				if in.Targets[k] != in.Targets[k-1]+1 {
					starts = append(starts, in.Targets[k])
				}
			}
			split := s.Split()
			if len(starts) != len(split) {
				t.Fatalf("%d answer runs for %d pairs", len(starts), len(split))
			}
			for i, qa := range split {
				if !slices.Equal(qa.Before, s.QA[:i]) {
					t.Errorf("pair %d: before %v, want %v", i, qa.Before, s.QA[:i])
				}
				p := PromptTokens(tok, tok.Encode, qa)
				if !slices.Equal(p, in.Tokens[:starts[i]]) {
					t.Errorf("pair %d: grading prompt %q, want %q", i, tok.Decode(p), tok.Decode(in.Tokens[:starts[i]]))
				}
			}
		})
	}
}

func TestSequenceInputRefusesBadSequences(t *testing.T) {
	tok := synthTokenizer(t)
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for _, tc := range []struct {
		name string
		seq  Sequence
	}{
		{"no image", Sequence{QA: []Pair{{"q?", "a"}}}},
		{"no pairs", Sequence{Image: img}},
		{"action answer", Sequence{Image: img, QA: []Pair{{"q?", "a"}, {"What now?", "[action] forward"}}}},
		{"upper-case action answer", Sequence{Image: img, QA: []Pair{{"What now?", "[ACTION] forward"}}}},
		{"empty answer", Sequence{Image: img, QA: []Pair{{"q?", " "}}}},
	} {
		if _, err := SequenceInput(tok, tc.seq); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	// A budget keeps the leading pairs that fit, and refuses when none does.
	s := Sequence{Image: img, Context: strings.Repeat("apple: river\n", 5), QA: []Pair{{"What is the value of apple?", "river"}, {"Repeat line 1.", "apple river"}}}
	full, kept, err := sequenceInput(tok, tok.Encode, s, 0)
	if err != nil || kept != 2 {
		t.Fatalf("unbounded: kept %d, %v", kept, err)
	}
	in, kept, err := sequenceInput(tok, tok.Encode, s, len(full.Tokens)-1)
	if err != nil || kept != 1 || len(in.Tokens) >= len(full.Tokens) || !slices.Equal(in.Tokens, full.Tokens[:len(in.Tokens)]) {
		t.Errorf("one token short: kept %d of 2 (%d tokens of %d), %v", kept, len(in.Tokens), len(full.Tokens), err)
	}
	if _, _, err := sequenceInput(tok, tok.Encode, s, 5); err == nil {
		t.Error("a sequence whose first question does not fit was accepted")
	}
}
