package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"vlmq/experiment"
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
			var groups []experiment.Run
			for _, d := range dirs {
				g, err := experiment.ReadRun(d)
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
