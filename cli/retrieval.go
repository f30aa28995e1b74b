package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/models"
	"vlmq/pretrain"
)

// retrievalArgs are retrieval's flags.
type retrievalArgs struct {
	Model string `flag:"model" help:"model folder (vlmq-base or none: the shipped base)"`
	Lists int    `flag:"lists" help:"held-out lists per task and distractor count"`
	Seed  uint64 `flag:"seed" help:"probe seed (the default is the one pretrain --seed 1 puts on its card)"`
	// Mistakes shows what a model gets wrong, not only how often.
	Mistakes int `flag:"mistakes" help:"also list up to N wrong answers of each measured cell (qa: env, question type and mode; retrieval: task and distractor count, with the list): the question, the answer and the model's"`
}

// retrievalCmd measures the retrieval probe of any model folder, such as a
// pretraining checkpoint's model (<out>.ckpt/model), so a long run can be
// watched between its checkpoints rather than only on its final card.
func retrievalCmd() *cobra.Command {
	a := retrievalArgs{Lists: 50, Seed: pretrain.ProbeSeed(1)}
	cmd := &cobra.Command{
		Use:   "retrieval",
		Short: "Measure a model's retrieval probe: key-value, where-is, several-word where-is and page-element lookups at 1, 4 and 16 distractors, from the text alone",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.Lists < 1 {
				return fmt.Errorf("--lists %d, want at least 1", a.Lists)
			}
			if a.Mistakes < 0 {
				return fmt.Errorf("--mistakes %d, want a count >= 0", a.Mistakes)
			}
			m, err := models.Load(a.Model)
			if err != nil {
				return err
			}
			r, err := pretrain.RetrievalProbe(m, a.Seed, a.Lists)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), r.Markdown())
			if a.Mistakes > 0 {
				fmt.Fprint(cmd.OutOrStdout(), probeMistakesText(r.Wrong, a.Mistakes))
			}
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}

// probeMistakesText lists up to n wrong answers of each task and distractor
// count, the list first, as the model read it.
func probeMistakesText(wrong []pretrain.ProbeMistake, n int) string {
	var b strings.Builder
	b.WriteString("\n## Wrong answers\n")
	if len(wrong) == 0 {
		b.WriteString("\nNone: every probe answer was right.\n")
		return b.String()
	}
	type cell struct {
		task string
		d    int
	}
	for _, w := range firstPerCell(wrong, n, func(w pretrain.ProbeMistake) cell { return cell{w.Task, w.Distractors} }) {
		fmt.Fprintf(&b, "\n### %s, %d distractor%s\n\n```\n%s\n%s\n```\n\nanswer %q, model's %q\n", w.Task, w.Distractors, map[bool]string{true: "", false: "s"}[w.Distractors == 1], w.Context, w.Question, w.Want, w.Got)
	}
	return b.String()
}
