package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"vlmq/atomicfile"
	"vlmq/env"
	"vlmq/experiment"
	"vlmq/models"
	"vlmq/render"
)

func orDefault(base string) string {
	if base == "" {
		return models.DefaultName
	}
	return base
}

// showArgs are show's flags: the episode, what to print of it, and the
// env options.
type showArgs struct {
	Env     string      `flag:"env" help:"environment (see vlmq envs)"`
	Seed    int64       `flag:"seed" help:"episode seed (as datasets record it)"`
	Turns   int         `flag:"turns" help:"let the expert play this many moves first and show the next turn's prompt"`
	Image   string      `flag:"image" help:"write the observation image to this PNG file"`
	Tokens  bool        `flag:"tokens" help:"also print the prompt's length in tokens of the base model's tokenizer"`
	Base    string      `flag:"base" help:"model whose tokenizer --tokens uses (default: the shipped base)"`
	EnvOpts env.Options `flag:"*"`
}

// showCmd prints what the agent is given at the first turn of an episode,
// to check by eye what an observation mode hides or a prompt says.
func showCmd() *cobra.Command {
	a := showArgs{Env: "numberline"}
	o := &a.EnvOpts
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
			if a.Turns < 0 { // before env.New, which may start a browser
				return fmt.Errorf("--turns %d, want 0 or more", a.Turns)
			}
			e, err := env.New(a.Env, *o)
			if err != nil {
				return err
			}
			defer func() {
				if cerr := e.Close(); err == nil {
					err = cerr
				}
			}()
			obs, err := e.Reset(a.Seed)
			if err != nil {
				return err
			}
			hist := env.History{K: o.History}
			if a.Turns > 0 {
				if obs, err = expertTurns(e, obs, &hist, a.Turns); err != nil {
					return err
				}
			}
			prompt := hist.Prompt(e.Task(), obs, e.Syntax())
			fmt.Fprintln(cmd.OutOrStdout(), prompt)
			if a.Tokens {
				m, err := models.Load(a.Base)
				if err != nil {
					return err
				}
				// On stderr, so that stdout holds the prompt alone.
				fmt.Fprintf(cmd.ErrOrStderr(), "%d prompt tokens with the %s tokenizer and prompt format (%d text positions; %s)\n",
					len(m.EncodePrompt(prompt)), orDefault(a.Base), m.MaxText(), m.Describe())
				// What the agent does with a prompt that leaves no room for a
				// reply of showReply tokens (agent.Agent, env.FitPrompt).
				fits := func(p string) bool { return len(m.EncodePrompt(p))+showReply <= m.MaxText() }
				if !fits(prompt) {
					cut, n := env.FitPrompt(prompt, fits)
					fmt.Fprintf(cmd.ErrOrStderr(), "too long for the model with a %d-token reply: the agent acts on it cut to %d tokens by env.FitPrompt (%d earlier turns or observation lines cut)\n",
						showReply, len(m.EncodePrompt(cut)), n)
				}
			}
			if a.Image == "" {
				return nil
			}
			if obs.Image == nil {
				return fmt.Errorf("%s seed %d has no observation image", a.Env, a.Seed)
			}
			if err := atomicfile.WriteFunc(a.Image, func(w io.Writer) error { return render.EncodePNG(w, obs.Image) }); err != nil {
				return err
			}
			// On stderr, so that stdout holds the prompt alone.
			b := obs.Image.Bounds()
			fmt.Fprintf(cmd.ErrOrStderr(), "%dx%d image written to %s\n", b.Dx(), b.Dy(), a.Image)
			return nil
		},
	}
	bind(cmd.Flags(), &a)
	return cmd
}

// expertTurns plays n expert moves from obs, recording them in hist, and
// returns the observation after them.
func expertTurns(e env.Env, obs env.Observation, hist *env.History, n int) (env.Observation, error) {
	x, err := env.NewExpert(e)
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

// showReply is the reply budget show assumes: training's and
// evaluation's.
const showReply = experiment.DefaultMaxReply
