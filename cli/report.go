package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/atomicfile"
	"vlmq/experiment"
)

// reportArgs are report's flags.
type reportArgs struct {
	Out string `flag:"out" help:"output folder: index.html and the PNG charts it links, replaced whole on every run"`
}

func reportCmd() *cobra.Command {
	a := reportArgs{Out: "results/report"}
	cmd := &cobra.Command{
		Use:   "report ROOT...",
		Short: "Write one HTML page with PNG charts of every run folder under the given folders",
		Long: `Write one HTML page with PNG charts of every run folder under the given folders: demo runs (demo.json), evaluations (vlmq eval --out) and training runs (vlmq train --out with evals/).
For each environment: the table vlmq table prints, with each row's folder; a bar chart of the rows' success rates with 95% intervals (ENV.png, "/" in ENV written "-"); and for runs with online rounds, their success rate and syntax accuracy per round (ENV-rounds.png).
Hidden folders and a run's own sub-folders (a demo's sft/, a training run's ckpt/, ...) are not searched. A damaged run folder stops the command before anything is written.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, roots []string) error {
			lock, err := atomicfile.Claim(a.Out, atomicfile.KindReport)
			if err != nil {
				return err
			}
			defer lock.Unlock()
			runs, noEvals, err := experiment.FindRuns(roots...)
			if err != nil {
				return err
			}
			title := "vlmq report " + strings.Join(roots, " ")
			if err := atomicfile.PublishDir(a.Out, atomicfile.KindReport, func(tmp string) error {
				return experiment.WriteRunsReport(tmp, title, runs, noEvals)
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d runs of %d environments: %s\n", len(runs), len(experiment.ChartStems(runs)), filepath.Join(a.Out, "index.html"))
			if len(noEvals) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "left out %d training runs without evaluations (no evals/), listed at the end of the page\n", len(noEvals))
			}
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}
