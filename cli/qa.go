package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"vlmq/experiment"
	"vlmq/models"
)

// qaArgs are qa's flags: the model, and what a base card measures it on.
type qaArgs struct {
	Model               string `flag:"model" help:"model folder (vlmq-base or none: the shipped base)"`
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
			m, err := models.Load(a.Model)
			if err != nil {
				return err
			}
			rep, err := experiment.MeasureBase(cmd.Context(), m, s)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), experiment.BaseMeasures(s, rep))
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}
