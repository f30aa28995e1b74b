package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/experiment"
	"vlmq/jsonfile"
)

func tableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "table RUN_DIR...",
		Short: "Print one Markdown table of the results.json files of finished demo runs and evaluations (vlmq eval --out)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			var b strings.Builder
			b.WriteString("| env | method | syntax accuracy | success rate | mean return | episodes |\n|---|---|---|---|---|---|\n")
			for _, d := range dirs {
				env, err := runEnv(d)
				if err != nil {
					return err
				}
				var rs []experiment.Result
				if err := jsonfile.Read(filepath.Join(d, "results.json"), &rs); err != nil {
					return fmt.Errorf("%s: not a finished demo run: %w", d, err)
				}
				for _, line := range strings.Split(strings.TrimSpace(experiment.Table(rs)), "\n")[2:] {
					fmt.Fprintf(&b, "| %s %s\n", experiment.Cell(env), line)
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), b.String())
			return nil
		},
	}
}

// runEnv is the env of a demo run folder (demo.json) or of an evaluation
// folder (eval.json).
func runEnv(dir string) (string, error) {
	var spec experiment.DemoSpec
	err := jsonfile.Read(filepath.Join(dir, "demo.json"), &spec)
	if err == nil {
		return spec.Env, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var rec experiment.EvalRecord
	if eerr := jsonfile.Read(filepath.Join(dir, "eval.json"), &rec); eerr == nil {
		return rec.Spec.Env, nil
	} else if !errors.Is(eerr, fs.ErrNotExist) {
		return "", eerr
	}
	return "", fmt.Errorf("%s: not a run folder (it has neither demo.json nor eval.json)", dir)
}
