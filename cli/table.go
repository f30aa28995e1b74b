package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/experiment"
	"vlmq/safetensors"
)

func tableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "table RUN_DIR...",
		Short: "Print one Markdown table of the results.json files of finished demo runs",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			var b strings.Builder
			b.WriteString("| env | method | syntax accuracy | success rate | mean return | episodes |\n|---|---|---|---|---|---|\n")
			for _, d := range dirs {
				var spec experiment.DemoSpec
				if err := safetensors.ReadJSON(filepath.Join(d, "demo.json"), &spec); err != nil {
					return err
				}
				var rs []experiment.Result
				if err := safetensors.ReadJSON(filepath.Join(d, "results.json"), &rs); err != nil {
					return fmt.Errorf("%s: not a finished demo run: %w", d, err)
				}
				for _, line := range strings.Split(strings.TrimSpace(experiment.Table(rs)), "\n")[2:] {
					fmt.Fprintf(&b, "| %s %s\n", spec.Env, line)
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), b.String())
			return nil
		},
	}
}
