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
	"vlmq/metrics"
)

// tableArgs are table's flags.
type tableArgs struct {
	Blindness bool `flag:"blindness" help:"add a column with each row's most common reply, its share of all replies, and the expert's share of that reply (from an expert evaluation of the same env and episode count among the folders)"`
}

func tableCmd() *cobra.Command {
	var a tableArgs
	cmd := &cobra.Command{
		Use:   "table RUN_DIR...",
		Short: "Print one Markdown table of finished runs: demo runs and evaluations (vlmq eval --out) by their results.json, training runs (vlmq train --out) by their evaluations",
		Long: `Print one Markdown table of finished runs: demo runs and evaluations (vlmq eval --out) by their results.json, training runs (vlmq train --out) by their evaluations.
With --blindness, a last column shows how state-blind each row is: its most common reply with the share of all replies it takes, beside the expert's share of that same reply. The expert's row is an evaluation of --policy expert (vlmq eval --policy expert --out) of the same env and episode count among the folders given, which plays the same seeds.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			var groups []envRows
			for _, d := range dirs {
				g, err := readRows(d)
				if err != nil {
					return err
				}
				groups = append(groups, g)
			}
			var b strings.Builder
			b.WriteString("| env | method | syntax accuracy | success rate | mean return | episodes |")
			if a.Blindness {
				b.WriteString(" most common reply: share (the expert's share of it) |")
			}
			b.WriteString("\n|---|---|---|---|---|---|")
			if a.Blindness {
				b.WriteString("---|")
			}
			b.WriteString("\n")
			for _, g := range groups {
				for i, line := range strings.Split(strings.TrimSpace(experiment.Table(g.rs)), "\n")[2:] {
					fmt.Fprintf(&b, "| %s %s", experiment.Cell(g.env), line)
					if a.Blindness {
						fmt.Fprintf(&b, " %s |", experiment.Cell(blindness(g.rs[i], expertRow(groups, g.env, g.rs[i].Summary.Episodes))))
					}
					b.WriteString("\n")
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), b.String())
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}

// envRows are the rows one run folder gives, with its env.
type envRows struct {
	env string
	rs  []experiment.Result
}

// readRows reads a demo run, an evaluation or a training run folder.
func readRows(d string) (envRows, error) {
	env, err := runEnv(d)
	var rs []experiment.Result
	switch {
	case errors.Is(err, errNoRunFolder):
		// Neither a demo nor an evaluation: a training run?
		if env, rs, err = trainRows(d); errors.Is(err, fs.ErrNotExist) {
			return envRows{}, fmt.Errorf("%s: not a run folder (it has no demo.json, eval.json, or spec.json with evals/ of vlmq train)", d)
		} else if err != nil {
			return envRows{}, err
		}
	case err != nil:
		return envRows{}, err
	default:
		if err := jsonfile.Read(filepath.Join(d, "results.json"), &rs); err != nil {
			return envRows{}, fmt.Errorf("%s: not a finished demo run: %w", d, err)
		}
	}
	return envRows{env, rs}, nil
}

// expertRow is the summary of the expert's evaluation of env over the
// given number of episodes (the same seeds), if one of groups has it.
func expertRow(groups []envRows, env string, episodes int) *metrics.Summary {
	for _, g := range groups {
		if g.env != env {
			continue
		}
		for _, r := range g.rs {
			if r.Method == experiment.PolicyExpert && r.Model == "" && r.Summary.Episodes == episodes {
				return &r.Summary
			}
		}
	}
	return nil
}

// blindness is a row's --blindness cell: its most common reply and that
// reply's share, then the expert's share of the same reply.
func blindness(r experiment.Result, expert *metrics.Summary) string {
	share, reply, ok := r.Summary.TopShare()
	if !ok {
		return "not recorded"
	}
	cell := fmt.Sprintf("%q %.0f%%", reply, 100*share)
	switch {
	case r.Method == experiment.PolicyExpert && r.Model == "":
		// The expert's own row.
	case expert == nil:
		cell += " (no expert row)"
	default:
		if es, bound, ok := expert.ShareOf(reply); !ok {
			cell += " (expert: not recorded)"
		} else if bound {
			cell += fmt.Sprintf(" (expert <=%.0f%%)", 100*es)
		} else {
			cell += fmt.Sprintf(" (expert %.0f%%)", 100*es)
		}
	}
	return cell
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
