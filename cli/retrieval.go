package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"vlmq/models"
	"vlmq/pretrain"
)

// retrievalCmd measures the retrieval probe of any model folder, such as a
// pretraining checkpoint's model (<out>.ckpt/model), so a long run can be
// watched between its checkpoints rather than only on its final card.
func retrievalCmd() *cobra.Command {
	var model string
	var lists int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "retrieval",
		Short: "Measure a model's retrieval probe: key-value and which-entry lookups at 1, 4 and 16 distractors, from the text alone",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lists < 1 {
				return fmt.Errorf("--lists %d, want at least 1", lists)
			}
			m, err := models.Load(model)
			if err != nil {
				return err
			}
			r, err := pretrain.RetrievalProbe(m, seed, lists)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), r.Markdown())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "model folder, e.g. a pretraining checkpoint's <out>.ckpt/model (default: the shipped base)")
	f.IntVar(&lists, "lists", 50, "held-out lists per task and distractor count")
	f.Uint64Var(&seed, "seed", pretrain.ProbeSeed(1), "probe seed (the default is the one pretrain --seed 1 puts on its card)")
	return cmd
}
