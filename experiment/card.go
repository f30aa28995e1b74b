package experiment

import (
	"fmt"
	"sort"
	"strings"

	"vlmq/models"
	"vlmq/pretrain"
	"vlmq/vlm"
)

// ModelCard is the README.md of a published base model: what it is, the
// command that rebuilds it, its wall time, and its held-out accuracy per
// environment and question type, image only and with the prompt text. Its
// front matter pins the weights' SHA-256 (the model's Load checks it).
func ModelCard(s BaseSpec, rep BaseReport, command, sha string, m vlm.Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nlibrary_name: vlmq\nlicense: mit\npipeline_tag: image-text-to-text\n%s\n---\n\n", models.CardSHALine(sha))
	if rep.ContinueFrom != nil {
		fmt.Fprintf(&b, "# vlmq base VLM (continued from %s)\n\n", rep.ContinueFrom.Path)
	} else {
		fmt.Fprintf(&b, "# vlmq base VLM (%s preset%s)\n\n", s.Preset, archText(s.Arch))
	}
	fmt.Fprintf(&b, "A small vision-language model pretrained by vlmq on questions about the observations of %d environments "+
		"(image question answering: numbers, cards and formulas, objects and where they are, page elements and their text). "+
		"It has never been trained on an action reply or an expert's choice, so it does not know any env's action syntax: "+
		"AFSFT fine-tunes it from there. Actor (LM head) and two critic heads over the vocabulary; the critic heads are untrained.\n\n", len(s.Envs))
	fmt.Fprintf(&b, "- parameters: %d; %s\n", rep.Params, m.Describe())
	if r := rep.ContinueFrom; r != nil {
		fmt.Fprintf(&b, "- continued pretraining: it started from the weights, tokenizer and architecture of %s (parameters' SHA-256 %s), whose own card gives how that model was built; the steps, schedule and wall time below are this continuation's\n", r.Path, r.ParamsSHA256)
		if len(s.Arch) > 0 {
			fresh := "every parameter kept the parent's weights"
			if len(r.Fresh) > 0 {
				fresh = "these parameters started fresh, every other one from the parent: " + strings.Join(r.Fresh, ", ")
			}
			fmt.Fprintf(&b, "- architecture changed by --arch (%s): %s\n", archPairs(s.Arch), fresh)
		}
	}
	if s.Curriculum == nil {
		fmt.Fprintf(&b, "- pretraining: %d steps of %d questions, learning rate %g, corpus of %d questions from %d random-walk episodes per environment (seed %d)\n",
			rep.Steps, s.Batch, s.LR, rep.CorpusQA, s.Episodes, s.Seed)
	} else if rep.ContinueFrom != nil {
		fmt.Fprintf(&b, "- pretraining: %d steps of %d sequences, learning rate %g, seed %d, the parent's tokenizer\n",
			rep.Steps, s.Batch, s.LR, s.Seed)
	} else {
		fmt.Fprintf(&b, "- pretraining: %d steps of %d sequences, learning rate %g, tokenizer text from %d random-walk episodes per environment (seed %d)\n",
			rep.Steps, s.Batch, s.LR, s.Episodes, s.Seed)
	}
	fmt.Fprintf(&b, "- training wall time: %.2f h, %.2f s a step (summed over resumed sessions; corpus collection and evaluation not included)\n", rep.TrainSecond/3600, rep.TrainSecond/float64(max(1, rep.Steps)))
	fmt.Fprintf(&b, "- environments: %s\n", strings.Join(s.Envs, ", "))
	if len(s.Obs) > 0 {
		fmt.Fprintf(&b, "- Gym Cards prompts shown before questions in the observation modes: %s\n", strings.Join(s.Obs, ", "))
	}
	if c := s.Curriculum; c != nil {
		d := c.MaxDistractors
		if d == 0 {
			d = pretrain.GateDistractors
		}
		extra := ""
		if c.Span != 0 || c.Page != 0 {
			// Only then, so cards of runs made before these tasks stay the same.
			extra = fmt.Sprintf(", span %g, page %g", c.Span, c.Page)
		}
		if c.Copy != 0 {
			extra += fmt.Sprintf(", copy %g", c.Copy)
		}
		if c.Glyph != 0 {
			extra += fmt.Sprintf(", glyph %g", c.Glyph)
		}
		fmt.Fprintf(&b, "- curriculum: sequences of many questions, source weights views %g, key-value %g, word %g, match %g%s, format %g; up to %d distractors; batch counts sequences\n",
			c.Views, c.KV, c.Word, c.Match, extra, c.Format, d)
		w := c.Walks
		if w == (pretrain.Walks{}) {
			w = pretrain.DefaultWalks()
		}
		fmt.Fprintf(&b, "- env views: fresh, one per episode (never repeated), after up to %d steps walked by random, expert and noisy-expert (%.0f%% random actions) policies weighted %g, %g and %g\n",
			walkSteps(s.BaseEval), 100*pretrain.NoisyRandom, w.Random, w.Expert, w.Noisy)
		if c.SyntheticSteps > 0 {
			fmt.Fprintf(&b, "- the first %d steps drew from the synthetic tasks alone; env views joined after\n", c.SyntheticSteps)
		}
	}
	if len(rep.Sessions) > 0 {
		b.WriteString(sessionsText(rep.Sessions))
	}
	if len(rep.Losses) > 0 {
		fmt.Fprintf(&b, "- training loss (mean per answer token over each stretch up to the step shown): %s\n", lossCurve(rep.Losses, 12))
	}
	fmt.Fprintf(&b, "\n## Rebuild\n\n```sh\n%s\n```\n\n", command)
	b.WriteString(BaseMeasures(s.BaseEval, rep))
	return b.String()
}

