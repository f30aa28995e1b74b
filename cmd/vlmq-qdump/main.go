// Command vlmq-qdump prints, for the first successful episodes of a
// dataset, each turn's observation, reply, reward and the critic's
// min(Q1, Q2) at the reply's choice token (the token before EOS): how a
// model values the moves that led to a win. Usage:
//
//	vlmq-qdump MODEL DATA_DIR [EPISODES]
package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"vlmq/afsft"
	"vlmq/experiment"
	"vlmq/models"
	"vlmq/vlm"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vlmq-qdump:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return fmt.Errorf("usage: vlmq-qdump MODEL DATA_DIR [EPISODES]")
	}
	show := 6
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 1 {
			return fmt.Errorf("EPISODES %q: want a positive number", args[2])
		}
		show = n
	}
	m, err := models.Load(args[0])
	if err != nil {
		return err
	}
	eps, err := experiment.LoadEpisodes([]string{args[1]})
	if err != nil {
		return err
	}
	samples, err := afsft.Prepare(eps, m, 12)
	if err != nil {
		return err
	}
	i := 0
	for _, ep := range eps {
		start := i
		i += len(ep.Turns)
		if !ep.Success || show == 0 {
			continue
		}
		show--
		fmt.Printf("episode %d return %.1f\n", ep.ID, ep.Return)
		for k, t := range ep.Turns {
			s := samples[start+k]
			out, err := m.Forward(nil, []vlm.Input{s.Input()})
			if err != nil {
				return err
			}
			v := out.Logits.Shape[1]
			j := max(len(s.Reply)-2, 0)
			q := math.Min(float64(out.Q1.Data[j*v+s.Reply[j]]), float64(out.Q2.Data[j*v+s.Reply[j]]))
			obs := t.Prompt
			if k := strings.LastIndex(obs, "Observation: "); k >= 0 {
				obs = obs[k+len("Observation: "):]
			}
			fmt.Printf("  %-40q %-14q r %5.1f  Q(choice) %7.3f\n", strings.TrimSuffix(obs, "\nReply:"), t.Reply, t.Reward, q)
		}
	}
	return nil
}
