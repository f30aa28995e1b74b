package pretrain

import (
	"fmt"
	"image"
	"strings"

	"vlmq/env"
	"vlmq/vlm"
)

// Pair is one question and its answer.
type Pair struct {
	Question string
	Answer   string
}

// Sequence is the many-questions form of an example: one image, an
// optional context, then every pair in turn in ONE token sequence:
//
//	[context "\n"] "Question: q1\nAnswer:" " a1" <eos> "Question: q2\nAnswer:" " a2" <eos> ...
//
// EOS ends each answer as it ends the single-pair form's answer, so a
// greedy reply stops there (Generate's StopAtEOS) whichever form trained
// the model, and the next question follows it directly. One forward pass
// trains every answer, and later answers are read from a long context.
// A Sequence of one pair has exactly the tokens of the single-pair form.
type Sequence struct {
	Image   *image.RGBA
	Context string
	QA      []Pair
	// Source names where the sequence came from (an env, or a synthetic
	// task such as "kv"), for per-source scores.
	Source string
}

// Split turns a sequence into one QAExample per pair, each carrying the
// true pairs before it (Before), for grading with Grade: answer i is
// graded greedily given the true answers 1..i-1, as teacher forcing
// trained it.
func (s Sequence) Split() []QAExample {
	out := make([]QAExample, len(s.QA))
	for i, p := range s.QA {
		out[i] = QAExample{Image: s.Image, Question: p.Question, Answer: p.Answer,
			Context: s.Context, Env: s.Source, Before: s.QA[:i:i]}
	}
	return out
}

// pairTokens is one pair's question tokens and answer tokens (with EOS).
func pairTokens(tok vlm.Tokenizer, enc func(string) []int, p Pair) (q, a []int) {
	return enc(FormatQuestion(p.Question)), append(tok.Encode(" "+p.Answer), tok.EOSID())
}

// SequenceInput turns a sequence into a model input with targets on every
// answer's tokens and its EOS, and nowhere else. It refuses a sequence
// without pairs or with an answer that is an action reply.
func SequenceInput(tok vlm.Tokenizer, s Sequence) (vlm.Input, error) {
	in, _, err := sequenceInput(tok, tok.Encode, s, 0)
	return in, err
}

// sequenceInput builds the input; with maxText > 0 it keeps only the
// leading pairs that fit in maxText tokens (at least one, or an error),
// and says how many it kept.
func sequenceInput(tok vlm.Tokenizer, enc func(string) []int, s Sequence, maxText int) (vlm.Input, int, error) {
	if s.Image == nil {
		return vlm.Input{}, 0, fmt.Errorf("pretrain: sequence from %q has no image", s.Source)
	}
	if len(s.QA) == 0 {
		return vlm.Input{}, 0, fmt.Errorf("pretrain: sequence from %q has no questions", s.Source)
	}
	// Every answer is checked, kept or not: a source of action replies is
	// refused whether or not its pairs fit.
	for i, p := range s.QA {
		if err := checkAnswer(p.Answer); err != nil {
			return vlm.Input{}, 0, fmt.Errorf("pretrain: sequence from %q, pair %d: %w", s.Source, i, err)
		}
	}
	in := vlm.Input{Image: s.Image}
	if s.Context != "" {
		in.Tokens = append(in.Tokens, enc(s.Context+"\n")...)
	}
	for i, p := range s.QA {
		q, a := pairTokens(tok, enc, p)
		if maxText > 0 && len(in.Tokens)+len(q)+len(a) > maxText {
			if i == 0 {
				return vlm.Input{}, 0, fmt.Errorf("pretrain: sequence from %q needs %d tokens for its first question: %w", s.Source, len(in.Tokens)+len(q)+len(a), errTooLong{maxText})
			}
			return in, i, nil
		}
		in.Tokens = append(in.Tokens, q...)
		if i == 0 {
			in.Prompt = len(in.Tokens)
		}
		for j := range a {
			in.Targets = append(in.Targets, len(in.Tokens)+j)
		}
		in.Tokens = append(in.Tokens, a...)
	}
	return in, len(s.QA), nil
}

// errTooLong is a sequence whose first question does not fit maxText.
type errTooLong struct{ maxText int }

func (e errTooLong) Error() string { return fmt.Sprintf("more than the %d the model holds", e.maxText) }

// forbiddenMarkers are reply markers no pretraining answer may contain:
// the base must never learn an env's action syntax or an expert's choice.
var forbiddenMarkers = []string{env.DefaultMarker}

// checkAnswer refuses an empty answer or one holding an action marker.
func checkAnswer(a string) error {
	if strings.TrimSpace(a) == "" {
		return fmt.Errorf("empty answer")
	}
	low := strings.ToLower(a)
	for _, m := range forbiddenMarkers {
		if strings.Contains(low, m) {
			return fmt.Errorf("answer %q is an action reply", a)
		}
	}
	return nil
}

// GradeSequences answers every pair of every sequence greedily, each given
// the true pairs before it, and says which answers are right.
func GradeSequences(m vlm.Model, seqs []Sequence, batchSize int) ([][]bool, error) {
	var flat []QAExample
	for _, s := range seqs {
		flat = append(flat, s.Split()...)
	}
	ok, err := Grade(m, flat, batchSize)
	if err != nil {
		return nil, err
	}
	out := make([][]bool, len(seqs))
	for i, s := range seqs {
		out[i], ok = ok[:len(s.QA)], ok[len(s.QA):]
	}
	return out, nil
}
