package pretrain

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"

	"vlmq/vlm"
)

// The retrieval gate (issue 24): a candidate base must find, from the text
// alone, the value of a key and the entry matching a description among
// many distractors before fine-tuning capacity runs start from it.
const (
	// RetrievalGate is the accuracy a base must reach at GateDistractors
	// on every probe task.
	RetrievalGate = 0.95
	// GateDistractors is the list size the gate is measured at.
	GateDistractors = 16
)

// RetrievalDistractors are the distractor counts the probe measures.
var RetrievalDistractors = []int{1, 4, GateDistractors}

// retrievalTasks are the probe's tasks, with the names the report shows.
var retrievalTasks = []struct{ task, title string }{
	{TaskKV, "key-value lookup"},
	{TaskMatch, "where is the named entry"},
	// Appended last, so the other tasks keep their lists.
	{TaskSpan, "where is the object (a position of several words)"},
	{TaskPage, "which element says the text (a page's element list)"},
}

// probeStream keeps the probe's draws apart from a training stream's
// (which uses streams 0, 1, 2, ... per step): held-out lists even when the
// probe is given the training seed.
const probeStream = 1 << 62

// ProbeSeed is the probe seed a pretraining run of seed puts on its card.
func ProbeSeed(seed int64) uint64 { return uint64(seed) + 104729 }

// RetrievalCell is the probe's score on one task at one distractor count.
type RetrievalCell struct {
	Task        string `json:"task"`
	Distractors int    `json:"distractors"`
	Right       int    `json:"right"`
	N           int    `json:"n"`
}

// Accuracy is the share of exact-match answers.
func (c RetrievalCell) Accuracy() float64 { return frac(c.Right, c.N) }

// RetrievalReport is what RetrievalProbe measured.
type RetrievalReport struct {
	Seed  uint64          `json:"seed"`
	Cells []RetrievalCell `json:"cells"`
	// Unfit names the cells left unmeasured because a list did not fit
	// the model's text length ("page at 16"); the gate then fails.
	Unfit []string `json:"unfit,omitempty"`
	// MaxText is the model's text length, for the note on Unfit.
	MaxText int `json:"max_text,omitempty"`
	// Wrong holds every wrong answer, cell by cell in the report's order,
	// for reading what a model gets wrong (not saved).
	Wrong []ProbeMistake `json:"-"`
}

// ProbeMistake is a wrong answer of the probe: the cell, the list and
// question as the model saw them, the answer and the model's.
type ProbeMistake struct {
	Task              string
	Distractors       int
	Context, Question string
	Want, Got         string
}

// Accuracy is the score of task at d distractors (ok false if not measured).
func (r RetrievalReport) Accuracy(task string, d int) (float64, bool) {
	for _, c := range r.Cells {
		if c.Task == task && c.Distractors == d {
			return c.Accuracy(), true
		}
	}
	return 0, false
}

// Passes says whether every task reaches RetrievalGate at GateDistractors.
func (r RetrievalReport) Passes() bool {
	for _, t := range retrievalTasks {
		if a, ok := r.Accuracy(t.task, GateDistractors); !ok || a < RetrievalGate {
			return false
		}
	}
	return true
}

func (r RetrievalReport) verdict() string {
	if r.Passes() {
		return "passed"
	}
	return "failed"
}

