package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/experiment"
	"vlmq/models"
)

// qaArgs are qa's flags: the model, and what a base card measures it on.
type qaArgs struct {
	Model               string `flag:"model" help:"model folder (vlmq-base or none: the shipped base)"`
	Mistakes            int    `flag:"mistakes" help:"also list up to N wrong answers of each measured cell (qa: env, question type and mode; retrieval: task and distractor count, with the list): the question, the answer and the model's"`
	experiment.BaseEval `flag:"*"`
}

// qaCmd measures any model as pretrain measures the base it builds for its
// card: held-out QA per env and question type, image only and after the
// prompt, and optionally the retrieval probe and syntax accuracy. A long
// pretraining's checkpoint can so be read per skill between checkpoints,
// and a fine-tuned model checked for what it kept.
func qaCmd() *cobra.Command {
	a := qaArgs{BaseEval: experiment.DefaultBase("numberline").BaseEval}
	a.SyntaxEpisodes = -1
	cmd := &cobra.Command{
		Use:   "qa",
		Short: "Measure a model's held-out question answering on env views per question type, as a base's card does",
		Long: `Measure a model's held-out question answering on env views per env and question type, image only and after the env's prompt, as pretrain does for a base's card.
--model may be a pretraining checkpoint's <out>.ckpt/model. The held-out episodes and questions follow from --seed (the card of pretrain --seed N used N). --probe-lists adds the retrieval probe, --syntax-episodes the base's syntax accuracy (skipped by default here).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := a.BaseEval
			var err error
			if s.Envs, err = expandEnvs(s.Envs, s.EnvOpts); err != nil {
				return err
			}
			if err := s.Validate(); err != nil {
				return err
			}
			if a.Mistakes < 0 {
				return fmt.Errorf("--mistakes %d, want a count >= 0", a.Mistakes)
			}
			m, err := models.Load(a.Model)
			if err != nil {
				return err
			}
			rep, err := experiment.MeasureBase(cmd.Context(), m, s)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), experiment.BaseMeasures(s, rep))
			if a.Mistakes > 0 {
				fmt.Fprint(cmd.OutOrStdout(), mistakesText(rep.Wrong, a.Mistakes))
			}
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}

// mistakesText lists up to n wrong answers of each env, question type and
// mode, grouped so, each group in the held-out order.
func mistakesText(wrong []experiment.QAMistake, n int) string {
	var b strings.Builder
	b.WriteString("\n## Wrong answers\n\n")
	if len(wrong) == 0 {
		b.WriteString("None: every held-out answer was right.\n")
		return b.String()
	}
	b.WriteString("| environment | mode | question | answer | model's answer |\n|---|---|---|---|---|\n")
	wrong = slices.Clone(wrong)
	slices.SortStableFunc(wrong, func(x, y experiment.QAMistake) int {
		return cmp.Or(cmp.Compare(x.Env, y.Env), cmp.Compare(x.Type, y.Type), cmpBool(x.WithText, y.WithText))
	})
	type cell struct {
		env, typ string
		text     bool
	}
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") }
	for _, w := range firstPerCell(wrong, n, func(w experiment.QAMistake) cell { return cell{w.Env, w.Type, w.WithText} }) {
		mode := "image only"
		if w.WithText {
			mode = "with text"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", w.Env, mode, esc(w.Question), esc(w.Want), esc(w.Got))
	}
	return b.String()
}

// cmpBool orders false before true.
func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

// firstPerCell keeps, in order, at most n items of each cell that key
// names (the wrong answers a command lists per measured cell).
func firstPerCell[T any, K comparable](items []T, n int, key func(T) K) []T {
	shown := map[K]int{}
	var out []T
	for _, x := range items {
		if k := key(x); shown[k] < n {
			shown[k]++
			out = append(out, x)
		}
	}
	return out
}
