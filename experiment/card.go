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
	fmt.Fprintf(&b, "# vlmq base VLM (%s preset%s)\n\n", s.Preset, archText(s.Arch))
	fmt.Fprintf(&b, "A small vision-language model pretrained by vlmq on questions about the observations of %d environments "+
		"(image question answering: numbers, cards and formulas, objects and where they are, page elements and their text). "+
		"It has never been trained on an action reply or an expert's choice, so it does not know any env's action syntax: "+
		"AFSFT fine-tunes it from there. Actor (LM head) and two critic heads over the vocabulary; the critic heads are untrained.\n\n", len(s.Envs))
	fmt.Fprintf(&b, "- parameters: %d; %s\n", rep.Params, m.Describe())
	fmt.Fprintf(&b, "- pretraining: %d steps of %d questions, learning rate %g, corpus of %d questions from %d random-walk episodes per environment (seed %d)\n",
		rep.Steps, s.Batch, s.LR, rep.CorpusQA, s.Episodes, s.Seed)
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
		fmt.Fprintf(&b, "- curriculum: sequences of many questions, source weights views %g, key-value %g, word %g, match %g, format %g; up to %d distractors; batch counts sequences\n",
			c.Views, c.KV, c.Word, c.Match, c.Format, d)
	}
	fmt.Fprintf(&b, "\n## Rebuild\n\n```sh\n%s\n```\n\n", command)
	if rep.Retrieval != nil {
		fmt.Fprintf(&b, "## Retrieval probe\n\n%s\n", rep.Retrieval.Markdown())
	}
	fmt.Fprintf(&b, "## Held-out question answering\n\nGreedy answers on views from episodes of other seeds; exact match. "+
		"\"image only\": the question follows the image alone; \"with text\": the env's prompt (which may state the answer) precedes it. "+
		"Overall: %s.\n\n", rep.Score)
	b.WriteString("| environment | image only | n | with text | n |\n|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		if r.Type == "" {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %d |\n", r.Env, cardPct(r.ImageOnly, r.NImageOnly), r.NImageOnly, cardPct(r.WithText, r.NWithText), r.NWithText)
		}
	}
	b.WriteString("\n### By question type\n\n| environment | question | image only | n | with text | n |\n|---|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		if r.Type != "" {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %d |\n", r.Env, strings.ReplaceAll(r.Type, "|", "\\|"), cardPct(r.ImageOnly, r.NImageOnly), r.NImageOnly, cardPct(r.WithText, r.NWithText), r.NWithText)
		}
	}
	return b.String()
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
	var kv []string
	for k, v := range arch {
		kv = append(kv, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(kv)
	return " with " + strings.Join(kv, ", ")
}
