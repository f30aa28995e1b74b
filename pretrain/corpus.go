// Package pretrain makes the base VLM: it collects image question/answer
// pairs from environments (seeing without acting), trains the tokenizer on
// environment text, and trains the LM head on the QA pairs. Action replies
// are never used as training targets.
package pretrain

import (
	"fmt"
	"image"
	"math/rand/v2"
	"regexp"
	"strings"

	"vlmq/env"
	"vlmq/vlm"
)

// QAExample is one image question with its answer.
type QAExample struct {
	Image    *image.RGBA
	Question string
	Answer   string
	// Context, when set, is text shown before the question: the env's
	// action prompt. Answering from it teaches the model to read the
	// observation out of a long prompt (still never an action reply).
	Context string
	// Env names the environment the view came from (for per-env scores).
	Env string
	// Before are the true pairs asked earlier in the same sequence (the
	// many-questions form, see Sequence): the prompt holds them, each
	// answer ended by EOS, before this question. Empty for single pairs.
	Before []Pair
}

// CorpusOptions controls how environments are walked.
type CorpusOptions struct {
	// Episodes per environment (default 20).
	Episodes int
	// MaxSteps per episode (default 20); facts are collected at every state.
	MaxSteps int
	// Seed for episode seeds and random actions.
	Seed int64
	// NoCaptions drops the generic "Describe the image." questions that
	// are otherwise added, answered with all facts of the view.
	NoCaptions bool
	// NoContext drops the copies of each question asked after the env's
	// prompt (see QAExample.Context).
	NoContext bool
	// Keep, when set, keeps only the facts it accepts (EnvSourceOptions).
	Keep func(env.QA) bool
	// ImageSize, when > 0, stores every image downscaled to the model's
	// input size (vlm.Downscale, as training replays store them), which
	// keeps a large corpus in memory: a 300×300 view is 360 KB, 96×96 37 KB.
	ImageSize int
}

func (o *CorpusOptions) defaults() {
	if o.Episodes <= 0 {
		o.Episodes = 20
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 20
	}
}

// CaptionQuestion is the generic question whose answer lists the facts.
const CaptionQuestion = "Describe the image."

// Corpus holds what was collected from the environments.
type Corpus struct {
	QA []QAExample
	// Text is the environment text (prompts, questions, answers, and
	// example replies) for training the tokenizer only.
	Text []string
}

// Collect walks random-action trajectories in every env and records the
// facts of each visited view. Envs that do not implement env.Describer add
// only tokenizer text. Answers containing an env's action marker are
// dropped so that action syntax can never become a training target.
func Collect(envs []env.Env, opts CorpusOptions) (*Corpus, error) {
	opts.defaults()
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed))
	c := &Corpus{}
	for _, e := range envs {
		desc, _ := e.(env.Describer)
		syn := e.Syntax()
		for ep := 0; ep < opts.Episodes; ep++ {
			obs, err := e.Reset(rng.Int64())
			if err != nil {
				return nil, fmt.Errorf("pretrain: %s reset: %w", e.Name(), err)
			}
			task := e.Task()
			for step := 0; ; step++ {
				prompt := env.Prompt(task, obs, syn)
				c.Text = append(c.Text, prompt)
				if desc != nil && obs.Image != nil {
					ctx := prompt
					if opts.NoContext {
						ctx = ""
					}
					img := obs.Image
					if opts.ImageSize > 0 {
						if img, err = vlm.Downscale(img, opts.ImageSize); err != nil {
							return nil, fmt.Errorf("pretrain: %s: %w", e.Name(), err)
						}
					}
					c.addFacts(e.Name(), img, KeepFacts(desc.Facts(), opts.Keep), syn, !opts.NoCaptions, ctx)
				}
				if step >= opts.MaxSteps {
					break
				}
				choice := e.RandomValid(rng)
				reply := syn.Format(choice)
				c.Text = append(c.Text, reply)
				st, err := e.Step(reply)
				if err != nil {
					return nil, fmt.Errorf("pretrain: %s step %q: %w", e.Name(), reply, err)
				}
				obs = st.Obs
				if st.Done {
					break
				}
			}
		}
	}
	return c, nil
}

func (c *Corpus) addFacts(name string, img *image.RGBA, facts []env.QA, syn env.Syntax, caption bool, context string) {
	if img == nil {
		return
	}
	marker := strings.ToLower(syn.Marker)
	var parts []string
	for _, f := range facts {
		q, a := strings.TrimSpace(f.Question), strings.TrimSpace(f.Answer)
		if q == "" || a == "" || (marker != "" && strings.Contains(strings.ToLower(a), marker)) {
			continue
		}
		c.Text = append(c.Text, FormatQuestion(q)+" "+a)
		// A fact the image does not show is asked only after the prompt,
		// and stays out of the caption, which describes the image.
		if !f.TextOnly {
			c.QA = append(c.QA, QAExample{Image: img, Question: q, Answer: a, Env: name})
			parts = append(parts, strings.TrimSuffix(q, "?")+": "+a+".")
		}
		if context != "" {
			c.QA = append(c.QA, QAExample{Image: img, Question: q, Answer: a, Context: context, Env: name})
		}
	}
	if caption && len(parts) > 0 {
		a := strings.Join(parts, " ")
		c.QA = append(c.QA, QAExample{Image: img, Question: CaptionQuestion, Answer: a, Env: name})
		c.Text = append(c.Text, a)
	}
}

// FormatQuestion is the text prompt for a QA example; the answer follows
// after a space and ends with EOS.
func FormatQuestion(q string) string { return "Question: " + q + "\nAnswer:" }

// Prompt is the full text prompt of a single-pair example: the context
// (if any), then the question. The pairs of Before are left out: they
// end in EOS tokens, which are not text (PromptTokens holds them).
func (qa QAExample) Prompt() string {
	if qa.Context == "" {
		return FormatQuestion(qa.Question)
	}
	return qa.Context + "\n" + FormatQuestion(qa.Question)
}

// QuestionType groups questions that differ only in the object, label,
// position or number they name ("Where is the red ball?" and "Where is the
// blue key?" are both "Where is the C K?", "What is at 2 ahead 1 left?" is
// "What is at P?", "Is 7 among the unused cards?" is "Is N among the
// unused cards?"), for per-type accuracy reports.
func QuestionType(q string) string {
	q = quotedRe.ReplaceAllString(q, "X")
	q = refRe.ReplaceAllString(q, "X")
	q = posRe.ReplaceAllString(q, "P")
	q = numberRe.ReplaceAllString(q, "N")
	q = colourRe.ReplaceAllString(q, "C")
	return kindRe.ReplaceAllString(q, "K")
}

var (
	quotedRe = regexp.MustCompile(`"[^"]*"`)
	refRe    = regexp.MustCompile(`#[\w-]+`)
	// posRe is a BabyAI view position: "2 ahead", "1 left", "3 ahead 2 right".
	posRe    = regexp.MustCompile(`\b\d+ ahead( \d+ (left|right))?\b|\b\d+ (left|right)\b`)
	numberRe = regexp.MustCompile(`\b\d+\b`)
	colourRe = regexp.MustCompile(`\b(red|green|blue|purple|yellow|grey)\b`)
	kindRe   = regexp.MustCompile(`\b(balls?|keys?|box(es)?|doors?)\b`)
)
