package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/experiment"
	"vlmq/metrics"
)

// tableArgs are table's flags.
type tableArgs struct {
	Seeds     bool `flag:"seeds" help:"merge the runs that share a parent folder (e.g. NAME/seed-1, NAME/seed-2, ...) into one row per env and method: the mean over the runs and, in brackets, their lowest and highest value"`
	Blindness bool `flag:"blindness" help:"add a column with each row's most common reply, its share of all replies, and the expert's share of that reply (from an expert evaluation of the same env and episode count among the folders)"`
}

func tableCmd() *cobra.Command {
	var a tableArgs
	cmd := &cobra.Command{
		Use:   "table RUN_DIR...",
		Short: "Print one Markdown table of finished runs: demo runs and evaluations (vlmq eval --out) by their results.json, training runs (vlmq train --out) by their evaluations",
		Long: `Print one Markdown table of finished runs: demo runs and evaluations (vlmq eval --out) by their results.json, training runs (vlmq train --out) by their evaluations.
With --seeds, runs that share a parent folder (training seeds of one setting, NAME/seed-N) are merged into one row per env and method: the mean over the runs, then the lowest and highest run in brackets.
With --blindness, a last column shows how state-blind each row is: its most common reply with the share of all replies it takes, beside the expert's share of that same reply. The expert's row is an evaluation of --policy expert (vlmq eval --policy expert --out) of the same env and episode count among the folders given, which plays the same seeds.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			var groups []experiment.Run
			for _, d := range dirs {
				g, err := experiment.ReadRun(d)
				if err != nil {
					return err
				}
				groups = append(groups, g)
			}
			if a.Seeds {
				if a.Blindness {
					return errors.New("--seeds and --blindness: give one of them (a merged row has no single most common reply)")
				}
				fmt.Fprint(cmd.OutOrStdout(), seedTable(groups))
				return nil
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
				for i, line := range strings.Split(strings.TrimSpace(experiment.Table(g.Rows)), "\n")[2:] {
					fmt.Fprintf(&b, "| %s %s", experiment.Cell(g.Env), line)
					if a.Blindness {
						fmt.Fprintf(&b, " %s |", experiment.Cell(blindness(g.Rows[i], expertRow(groups, g.Env, g.Rows[i].Summary.Episodes))))
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

// expertRow is the summary of the expert's evaluation of env over the
// given number of episodes (the same seeds), if one of groups has it.
func expertRow(groups []experiment.Run, env string, episodes int) *metrics.Summary {
	for _, g := range groups {
		if g.Env != env {
			continue
		}
		for _, r := range g.Rows {
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

// seedTable merges the rows of runs in one parent folder by env and
// method: each cell is the mean over the runs with their range.
func seedTable(runs []experiment.Run) string {
	type key struct{ env, parent, method string }
	type group struct {
		key
		rows []experiment.Result
	}
	var order []key
	groups := map[key]*group{}
	for _, r := range runs {
		parent := filepath.Base(filepath.Dir(filepath.Clean(r.Dir)))
		for _, row := range r.Rows {
			k := key{r.Env, parent, row.Method}
			if groups[k] == nil {
				groups[k] = &group{key: k}
				order = append(order, k)
			}
			groups[k].rows = append(groups[k].rows, row)
		}
	}
	var b strings.Builder
	b.WriteString("| env | method (folder) | runs | syntax accuracy: mean [lowest, highest] | success rate: mean [lowest, highest] | mean return: mean [lowest, highest] | episodes per run |\n|---|---|---|---|---|---|---|\n")
	for _, k := range order {
		g := groups[k]
		stat := func(pct bool, f func(metrics.Summary) float64) string {
			lo, hi, sum := f(g.rows[0].Summary), f(g.rows[0].Summary), 0.0
			for _, r := range g.rows {
				v := f(r.Summary)
				lo, hi, sum = min(lo, v), max(hi, v), sum+v
			}
			mean := sum / float64(len(g.rows))
			if pct {
				return fmt.Sprintf("%.1f%% [%.1f, %.1f]", 100*mean, 100*lo, 100*hi)
			}
			return fmt.Sprintf("%.2f [%.2f, %.2f]", mean, lo, hi)
		}
		eps := map[int]bool{}
		var epList []string
		for _, r := range g.rows {
			if n := r.Summary.Episodes; !eps[n] {
				eps[n] = true
				epList = append(epList, fmt.Sprint(n))
			}
		}
		fmt.Fprintf(&b, "| %s | %s (%s) | %d | %s | %s | %s | %s |\n", experiment.Cell(k.env), experiment.Cell(k.method), experiment.Cell(k.parent), len(g.rows),
			stat(true, func(s metrics.Summary) float64 { return s.SyntaxAccuracy.Value }),
			stat(true, func(s metrics.Summary) float64 { return s.SuccessRate.Value }),
			stat(false, func(s metrics.Summary) float64 { return s.MeanReturn.Value }),
			strings.Join(epList, ", "))
	}
	return b.String()
}