// Markdown renders the report as a model-card section.
func (r RetrievalReport) Markdown() string {
	var b strings.Builder
	n := 0
	if len(r.Cells) > 0 {
		n = r.Cells[0].N
	}
	fmt.Fprintf(&b, "Retrieval probe (exact-match greedy answers from the text alone, a blank image; %d held-out lists per cell, seed %d):\n\n", n, r.Seed)
	b.WriteString("| task |")
	for _, d := range RetrievalDistractors {
		fmt.Fprintf(&b, " %d distractor%s |", d, plural(d))
	}
	b.WriteString("\n|---|")
	for range RetrievalDistractors {
		b.WriteString("---|")
	}
	for _, t := range retrievalTasks {
		fmt.Fprintf(&b, "\n| %s |", t.title)
		for _, d := range RetrievalDistractors {
			if a, ok := r.Accuracy(t.task, d); ok {
				fmt.Fprintf(&b, " %.2f |", a)
			} else {
				b.WriteString(" - |")
			}
		}
	}
	fmt.Fprintf(&b, "\n\nGate (at least %.0f%% at %d distractors on every task): %s.\n", 100*RetrievalGate, GateDistractors, r.verdict())
	if len(r.Unfit) > 0 {
		fmt.Fprintf(&b, "\nNot measured (a list does not fit the model's text length of %d tokens): %s.\n", r.MaxText, strings.Join(r.Unfit, ", "))
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// String is a one-line summary for logs.
func (r RetrievalReport) String() string {
	var parts []string
	for _, t := range retrievalTasks {
		var accs []string
		for _, d := range RetrievalDistractors {
			if a, ok := r.Accuracy(t.task, d); ok {
				accs = append(accs, fmt.Sprintf("%.2f", a))
			} else {
				accs = append(accs, "-")
			}
		}
		parts = append(parts, t.task+" "+strings.Join(accs, "/"))
	}
	d := make([]string, len(RetrievalDistractors))
	for i, x := range RetrievalDistractors {
		d[i] = fmt.Sprint(x)
	}
	return fmt.Sprintf("retrieval probe at %s distractors: %s (gate %.2f at %d: %s)", strings.Join(d, "/"), strings.Join(parts, ", "), RetrievalGate, GateDistractors, r.verdict())
}

// RetrievalProbe measures m's exact-match accuracy of greedy answers on n
// held-out lists per task and distractor count: key-value lookup, "where
// is the named entry" and where an object of a BabyAI-worded scene is,
// from the text alone (a blank image). A cell with a list that does not
// fit m's text length is left unmeasured and named in Unfit, not cut: so a
// small model's card still shows the cells it can take.
func RetrievalProbe(m vlm.Model, seed uint64, n int) (RetrievalReport, error) {
	rep := RetrievalReport{Seed: seed}
	if n < 1 {
		return rep, fmt.Errorf("pretrain: retrieval probe of %d lists, want at least 1", n)
	}
	size := m.ImageSize()
	if size < 1 {
		return rep, fmt.Errorf("pretrain: model image size %d", size)
	}
	blank := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := 3; i < len(blank.Pix); i += 4 {
		blank.Pix[i] = 255
	}
	tok := m.Tokenizer()
	for ti, t := range retrievalTasks {
		for di, d := range RetrievalDistractors {
			rng := rand.New(rand.NewPCG(seed, probeStream+uint64(ti*len(RetrievalDistractors)+di)))
			qa := make([]QAExample, n)
			contexts := make([]string, n)
			fits := true
			for i := range qa {
				seq := probeSequence(t.task, rng, d+1)
				seq.Image = blank
				if _, _, err := sequenceInput(tok, tok.Encode, seq, m.MaxText()); err != nil {
					fits = false
					break
				}
				qa[i], contexts[i] = seq.Split()[0], seq.Context
			}
			if !fits {
				rep.Unfit = append(rep.Unfit, fmt.Sprintf("%s at %d", t.task, d))
				rep.MaxText = m.MaxText()
				continue
			}
			answers, err := Answers(m, qa, 16)
			if err != nil {
				return rep, err
			}
			c := RetrievalCell{Task: t.task, Distractors: d, N: n}
			for i, a := range answers {
				if Right(qa[i], a) {
					c.Right++
					continue
				}
				rep.Wrong = append(rep.Wrong, ProbeMistake{Task: t.task, Distractors: d, Context: contexts[i],
					Question: qa[i].Question, Want: strings.TrimSpace(qa[i].Answer), Got: strings.TrimSpace(a)})
			}
			rep.Cells = append(rep.Cells, c)
		}
	}
	return rep, nil
}

// probeSequence is one probe list of n entries with one lookup question
// (a key's value, where a described object is, which element says a text).
func probeSequence(task string, rng *rand.Rand, n int) Sequence {
	return synthGen[task](rng, n, 1, false)
}

func frac(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(a) / float64(n)
}
