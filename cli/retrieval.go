package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"vlmq/models"
	"vlmq/pretrain"
)

// retrievalArgs are retrieval's flags.
type retrievalArgs struct {
	Model string `flag:"model" help:"model folder (vlmq-base or none: the shipped base)"`
	Lists int    `flag:"lists" help:"held-out lists per task and distractor count"`
	Seed  uint64 `flag:"seed" help:"probe seed (the default is the one pretrain --seed 1 puts on its card)"`
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
			m, err := models.Load(a.Model)
			if err != nil {
				return err
			}
			r, err := pretrain.RetrievalProbe(m, a.Seed, a.Lists)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), r.Markdown())
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}
