// Package cli is the vlmq command line: collect, pretrain, train, eval,
// demo and envs, each a thin layer over package experiment.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"vlmq/envs"
)

// Main runs the CLI and returns the process exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(os.Stdout, os.Stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "vlmq:", err)
		return 1
	}
	return 0
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "vlmq",
		Short:         "Teach VLM agents an environment's rules, then improve beyond their data (offline-to-online AFSFT)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().Bool("quiet", false, "no progress bars")
	root.AddCommand(envsCmd(), pretrainCmd(), collectCmd(), trainCmd(), evalCmd(), demoCmd(), probeCmd(), tableCmd(), showCmd())
	return root
}

func envsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "envs",
		Short: "List the environments",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			for _, n := range envs.Names() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
		},
	}
}

// bar returns a progress bar on stderr, or a no-op when --quiet.
func bar(cmd *cobra.Command, total int, desc string) *progressbar.ProgressBar {
	if q, _ := cmd.Flags().GetBool("quiet"); q {
		return progressbar.NewOptions(total, progressbar.OptionSetWriter(io.Discard))
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(cmd.ErrOrStderr()),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}
