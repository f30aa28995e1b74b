package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/afsft"
	"vlmq/experiment"
	"vlmq/jsonfile"
)

func tableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "table RUN_DIR...",
		Short: "Print one Markdown table of finished runs: demo runs and evaluations (vlmq eval --out) by their results.json, training runs (vlmq train --out) by their evaluations",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			var b strings.Builder
			b.WriteString("| env | method | syntax accuracy | success rate | mean return | episodes |\n|---|---|---|---|---|---|\n")
			for _, d := range dirs {
				env, err := runEnv(d)
				var rs []experiment.Result
				switch {
				case errors.Is(err, errNoRunFolder):
					// Neither a demo nor an evaluation: a training run?
					if env, rs, err = trainRows(d); errors.Is(err, fs.ErrNotExist) {
						return fmt.Errorf("%s: not a run folder (it has no demo.json, eval.json, or spec.json with evals/ of vlmq train)", d)
					} else if err != nil {
						return err
					}
				case err != nil:
					return err
				default:
					if err := jsonfile.Read(filepath.Join(d, "results.json"), &rs); err != nil {
						return fmt.Errorf("%s: not a finished demo run: %w", d, err)
					}
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
	return "", fmt.Errorf("%s: %w", dir, errNoRunFolder)
}

// errNoRunFolder: a folder with neither demo.json nor eval.json.
var errNoRunFolder = errors.New("not a demo or evaluation folder (it has neither demo.json nor eval.json)")

// trainRows are the evaluations of a training run folder (vlmq train
// --out: spec.json and evals/), offline first and then each online round,
// as rows named by the training mode, the phase, the step and the folder
// (which tells runs of one env apart). It returns fs.ErrNotExist for a
// folder that is not a training run.
func trainRows(dir string) (string, []experiment.Result, error) {
	var spec experiment.TrainSpec
	if err := jsonfile.Read(filepath.Join(dir, "spec.json"), &spec); err != nil {
		return "", nil, err
	}
	if spec.Env == "" {
		return "", nil, fmt.Errorf("%s: spec.json names no env: not a training run", dir)
	}
	var rows []experiment.Result
	for i := 0; ; i++ {
		label := "offline"
		if i > 0 {
			label = fmt.Sprintf("round-%d", i)
		}
		var r experiment.Result
		err := jsonfile.Read(filepath.Join(dir, "evals", label+".json"), &r)
		if errors.Is(err, fs.ErrNotExist) && i > 0 {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s: a training run without its evaluation (run it with --eval-episodes): %v", dir, err)
		}
		r.Method = fmt.Sprintf("%s %s, step %d (%s)", modeName(spec.Train.Mode), strings.ReplaceAll(label, "-", " "), r.Step, filepath.Base(filepath.Clean(dir)))
		rows = append(rows, r)
	}
	return spec.Env, rows, nil
}

// modeName is a training mode as the tables name methods.
func modeName(m afsft.Mode) string {
	switch m {
	case afsft.SFT:
		return "SFT"
	case afsft.Binary, "":
		return "AFSFT"
	}
	return "AFSFT (" + string(m) + " weights)"
}
