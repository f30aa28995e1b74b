package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"vlmq/atomicfile"
	"vlmq/env"
	"vlmq/envs"
	"vlmq/models"
	"vlmq/render"
)

func orDefault(base string) string {
	if base == "" {
		return models.DefaultName
	}
	return base
}

// showCmd prints what the agent is given at the first turn of an episode,
// to check by eye what an observation mode hides or a prompt says.
func showCmd() *cobra.Command {
	var name, imagePath, base string
	var tokens bool
	var seed int64
	var turns int
	var o envs.Options
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print an episode's first prompt exactly as the agent gets it, and optionally write its image",
		Long: `Print the prompt of an episode's first turn, built as the agent builds it
(env.Prompt of the task, the observation and the reply syntax), and with
--image write the observation image (at the env's native size) as PNG.
--seed is the env's episode seed, as datasets record it. --turns N lets the
env's expert play N moves first and prints the prompt of the turn after
them, so that --history shows earlier turns.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if turns < 0 { // before envs.New, which may start a browser
				return fmt.Errorf("--turns %d, want 0 or more", turns)
			}
			e, err := envs.New(name, o)
			if err != nil {
				return err
			}
			defer func() {
				if cerr := e.Close(); err == nil {
					err = cerr
				}
			}()
			obs, err := e.Reset(seed)
			if err != nil {
				return err
			}
			hist := env.History{K: o.History}
			if turns > 0 {
				if obs, err = expertTurns(e, obs, &hist, turns); err != nil {
					return err
				}
			}
			prompt := hist.Prompt(e.Task(), obs, e.Syntax())
			fmt.Fprintln(cmd.OutOrStdout(), prompt)
			if tokens {
				m, err := models.Load(base)
				if err != nil {
					return err
				}
				// On stderr, so that stdout holds the prompt alone.
				fmt.Fprintf(cmd.ErrOrStderr(), "%d prompt tokens with the %s tokenizer and prompt format (%d text positions; %s)\n",
					len(m.EncodePrompt(prompt)), orDefault(base), m.MaxText(), m.Describe())
				// What the agent does with a prompt that leaves no room for a
				// reply of showReply tokens (agent.Agent, env.FitPrompt).
				fits := func(p string) bool { return len(m.EncodePrompt(p))+showReply <= m.MaxText() }
				if !fits(prompt) {
					cut, n := env.FitPrompt(prompt, fits)
					fmt.Fprintf(cmd.ErrOrStderr(), "too long for the model with a %d-token reply: the agent acts on it cut to %d tokens by env.FitPrompt (%d earlier turns or observation lines cut)\n",
						showReply, len(m.EncodePrompt(cut)), n)
				}
			}
			if imagePath == "" {
				return nil
			}
			if obs.Image == nil {
				return fmt.Errorf("%s seed %d has no observation image", name, seed)
			}
			if err := atomicfile.WriteFunc(imagePath, func(w io.Writer) error { return render.EncodePNG(w, obs.Image) }); err != nil {
				return err
			}
			// On stderr, so that stdout holds the prompt alone.
			b := obs.Image.Bounds()
			fmt.Fprintf(cmd.ErrOrStderr(), "%dx%d image written to %s\n", b.Dx(), b.Dy(), imagePath)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "env", "numberline", "environment (see `vlmq envs`)")
	f.Int64Var(&seed, "seed", 0, "episode seed")
	f.StringVar(&imagePath, "image", "", "write the observation image to this PNG file")
	f.BoolVar(&tokens, "tokens", false, "also print the prompt's length in tokens of the base model's tokenizer")
	f.StringVar(&base, "base", "", "model whose tokenizer --tokens uses (default: the shipped base)")
	f.IntVar(&turns, "turns", 0, "let the expert play this many moves first and show the next turn's prompt")
	envFlags(f, &o)
	return cmd
}

// expertTurns plays n expert moves from obs, recording them in hist, and
// returns the observation after them.
func expertTurns(e env.Env, obs env.Observation, hist *env.History, n int) (env.Observation, error) {
	x, err := envs.NewExpert(e)
	if err != nil {
		return obs, err
	}
	x.Reset()
	for i := range n {
		c, err := x.Act()
		if err != nil {
			return obs, fmt.Errorf("expert move %d: %w", i+1, err)
		}
		st, err := e.Step(e.Syntax().Format(c))
		if err != nil {
			return obs, err
		}
		if st.Done {
			return obs, fmt.Errorf("the episode ended after %d expert moves; ask for fewer --turns", i+1)
		}
		hist.Add(obs, st.Info)
		obs = st.Obs
	}
	return obs, nil
}

// showReply is the reply budget show assumes (the demo's MaxReply).
const showReply = 12