// BaseMeasures is the card's measurements of a base: its retrieval probe,
// syntax accuracy and held-out QA (see MeasureBase), in Markdown sections.
func BaseMeasures(s BaseEval, rep BaseReport) string {
	var b strings.Builder
	if rep.Retrieval != nil {
		fmt.Fprintf(&b, "## Retrieval probe\n\n%s\n", rep.Retrieval.Markdown())
	}
	if len(rep.Syntax) > 0 {
		b.WriteString("## Base syntax accuracy\n\nShare of the base's greedy replies that parse as the env's action syntax. A base that writes the format some of the time, but not most of it, makes base-model datasets of valid and invalid replies, as the paper's bases do. ")
		fmt.Fprintf(&b, "%d episodes per env on the evaluation seeds, at most %d turns each, replies cut at %d tokens.\n\n| environment | syntax accuracy | 95%% interval | replies |\n|---|---|---|---|\n",
			rep.Syntax[0].Summary.Episodes, syntaxTurns, DefaultMaxReply)
		for _, e := range rep.Syntax {
			a := e.Summary.SyntaxAccuracy
			fmt.Fprintf(&b, "| %s | %.2f | [%.2f, %.2f] | %d |\n", e.Env, a.Value, a.Lo, a.Hi, e.Summary.Replies)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Held-out question answering\n\nGreedy answers on views of held-out episodes (seeds no training view came from), "+
		"walked as the training views are; up to %d questions per family, question type and mode; exact match. "+
		"\"image only\": the question follows the image alone; \"with text\": the env's prompt (which may state the answer) precedes it. "+
		"Overall: %s.\n\n", heldPerType(s), rep.Score)
	b.WriteString("| environment | image only | n | with text | n |\n|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		if r.Type == "" && !r.Family {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %d |\n", r.Env, cardPct(r.ImageOnly, r.NImageOnly), r.NImageOnly, cardPct(r.WithText, r.NWithText), r.NWithText)
		}
	}
	typeTable := func(title, col string, family bool) {
		n := 0
		for _, r := range rep.Rows {
			if r.Type == "" || r.Family != family {
				continue
			}
			if n == 0 {
				fmt.Fprintf(&b, "\n### %s\n\n| %s | question | image only | n | with text | n |\n|---|---|---|---|---|---|\n", title, col)
			}
			n++
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %d |\n", r.Env, strings.ReplaceAll(r.Type, "|", "\\|"), cardPct(r.ImageOnly, r.NImageOnly), r.NImageOnly, cardPct(r.WithText, r.NWithText), r.NWithText)
		}
	}
	typeTable("By family and question type", "family", true)
	typeTable("By question type", "environment", false)
	return b.String()
}

// walkSteps is the spec's walk length with its default.
func walkSteps(s BaseEval) int {
	if s.MaxSteps == 0 {
		return 20
	}
	return s.MaxSteps
}

// heldPerType is the spec's held-out questions per cell with the default.
func heldPerType(s BaseEval) int {
	if s.HeldPerType == 0 {
		return DefaultHeldPerType
	}
	return s.HeldPerType
}

func cardPct(v float64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// archText names a preset's overridden sizes, in a stable order.
func archText(arch map[string]int) string {
	if len(arch) == 0 {
		return ""
	}
	return " with " + archPairs(arch)
}

// archPairs lists overridden sizes as sorted key=value pairs.
func archPairs(arch map[string]int) string {
	var kv []string
	for k, v := range arch {
		kv = append(kv, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(kv)
	return strings.Join(kv, ", ")
}

// lossCurve renders at most n points of a loss curve, evenly spread,
// first and last included.
func lossCurve(ps []LossPoint, n int) string {
	var parts []string
	last := -1
	for i := range n {
		j := i * (len(ps) - 1) / max(1, n-1)
		if j == last {
			continue
		}
		last = j
		parts = append(parts, fmt.Sprintf("step %d %.3f", ps[j].Step, ps[j].Loss))
	}
	return strings.Join(parts, ", ")
}

// sessionsText lists the recorded pretraining sessions: the steps each
// trained, its code, its machine and what shared it (the 1-minute load
// average at its start and at its last checkpoint).
func sessionsText(ss []BaseSession) string {
	var b strings.Builder
	b.WriteString("- sessions (code, machine and load of each process that trained it):\n")
	if first := ss[0].FromStep; first > 0 {
		fmt.Fprintf(&b, "  - steps 1-%d: trained by sessions made before sessions were recorded\n", first)
	}
	for _, x := range ss {
		what := fmt.Sprintf("steps %d-%d", x.FromStep+1, x.ToStep)
		if x.ToStep == x.FromStep {
			what = "evaluation and card only"
		}
		fmt.Fprintf(&b, "  - %s: commit %s, %s, %d CPUs, %.0f s from %s, load average %.1f at the start and %.1f at the end\n",
			what, x.Commit, x.Go, x.CPUs, x.Seconds, x.Start.Format("2006-01-02 15:04 UTC"), x.LoadStart, x.LoadEnd)
	}
	return b.String()
}
